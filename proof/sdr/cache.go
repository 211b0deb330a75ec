package sdr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"unsafe"
)

// CacheEntrySize is the size in bytes of one node's entry in a parent cache:
// Degree parents as u32 little-endian (cache.rs, §2).
const CacheEntrySize = Degree * 4

// cacheChunkNodes is how many nodes a build worker computes, or a stream
// reads, at a time: 16Ki nodes, 896 KiB of parents. Small enough to keep
// memory bounded and large enough to amortise system calls.
const cacheChunkNodes = 1 << 14

// ParentCache is a parent cache file of a Graph: for node 0 to nodes-1, its
// 6 base then 8 expander parents as u32 LE, the layout and digest of
// rust-fil-proofs' parent cache (§2, §6(b)). Labelling streams it once per
// layer instead of recomputing the parents. A ParentCache is safe for
// concurrent use; Close must not race with other methods.
type ParentCache struct {
	g    *Graph
	path string
	f    *os.File
}

// KnownParentCacheDigest returns the SHA-256 of the parent cache of a
// published proof as rust-fil-proofs lists it in parent_cache.json, keyed
// by the cache file name (§6(b)); ok is false for graphs it does not list.
func KnownParentCacheDigest(g *Graph) (digest [32]byte, ok bool) {
	hexDigest, ok := map[string]string{
		"v28-sdr-parent-3f0eef38bb48af1f48ad65e14eb85b4ebfc167cec18cd81764f6d998836c9899": "3da49221e2ed55371b86d0bf3d6526fcf128af61bed904f966428db1b531750d",
		"v28-sdr-parent-494d91dc80f2df5272c4b9e129bc7ade9405225993af9fe34e6542a39a47554b": "840057702eea7652cf97e04306c30fe57174714d90de156a25eddd6075c25b97",
		"v28-sdr-parent-dcdabb0fbe4364bf0ac28b6a18c66de246409fa1a9020a00f33fb3e3053da6dc": "a76604f2f59f2744c7151653bbb1d8596b6b57d295e6fa6c1f0c41d725b502ce",
		"v28-sdr-parent-5eed212119fd91aa6220a27f31a8966444a9381842bceb3a1ea61525bd47a5b5": "03cd13565ded97c240a5f52e54295ad127bd0461b57904cb3a4d79b097bbecab",
		"v28-sdr-parent-2aa9c77c3e58259481351cc4be2079cc71e1c9af39700866545c043bfa30fb42": "3adcc092423aa76d6a7184016893406da44dd974b219a89cd3ece25e4e3018f5",
		"v28-sdr-parent-7ba215a1d2345774ab90b8cb1158d296e409d6068819d7b8c7baf0b25d63dc34": "b5877d1963793efebc261fd8fde4dd6bc59e6b5c7abf52617a4ee023b8dc173a",
		"v28-sdr-parent-21981246c370f9d76c7a77ab273d94bde0ceb4e938292334960bce05585dc117": "93deeac5e3052b6927467d4b2641bb782f05491de18d510147c93eeedd8672da",
		"v28-sdr-parent-e1fa5d5b811ddbd118be3412c4a8c329156b8b8acc72632bca459455b5a05a13": "3c4f9841fcc75aed8c695800e58d08480629f25af3a2aefd81904181d75cc0b6",
		"v28-sdr-parent-4905486b7af19558ac3649bc6261411858b6add534438878c4ee3b29d8b9de0b": "2698b74eb2606b55b98d8b095e18b6320b47f46e00075956d48640ccd1641b03",
		"v28-sdr-parent-8a99e8d6b6be7ab87a56b632e6739ff201c23ea14e99737c74690f0e265574d6": "2778a732ad46a7dc18e0564dfdf59fd321dcde74ab476fd6d3c4e6735d7cd89c",
	}[trimCacheExt(g.ParentCacheName())]
	if !ok {
		return digest, false
	}
	b, _ := hex.DecodeString(hexDigest)
	copy(digest[:], b)
	// Upstream names do not include the API version (§2): a 1.1 graph
	// with a V1 porep_id shares the name of the 1.0 one but not its
	// parents. The listed digests are those of the registered proofs.
	// Proofs 0-4 are V1 (API 1.0), the others 1.1 or 1.2, which make the
	// same graph.
	if listedV1_0 := g.porepID[0] < 5; listedV1_0 != (g.version == V1_0) {
		return [32]byte{}, false
	}
	return digest, true
}

