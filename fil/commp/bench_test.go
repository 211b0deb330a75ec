package commp

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/strata-sp/strata/fil/sha254"
)

// streamPayload writes n pseudo-random bytes to h in 1 MiB writes, from one
// reused buffer whose first word changes each time: the payload is never
// held in memory.
func streamPayload(tb testing.TB, h *Hasher, n int64) {
	tb.Helper()
	buf := randomPayload(rand.New(rand.NewPCG(21, 22)), 1<<20)
	for i := int64(0); n > 0; i++ {
		binary.LittleEndian.PutUint64(buf, uint64(i))
		c := min(n, int64(len(buf)))
		if _, err := h.Write(buf[:c]); err != nil {
			tb.Fatal(err)
		}
		n -= c
	}
}

// TestHasher_BoundedMemory streams 1 GiB (64 MiB under -race or -short, or
// without hardware SHA-256)
// through a two-worker Hasher and checks that hashing allocates a few chunk
// buffers, not memory proportional to the payload. Total allocation bounds
// the heap growth from above, so it bounds the peak as well.
func TestHasher_BoundedMemory(t *testing.T) {
	n := int64(1 << 30)
	if raceEnabled || testing.Short() || !sha254.Accelerated() {
		n = 64 << 20
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	h := New(Options{Workers: 2})
	streamPayload(t, h, n)
	if _, _, err := h.Sum(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d MiB hashed: %.1f MiB allocated in total, heap in use %.1f MiB, heap from OS %.1f MiB",
		n>>20, float64(alloc)/(1<<20), float64(after.HeapInuse)/(1<<20), float64(after.HeapSys)/(1<<20))
	if alloc > 16<<20 {
		t.Fatalf("hashing %d MiB allocated %d bytes, want under 16 MiB", n>>20, alloc)
	}
	if after.HeapSys > 64<<20 {
		t.Fatalf("heap obtained from the OS is %d bytes, want under 64 MiB", after.HeapSys)
	}
}

// BenchmarkHasher is CommP throughput over a 1 GiB payload streamed in
// 1 MiB writes, with one and two workers. MB/s counts payload bytes.
//
//	go test -run '^$' -bench 'Hasher$' -benchtime 1x -count 5 ./fil/commp
func BenchmarkHasher(b *testing.B) {
	const n = 1 << 30
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			h := New(Options{Workers: workers})
			b.SetBytes(n)
			for b.Loop() {
				h.Reset()
				streamPayload(b, h, n)
				if _, _, err := h.Sum(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHasher32KiBWrites is BenchmarkHasher with the 32 KiB writes of
// io.Copy, which always go through the chunk buffers, over 256 MiB.
func BenchmarkHasher32KiBWrites(b *testing.B) {
	const n = 256 << 20
	buf := randomPayload(rand.New(rand.NewPCG(23, 24)), 32<<10)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			h := New(Options{Workers: workers})
			b.SetBytes(n)
			for b.Loop() {
				h.Reset()
				for i := 0; i < n/len(buf); i++ {
					h.Write(buf)
				}
				if _, _, err := h.Sum(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReference is the plain reference CommP of the tests (crypto/sha256
// node by node, everything in memory) on 8 MiB, for the ratio.
func BenchmarkReference(b *testing.B) {
	payload := randomPayload(rand.New(rand.NewPCG(25, 26)), 8<<20/128*127)
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		reference(payload)
	}
}

// BenchmarkCryptoSHA256Node is one tree node with crypto/sha256.Sum256 of 64
// bytes, the reference's node hash; compare with sha254's BenchmarkNodes.
func BenchmarkCryptoSHA256Node(b *testing.B) {
	var in [64]byte
	b.SetBytes(64)
	for b.Loop() {
		d := sha256.Sum256(in[:])
		d[31] &= 0x3f
		in[0] = d[0]
	}
}

// BenchmarkUnsealedCID32GiB is CommD of the 32 GiB mainnet sector of
// commd.txt from its piece list.
func BenchmarkUnsealedCID32GiB(b *testing.B) {
	pieces, sector, _ := readCommD(b)
	for b.Loop() {
		if _, err := UnsealedCID(sector, pieces); err != nil {
			b.Fatal(err)
		}
	}
}
