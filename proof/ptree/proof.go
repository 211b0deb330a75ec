package ptree

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"github.com/strata-sp/strata/proof/poseidon"
)

// MaxLevels is the most levels a proof may have: 21 levels of arity 8
// index 2^63 leaves, far more than the 11 of a 64 GiB sector. It bounds
// decoding and keeps leaf indexes within a uint64.
const MaxLevels = 21

// Proof is an inclusion proof of one leaf: rust-fil-proofs' MerkleProof
// (storage-proofs-core merkle/proof.rs) with the base, sub and top paths
// laid end to end, as its path() returns them.
type Proof struct {
	// Leaf is the proven leaf.
	Leaf [32]byte
	// Root is the root the path leads to.
	Root [32]byte
	// Path lists the levels from the leaf up.
	Path []PathElement
}

// PathElement is one level of a proof (proof.rs, PathElement): the node on
// the path goes at position Index among Siblings to make the children
// hashed into the next node up, whose arity is len(Siblings)+1.
type PathElement struct {
	Siblings [][32]byte
	Index    int
}

// LeafIndex returns the index of the leaf the proof's positions lead to,
// reading them as digits of mixed radix from the leaf up (proof.rs,
// path_index). It is meaningful for paths of at most MaxLevels levels.
func (p *Proof) LeafIndex() uint64 {
	var idx, weight uint64 = 0, 1
	for _, e := range p.Path {
		idx += uint64(e.Index) * weight
		weight *= uint64(len(e.Siblings) + 1)
	}
	return idx
}

// ComputeRoot hashes the leaf up the path and returns the root it leads
// to. It returns ErrProofShape for a level with an arity other than 2, 4
// or 8 or a position outside it, and poseidon.ErrNonCanonical for a node
// that is not a field element.
func (p *Proof) ComputeRoot() ([32]byte, error) {
	if len(p.Path) > MaxLevels {
		return [32]byte{}, fmt.Errorf("%w: %d levels, at most %d", ErrProofShape, len(p.Path), MaxLevels)
	}
	cur, err := poseidon.FromBytes(p.Leaf)
	if err != nil {
		return [32]byte{}, fmt.Errorf("leaf: %w", err)
	}
	var nodes [8]fr.Element
	for lvl, e := range p.Path {
		a := len(e.Siblings) + 1
		if a != 2 && a != 4 && a != 8 {
			return [32]byte{}, fmt.Errorf("%w: level %d has arity %d", ErrProofShape, lvl, a)
		}
		if e.Index < 0 || e.Index >= a {
			return [32]byte{}, fmt.Errorf("%w: level %d position %d of %d", ErrProofShape, lvl, e.Index, a)
		}
		for j, k := 0, 0; j < a; j++ {
			if j == e.Index {
				nodes[j] = cur
				continue
			}
			if nodes[j], err = poseidon.FromBytes(e.Siblings[k]); err != nil {
				return [32]byte{}, fmt.Errorf("level %d sibling %d: %w", lvl, k, err)
			}
			k++
		}
		cur = hasher(a).Hash(nodes[:a])
	}
	return poseidon.ToBytes(&cur), nil
}

// Verify checks that p proves leaf index of a tree of the given shape and
// number of leaves with the given root: that its levels have the tree's
// arities (ErrProofShape), that its positions lead to index
// (ErrWrongLeaf), and that it hashes up to root (ErrRootMismatch). On
// success p.Leaf is that leaf.
func Verify(shape Shape, leaves uint64, root [32]byte, index uint64, p *Proof) error {
	l, err := newLayout(shape, leaves)
	if err != nil {
		return err
	}
	if index >= leaves {
		return fmt.Errorf("%w: leaf %d of %d", ErrOutOfRange, index, leaves)
	}
	if p == nil {
		return fmt.Errorf("%w: no proof", ErrProofShape)
	}
	arities, want := l.arities(), l.positions(index)
	if len(p.Path) != len(arities) {
		return fmt.Errorf("%w: %d levels, the %s tree of %d leaves has %d", ErrProofShape, len(p.Path), shape, leaves, len(arities))
	}
	for lvl, e := range p.Path {
		if len(e.Siblings)+1 != arities[lvl] {
			return fmt.Errorf("%w: level %d has arity %d, want %d", ErrProofShape, lvl, len(e.Siblings)+1, arities[lvl])
		}
		if e.Index != want[lvl] {
			return fmt.Errorf("%w: position %d at level %d, leaf %d is at %d", ErrWrongLeaf, e.Index, lvl, index, want[lvl])
		}
	}
	if p.Root != root {
		return fmt.Errorf("%w: proof names root %x, want %x", ErrRootMismatch, p.Root, root)
	}
	got, err := p.ComputeRoot()
	if err != nil {
		return err
	}
	if got != root {
		return fmt.Errorf("%w: path hashes to %x, want %x", ErrRootMismatch, got, root)
	}
	return nil
}

