package ptree

import (
	"context"
	"encoding/binary"
	"io"
	"runtime"
	"sync"
	"testing"

	"github.com/strata-sp/strata/proof/poseidon"
)

// leafStream is an io.Reader of n pseudo-random canonical leaves, each
// generated from its index when read: the stream is never held in memory.
type leafStream struct {
	n, off uint64 // leaves, bytes read
}

func (s *leafStream) Read(p []byte) (int, error) {
	total := s.n * NodeSize
	read := 0
	for len(p) > 0 && s.off < total {
		leaf := streamLeaf(s.off / NodeSize)
		c := copy(p, leaf[s.off%NodeSize:])
		p, s.off, read = p[c:], s.off+uint64(c), read+c
	}
	if read == 0 && s.off >= total {
		return 0, io.EOF
	}
	return read, nil
}

// streamLeaf is leaf i of a leafStream: four splitmix64 outputs, top two
// bits cleared. It allocates nothing, so the measured allocations are the
// builder's.
func streamLeaf(i uint64) [32]byte {
	var b [32]byte
	x := i * 4
	for j := 0; j < 32; j += 8 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		binary.LittleEndian.PutUint64(b[j:], z^z>>31)
	}
	b[31] &= 0x3f
	return b
}

// TestBuild_BoundedMemory streams 8 MiB of leaves (1 MiB under -race or
// -short) through a two-worker build in chunks of 16 KiB, and checks that
// it allocates less than 512 KiB, whatever the number of leaves: two
// workers' scratch (a chunk of leaves and its rows, a poseidon.Batch) and
// three chunk buffers need about 300 KiB. Total allocation bounds the
// heap's growth from above, so it bounds the peak.
// It then builds the same leaves from a function, with one worker and the
// default chunks, and checks the roots agree.
func TestBuild_BoundedMemory(t *testing.T) {
	leaves := uint64(1 << 18) // 8^6
	if raceEnabled || testing.Short() {
		leaves = 1 << 15
	}
	shape := Shape{Base: 8}
	stores := tempStores(t, 1)
	poseidon.MustNew(shape.Base) // the constants, made once per process, are not the build's
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	tree, err := Build(context.Background(), Config{Shape: shape, Leaves: leaves, Workers: 2, ChunkLeaves: 512},
		FromReader(&leafStream{n: leaves}), stores)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	const limit = 512 << 10
	t.Logf("%d leaves (%d KiB): %d KiB allocated", leaves, leaves*NodeSize>>10, alloc>>10)
	if alloc > limit {
		t.Errorf("building over %d KiB of leaves allocated %d KiB, more than %d KiB", leaves*NodeSize>>10, alloc>>10, limit>>10)
	}

	again, err := Build(context.Background(), Config{Shape: shape, Leaves: leaves, Workers: 1},
		FromFunc(func(first uint64, dst []byte) error {
			for i := 0; i < len(dst); i += NodeSize {
				l := streamLeaf(first + uint64(i/NodeSize))
				copy(dst[i:], l[:])
			}
			return nil
		}), tempStores(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if again.Root() != tree.Root() {
		t.Fatalf("roots differ: %x (2 workers, reader, chunks of 512), %x (1 worker, function, default chunks)", tree.Root(), again.Root())
	}

	// Proofs may be taken from several goroutines at once.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := uint64(g); i < leaves; i += leaves / 16 {
				p, err := tree.Prove(i)
				if err == nil {
					err = Verify(shape, leaves, tree.Root(), i, p)
				}
				if err != nil {
					t.Errorf("leaf %d: %v", i, err)
					return
				}
				if p.Leaf != streamLeaf(i) {
					t.Errorf("leaf %d: proof holds another leaf", i)
				}
			}
		})
	}
	wg.Wait()
}
