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
	leaves, err := openChallenges(s, randomness, nodes, p.Challenges())
	if err != nil {
		return SectorProof{}, fmt.Errorf("sector %d: %w", s.Number, err)
	}
	return SectorProof{Number: s.Number, CommC: s.CommC, CommRLast: s.CommRLast, Leaves: leaves}, nil
}

// openChallenges returns the tree_r_last inclusion proofs of the count
// leaves a PoSt with randomness challenges in sector s, each leaf read from
// the replica and checked against comm_r_last, so that damage to the
// replica, the tree or p_aux is found here rather than by the verifier.
// Every failure but bad arguments wraps ErrFaulty.
func openChallenges(s Sector, randomness [32]byte, nodes uint64, count int) ([]*ptree.Proof, error) {
	if err := checkRoot(s); err != nil {
		return nil, err
	}
	leaves, err := challenge.PoStLeaves(randomness, s.Number, nodes, count, -1)
	if err != nil {
		return nil, err
	}
	out := make([]*ptree.Proof, 0, len(leaves))
	for i, c := range leaves {
		lp, err := s.TreeRLast.Prove(c)
		if err != nil {
			return nil, fmt.Errorf("%w: challenge %d (node %d): %w", ErrFaulty, i, c, err)
		}
		var leaf [32]byte
		if _, err := s.Sealed.ReadAt(leaf[:], int64(c)*proof.NodeSize); err != nil {
			return nil, fmt.Errorf("%w: read replica node %d: %w", ErrFaulty, c, err)
		}
		lp.Leaf = leaf
		if err := ptree.Verify(s.TreeRLast.Shape(), nodes, s.CommRLast, c, lp); err != nil {
			return nil, fmt.Errorf("%w: replica node %d does not match tree_r_last: %w", ErrFaulty, c, err)
		}
		out = append(out, lp)
	}
	return out, nil
}

// checkRoot checks that the sector has a tree and a replica, and that the
// tree's root is the comm_r_last p_aux recorded.
func checkRoot(s Sector) error {
	if s.TreeRLast == nil || s.Sealed == nil {
		return fmt.Errorf("%w: no tree_r_last or replica to read", ErrFaulty)
	}
	if s.TreeRLast.Root() != s.CommRLast {
		return fmt.Errorf("%w: tree_r_last root %x is not comm_r_last %x", ErrFaulty, s.TreeRLast.Root(), s.CommRLast)
	}
	return nil
}

// CheckSector checks, without making a proof, that sector s could be
// proven with PoSt proof p: that its tree_r_last has root comm_r_last,
// that H(comm_c, comm_r_last) is commR (skipped when commR is zero, i.e.
// unknown), and that each of count leaves challenged by randomness reads
// from the replica and matches tree_r_last, exactly as Prove opens them.
// count ≤ 0 means p's number of challenges. With the randomness of a
// coming PoSt it opens the leaves that PoSt will; with fresh random bytes
// it samples others, so repeated checks cover more of the replica. Every
// failure of the sector wraps ErrFaulty; other errors are bad arguments.
func CheckSector(p proof.PoStProof, randomness [32]byte, count int, s Sector, commR [32]byte) error {
	size, err := p.SectorSize()
	if err != nil {
		return err
	}
	if count <= 0 {
		count = p.Challenges()
	}
	if err := checkRoot(s); err != nil {
		return err
	}
	if commR != ([32]byte{}) {
		got, err := ptree.CommR(s.CommC, s.CommRLast)
		if err != nil {
			return fmt.Errorf("%w: comm_c or comm_r_last: %w", ErrFaulty, err)
		}
		if got != commR {
			return fmt.Errorf("%w: H(comm_c, comm_r_last) is %x, not the sector's comm_r %x", ErrFaulty, got, commR)
		}
	}
	_, err = openChallenges(s, randomness, uint64(size)/proof.NodeSize, count)
	return err
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
