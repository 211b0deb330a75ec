// Package commp computes Filecoin piece commitments (CommP) and unsealed
// sector commitments (CommD), byte-compatible with lotus and rust-fil-proofs
// (primitives.md §2).
//
// CommP is the root of a binary Merkle tree (node = SHA-256 of the two
// children, truncated to 254 bits: package sha254) whose leaves are the
// Fr32-padded payload (package fr32), zero-filled to a multiple of 127 bytes
// and completed with zero leaves to a power of two.
//
// The Hasher streams: it cuts the payload into chunks of a fixed number of
// quads, hashes each chunk to the root of its subtree on up to
// Options.Workers goroutines at once, and folds the roots, in payload order,
// into the upper levels of the tree. Memory is a few chunk buffers, whatever
// the payload size.
package commp

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/fr32"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/fil/sha254"
)

// MinPayload is the smallest payload a CommP is computed for, as in
// go-fil-commp-hashhash (MinPiecePayload). Shorter payloads would give a
// piece that is mostly padding; rust-fil-proofs' own minimum is 127.
const MinPayload = 65

// MaxPayload is the largest payload: that of a piece.MaxPaddedSize piece.
const MaxPayload = piece.MaxPayload

var (
	// ErrPayloadTooSmall means fewer than MinPayload bytes were written.
	ErrPayloadTooSmall = errors.New("commp: payload too small")
	// ErrPayloadTooLarge means a Write would take the payload past MaxPayload.
	ErrPayloadTooLarge = errors.New("commp: payload too large")
	// ErrPiecesDoNotFit means a sector's pieces, each aligned to its own
	// size, overrun the sector.
	ErrPiecesDoNotFit = errors.New("commp: pieces do not fit the sector")
	// ErrSizeMismatch means a v2 piece CID names a different size than the
	// one listed with it.
	ErrSizeMismatch = errors.New("commp: piece CID and piece size disagree")
)

const (
	// defaultChunkQuads is the number of 127-byte quads a worker hashes at a
	// time: 508 KiB of payload, a 512 KiB subtree, enough work (about a
	// millisecond) that handing chunks to goroutines costs nothing.
	defaultChunkQuads = 1 << 12
	// padBatch is how many quads are padded at a time into a 16 KiB scratch
	// buffer and reduced there, in place, to batchLevel: the leaves and
	// lower levels never leave the L1 cache and are never written to a
	// chunk-sized buffer.
	padBatch = 128
	// batchLevel is the level a batch of leaves is reduced to before its
	// nodes join the chunk's: 512 leaves give 16 nodes at level 5, so every
	// layer hashed below it, and the first above, holds a multiple of 16
	// nodes, the width of the AVX-512 kernel of package sha254.
	batchLevel = 5
)

// Options configure a Hasher.
type Options struct {
	// Workers is the number of goroutines that hash chunks in parallel.
	// Zero means runtime.GOMAXPROCS(0). With one worker, Write hashes on the
	// caller's goroutine.
	Workers int
}

// Hasher computes the CommP of the payload written to it. It implements
// io.Writer; Sum and Digest may be called at any point, and writing may go
// on afterwards. A Hasher is not safe for concurrent use. It starts a
// goroutine per chunk in flight and leaves none behind after Sum, Digest or
// Reset (an abandoned Hasher's goroutines end with their chunks).
//
// Its memory is Workers+1 chunk buffers of about 0.8 MiB each, whatever the
// payload size.
type Hasher struct {
	workers    int
	chunkQuads int // quads per chunk; a power of two
	chunkLevel int // tree level of a chunk's root: log2(chunkQuads·4)

	n        uint64 // payload bytes written
	cur      *job   // chunk being filled
	fill     int    // bytes in cur.payload
	inflight []*job // chunks being hashed, oldest first
	spare    []*job

	// roots holds the roots of complete subtrees at or above chunkLevel,
	// at most one per level, as the bits of a binary counter: have has bit
	// l set when roots[l] is a left subtree waiting for its right sibling.
	roots [64][32]byte
	have  uint64
}

// New returns a Hasher.
func New(opts Options) *Hasher {
	w := opts.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{workers: w}
	h.setChunkQuads(defaultChunkQuads)
	return h
}

