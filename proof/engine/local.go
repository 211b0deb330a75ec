package engine

import (
	"context"
	"fmt"

	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
)

// Local is the built-in engine in this process. Its final seal proof (C2)
// is the vanilla proof, which its Verifier checks in full; a network's
// SNARK needs an external c2 processor (see Processors). The zero value is
// ready to use.
type Local struct{}

var _ Engine = Local{}

func (Local) AddPieces(ctx context.Context, t stage.AddPiecesTask) (stage.AddPiecesOutput, error) {
	return stage.RunAddPieces(ctx, t)
}

func (Local) TreeD(ctx context.Context, t stage.TreeDTask) (stage.TreeDOutput, error) {
	return stage.RunTreeD(ctx, t)
}

func (Local) PC1(ctx context.Context, t stage.PC1Task) (stage.PC1Output, error) {
	return stage.RunPC1(ctx, t)
}

func (Local) PC2(ctx context.Context, t stage.SealTask) (stage.PC2Output, error) {
	return stage.RunPC2(ctx, t)
}

func (Local) C1(ctx context.Context, t stage.C1Task) (stage.ProofOutput, error) {
	return stage.RunC1(ctx, t)
}

func (Local) C2(ctx context.Context, c1 stage.ProofOutput) (stage.ProofOutput, error) {
	return stage.RunC2(ctx, c1)
}

func (Local) Finalize(ctx context.Context, t stage.FinalizeTask) (stage.Done, error) {
	return stage.RunFinalize(ctx, t)
}

func (Local) Unseal(ctx context.Context, t stage.UnsealTask) (stage.Done, error) {
	return stage.RunUnseal(ctx, t)
}

func (Local) GenerateWindowPoSt(ctx context.Context, t stage.PoStTask) (stage.PoStOutput, error) {
	return stage.RunWindowPoSt(ctx, t)
}

func (Local) GenerateWinningPoSt(ctx context.Context, t stage.PoStTask) (stage.PoStOutput, error) {
	return stage.RunWinningPoSt(ctx, t)
}

// VerifySeal decodes the proof (its size checked first) and checks it in
// full, including what the network leaves to the SNARK circuit.
func (Local) VerifySeal(_ context.Context, v SealVerifyInfo) error {
	var pr seal.Proof
	if err := pr.UnmarshalBinary(v.Proof); err != nil {
		return fmt.Errorf("%w: seal: %w", ErrInvalid, err)
	}
	if err := seal.VerifySeal(v.PublicInputs, &pr); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func (Local) VerifyWindowPoSt(_ context.Context, v PoStVerifyInfo) error {
	if v.Proof.Winning() {
		return fmt.Errorf("%w: %s is a WinningPoSt proof", ErrInvalid, v.Proof)
	}
	return verifyPoSt(v)
}

// VerifyWinningPoSt checks the proof of the sectors a WinningPoSt
// challenged; the caller checks, with WinningPoStSectors, that they are
// the right ones.
func (Local) VerifyWinningPoSt(_ context.Context, v PoStVerifyInfo) error {
	if !v.Proof.Winning() {
		return fmt.Errorf("%w: %s is not a WinningPoSt proof", ErrInvalid, v.Proof)
	}
	return verifyPoSt(v)
}

func verifyPoSt(v PoStVerifyInfo) error {
	proofs, err := post.Unmarshal(v.Bytes)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := post.Verify(v.Proof, stage.ProofRandomness(v.Randomness), v.Sectors, proofs); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}
