package sha254

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

// reference is the node hash written plainly with crypto/sha256.
func reference(block []byte) [Size]byte {
	d := sha256.Sum256(block)
	d[Size-1] &= 0x3f
	return d
}

func referenceNodes(src []byte) []byte {
	out := make([]byte, 0, len(src)/2)
	for i := 0; i < len(src); i += BlockSize {
		d := reference(src[i : i+BlockSize])
		out = append(out, d[:]...)
	}
	return out
}

// implementations lists every compiled implementation of nodes; amd64 adds
// its assembly in nodes_amd64_test.go.
func implementations() map[string]func(dst, src []byte) {
	m := map[string]func(dst, src []byte){"generic": nodesGeneric, "Nodes": Nodes}
	addPlatformImpls(m)
	return m
}

func TestPaddingSchedule(t *testing.T) {
	var w [64]uint32
	w[0] = 0x80000000
	w[15] = 512
	schedule(&w)
	for i := range w {
		if got, want := kwPad[i], k[i]+w[i]; got != want {
			t.Errorf("kwPad[%d] = %#08x, want %#08x", i, got, want)
		}
	}
}

func TestNodes_MatchCryptoSHA256(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for name, impl := range implementations() {
		t.Run(name, func(t *testing.T) {
			for n := 1; n <= 67; n++ {
				src := make([]byte, n*BlockSize)
				for i := range src {
					src[i] = byte(rng.Uint32())
				}
				want := referenceNodes(src)
				dst := make([]byte, n*Size)
				impl(dst, src)
				if !bytes.Equal(dst, want) {
					t.Fatalf("%d nodes: got %x, want %x", n, dst, want)
				}
				// In place: the layer reduces into its own first half.
				impl(src, src)
				if !bytes.Equal(src[:n*Size], want) {
					t.Fatalf("%d nodes in place: got %x, want %x", n, src[:n*Size], want)
				}
			}
		})
	}
}

func TestNode(t *testing.T) {
	var l, r [Size]byte
	for i := range Size {
		l[i] = byte(i)
		r[i] = byte(0xff - i)
	}
	got := Node(l, r)
	want := reference(append(l[:], r[:]...))
	if got != want {
		t.Fatalf("Node = %x, want %x", got, want)
	}
	if got[31]&0xc0 != 0 {
		t.Fatalf("Node top bits not cleared: %x", got)
	}
	// Z(1) of primitives.md §2.5: the parent of two zero leaves.
	if z1 := Node([Size]byte{}, [Size]byte{}); z1 != [Size]byte{
		0xf5, 0xa5, 0xfd, 0x42, 0xd1, 0x6a, 0x20, 0x30, 0x27, 0x98, 0xef, 0x6e, 0xd3, 0x09, 0x97, 0x9b,
		0x43, 0x00, 0x3d, 0x23, 0x20, 0xd9, 0xf0, 0xe8, 0xea, 0x98, 0x31, 0xa9, 0x27, 0x59, 0xfb, 0x0b,
	} {
		t.Fatalf("Z(1) = %x", z1)
	}
}

func TestNodes_BadLengthsPanic(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dst, src int
	}{
		{"src not whole blocks", 32, 63},
		{"dst too short", 31, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			Nodes(make([]byte, tc.dst), make([]byte, tc.src))
		})
	}
	Nodes(nil, nil) // zero nodes is fine
}

// FuzzNodes compares every implementation with crypto/sha256. The input is
// a seed block of up to 64 bytes and a node count of 1 to 40, so that the
// 16-node AVX-512 batches, the SHA-NI pairs and the odd tails are all
// reached while the fuzzer's minimisation (quadratic in the input length)
// stays cheap: node i's block is the seed repeated, each byte xor-ed with
// its position.
func FuzzNodes(f *testing.F) {
	f.Add(make([]byte, 64), uint8(0))
	f.Add(bytes.Repeat([]byte{0xcc}, 64), uint8(16))
	f.Add([]byte("abc"), uint8(39))
	f.Fuzz(func(t *testing.T, seed []byte, count uint8) {
		if len(seed) == 0 || len(seed) > BlockSize {
			return
		}
		n := 1 + int(count)%40
		src := make([]byte, n*BlockSize)
		for i := range src {
			src[i] = seed[i%len(seed)] ^ byte(i)
		}
		want := referenceNodes(src)
		for name, impl := range implementations() {
			dst := make([]byte, len(src)/2)
			impl(dst, src)
			if !bytes.Equal(dst, want) {
				t.Fatalf("%s, %d nodes: got %x, want %x", name, n, dst, want)
			}
		}
	})
}

// benchLayer is the batch size of the Nodes benchmarks: a 128 KiB layer,
// which stays in L2 as a tree layer does inside the CommP hasher.
const benchLayer = 4096

func benchNodes(b *testing.B, impl func(dst, src []byte)) {
	src := make([]byte, benchLayer*BlockSize)
	for i := range src {
		src[i] = byte(i * 7)
	}
	dst := make([]byte, benchLayer*Size)
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for b.Loop() {
		impl(dst, src)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchLayer, "ns/node")
}

// BenchmarkNodes is the node hash as the CommP hasher calls it: a layer at
// a time. Compare ns/node with BenchmarkCryptoSHA256Node.
func BenchmarkNodes(b *testing.B) { benchNodes(b, Nodes) }

// BenchmarkNodesGeneric is the portable Go implementation.
func BenchmarkNodesGeneric(b *testing.B) { benchNodes(b, nodesGeneric) }

// BenchmarkCryptoSHA256Node is the reference: one node with crypto/sha256.
func BenchmarkCryptoSHA256Node(b *testing.B) {
	benchNodes(b, func(dst, src []byte) {
		for i := 0; i < len(src); i += BlockSize {
			d := sha256.Sum256(src[i : i+BlockSize])
			d[Size-1] &= 0x3f
			copy(dst[i/2:], d[:])
		}
	})
}

// BenchmarkNode is a single call of Node, including its copies.
func BenchmarkNode(b *testing.B) {
	var l, r [Size]byte
	b.SetBytes(BlockSize)
	for b.Loop() {
		l = Node(l, r)
	}
}