// setChunkQuads sets the chunk size; tests use small chunks to exercise the
// folding of many chunks on small payloads. q must be a power of two.
func (h *Hasher) setChunkQuads(q int) {
	h.chunkQuads = q
	h.chunkLevel = bits.TrailingZeros(uint(q)) + 2
	h.spare = nil
}

// job is one chunk: its payload buffer and the scratch space to hash it.
type job struct {
	payload []byte // chunkQuads·127 bytes
	leaves  []byte // one batch of padded leaves, plus a node for an odd count
	upper   []byte // the chunk's nodes at batchLevel, plus one
	root    [32]byte
	done    chan struct{}
}

func (h *Hasher) newJob() *job {
	if n := len(h.spare); n > 0 {
		j := h.spare[n-1]
		h.spare = h.spare[:n-1]
		return j
	}
	mid := min(h.chunkLevel, batchLevel)
	upper := (h.chunkQuads*4+1<<mid-1)>>mid + 1
	return &job{
		payload: make([]byte, h.chunkQuads*fr32.UnpaddedChunk),
		leaves:  make([]byte, padBatch*fr32.PaddedChunk+sha254.Size),
		upper:   make([]byte, upper*sha254.Size),
		done:    make(chan struct{}, 1),
	}
}

// subtreeRoot returns the root at level `level` of the tree whose leaves are
// the Fr32 padding of quads quads of payload, followed by zero leaves. The
// payload must be a whole number of quads, and the tree no wider than a
// chunk.
func (j *job) subtreeRoot(payload []byte, quads, level int) [32]byte {
	mid := min(level, batchLevel)
	n := 0 // nodes in j.upper
	for q := 0; q < quads; q += padBatch {
		b := min(padBatch, quads-q)
		fr32.Pad(payload[q*fr32.UnpaddedChunk:(q+b)*fr32.UnpaddedChunk], j.leaves)
		m := reduce(j.leaves, 4*b, 0, mid)
		n += copy(j.upper[n*sha254.Size:], j.leaves[:m*sha254.Size]) / sha254.Size
	}
	reduce(j.upper, n, mid, level)
	return [32]byte(j.upper[:sha254.Size])
}

// reduce hashes the n nodes at level from at the start of buf, in place, up
// to level to, and returns how many nodes are left. A node without a right
// sibling gets a zero one: only the last nodes of a tree's data can lack
// one, and the leaves after the data are zero (primitives.md §2.1). buf
// must have room for one node after the n.
func reduce(buf []byte, n, from, to int) int {
	for l := from; l < to; l++ {
		if n%2 == 1 {
			copy(buf[n*sha254.Size:], zeroComms[l][:])
			n++
		}
		sha254.Nodes(buf, buf[:n*sha254.Size])
		n /= 2
	}
	return n
}

// Write adds p to the payload. It fails only if the payload would exceed
// MaxPayload, in which case nothing is written.
func (h *Hasher) Write(p []byte) (int, error) {
	if uint64(len(p)) > MaxPayload-h.n {
		return 0, fmt.Errorf("%w: %d more bytes after %d exceed the %d-byte maximum", ErrPayloadTooLarge, len(p), h.n, MaxPayload)
	}
	written := len(p)
	chunkBytes := h.chunkQuads * fr32.UnpaddedChunk
	for len(p) > 0 {
		if h.cur == nil {
			h.cur = h.newJob()
		}
		if h.fill == 0 && h.workers == 1 && len(p) >= chunkBytes {
			// One worker hashes on this goroutine, so it can read the
			// caller's buffer directly and skip the copy.
			h.push(h.chunkLevel, h.cur.subtreeRoot(p[:chunkBytes], h.chunkQuads, h.chunkLevel))
			p = p[chunkBytes:]
			h.n += uint64(chunkBytes)
			continue
		}
		c := copy(h.cur.payload[h.fill:], p)
		h.fill += c
		h.n += uint64(c)
		p = p[c:]
		if h.fill == chunkBytes {
			h.dispatch()
		}
	}
	return written, nil
}