func trimCacheExt(name string) string { return name[:len(name)-len(".cache")] }

// CreateParentCache computes every parent of g and writes the cache to path
// (through a temporary file of its own beside it, renamed once complete and
// synced, so that several threads or processes creating the same cache at
// once each rename a whole file), using up to workers goroutines
// (runtime.NumCPU() if workers < 1). It returns the file's SHA-256,
// computed on the way.
func CreateParentCache(ctx context.Context, g *Graph, path string, workers int) (digest [32]byte, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return digest, fmt.Errorf("create parent cache: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	w := io.MultiWriter(f, h)
	if err := g.generate(ctx, workers, func(b []byte) error {
		_, err := w.Write(b)
		return err
	}); err != nil {
		return digest, fmt.Errorf("create parent cache %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return digest, fmt.Errorf("create parent cache: %w", err)
	}
	if err := f.Close(); err != nil {
		return digest, fmt.Errorf("create parent cache: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return digest, fmt.Errorf("create parent cache: %w", err)
	}
	syncDir(filepath.Dir(path))
	copy(digest[:], h.Sum(nil))
	return digest, nil
}

// ParentCacheDigest computes the SHA-256 a parent cache of g would have,
// without writing it: the check of a digest against parent_cache.json for
// graphs whose cache is too large to store.
func ParentCacheDigest(ctx context.Context, g *Graph, workers int) ([32]byte, error) {
	h := sha256.New()
	if err := g.generate(ctx, workers, func(b []byte) error {
		h.Write(b)
		return nil
	}); err != nil {
		return [32]byte{}, fmt.Errorf("parent cache digest: %w", err)
	}
	return [32]byte(h.Sum(nil)), nil
}

// generate computes the cache bytes of every node in chunks, in parallel,
// and passes them to emit in node order. At most 2*workers chunks are in
// memory at once.
func (g *Graph) generate(ctx context.Context, workers int, emit func([]byte) error) error {
	if workers < 1 {
		workers = runtime.NumCPU()
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type job struct {
		first uint64
		buf   []byte
		done  chan struct{}
	}
	window := 2 * workers
	free := make(chan []byte, window)
	for range window {
		free <- make([]byte, cacheChunkNodes*CacheEntrySize)
	}
	jobs := make(chan *job)
	order := make(chan *job, window)

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			scratch := make([]uint64, cacheChunkNodes*ExpanderDegree)
			for j := range jobs {
				g.fillCache(j.first, j.buf, scratch)
				close(j.done)
			}
		})
	}
	// The producer hands out chunks in order; order has room for as many
	// jobs as there are buffers, so it never blocks the consumer below.
	wg.Go(func() {
		defer close(jobs)
		defer close(order)
		for first := uint64(0); first < g.nodes; first += cacheChunkNodes {
			var buf []byte
			select {
			case buf = <-free:
			case <-ctx.Done():
				return
			}
			n := min(cacheChunkNodes, g.nodes-first)
			j := &job{first: first, buf: buf[:n*CacheEntrySize], done: make(chan struct{})}
			order <- j
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	})

	var err error
	for j := range order {
		select {
		case <-j.done:
		case <-ctx.Done():
		}
		if err == nil {
			err = ctx.Err()
		}
		if err == nil {
			err = emit(j.buf)
		}
		if err != nil {
			cancel()
			continue
		}
		free <- j.buf[:cap(j.buf)]
	}
	wg.Wait()
	if err == nil {
		// The producer may have stopped before handing out any chunk.
		err = parent.Err()
	}
	return err
}

// fillCache writes the cache entries of nodes first, first+1, ... into buf,
// whose length is a multiple of CacheEntrySize; scratch holds at least
// ExpanderDegree words per node.
func (g *Graph) fillCache(first uint64, buf []byte, scratch []uint64) {
	n := len(buf) / CacheEntrySize
	permuted := scratch[:n*ExpanderDegree]
	g.feistel.permuteRange(first*ExpanderDegree, permuted)
	var p [Degree]uint32
	for i := range n {
		node := first + uint64(i)
		g.baseParents(uint32(node), (*[BaseDegree]uint32)(p[:BaseDegree]))
		for j, t := range permuted[i*ExpanderDegree : (i+1)*ExpanderDegree] {
			p[BaseDegree+j] = g.expanderParent(t)
		}
		putParents(buf[i*CacheEntrySize:(i+1)*CacheEntrySize], &p)
	}
}

func putParents(b []byte, p *[Degree]uint32) {
	_ = b[CacheEntrySize-1]
	for j, v := range p {
		b[4*j] = byte(v)
		b[4*j+1] = byte(v >> 8)
		b[4*j+2] = byte(v >> 16)
		b[4*j+3] = byte(v >> 24)
	}
}

// OpenParentCache opens the parent cache of g at path and checks its size.
// It does not read the contents: Verify compares the digest, and labelling
// checks every parent it reads.
func OpenParentCache(g *Graph, path string) (*ParentCache, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open parent cache: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open parent cache: %w", err)
	}
	if want := int64(g.nodes) * CacheEntrySize; fi.Size() != want {
		f.Close()
		return nil, fmt.Errorf("open parent cache %s: %d bytes, want %d: %w", path, fi.Size(), want, ErrCacheSize)
	}
	return &ParentCache{g: g, path: path, f: f}, nil
}

// EnsureParentCache opens the parent cache of g in dir under its upstream
// name (Graph.ParentCacheName), creating it with CreateParentCache first if
// it does not exist. When the graph is one parent_cache.json lists, the
// digest of a new cache is checked against it (an existing one is only
// size-checked; call Verify to read it all).
func EnsureParentCache(ctx context.Context, g *Graph, dir string, workers int) (*ParentCache, error) {
	path := filepath.Join(dir, g.ParentCacheName())
	c, err := OpenParentCache(g, path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return c, err
	}
	digest, err := CreateParentCache(ctx, g, path, workers)
	if err != nil {
		return nil, err
	}
	if want, ok := KnownParentCacheDigest(g); ok && digest != want {
		os.Remove(path)
		return nil, fmt.Errorf("parent cache %s: digest %x, want %x: %w", path, digest, want, ErrCacheDigest)
	}
	return OpenParentCache(g, path)
}

// Graph returns the graph the cache belongs to.
func (c *ParentCache) Graph() *Graph { return c.g }

// Path returns the cache file's path.
func (c *ParentCache) Path() string { return c.path }

// Close closes the file. It is idempotent.
func (c *ParentCache) Close() error {
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}

// Digest reads the whole file and returns its SHA-256.
func (c *ParentCache) Digest() ([32]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(c.f, 0, int64(c.g.nodes)*CacheEntrySize)); err != nil {
		return [32]byte{}, fmt.Errorf("parent cache digest: %w", err)
	}
	return [32]byte(h.Sum(nil)), nil
}

