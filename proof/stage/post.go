package stage

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/strata-sp/strata/internal/atomicfile"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/seal"
)

// The stages after sealing: dropping the layers, reading data back out of
// a replica, and proving replicas.
const (
	Finalize    = "finalize"
	Unseal      = "unseal"
	WindowPoSt  = "window_post"
	WinningPoSt = "winning_post"
)

// Done is the output of a stage that only writes files.
type Done struct{}

// FinalizeTask drops a sealed sector's layers and trees that PoSt does not
// need, and optionally its staged file.
type FinalizeTask struct {
	Sector     seal.Sector
	DropStaged bool
}

// RunFinalize runs the finalize stage.
func RunFinalize(ctx context.Context, t FinalizeTask) (Done, error) {
	return Done{}, (&seal.Engine{}).Finalize(ctx, t.Sector, t.DropStaged)
}

// UnsealTask decodes the unpadded bytes [Offset, Offset+Size) of a sector
// into the file Out, written atomically. Offset and Size are multiples of
// 127. Relabelling, when Finalize dropped the layers, needs the ticket,
// CommD and the parent cache.
type UnsealTask struct {
	SealTask
	Ticket, CommD Bytes32
	Offset, Size  uint64
	Out           string
}

// RunUnseal runs the unseal stage.
func RunUnseal(ctx context.Context, t UnsealTask) (Done, error) {
	err := atomicfile.WriteFunc(t.Out, 0o644, func(w io.Writer) error {
		return t.engine().Unseal(ctx, t.Sector, t.Ticket, t.CommD, t.Offset, t.Size, w)
	})
	return Done{}, err
}

// PoStTask proves sectors of one miner for one challenge. Randomness is as
// the chain gives it; the stage clears its top two bits, as Lotus does
// before calling the proofs, so that it is a field element. For WinningPoSt
// the sectors are the ones WinningPoStSectors picked.
type PoStTask struct {
	Proof      proof.PoStProof
	Miner      uint64
	Randomness Bytes32
	Sectors    []seal.Sector
}

// PoStFault is a sector a PoSt left out, and why.
type PoStFault struct {
	Number uint64
	Reason string
}

// PoStOutput is the encoded proof of the sectors that could be proven (in
// task order) and the sectors that could not.
type PoStOutput struct {
	Proof  []byte
	Faults []PoStFault
}

// ProofRandomness is the chain's randomness as the proofs take it: with
// the top two bits of byte 31 cleared (Lotus's ffiwrapper does the same).
func ProofRandomness(r [32]byte) [32]byte {
	r[31] &= 0x3f
	return r
}

// RunWindowPoSt runs the window_post stage.
func RunWindowPoSt(ctx context.Context, t PoStTask) (PoStOutput, error) {
	if t.Proof.Winning() {
		return PoStOutput{}, fmt.Errorf("window_post: %s is a WinningPoSt proof", t.Proof)
	}
	return runPoSt(ctx, t)
}

// RunWinningPoSt runs the winning_post stage.
func RunWinningPoSt(ctx context.Context, t PoStTask) (PoStOutput, error) {
	if !t.Proof.Winning() {
		return PoStOutput{}, fmt.Errorf("winning_post: %s is not a WinningPoSt proof", t.Proof)
	}
	return runPoSt(ctx, t)
}

func runPoSt(ctx context.Context, t PoStTask) (PoStOutput, error) {
	if err := checkBatch(t.Proof, len(t.Sectors)); err != nil {
		return PoStOutput{}, fmt.Errorf("post: %w", err)
	}
	rnd := ProofRandomness(t.Randomness)
	var out PoStOutput
	var proofs []post.SectorProof
	// One sector open at a time: a partition of 2,349 sectors of 32 GiB
	// would otherwise hold 9 files open per sector at once.
	for _, s := range t.Sectors {
		if err := ctx.Err(); err != nil {
			return PoStOutput{}, err
		}
		sp, reason, err := proveOne(ctx, t.Proof, rnd, s)
		if err != nil {
			return PoStOutput{}, err
		}
		if reason != "" {
			out.Faults = append(out.Faults, PoStFault{Number: s.Number, Reason: reason})
			continue
		}
		proofs = append(proofs, sp)
	}
	var err error
	if out.Proof, err = post.Marshal(proofs); err != nil {
		return PoStOutput{}, err
	}
	return out, nil
}

// checkBatch checks the proof and the number of sectors of a PoSt or check
// task.
func checkBatch(p proof.PoStProof, sectors int) error {
	if !p.Valid() {
		return fmt.Errorf("%w: %w: %d", ErrTask, proof.ErrUnknownProof, p)
	}
	if sectors > post.MaxSectors {
		return fmt.Errorf("%w: %d sectors, at most %d in one proof", ErrTask, sectors, post.MaxSectors)
	}
	return nil
}

// proveOne proves one sector, or says why it is faulty; the error is a
// failure to prove at all.
func proveOne(ctx context.Context, p proof.PoStProof, rnd [32]byte, s seal.Sector) (post.SectorProof, string, error) {
	ps, err := openSector(p, s)
	if err != nil {
		return post.SectorProof{}, err.Error(), nil
	}
	defer ps.Close()
	proofs, faults, err := post.Prove(ctx, p, rnd, []post.Sector{ps.Sector})
	switch {
	case err != nil:
		return post.SectorProof{}, "", err
	case len(faults) > 0:
		return post.SectorProof{}, fmt.Sprintf("%v (replica %s, cache %s)", faults[0].Err, s.Sealed, s.Cache), nil
	}
	return proofs[0], "", nil
}

// openedSector is a sector opened for PoSt, with what closes its files.
type openedSector struct {
	post.Sector
	closers []func()
}

func (s openedSector) Close() {
	for _, c := range s.closers {
		c()
	}
}

// openSector opens a sealed sector's replica, p_aux and tree_r_last. Its
// errors say which file is missing or wrong.
func openSector(p proof.PoStProof, s seal.Sector) (openedSector, error) {
	want, _ := p.SectorSize()
	if got, err := s.Proof.SectorSize(); err != nil || got != want {
		return openedSector{}, fmt.Errorf("sector %d: seal proof %s does not match PoSt proof %s", s.Number, s.Proof, p)
	}
	f, err := os.Open(s.Sealed)
	if err != nil {
		return openedSector{}, fmt.Errorf("sector %d: replica: %w", s.Number, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return openedSector{}, fmt.Errorf("sector %d: replica: %w", s.Number, err)
	}
	if fi.Size() != int64(want) {
		f.Close()
		return openedSector{}, fmt.Errorf("sector %d: %w: replica %s is %d bytes, want %d", s.Number, post.ErrFaulty, s.Sealed, fi.Size(), want)
	}
	commC, commRLast, err := seal.ReadPAux(s)
	if err != nil {
		f.Close()
		return openedSector{}, fmt.Errorf("sector %d: p_aux: %w", s.Number, err)
	}
	tree, closeTree, err := seal.OpenTreeRLast(s)
	if err != nil {
		f.Close()
		return openedSector{}, fmt.Errorf("sector %d: tree_r_last in %s: %w", s.Number, s.Cache, err)
	}
	return openedSector{
		Sector:  post.Sector{Number: s.Number, CommC: commC, CommRLast: commRLast, TreeRLast: tree, Sealed: f},
		closers: []func(){closeTree, func() { f.Close() }},
	}, nil
}
