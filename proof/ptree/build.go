package ptree

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"github.com/strata-sp/strata/proof/poseidon"
)

// defaultChunkLeaves is the default number of leaves a worker hashes at a
// time: 8^5, 1 MiB of leaves and about 4700 arity-8 hashes (a fifth of a
// second), so handing chunks out costs nothing, while the chunk buffers of
// two workers stay a few MiB.
const defaultChunkLeaves = 1 << 15

// Config says what tree Build builds and how.
type Config struct {
	// Shape and Leaves are the tree's shape and number of leaves.
	Shape  Shape
	Leaves uint64
	// Workers is the number of goroutines hashing chunks at once. Zero
	// means runtime.GOMAXPROCS(0).
	Workers int
	// ChunkLeaves is the number of leaves a worker takes at a time and
	// hashes up to their common ancestor: a power of Shape.Base between
	// Base and the leaves of a base tree. Zero means 32768, or the leaves
	// of a base tree if fewer. Build holds about 2·ChunkLeaves·NodeSize
	// bytes per worker, plus one node per chunk.
	ChunkLeaves int
}

// Source gives Build the leaves, NodeSize bytes each, in the 32-byte
// little-endian encoding of field elements (leaves that are not field
// elements fail the build with poseidon.ErrNonCanonical). Make one with
// FromReader or FromFunc.
type Source struct {
	r  io.Reader
	fn func(first uint64, dst []byte) error
}

// FromReader reads the leaves in order from r, on one goroutine, a chunk at
// a time. If r ends before the last leaf Build fails with ErrShortSource;
// bytes after it are not read.
func FromReader(r io.Reader) Source { return Source{r: r} }

// FromFunc asks fn for the leaves: fn(first, dst) must fill dst with the
// len(dst)/NodeSize leaves first, first+1, .... Build calls fn from its
// worker goroutines at once, for disjoint ranges in no particular order, so
// fn must be safe for that; in exchange the leaves are produced in
// parallel too (column hashes for tree_c, for instance). An error from fn
// fails the build.
func FromFunc(fn func(first uint64, dst []byte) error) Source { return Source{fn: fn} }

// Build reads the leaves from src, hashes them into the tree cfg
// describes, writes base tree k to stores[k] (see Store) and returns the
// tree. Chunks of leaves are hashed by cfg.Workers goroutines, so memory
// stays a few chunks whatever the tree's size; the result does not depend
// on the number of workers. On error, including ctx's end, the stores hold
// a partial tree.
func Build(ctx context.Context, cfg Config, src Source, stores []Store) (*Tree, error) {
	l, err := newLayout(cfg.Shape, cfg.Leaves)
	if err != nil {
		return nil, err
	}
	if len(stores) != cfg.Shape.BaseTrees() {
		return nil, fmt.Errorf("%w: %d stores for %d base trees", ErrConfig, len(stores), cfg.Shape.BaseTrees())
	}
	if (src.r == nil) == (src.fn == nil) {
		return nil, fmt.Errorf("%w: no leaf source", ErrConfig)
	}
	workers := cfg.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers < 0 {
		return nil, fmt.Errorf("%w: %d workers", ErrConfig, workers)
	}
	chunk := uint64(cfg.ChunkLeaves)
	if chunk == 0 {
		chunk = min(defaultChunkLeaves, l.perBase)
		for l.perBase%chunk != 0 || !powerOf(chunk, cfg.Shape.Base) {
			chunk /= 2 // 2^15 is a power of 2 and 8, not of 4
		}
	}
	if chunk < uint64(cfg.Shape.Base) || chunk > l.perBase || !powerOf(chunk, cfg.Shape.Base) {
		return nil, fmt.Errorf("%w: chunks of %d leaves for base trees of %d leaves of arity %d", ErrConfig, chunk, l.perBase, cfg.Shape.Base)
	}

	b := &builder{l: l, src: src, stores: stores, chunk: chunk}
	for w := chunk; w > 1; w /= uint64(cfg.Shape.Base) {
		b.chunkRows++
	}
	roots, err := b.hashChunks(ctx, workers)
	if err != nil {
		return nil, err
	}
	baseRoots, err := b.upperRows(roots)
	if err != nil {
		return nil, err
	}
	readers := make([]io.ReaderAt, len(stores))
	for k, s := range stores {
		readers[k] = s
	}
	return newTree(l, readers, baseRoots), nil
}

// powerOf reports whether n is a power of base (base^0 = 1 included).
func powerOf(n uint64, base int) bool {
	for n > 1 && n%uint64(base) == 0 {
		n /= uint64(base)
	}
	return n == 1
}

// builder holds what Build's goroutines share; none of it is written after
// Build sets it up.
type builder struct {
	l         layout
	src       Source
	stores    []Store
	chunk     uint64 // leaves per chunk
	chunkRows int    // rows above the leaves within a chunk
}

// job is a chunk handed to a worker, with the buffer for its leaves.
type job struct {
	index  uint64
	leaves []byte
}

// scratch is a worker's own memory.
type scratch struct {
	batch *poseidon.Batch
	a, b  []fr.Element // one row of the chunk and the next, in turn
	out   []byte       // a row of hashes, encoded
}

