package unsealed

import (
	"context"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"

	"github.com/strata-sp/strata/fil/sha254"
)

// NodeSize is the size of a tree node.
const NodeSize = 32

// chunkLeaves is how many leaves are hashed into a subtree at a time:
// 1 MiB of leaves, so memory stays bounded whatever the sector size.
const chunkLeaves = 1 << 15

// TreeD is an open tree_d file: every level of the binary SHA-254 tree over
// the staged sector, leaves first, then each level up to the root, as
// rust-fil-proofs stores sc-02-data-tree-d.dat. Its methods are safe for
// concurrent use (they read with ReadAt).
type TreeD struct {
	f       *os.File
	leaves  uint64
	offsets []int64 // byte offset of each level
	root    [32]byte
}

// levelOffsets returns the byte offset of each level of a tree over leaves
// leaves, and the file size.
func levelOffsets(leaves uint64) ([]int64, int64) {
	var offs []int64
	var off int64
	for n := leaves; ; n /= 2 {
		offs = append(offs, off)
		off += int64(n) * NodeSize
		if n == 1 {
			return offs, off
		}
	}
}

// BuildTreeD hashes the staged sector at path into tree_d at treePath and
// returns the root (CommD). It reads the sector once, in chunks, so memory
// is bounded; the tree file appears whole or not at all.
func BuildTreeD(ctx context.Context, path, treePath string) ([32]byte, error) {
	var root [32]byte
	in, err := os.Open(path)
	if err != nil {
		return root, fmt.Errorf("tree_d: %w", err)
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return root, fmt.Errorf("tree_d: %w", err)
	}
	size := uint64(st.Size())
	if size < 2*NodeSize || bits.OnesCount64(size) != 1 {
		return root, fmt.Errorf("tree_d: sector file of %d bytes is not a power of two of at least 64", size)
	}
	leaves := size / NodeSize
	offs, total := levelOffsets(leaves)
	tmp, err := os.CreateTemp(filepath.Dir(treePath), "."+filepath.Base(treePath)+".*.tmp")
	if err != nil {
		return root, fmt.Errorf("tree_d: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := tmp.Truncate(total); err != nil {
		return root, fmt.Errorf("tree_d: %w", err)
	}
	chunk := min(leaves, chunkLeaves)
	chunkLevels := bits.TrailingZeros64(chunk) // levels above the leaves inside a chunk
	buf := make([]byte, chunk*NodeSize)
	var roots []byte // the chunk roots, level chunkLevels
	for c := uint64(0); c < leaves/chunk; c++ {
		if err := ctx.Err(); err != nil {
			return root, err
		}
		if _, err := io.ReadFull(in, buf); err != nil {
			return root, fmt.Errorf("tree_d: read sector: %w", err)
		}
		if _, err := tmp.WriteAt(buf, offs[0]+int64(c*chunk*NodeSize)); err != nil {
			return root, fmt.Errorf("tree_d: %w", err)
		}
		layer := buf
		for l := 1; l <= chunkLevels; l++ {
			sha254.Nodes(layer, layer) // in place: the next level is the first half
			layer = layer[:len(layer)/2]
			if _, err := tmp.WriteAt(layer, offs[l]+int64(c*(chunk>>l)*NodeSize)); err != nil {
				return root, fmt.Errorf("tree_d: %w", err)
			}
		}
		roots = append(roots, layer...)
	}
	for l := chunkLevels + 1; l < len(offs); l++ {
		sha254.Nodes(roots, roots)
		roots = roots[:len(roots)/2]
		if _, err := tmp.WriteAt(roots, offs[l]); err != nil {
			return root, fmt.Errorf("tree_d: %w", err)
		}
	}
	copy(root[:], roots)
	if err := tmp.Sync(); err != nil {
		return root, fmt.Errorf("tree_d: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return root, fmt.Errorf("tree_d: %w", err)
	}
	if err := os.Rename(tmp.Name(), treePath); err != nil {
		return root, fmt.Errorf("tree_d: %w", err)
	}
	return root, nil
}

// OpenTreeD opens a tree_d file built for a sector of sectorSize bytes.
func OpenTreeD(treePath string, sectorSize uint64) (*TreeD, error) {
	if sectorSize < 2*NodeSize || bits.OnesCount64(sectorSize) != 1 {
		return nil, fmt.Errorf("%w: sector size %d", ErrBadTree, sectorSize)
	}
	f, err := os.Open(treePath)
	if err != nil {
		return nil, fmt.Errorf("tree_d: %w", err)
	}
	leaves := sectorSize / NodeSize
	offs, total := levelOffsets(leaves)
	st, err := f.Stat()
	if err != nil || st.Size() != total {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not %d bytes", ErrBadTree, treePath, total)
	}
	t := &TreeD{f: f, leaves: leaves, offsets: offs}
	if _, err := f.ReadAt(t.root[:], offs[len(offs)-1]); err != nil {
		f.Close()
		return nil, fmt.Errorf("tree_d: %w", err)
	}
	return t, nil
}

// Close closes the file.
func (t *TreeD) Close() error { return t.f.Close() }

// Root returns CommD.
func (t *TreeD) Root() [32]byte { return t.root }

// Leaves returns the number of leaves.
func (t *TreeD) Leaves() uint64 { return t.leaves }

// node reads node i of level l.
func (t *TreeD) node(l int, i uint64) ([32]byte, error) {
	var n [32]byte
	_, err := t.f.ReadAt(n[:], t.offsets[l]+int64(i)*NodeSize)
	if err != nil {
		return n, fmt.Errorf("tree_d: read level %d node %d: %w", l, i, err)
	}
	return n, nil
}

// Leaf returns leaf i.
func (t *TreeD) Leaf(i uint64) ([32]byte, error) {
	if i >= t.leaves {
		return [32]byte{}, fmt.Errorf("tree_d: leaf %d of %d", i, t.leaves)
	}
	return t.node(0, i)
}

// Path returns the siblings of leaf i from the bottom up: the inclusion
// proof that VerifyPath checks.
func (t *TreeD) Path(i uint64) ([][32]byte, error) {
	if i >= t.leaves {
		return nil, fmt.Errorf("tree_d: leaf %d of %d", i, t.leaves)
	}
	path := make([][32]byte, 0, len(t.offsets)-1)
	for l := 0; l < len(t.offsets)-1; l++ {
		s, err := t.node(l, i^1)
		if err != nil {
			return nil, err
		}
		path = append(path, s)
		i /= 2
	}
	return path, nil
}

// VerifyPath reports whether leaf is leaf index of the tree with root, by
// the siblings in path (bottom up).
func VerifyPath(root, leaf [32]byte, index uint64, path [][32]byte) bool {
	if len(path) >= 64 || index>>uint(len(path)) != 0 {
		return false
	}
	cur := leaf
	for _, s := range path {
		if index&1 == 0 {
			cur = sha254.Node(cur, s)
		} else {
			cur = sha254.Node(s, cur)
		}
		index >>= 1
	}
	return cur == root
}
