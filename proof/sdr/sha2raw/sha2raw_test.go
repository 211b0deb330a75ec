package sha2raw

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

// impls are the compression functions to check: the portable one always,
// and the one Blocks dispatches to.
func impls() map[string]func(*[8]uint32, []byte) {
	return map[string]func(*[8]uint32, []byte){"generic": blocksGeneric, "dispatch": Blocks}
}

func TestSum_MatchesCryptoSHA256(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 1400; n += 1 + n/8 {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		if got, want := Sum(msg), sha256.Sum256(msg); got != want {
			t.Fatalf("Sum(%d bytes) = %x, want %x", n, got, want)
		}
	}
}

func TestBlocks_ImplementationsAgree(t *testing.T) {
	t.Logf("SHA-NI: %v", HasSHANI())
	rng := rand.New(rand.NewPCG(3, 4))
	for _, nblocks := range []int{1, 2, 3, 19, 20, 64} {
		msg := make([]byte, nblocks*BlockSize)
		for i := range msg {
			msg[i] = byte(rng.Uint32())
		}
		want := sha256.Sum256(msg)
		for name, f := range impls() {
			st := IV()
			f(&st, msg)
			f(&st, Pad(nil, uint64(len(msg))))
			if got := Digest(&st); got != want {
				t.Errorf("%s, %d blocks: %x, want %x", name, nblocks, got, want)
			}
		}
	}
}

func TestPad(t *testing.T) {
	for tail := range BlockSize {
		p := Pad(bytes.Repeat([]byte{1}, tail), 1000)
		wantLen := BlockSize
		if tail > 55 {
			wantLen = 2 * BlockSize
		}
		if len(p) != wantLen || p[tail] != 0x80 {
			t.Fatalf("Pad(tail %d): %d bytes, byte %d = %#x", tail, len(p), tail, p[tail])
		}
	}
}

func TestBlocks_PanicsOnPartialBlock(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a 65-byte input")
		}
	}()
	st := IV()
	Blocks(&st, make([]byte, 65))
}

// FuzzBlocks checks the dispatched compression function (SHA-NI where the CPU
// has it) and the portable one against crypto/sha256 on random messages of
// any length, hashed through Sum's padding.
func FuzzBlocks(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xa5}, 55))
	f.Add(bytes.Repeat([]byte{0x5a}, 1248))
	f.Fuzz(func(t *testing.T, msg []byte) {
		want := sha256.Sum256(msg)
		if got := Sum(msg); got != want {
			t.Fatalf("Sum(%x) = %x, want %x", msg, got, want)
		}
		whole := len(msg) / BlockSize * BlockSize
		st := IV()
		blocksGeneric(&st, msg[:whole])
		blocksGeneric(&st, Pad(msg[whole:], uint64(len(msg))))
		if got := Digest(&st); got != want {
			t.Fatalf("generic(%x) = %x, want %x", msg, got, want)
		}
	})
}

// BenchmarkBlocks reports the cost of one compression (ns/op per block) for
// the dispatched and the portable implementation.
func BenchmarkBlocks(b *testing.B) {
	buf := make([]byte, 20*BlockSize)
	for name, f := range impls() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			st := IV()
			for b.Loop() {
				f(&st, buf)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*20), "ns/block")
		})
	}
}
