package engine

import (
	"context"
	"fmt"

	"github.com/strata-sp/strata/proof/stage"
)

// Caller sends a task to a running processor and decodes its output
// (*processor.Client implements it).
type Caller interface {
	Call(ctx context.Context, task, out any) error
}

// Processors runs each stage that has a processor in Stages (keyed by the
// stage names of package stage) in that processor, and the others with
// Fallback. Verification always runs in process: it is cheap and must not
// depend on a child process. Processors does not own the processors; the
// caller starts and closes them.
type Processors struct {
	Stages   map[string]Caller
	Fallback Engine // Local{} when nil
}

var _ Engine = (*Processors)(nil)

func (p *Processors) fallback() Engine {
	if p.Fallback == nil {
		return Local{}
	}
	return p.Fallback
}

// run sends task to name's processor, or runs local.
func run[T, O any](ctx context.Context, p *Processors, name string, task T, local func(context.Context, T) (O, error)) (O, error) {
	c, ok := p.Stages[name]
	if !ok || c == nil {
		return local(ctx, task)
	}
	var out O
	if err := c.Call(ctx, task, &out); err != nil {
		return out, fmt.Errorf("%s processor: %w", name, err)
	}
	return out, nil
}

func (p *Processors) AddPieces(ctx context.Context, t stage.AddPiecesTask) (stage.AddPiecesOutput, error) {
	return run(ctx, p, stage.AddPieces, t, p.fallback().AddPieces)
}

func (p *Processors) TreeD(ctx context.Context, t stage.TreeDTask) (stage.TreeDOutput, error) {
	return run(ctx, p, stage.TreeD, t, p.fallback().TreeD)
}

func (p *Processors) PC1(ctx context.Context, t stage.PC1Task) (stage.PC1Output, error) {
	return run(ctx, p, stage.PC1, t, p.fallback().PC1)
}

func (p *Processors) PC2(ctx context.Context, t stage.SealTask) (stage.PC2Output, error) {
	return run(ctx, p, stage.PC2, t, p.fallback().PC2)
}

func (p *Processors) C1(ctx context.Context, t stage.C1Task) (stage.ProofOutput, error) {
	return run(ctx, p, stage.C1, t, p.fallback().C1)
}

func (p *Processors) C2(ctx context.Context, c1 stage.ProofOutput) (stage.ProofOutput, error) {
	return run(ctx, p, stage.C2, c1, p.fallback().C2)
}

func (p *Processors) Finalize(ctx context.Context, t stage.FinalizeTask) (stage.Done, error) {
	return run(ctx, p, stage.Finalize, t, p.fallback().Finalize)
}

func (p *Processors) Unseal(ctx context.Context, t stage.UnsealTask) (stage.Done, error) {
	return run(ctx, p, stage.Unseal, t, p.fallback().Unseal)
}

func (p *Processors) GenerateWindowPoSt(ctx context.Context, t stage.PoStTask) (stage.PoStOutput, error) {
	return run(ctx, p, stage.WindowPoSt, t, p.fallback().GenerateWindowPoSt)
}

func (p *Processors) GenerateWinningPoSt(ctx context.Context, t stage.PoStTask) (stage.PoStOutput, error) {
	return run(ctx, p, stage.WinningPoSt, t, p.fallback().GenerateWinningPoSt)
}

func (p *Processors) VerifySeal(ctx context.Context, v SealVerifyInfo) error {
	return p.fallback().VerifySeal(ctx, v)
}

func (p *Processors) VerifyWindowPoSt(ctx context.Context, v PoStVerifyInfo) error {
	return p.fallback().VerifyWindowPoSt(ctx, v)
}

func (p *Processors) VerifyWinningPoSt(ctx context.Context, v PoStVerifyInfo) error {
	return p.fallback().VerifyWinningPoSt(ctx, v)
}
