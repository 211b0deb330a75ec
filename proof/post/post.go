// Package post makes and checks the vanilla proofs of WindowPoSt and
// WinningPoSt (storage-proofs-post fallback): for each sector, comm_c and
// comm_r_last (so the verifier checks comm_r = H(comm_c, comm_r_last)) and
// one tree_r_last inclusion proof per leaf challenge. Leaf values are read
// from the sealed file, not from the tree, so a damaged replica fails its
// challenges and the prover reports the sector as faulty instead of
// submitting a proof that cannot verify.
package post

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/challenge"
	"github.com/strata-sp/strata/proof/ptree"
)

// Errors, checked with errors.Is.
var (
	// ErrInvalid means the proof does not prove what it should: a wrong
	// comm_r, a leaf or path that does not hash to comm_r_last, the wrong
	// number of sectors or challenges.
	ErrInvalid = errors.New("invalid PoSt proof")
	// ErrFaulty means a sector's replica could not be proven (unreadable,
	// or its data no longer matches its tree).
	ErrFaulty = errors.New("sector is faulty")
)

// SectorProof is the vanilla PoSt proof of one sector.
type SectorProof struct {
	Number    uint64
	CommC     [32]byte
	CommRLast [32]byte
	// Leaves holds one tree_r_last inclusion proof per leaf challenge, in
	// challenge order.
	Leaves []*ptree.Proof
}

// Sector is a sector to prove.
type Sector struct {
	Number    uint64
	CommC     [32]byte
	CommRLast [32]byte
	TreeRLast *ptree.Tree
	// Sealed reads the replica, whose nodes are tree_r_last's leaves.
	Sealed io.ReaderAt
}

// Fault names a sector that could not be proven, and why.
type Fault struct {
	Number uint64
	Err    error
}

// Prove makes the vanilla proofs of sectors for randomness with PoSt proof
// p. A sector whose replica does not match its tree (or cannot be read)
// is left out and listed as a fault; the others are proven.
func Prove(ctx context.Context, p proof.PoStProof, randomness [32]byte, sectors []Sector) ([]SectorProof, []Fault, error) {
	size, err := p.SectorSize()
	if err != nil {
		return nil, nil, err
	}
	nodes := uint64(size) / proof.NodeSize
	var proofs []SectorProof
	var faults []Fault
	for _, s := range sectors {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		sp, err := proveSector(p, randomness, nodes, s)
		if err != nil {
			faults = append(faults, Fault{Number: s.Number, Err: err})
			continue
		}
		proofs = append(proofs, sp)
	}
	return proofs, faults, nil
}

func proveSector(p proof.PoStProof, randomness [32]byte, nodes uint64, s Sector) (SectorProof, error) {
	if s.TreeRLast.Root() != s.CommRLast {
		return SectorProof{}, fmt.Errorf("%w: sector %d: tree_r_last root %x is not comm_r_last %x", ErrFaulty, s.Number, s.TreeRLast.Root(), s.CommRLast)
	}
	leaves, err := challenge.PoStLeaves(randomness, s.Number, nodes, p.Challenges(), -1)
	if err != nil {
		return SectorProof{}, err
	}
	sp := SectorProof{Number: s.Number, CommC: s.CommC, CommRLast: s.CommRLast}
	for i, c := range leaves {
		lp, err := s.TreeRLast.Prove(c)
		if err != nil {
			return SectorProof{}, fmt.Errorf("%w: sector %d challenge %d: %w", ErrFaulty, s.Number, i, err)
		}
		var leaf [32]byte
		if _, err := s.Sealed.ReadAt(leaf[:], int64(c)*proof.NodeSize); err != nil {
			return SectorProof{}, fmt.Errorf("%w: sector %d: read replica node %d: %w", ErrFaulty, s.Number, c, err)
		}
		lp.Leaf = leaf
		if err := ptree.Verify(s.TreeRLast.Shape(), nodes, s.CommRLast, c, lp); err != nil {
			return SectorProof{}, fmt.Errorf("%w: sector %d: replica node %d does not match tree_r_last: %w", ErrFaulty, s.Number, c, err)
		}
		sp.Leaves = append(sp.Leaves, lp)
	}
	return sp, nil
}

// Public is what the verifier knows of a proven sector.
type Public struct {
	Number uint64
	CommR  [32]byte
}

// Verify checks proofs of sectors (in the same order) for randomness with
// PoSt proof p. Every failure wraps ErrInvalid and names the sector and the
// challenge.
func Verify(p proof.PoStProof, randomness [32]byte, sectors []Public, proofs []SectorProof) error {
	size, err := p.SectorSize()
	if err != nil {
		return err
	}
	shape, err := ptree.ShapeFor(uint64(size))
	if err != nil {
		return err
	}
	nodes := uint64(size) / proof.NodeSize
	if len(proofs) != len(sectors) {
		return fmt.Errorf("%w: %d sector proofs for %d sectors", ErrInvalid, len(proofs), len(sectors))
	}
	if p.Winning() && len(sectors) != 1 {
		return fmt.Errorf("%w: a WinningPoSt proves one sector, not %d", ErrInvalid, len(sectors))
	}
	for i, s := range sectors {
		sp := proofs[i]
		if sp.Number != s.Number {
			return fmt.Errorf("%w: proof %d is of sector %d, expected sector %d", ErrInvalid, i, sp.Number, s.Number)
		}
		commR, err := ptree.CommR(sp.CommC, sp.CommRLast)
		if err != nil {
			return fmt.Errorf("%w: sector %d: %w", ErrInvalid, s.Number, err)
		}
		if commR != s.CommR {
			return fmt.Errorf("%w: sector %d: H(comm_c, comm_r_last) is %x, not its comm_r %x", ErrInvalid, s.Number, commR, s.CommR)
		}
		leaves, err := challenge.PoStLeaves(randomness, s.Number, nodes, p.Challenges(), -1)
		if err != nil {
			return err
		}
		if len(sp.Leaves) != len(leaves) {
			return fmt.Errorf("%w: sector %d: %d leaf proofs for %d challenges", ErrInvalid, s.Number, len(sp.Leaves), len(leaves))
		}
		for j, c := range leaves {
			if sp.Leaves[j] == nil {
				return fmt.Errorf("%w: sector %d challenge %d: no proof", ErrInvalid, s.Number, j)
			}
			if err := ptree.Verify(shape, nodes, sp.CommRLast, c, sp.Leaves[j]); err != nil {
				return fmt.Errorf("%w: sector %d challenge %d (node %d): %w", ErrInvalid, s.Number, j, c, err)
			}
		}
	}
	return nil
}