// hasher returns the Poseidon hasher of a tree arity (2, 4 or 8).
func hasher(arity int) *poseidon.Hasher {
	return poseidon.MustNew(arity)
}

// Proof encoding (MarshalBinary):
//
//	version   1 byte, 1
//	leaf      32 bytes
//	root      32 bytes
//	levels    1 byte, at most MaxLevels
//	per level: arity (1 byte: 2, 4 or 8), position (1 byte, below the
//	           arity), then arity-1 siblings of 32 bytes
const (
	encodingVersion = 1
	headerSize      = 1 + 2*NodeSize + 1
	// MaxEncodedSize bounds the encoding of any proof UnmarshalBinary
	// accepts: MaxLevels levels of arity 8.
	MaxEncodedSize = headerSize + MaxLevels*(2+7*NodeSize)
)

// MarshalBinary encodes the proof (format above). It fails with
// ErrProofShape for a proof that UnmarshalBinary would refuse.
func (p *Proof) MarshalBinary() ([]byte, error) {
	if len(p.Path) > MaxLevels {
		return nil, fmt.Errorf("%w: %d levels, at most %d", ErrProofShape, len(p.Path), MaxLevels)
	}
	size := headerSize
	for lvl, e := range p.Path {
		a := len(e.Siblings) + 1
		if (a != 2 && a != 4 && a != 8) || e.Index < 0 || e.Index >= a {
			return nil, fmt.Errorf("%w: level %d: position %d of arity %d", ErrProofShape, lvl, e.Index, a)
		}
		size += 2 + len(e.Siblings)*NodeSize
	}
	b := make([]byte, 0, size)
	b = append(b, encodingVersion)
	b = append(b, p.Leaf[:]...)
	b = append(b, p.Root[:]...)
	b = append(b, byte(len(p.Path)))
	for _, e := range p.Path {
		b = append(b, byte(len(e.Siblings)+1), byte(e.Index))
		for _, s := range e.Siblings {
			b = append(b, s[:]...)
		}
	}
	return b, nil
}

// UnmarshalBinary decodes a proof encoded by MarshalBinary. It checks the
// length against MaxEncodedSize before reading anything, and refuses
// trailing bytes, so each proof has exactly one encoding. It does not check
// that nodes are field elements; Verify does.
func (p *Proof) UnmarshalBinary(b []byte) error {
	if len(b) > MaxEncodedSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrEncoding, len(b), MaxEncodedSize)
	}
	if len(b) < headerSize {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrEncoding, len(b), headerSize)
	}
	if b[0] != encodingVersion {
		return fmt.Errorf("%w: version %d", ErrEncoding, b[0])
	}
	var q Proof
	copy(q.Leaf[:], b[1:])
	copy(q.Root[:], b[1+NodeSize:])
	levels := int(b[headerSize-1])
	if levels > MaxLevels {
		return fmt.Errorf("%w: %d levels, at most %d", ErrEncoding, levels, MaxLevels)
	}
	b = b[headerSize:]
	q.Path = make([]PathElement, levels)
	for lvl := range q.Path {
		if len(b) < 2 {
			return fmt.Errorf("%w: level %d truncated", ErrEncoding, lvl)
		}
		a, idx := int(b[0]), int(b[1])
		if a != 2 && a != 4 && a != 8 {
			return fmt.Errorf("%w: level %d arity %d", ErrEncoding, lvl, a)
		}
		if idx >= a {
			return fmt.Errorf("%w: level %d position %d of %d", ErrEncoding, lvl, idx, a)
		}
		b = b[2:]
		if len(b) < (a-1)*NodeSize {
			return fmt.Errorf("%w: level %d truncated", ErrEncoding, lvl)
		}
		e := PathElement{Index: idx, Siblings: make([][32]byte, a-1)}
		for k := range e.Siblings {
			copy(e.Siblings[k][:], b[k*NodeSize:])
		}
		b = b[(a-1)*NodeSize:]
		q.Path[lvl] = e
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrEncoding, len(b))
	}
	*p = q
	return nil
}