// Verify checks the file's SHA-256 against want.
func (c *ParentCache) Verify(want [32]byte) error {
	got, err := c.Digest()
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("parent cache %s: digest %x, want %x: %w", c.path, got, want, ErrCacheDigest)
	}
	return nil
}

// Parents reads the parents of node from the file into dst, in Graph.Parents
// order.
func (c *ParentCache) Parents(node uint64, dst *[Degree]uint32) error {
	if node >= c.g.nodes {
		return fmt.Errorf("cached parents of node %d of %d: %w", node, c.g.nodes, ErrNodeRange)
	}
	if _, err := c.f.ReadAt(u32Bytes(dst[:]), int64(node)*CacheEntrySize); err != nil {
		return fmt.Errorf("cached parents of node %d: %w", node, err)
	}
	fromLE(dst[:])
	return nil
}

// u32Bytes views a []uint32 as its bytes, to read little-endian files into
// it without a copy (fromLE fixes the order on big-endian machines).
func u32Bytes(u []uint32) []byte {
	if len(u) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&u[0])), 4*len(u))
}

// littleEndian reports the machine's byte order.
func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// fromLE converts words read as little-endian bytes to native order.
func fromLE(u []uint32) {
	if littleEndian() {
		return
	}
	for i, v := range u {
		u[i] = v>>24 | v>>8&0xff00 | v<<8&0xff0000 | v<<24
	}
}

