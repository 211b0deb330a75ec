package stage

import (
	"context"
	"fmt"

	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/seal"
)

// MaxCheckChallenges bounds the leaves a check opens per sector: a task may
// come from another process, and PoSt's challenges are derived into memory
// all at once, so an absurd count must be refused rather than attempted.
const MaxCheckChallenges = 1 << 10

// CheckTask checks, before a PoSt deadline, that the sectors due can be
// proven with PoSt proof Proof: each sector's replica is present and of the
// right size, its p_aux and tree_r_last readable and agreeing, comm_r as
// the chain has it, and Challenges leaves (≤ 0: as many as the PoSt opens)
// challenged by Randomness readable from the replica and matching
// tree_r_last. Randomness is cleared of its top two bits as in a PoSt, so
// the chain's randomness of a deadline opens exactly the leaves its PoSt
// will; fresh random bytes at each check sample other leaves.
type CheckTask struct {
	Proof      proof.PoStProof
	Sectors    []CheckSector
	Challenges int
	Randomness Bytes32
}

// CheckSector is a sector to check: its files, and its comm_r as the chain
// has it. A zero CommR means unknown and is not compared.
type CheckSector struct {
	Sector seal.Sector
	CommR  Bytes32
}

// CheckOutput lists the sectors that failed the check, in task order, each
// with what was wrong and the file involved.
type CheckOutput struct {
	Faults []PoStFault
}

// CheckSectors runs a CheckTask. A sector that fails is listed in the
// output's faults, not returned as an error; the error is a failure to check
// at all: a task that wraps ErrTask, or ctx's error. It opens one sector's
// files at a time and closes them before the next.
func CheckSectors(ctx context.Context, t CheckTask) (CheckOutput, error) {
	if err := checkBatch(t.Proof, len(t.Sectors)); err != nil {
		return CheckOutput{}, fmt.Errorf("check: %w", err)
	}
	if t.Challenges > MaxCheckChallenges {
		return CheckOutput{}, fmt.Errorf("check: %w: %d challenges a sector, at most %d", ErrTask, t.Challenges, MaxCheckChallenges)
	}
	rnd := ProofRandomness(t.Randomness)
	var out CheckOutput
	for _, s := range t.Sectors {
		if err := ctx.Err(); err != nil {
			return CheckOutput{}, fmt.Errorf("check: %w", err)
		}
		if reason := checkOne(t.Proof, rnd, t.Challenges, s); reason != "" {
			out.Faults = append(out.Faults, PoStFault{Number: s.Sector.Number, Reason: reason})
		}
	}
	return out, nil
}

// checkOne checks one sector and returns why it is faulty, or "".
func checkOne(p proof.PoStProof, rnd [32]byte, challenges int, s CheckSector) string {
	ps, err := openSector(p, s.Sector)
	if err != nil {
		return err.Error()
	}
	defer ps.Close()
	if err := post.CheckSector(p, rnd, challenges, ps.Sector, s.CommR); err != nil {
		return fmt.Sprintf("sector %d: %v (replica %s, cache %s)", s.Sector.Number, err, s.Sector.Sealed, s.Sector.Cache)
	}
	return ""
}
