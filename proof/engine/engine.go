// Package engine is the proof engine as the rest of Strata sees it: Sealer
// (the sealing pipeline's stages), Prover (WindowPoSt and WinningPoSt) and
// Verifier (seal and PoSt proofs).
//
// Sealer and Prover take and return the stage package's tasks and outputs,
// which are also the JSON of the external-processor protocol, so a stage
// gives the same bytes wherever it runs. Local runs every stage in this
// process; Processors sends the stages it has a processor for to that
// processor (`strata processor STAGE`, or any executable speaking the
// protocol, e.g. a SNARK prover for c2) and runs the others locally.
package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/challenge"
	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
)

// Sealer runs the sealing stages of a sector. Each stage reads its inputs
// from files and the task, writes new files (never changing its inputs)
// and may be rerun after a crash with the same task, giving the same
// result. Stages of different sectors may run concurrently.
type Sealer interface {
	// AddPieces writes the staged sector: the pieces Fr32-padded, with
	// zero pieces for alignment and to fill the sector.
	AddPieces(ctx context.Context, t stage.AddPiecesTask) (stage.AddPiecesOutput, error)
	// TreeD builds tree_d over the staged sector and returns CommD.
	TreeD(ctx context.Context, t stage.TreeDTask) (stage.TreeDOutput, error)
	// PC1 labels the SDR layers for a ticket and returns replica_id.
	PC1(ctx context.Context, t stage.PC1Task) (stage.PC1Output, error)
	// PC2 encodes the replica and builds tree_c and tree_r_last: comm_c,
	// comm_r_last and CommR.
	PC2(ctx context.Context, t stage.SealTask) (stage.PC2Output, error)
	// C1 makes the vanilla proofs of the interactive challenges of a seed.
	C1(ctx context.Context, t stage.C1Task) (stage.ProofOutput, error)
	// C2 turns C1's output into the final proof bytes.
	C2(ctx context.Context, c1 stage.ProofOutput) (stage.ProofOutput, error)
	// Finalize drops the layers and trees PoSt does not need.
	Finalize(ctx context.Context, t stage.FinalizeTask) (stage.Done, error)
	// Unseal decodes a byte range of a sealed sector into a file.
	Unseal(ctx context.Context, t stage.UnsealTask) (stage.Done, error)
}

// Prover proves sealed sectors. A sector whose files are missing or do not
// match its commitments is left out of the proof and listed as a fault;
// only a failure to prove at all is an error.
type Prover interface {
	GenerateWindowPoSt(ctx context.Context, t stage.PoStTask) (stage.PoStOutput, error)
	GenerateWinningPoSt(ctx context.Context, t stage.PoStTask) (stage.PoStOutput, error)
}

// SealVerifyInfo is what a verifier knows of a seal proof.
type SealVerifyInfo struct {
	seal.PublicInputs
	Proof []byte // C2's output
}

// PoStVerifyInfo is what a verifier knows of a PoSt.
type PoStVerifyInfo struct {
	Proof      proof.PoStProof
	Miner      uint64
	Randomness [32]byte // as the chain gives it
	// Sectors are the proven sectors, in the order they were proven.
	Sectors []post.Public
	Bytes   []byte // the prover's PoStOutput.Proof
}

// Verifier checks proofs. Every refusal is an error wrapping ErrInvalid that
// says what failed; a nil error means the proof holds. Verifiers are pure
// functions of their arguments and safe for concurrent use.
type Verifier interface {
	VerifySeal(ctx context.Context, v SealVerifyInfo) error
	VerifyWindowPoSt(ctx context.Context, v PoStVerifyInfo) error
	VerifyWinningPoSt(ctx context.Context, v PoStVerifyInfo) error
}

// ErrInvalid is wrapped by every refusal of a Verifier.
var ErrInvalid = errors.New("invalid proof")

// Engine is all three.
type Engine interface {
	Sealer
	Prover
	Verifier
}

// WinningPoStSectors returns which of a miner's eligible sectors (by index
// into the sorted set of eligibleCount sectors) a WinningPoSt for the
// chain's randomness proves, as Lotus's GenerateWinningPoStSectorChallenge.
func WinningPoStSectors(p proof.PoStProof, miner uint64, randomness [32]byte, eligibleCount uint64) ([]uint64, error) {
	if !p.Winning() {
		return nil, fmt.Errorf("winning sectors: %s is not a WinningPoSt proof", p)
	}
	return challenge.PoStSectors(challenge.ProverID(miner), stage.ProofRandomness(randomness), eligibleCount, 1)
}