// hashChunks hashes every chunk up to its root on workers goroutines and
// returns the chunk roots in leaf order.
func (b *builder) hashChunks(ctx context.Context, workers int) ([]fr.Element, error) {
	nChunks := b.l.leaves / b.chunk
	roots := make([]fr.Element, nChunks)
	workers = int(min(uint64(workers), nChunks)) // idle workers would only hold scratch

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// A reader is read ahead by one chunk while the workers hash.
	nbuf := workers
	if b.src.r != nil {
		nbuf++
	}
	free := make(chan []byte, nbuf)
	for range nbuf {
		free <- make([]byte, b.chunk*NodeSize)
	}
	jobs := make(chan job)

	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(jobs)
		for g := range nChunks {
			var buf []byte
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			if b.src.r != nil {
				if n, err := io.ReadFull(b.src.r, buf); err != nil {
					if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
						err = fmt.Errorf("%w: %d of %d leaves", ErrShortSource, g*b.chunk+uint64(n/NodeSize), b.l.leaves)
					} else {
						err = fmt.Errorf("ptree: read leaves: %w", err)
					}
					cancel(err)
					return
				}
			}
			select {
			case jobs <- job{index: g, leaves: buf}:
			case <-ctx.Done():
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			sc := &scratch{
				batch: poseidon.MustNew(b.l.shape.Base).NewBatch(),
				a:     make([]fr.Element, b.chunk),
				b:     make([]fr.Element, b.chunk/uint64(b.l.shape.Base)),
				out:   make([]byte, b.chunk/uint64(b.l.shape.Base)*NodeSize),
			}
			for j := range jobs {
				if ctx.Err() == nil {
					root, err := b.hashChunk(sc, j)
					if err != nil {
						cancel(err)
					}
					roots[j.index] = root
				}
				free <- j.leaves
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return roots, nil
}

// hashChunk fetches (from a function source) and decodes the leaves of a
// chunk, hashes them up to the chunk's root, writes every row to the
// chunk's store, and returns the root.
func (b *builder) hashChunk(sc *scratch, j job) (fr.Element, error) {
	arity := uint64(b.l.shape.Base)
	chunksPerBase := b.l.perBase / b.chunk
	k, c := j.index/chunksPerBase, j.index%chunksPerBase
	first := j.index * b.chunk
	if b.src.fn != nil {
		if err := b.src.fn(first, j.leaves); err != nil {
			return fr.Element{}, fmt.Errorf("ptree: leaves %d to %d: %w", first, first+b.chunk-1, err)
		}
	}
	cur := sc.a[:b.chunk]
	for i := range cur {
		e, err := poseidon.FromBytes([32]byte(j.leaves[i*NodeSize:]))
		if err != nil {
			return fr.Element{}, fmt.Errorf("leaf %d: %w", first+uint64(i), err)
		}
		cur[i] = e
	}
	store := b.stores[k]
	if err := writeRow(store, j.leaves, b.l.rowStart[0]+c*b.chunk); err != nil {
		return fr.Element{}, fmt.Errorf("%w: base tree %d: %w", ErrStore, k, err)
	}
	next := sc.b
	width := b.chunk
	for row := 1; row <= b.chunkRows; row++ {
		width /= arity
		dst := next[:width]
		sc.batch.Hash(dst, cur)
		out := encode(sc.out[:width*NodeSize], dst)
		if err := writeRow(store, out, b.l.rowStart[row]+c*width); err != nil {
			return fr.Element{}, fmt.Errorf("%w: base tree %d: %w", ErrStore, k, err)
		}
		cur, next = dst, cur[:cap(cur)]
	}
	return cur[0], nil
}

// upperRows hashes, for each base tree, its chunk roots up to its root,
// writing the rows above the chunks, and returns the base-tree roots.
func (b *builder) upperRows(roots []fr.Element) ([]fr.Element, error) {
	arity := uint64(b.l.shape.Base)
	chunksPerBase := b.l.perBase / b.chunk
	batch := poseidon.MustNew(b.l.shape.Base).NewBatch()
	next := make([]fr.Element, chunksPerBase/arity)
	out := make([]byte, len(next)*NodeSize)
	baseRoots := make([]fr.Element, len(b.stores))
	for k, store := range b.stores {
		cur := roots[uint64(k)*chunksPerBase : uint64(k+1)*chunksPerBase]
		for row := b.chunkRows + 1; row <= b.l.height; row++ {
			dst := next[:len(cur)/int(arity)]
			batch.Hash(dst, cur)
			if err := writeRow(store, encode(out[:len(dst)*NodeSize], dst), b.l.rowStart[row]); err != nil {
				return nil, fmt.Errorf("%w: base tree %d: %w", ErrStore, k, err)
			}
			// dst is a prefix of next, cur of roots or of next: copy before
			// the next row overwrites next.
			cur = append(cur[:0:0], dst...)
		}
		baseRoots[k] = cur[0]
	}
	return baseRoots, nil
}

// encode writes the nodes' encodings to dst and returns it.
func encode(dst []byte, nodes []fr.Element) []byte {
	for i := range nodes {
		b := poseidon.ToBytes(&nodes[i])
		copy(dst[i*NodeSize:], b[:])
	}
	return dst
}

// writeRow writes encoded nodes to a store, starting at node index at.
func writeRow(s Store, nodes []byte, at uint64) error {
	_, err := s.WriteAt(nodes, int64(at)*NodeSize)
	return err
}
