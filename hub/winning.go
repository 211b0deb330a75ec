package hub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/stage"
	"github.com/strata-sp/strata/rpc"
)

// WinningCheck is a WinningPoSt made and verified as the miner would make
// it to win a block at the head: a dry run of block production's proof
// (`strata hub proving winning`). The devnet has one block producer and
// no election, but a miner on the network proves this way, in well under
// the block time, or loses the block.
type WinningCheck struct {
	Miner uint64
	Epoch int64
	// Eligible is how many sectors could be challenged (active, not
	// faulty); Sectors are the ones the randomness picked.
	Eligible uint64
	Sectors  []uint64
	Took     time.Duration // generating the proof
	Verified bool
	// Err says why no proof was made or why it did not verify.
	Err string `json:",omitempty"`
}

// WinningCheck draws the WinningPoSt challenge of the head for the miner
// (beacon randomness, WinningPoStChallengeSeed, the miner's address as
// entropy), picks the challenged sector among its active non-faulty ones,
// proves it with the prover from the hub's copy of its files and verifies
// the proof. A failure to prove or verify is reported in the answer; only
// a failure to read the chain is an error.
func (p *Proving) WinningCheck(ctx context.Context, miner uint64) (WinningCheck, error) {
	m, err := p.o.Messenger.miner(ctx, miner)
	if err != nil {
		return WinningCheck{}, rpc.Errorf(rpc.KindNotFound, "%v", err)
	}
	out := WinningCheck{Miner: miner}
	winning, err := m.ProofType.WinningPoSt()
	if err != nil {
		return out, err
	}
	maddr, err := address.NewIDAddress(miner)
	if err != nil {
		return out, err
	}
	head, err := p.o.Chain.ChainHead(ctx)
	if err != nil {
		return out, err
	}
	out.Epoch = head.Height()
	onChain, err := p.o.Chain.StateMinerSectors(ctx, maddr, nil, head.Key())
	if err != nil {
		return out, err
	}
	faults, err := p.o.Chain.StateMinerFaults(ctx, maddr, head.Key())
	if err != nil {
		return out, err
	}
	eligible := onChain[:0:0]
	for _, s := range onChain {
		if !faults.IsSet(s.SectorNumber) && s.Expiration > head.Height() {
			eligible = append(eligible, s)
		}
	}
	slices.SortFunc(eligible, func(a, b *types.SectorOnChainInfo) int { return cmp.Compare(a.SectorNumber, b.SectorNumber) })
	out.Eligible = uint64(len(eligible))
	if len(eligible) == 0 {
		out.Err = "no active sector to challenge"
		return out, nil
	}
	entropy, err := minerEntropy(maddr)
	if err != nil {
		return out, err
	}
	rnd, err := p.o.Chain.StateGetRandomnessFromBeacon(ctx, types.DSTWinningPoStChallengeSeed, head.Height(), entropy, head.Key())
	if err != nil {
		return out, fmt.Errorf("winning randomness: %w", err)
	}
	if len(rnd) != 32 {
		return out, fmt.Errorf("winning randomness of %d bytes", len(rnd))
	}
	picks, err := engine.WinningPoStSectors(winning, miner, [32]byte(rnd), out.Eligible)
	if err != nil {
		return out, err
	}
	task := stage.PoStTask{Proof: winning, Miner: miner, Randomness: stage.Bytes32(rnd)}
	var public []post.Public
	for _, i := range picks {
		s := eligible[i]
		out.Sectors = append(out.Sectors, s.SectorNumber)
		commR, err := piece.DecodeSealed(s.SealedCID)
		if err != nil {
			return out, err
		}
		public = append(public, post.Public{Number: s.SectorNumber, CommR: commR})
		f, err := p.h.SectorFiles(ctx, SectorID{miner, s.SectorNumber})
		if err != nil {
			if errors.Is(err, ErrNotPersisted) || errors.Is(err, rpc.ErrNotFound) {
				out.Err = err.Error()
				return out, nil
			}
			return out, err
		}
		task.Sectors = append(task.Sectors, f)
	}
	start := p.h.now()
	proved, err := p.o.Prover.GenerateWinningPoSt(ctx, task)
	out.Took = p.h.now().Sub(start)
	switch {
	case err != nil:
		out.Err = err.Error()
	case len(proved.Faults) > 0:
		out.Err = fmt.Sprintf("sector %d: %s", proved.Faults[0].Number, proved.Faults[0].Reason)
	default:
		v := engine.PoStVerifyInfo{Proof: winning, Miner: miner, Randomness: [32]byte(rnd), Sectors: public, Bytes: proved.Proof}
		if err := (engine.Local{}).VerifyWinningPoSt(ctx, v); err != nil {
			out.Err = err.Error()
		} else {
			out.Verified = true
		}
	}
	return out, nil
}
