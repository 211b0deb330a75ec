package stage

import (
	"context"
	"errors"
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

func runPoSt(ctx context.Context, t PoStTask) (out PoStOutput, err error) {
	if !t.Proof.Valid() {
		return PoStOutput{}, fmt.Errorf("post: %w: %d", proof.ErrUnknownProof, t.Proof)
	}
	if len(t.Sectors) > post.MaxSectors {
		return PoStOutput{}, fmt.Errorf("post: %d sectors, at most %d in one proof", len(t.Sectors), post.MaxSectors)
	}
	var sectors []openedSector
	defer func() {
		for _, s := range sectors {
			s.Close()
		}
	}()
	for _, s := range t.Sectors {
		ps, err := openSector(t.Proof, s)
		if err != nil {
			out.Faults = append(out.Faults, PoStFault{Number: s.Number, Reason: err.Error()})
			continue
		}
		sectors = append(sectors, ps)
	}
	proofs, faults, err := post.Prove(ctx, t.Proof, ProofRandomness(t.Randomness), sectorsOf(sectors))
	if err != nil {
		return PoStOutput{}, err
	}
	for _, f := range faults {
		out.Faults = append(out.Faults, PoStFault{Number: f.Number, Reason: f.Err.Error()})
	}
	if out.Proof, err = post.Marshal(proofs); err != nil {
		return PoStOutput{}, err
	}
	return out, nil
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

func sectorsOf(s []openedSector) []post.Sector {
	out := make([]post.Sector, len(s))
	for i := range s {
		out[i] = s[i].Sector
	}
	return out
}

// openSector opens a sealed sector's tree_r_last, p_aux and replica.
func openSector(p proof.PoStProof, s seal.Sector) (openedSector, error) {
	want, _ := p.SectorSize()
	if got, err := s.Proof.SectorSize(); err != nil || got != want {
		return openedSector{}, fmt.Errorf("sector %d: seal proof %s does not match PoSt proof %s", s.Number, s.Proof, p)
	}
	commC, commRLast, err := seal.ReadPAux(s)
	if err != nil {
		return openedSector{}, fmt.Errorf("sector %d: %w", s.Number, err)
	}
	tree, closeTree, err := seal.OpenTreeRLast(s)
	if err != nil {
		return openedSector{}, fmt.Errorf("sector %d: %w", s.Number, err)
	}
	f, err := os.Open(s.Sealed)
	if err != nil {
		closeTree()
		return openedSector{}, fmt.Errorf("sector %d: %w", s.Number, err)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != int64(want) {
		f.Close()
		closeTree()
		return openedSector{}, fmt.Errorf("sector %d: replica %s is not %d bytes: %w", s.Number, s.Sealed, want, errors.Join(err, post.ErrFaulty))
	}
	return openedSector{
		Sector:  post.Sector{Number: s.Number, CommC: commC, CommRLast: commRLast, TreeRLast: tree, Sealed: f},
		closers: []func(){closeTree, func() { f.Close() }},
	}, nil
}
