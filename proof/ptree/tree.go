package ptree

import (
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"github.com/strata-sp/strata/proof/poseidon"
)

// Store holds the nodes of one base tree: every row from the leaves to the
// root, NodeSize bytes a node, row after row (the merkletree crate's
// DiskStore layout; a base tree of n leaves takes (n·Base-1)/(Base-1)
// nodes). *os.File is a Store. Build calls WriteAt from several goroutines
// at once, never on overlapping ranges; Tree calls ReadAt, possibly from
// several goroutines.
type Store interface {
	io.ReaderAt
	io.WriterAt
}

// Tree is a built tree: its root, and the stores its proofs are read from.
// It does not own the stores: closing them is the caller's business, after
// the last Prove. A Tree is safe for concurrent use if its stores' ReadAt
// is (that of *os.File is).
type Tree struct {
	l      layout
	stores []io.ReaderAt
	// baseRoots are the roots of the base trees, in leaf order.
	baseRoots [][32]byte
	// subRoots are, with a top level, the roots of the groups of Sub base
	// trees.
	subRoots [][32]byte
	root     [32]byte
}

// Open returns the tree of the given shape and number of leaves whose base
// trees Build wrote to stores (one per base tree, in leaf order). It reads
// the base-tree roots, the last node of each store, and recomputes the
// root from them; it does not re-read the other nodes.
func Open(shape Shape, leaves uint64, stores []io.ReaderAt) (*Tree, error) {
	l, err := newLayout(shape, leaves)
	if err != nil {
		return nil, err
	}
	if len(stores) != shape.BaseTrees() {
		return nil, fmt.Errorf("%w: %d stores for %d base trees", ErrConfig, len(stores), shape.BaseTrees())
	}
	roots := make([]fr.Element, len(stores))
	off := int64(l.storeNodes()-1) * NodeSize
	for k, s := range stores {
		var b [32]byte
		if _, err := s.ReadAt(b[:], off); err != nil {
			return nil, fmt.Errorf("%w: base tree %d root: %w", ErrStore, k, err)
		}
		if roots[k], err = poseidon.FromBytes(b); err != nil {
			return nil, fmt.Errorf("%w: base tree %d root: %w", ErrStore, k, err)
		}
	}
	return newTree(l, stores, roots), nil
}

// newTree completes a tree from its base-tree roots (merkletree
// from_trees and from_sub_trees: the roots are hashed together with
// multi_node, Poseidon of their number).
func newTree(l layout, stores []io.ReaderAt, roots []fr.Element) *Tree {
	t := &Tree{l: l, stores: stores, baseRoots: make([][32]byte, len(roots))}
	for k := range roots {
		t.baseRoots[k] = poseidon.ToBytes(&roots[k])
	}
	s := l.shape
	root := roots[0]
	switch {
	case s.Top > 0:
		subs := make([]fr.Element, s.Top)
		t.subRoots = make([][32]byte, s.Top)
		for g := range subs {
			subs[g] = hasher(s.Sub).Hash(roots[g*s.Sub : (g+1)*s.Sub])
			t.subRoots[g] = poseidon.ToBytes(&subs[g])
		}
		root = hasher(s.Top).Hash(subs)
	case s.Sub > 0:
		root = hasher(s.Sub).Hash(roots)
	}
	t.root = poseidon.ToBytes(&root)
	return t
}

// Root returns the root: comm_c of tree_c, comm_r_last of tree_r_last.
func (t *Tree) Root() [32]byte { return t.root }

// Shape returns the tree's shape.
func (t *Tree) Shape() Shape { return t.l.shape }

// Leaves returns the number of leaves.
func (t *Tree) Leaves() uint64 { return t.l.leaves }

// BaseRoots returns the roots of the base trees, in leaf order.
func (t *Tree) BaseRoots() [][32]byte { return append([][32]byte(nil), t.baseRoots...) }

// Prove returns the inclusion proof of leaf i, reading one group of Base
// nodes per base-tree level from the store. It returns ErrOutOfRange for
// i ≥ Leaves() and ErrStore if a store cannot be read.
func (t *Tree) Prove(i uint64) (*Proof, error) {
	l := &t.l
	if i >= l.leaves {
		return nil, fmt.Errorf("%w: leaf %d of %d", ErrOutOfRange, i, l.leaves)
	}
	s := l.shape
	k := i / l.perBase
	p := &Proof{Root: t.root, Path: make([]PathElement, 0, l.height+2)}
	buf := make([]byte, s.Base*NodeSize)
	idx := i % l.perBase
	for row := range l.height {
		first := idx - idx%uint64(s.Base)
		off := int64(l.rowStart[row]+first) * NodeSize
		if _, err := t.stores[k].ReadAt(buf, off); err != nil {
			return nil, fmt.Errorf("%w: base tree %d row %d: %w", ErrStore, k, row, err)
		}
		pos := int(idx - first)
		if row == 0 {
			copy(p.Leaf[:], buf[pos*NodeSize:])
		}
		p.Path = append(p.Path, element(buf, s.Base, pos))
		idx /= uint64(s.Base)
	}
	if s.Sub > 0 {
		g := int(k) / s.Sub
		p.Path = append(p.Path, rootsElement(t.baseRoots[g*s.Sub:(g+1)*s.Sub], int(k)%s.Sub))
	}
	if s.Top > 0 {
		p.Path = append(p.Path, rootsElement(t.subRoots, int(k)/s.Sub))
	}
	return p, nil
}

// element returns the path element for the node at position pos among the
// arity nodes in buf.
func element(buf []byte, arity, pos int) PathElement {
	e := PathElement{Index: pos, Siblings: make([][32]byte, 0, arity-1)}
	for j := range arity {
		if j != pos {
			e.Siblings = append(e.Siblings, [32]byte(buf[j*NodeSize:(j+1)*NodeSize]))
		}
	}
	return e
}

// rootsElement returns the path element for roots[pos] among roots.
func rootsElement(roots [][32]byte, pos int) PathElement {
	e := PathElement{Index: pos, Siblings: make([][32]byte, 0, len(roots)-1)}
	for j, r := range roots {
		if j != pos {
			e.Siblings = append(e.Siblings, r)
		}
	}
	return e
}
