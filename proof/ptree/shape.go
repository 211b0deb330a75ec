package ptree

import (
	"fmt"
)

// Shape is the arity structure of a tree, rust-fil-proofs'
// MerkleTreeWrapper<_, _, Base, Sub, Top> with U0 written 0.
type Shape struct {
	// Base is the arity of the base trees.
	Base int
	// Sub is 0, or the number of base trees whose roots are hashed into a
	// sub-tree root.
	Sub int
	// Top is 0, or the number of sub-trees whose roots are hashed into the
	// root.
	Top int
}

// String gives the shape as base/sub/top, as sdr-spec.md §4 writes it.
func (s Shape) String() string { return fmt.Sprintf("%d/%d/%d", s.Base, s.Sub, s.Top) }

// Validate returns ErrShape if the shape is not one a tree can have.
func (s Shape) Validate() error {
	okArity := func(a int, zero bool) bool { return a == 2 || a == 4 || a == 8 || (zero && a == 0) }
	if !okArity(s.Base, false) || !okArity(s.Sub, true) || !okArity(s.Top, true) || (s.Top > 0 && s.Sub == 0) {
		return fmt.Errorf("%w: %s", ErrShape, s)
	}
	return nil
}

// BaseTrees returns the number of base trees: Sub, times Top when there is
// a top level, or 1 (storage-proofs-core merkle/builders.rs,
// get_base_tree_count).
func (s Shape) BaseTrees() int { return max(s.Sub, 1) * max(s.Top, 1) }

// Levels returns the number of levels of a proof in a tree of this shape
// over leaves leaves (proof.rs, compound_path_length), or ErrLeafCount.
func (s Shape) Levels(leaves uint64) (int, error) {
	l, err := newLayout(s, leaves)
	if err != nil {
		return 0, err
	}
	return len(l.arities()), nil
}

// ShapeFor returns the tree shape of tree_c and tree_r_last for a sector
// size in bytes (filecoin-proofs constants.rs: SectorShapeBase for 2 KiB,
// 8 MiB and 512 MiB; SectorShapeSub2 for 4 KiB, 16 MiB and 1 GiB;
// SectorShapeSub8 for 16 KiB and 32 GiB; SectorShapeTop2 for 32 KiB and
// 64 GiB), or ErrSectorSize.
func ShapeFor(sectorSize uint64) (Shape, error) {
	const kib, mib, gib = 1 << 10, 1 << 20, 1 << 30
	switch sectorSize {
	case 2 * kib, 8 * mib, 512 * mib:
		return Shape{Base: 8}, nil
	case 4 * kib, 16 * mib, 1 * gib:
		return Shape{Base: 8, Sub: 2}, nil
	case 16 * kib, 32 * gib:
		return Shape{Base: 8, Sub: 8}, nil
	case 32 * kib, 64 * gib:
		return Shape{Base: 8, Sub: 8, Top: 2}, nil
	}
	return Shape{}, fmt.Errorf("%w: %d bytes", ErrSectorSize, sectorSize)
}

// layout is where a tree's nodes are: the shape, the sizes, and the rows
// of a base tree's store.
type layout struct {
	shape   Shape
	leaves  uint64 // of the whole tree
	perBase uint64 // leaves of one base tree
	height  int    // rows above the leaves in a base tree
	// rowStart[r] is the index, in a base tree's store, of the first node
	// of row r (0 the leaves, height the root); rowStart[height+1] is the
	// number of nodes in the store.
	rowStart []uint64
}

func newLayout(s Shape, leaves uint64) (layout, error) {
	if err := s.Validate(); err != nil {
		return layout{}, err
	}
	n := uint64(s.BaseTrees())
	l := layout{shape: s, leaves: leaves, perBase: leaves / n}
	if leaves%n != 0 || l.perBase < uint64(s.Base) {
		return layout{}, fmt.Errorf("%w: %d leaves in %d base trees of arity %d", ErrLeafCount, leaves, n, s.Base)
	}
	var start uint64
	row := l.perBase
	for {
		l.rowStart = append(l.rowStart, start)
		start += row
		if row == 1 {
			break
		}
		if row%uint64(s.Base) != 0 {
			return layout{}, fmt.Errorf("%w: %d leaves per base tree is not a power of %d", ErrLeafCount, l.perBase, s.Base)
		}
		row /= uint64(s.Base)
		l.height++
	}
	l.rowStart = append(l.rowStart, start)
	return l, nil
}

// storeNodes is the number of nodes in a base tree's store.
func (l *layout) storeNodes() uint64 { return l.rowStart[l.height+1] }

// arities lists the arity of each proof level, from the leaf up.
func (l *layout) arities() []int {
	a := make([]int, 0, l.height+2)
	for range l.height {
		a = append(a, l.shape.Base)
	}
	if l.shape.Sub > 0 {
		a = append(a, l.shape.Sub)
	}
	if l.shape.Top > 0 {
		a = append(a, l.shape.Top)
	}
	return a
}

// positions lists, level by level from the leaf up, the position of the
// path to leaf i among its siblings. Base trees are numbered in leaf order
// and grouped in that order, Sub at a time, under the top level
// (merkletree from_sub_tree_store_configs; rust-fil-proofs proof.rs,
// TopProof::path_index).
func (l *layout) positions(i uint64) []int {
	p := make([]int, 0, l.height+2)
	local, tree := i%l.perBase, i/l.perBase
	for range l.height {
		p = append(p, int(local%uint64(l.shape.Base)))
		local /= uint64(l.shape.Base)
	}
	if l.shape.Sub > 0 {
		p = append(p, int(tree%uint64(l.shape.Sub)))
	}
	if l.shape.Top > 0 {
		p = append(p, int(tree/uint64(l.shape.Sub)))
	}
	return p
}