// cacheChunk is a run of cache entries: the parents of nodes first,
// first+1, ..., Degree per node.
type cacheChunk struct {
	first   uint64
	parents []uint32
}

// stream reads the cache in order from node 0, cacheChunkNodes nodes at a
// time, in a goroutine that keeps up to two chunks ahead of the consumer
// and checks every parent (base parents before their node, expander
// parents in range) so that the label kernels may index layers with them.
// The consumer receives chunks from next and returns each one with release
// once done with it; it must call stop when it is done with the stream.
type cacheStream struct {
	chunks chan cacheChunk
	free   chan []uint32
	errc   chan error
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (c *ParentCache) stream(ctx context.Context) *cacheStream {
	ctx, cancel := context.WithCancel(ctx)
	s := &cacheStream{
		chunks: make(chan cacheChunk, 2),
		free:   make(chan []uint32, 4),
		errc:   make(chan error, 1),
		cancel: cancel,
	}
	for range 4 {
		s.free <- make([]uint32, cacheChunkNodes*Degree)
	}
	s.wg.Go(func() {
		defer close(s.chunks)
		for first := uint64(0); first < c.g.nodes; first += cacheChunkNodes {
			var buf []uint32
			select {
			case buf = <-s.free:
			case <-ctx.Done():
				return
			}
			n := min(cacheChunkNodes, c.g.nodes-first)
			buf = buf[:n*Degree]
			if _, err := c.f.ReadAt(u32Bytes(buf), int64(first)*CacheEntrySize); err != nil {
				s.errc <- fmt.Errorf("read parent cache at node %d: %w", first, err)
				return
			}
			fromLE(buf)
			if err := checkParents(first, buf, c.g.nodes); err != nil {
				s.errc <- fmt.Errorf("parent cache %s: %w", c.path, err)
				return
			}
			select {
			case s.chunks <- cacheChunk{first: first, parents: buf}:
			case <-ctx.Done():
				return
			}
		}
	})
	return s
}

// next returns the next chunk, or ok false at the end of the cache, on an
// error (returned by err) or when ctx is done.
func (s *cacheStream) next(ctx context.Context) (cacheChunk, bool) {
	select {
	case ch, ok := <-s.chunks:
		return ch, ok
	case <-ctx.Done():
		return cacheChunk{}, false
	}
}

// release gives a chunk's buffer back for reading further chunks.
func (s *cacheStream) release(ch cacheChunk) { s.free <- ch.parents[:cap(ch.parents)] }

// err returns the reader's error, if it stopped on one.
func (s *cacheStream) err() error {
	select {
	case err := <-s.errc:
		return err
	default:
		return nil
	}
}

// stop ends the reader and waits for it.
func (s *cacheStream) stop() {
	s.cancel()
	s.wg.Wait()
}

// checkParents verifies the parents of a chunk of nodes: base parents of
// node v >= 1 below v (§1: they are earlier nodes; node 1's are all 0),
// node 0's all 0, expander parents below nodes (§2).
func checkParents(first uint64, parents []uint32, nodes uint64) error {
	for i := 0; i+Degree <= len(parents); i += Degree {
		v := first + uint64(i/Degree)
		p := (*[Degree]uint32)(parents[i : i+Degree])
		lim := max(v, 1) // node 0 may only name node 0
		for _, b := range p[:BaseDegree] {
			if uint64(b) >= lim {
				return fmt.Errorf("node %d: base parent %d: %w", v, b, ErrCacheParent)
			}
		}
		for _, e := range p[BaseDegree:] {
			if uint64(e) >= nodes {
				return fmt.Errorf("node %d: expander parent %d: %w", v, e, ErrCacheParent)
			}
		}
	}
	return nil
}

// syncDir fsyncs a directory so that a rename in it survives a crash. It is
// best effort: some systems cannot sync directories.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