// dispatch hands the full current chunk to a worker, first waiting for the
// oldest one if all workers are busy.
func (h *Hasher) dispatch() {
	j := h.cur
	h.cur, h.fill = nil, 0
	if h.workers == 1 {
		h.push(h.chunkLevel, j.subtreeRoot(j.payload, h.chunkQuads, h.chunkLevel))
		h.spare = append(h.spare, j)
		return
	}
	for len(h.inflight) >= h.workers {
		h.retire()
	}
	h.inflight = append(h.inflight, j)
	quads, level := h.chunkQuads, h.chunkLevel
	go func() {
		j.root = j.subtreeRoot(j.payload, quads, level)
		j.done <- struct{}{}
	}()
}

// retire waits for the oldest chunk in flight and folds its root: chunks
// finish in any order but fold in payload order.
func (h *Hasher) retire() {
	j := h.inflight[0]
	<-j.done
	h.push(h.chunkLevel, j.root)
	h.inflight[0] = nil
	h.inflight = h.inflight[1:]
	h.spare = append(h.spare, j)
}

// push adds the root of the next subtree at a level to the counter, merging
// it with its left sibling, and theirs, as far up as they are complete.
func (h *Hasher) push(level int, node [32]byte) { pushRoot(&h.roots, &h.have, level, node) }

func pushRoot(roots *[64][32]byte, have *uint64, level int, node [32]byte) {
	for *have&(1<<level) != 0 {
		node = sha254.Node(roots[level], node)
		*have &^= 1 << level
		level++
	}
	roots[level] = node
	*have |= 1 << level
}

// Digest returns the piece commitment of the payload written so far and the
// padded size of its piece. It fails if the payload is shorter than
// MinPayload.
func (h *Hasher) Digest() ([32]byte, piece.PaddedSize, error) {
	for len(h.inflight) > 0 {
		h.retire()
	}
	if h.n < MinPayload {
		return [32]byte{}, 0, fmt.Errorf("%w: %d bytes written, CommP needs at least %d", ErrPayloadTooSmall, h.n, MinPayload)
	}
	size, err := piece.PaddedSizeFor(h.n)
	if err != nil {
		return [32]byte{}, 0, err // unreachable: Write caps the payload
	}
	target := size.Height()
	// The last, partial chunk is zero-filled to whole quads. Sum leaves the
	// Hasher as it was: the filler is overwritten by any later Write.
	quads := (h.fill + fr32.UnpaddedChunk - 1) / fr32.UnpaddedChunk
	if h.fill > 0 {
		clear(h.cur.payload[h.fill : quads*fr32.UnpaddedChunk])
	}
	if target <= h.chunkLevel && h.have == 0 {
		// The whole piece is within the first chunk.
		return h.cur.subtreeRoot(h.cur.payload, quads, target), size, nil
	}
	roots, have := h.roots, h.have // copies: Digest leaves h as it is
	if quads > 0 {
		pushRoot(&roots, &have, h.chunkLevel, h.cur.subtreeRoot(h.cur.payload, quads, h.chunkLevel))
	}
	// Complete the tree: a subtree still waiting for its right sibling gets
	// a zero one, from the bottom up.
	for l := h.chunkLevel; l < target; l++ {
		if have&(1<<l) != 0 {
			have &^= 1 << l
			pushRoot(&roots, &have, l+1, sha254.Node(roots[l], zeroComms[l]))
		}
	}
	return roots[target], size, nil
}

// Sum returns the v1 piece CID of the payload written so far and the padded
// size of its piece.
func (h *Hasher) Sum() (cid.Cid, uint64, error) {
	comm, size, err := h.Digest()
	if err != nil {
		return cid.Undef, 0, err
	}
	return piece.CIDv1(comm), uint64(size), nil
}

// SumV2 returns the v2 piece CID (FRC-0069) of the payload written so far,
// which also records the payload size.
func (h *Hasher) SumV2() (cid.Cid, error) {
	comm, _, err := h.Digest()
	if err != nil {
		return cid.Undef, err
	}
	return piece.CIDv2(comm, h.n)
}

// PayloadSize returns the number of payload bytes written since New or Reset.
func (h *Hasher) PayloadSize() uint64 { return h.n }

// Reset discards the payload written so far, keeping the buffers.
func (h *Hasher) Reset() {
	for _, j := range h.inflight {
		<-j.done
		h.spare = append(h.spare, j)
	}
	h.inflight = h.inflight[:0]
	h.n, h.fill, h.have = 0, 0, 0
}
