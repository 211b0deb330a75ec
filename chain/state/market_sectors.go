package state

import (
	"fmt"
	"slices"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
)

// marketSectorContentChanged is SectorContentChanged (FRC-0042 number
// 2034386435), which a miner's ProveCommitSectors3 sends for the pieces
// whose notifications name the market. Each piece's payload is a CBOR deal
// ID; the piece is accepted, and the deal activated in the sector at the
// current epoch, when: the deal exists and has not been activated (nor
// named twice in this call), the caller is its provider, the epoch is not
// past its start (the network's EX_DEAL_EXPIRED), it ends no later than the
// sector's MinimumCommitmentEpoch, and the piece's CID and size are the
// proposal's. Anything else rejects the piece (accepted=false), never the
// call. The caller must be a miner (18).
func (s *State) marketSectorContentChanged(c *Call) ([]byte, *Abort) {
	var p actors.SectorContentChangedParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if s.Actors[c.Caller].Kind != KindMiner {
		return nil, Abortf(ExitForbidden, "caller f0%d is not a miner", c.Caller)
	}
	type activation struct{ deal, sector uint64 }
	var act []activation
	seen := map[uint64]bool{}
	ret := actors.SectorContentChangedReturn{Sectors: make([]actors.SectorReturn, len(p.Sectors))}
	for i, sc := range p.Sectors {
		accepted := make([]bool, len(sc.Added))
		for j, pc := range sc.Added {
			id, err := actors.DecodeDealID(pc.Payload)
			if err != nil || seen[id] || s.canActivate(c, id, sc.MinimumCommitmentEpoch, &pc) != nil {
				continue
			}
			seen[id] = true
			accepted[j] = true
			act = append(act, activation{deal: id, sector: sc.Sector})
		}
		ret.Sectors[i].Accepted = accepted
	}
	out, ab := cborBytes(&ret)
	if ab != nil {
		return nil, ab
	}
	m := &s.Market
	for _, a := range act {
		m.Deals[a.deal].State = &types.DealState{
			SectorNumber:     a.sector,
			SectorStartEpoch: c.Env.Epoch,
			LastUpdatedEpoch: types.NoEpoch,
			SlashEpoch:       types.NoEpoch,
		}
		sectors := m.SectorDeals[c.Caller]
		if sectors == nil {
			sectors = map[uint64][]uint64{}
			m.SectorDeals[c.Caller] = sectors
		}
		sectors[a.sector] = append(sectors[a.sector], a.deal)
	}
	return out, nil
}

// canActivate says why deal id cannot be activated by piece pc in a sector
// of the miner c.Caller that expires at expiration, or nil.
func (s *State) canActivate(c *Call, id uint64, expiration int64, pc *actors.PieceChange) error {
	d := s.Market.Deals[id]
	switch {
	case d == nil:
		return fmt.Errorf("deal %d not found", id)
	case d.State != nil:
		return fmt.Errorf("deal %d already activated", id)
	}
	p := &d.Proposal
	if _, provider := d.parties(); provider != c.Caller {
		return fmt.Errorf("deal %d has provider %s, not f0%d", id, p.Provider, c.Caller)
	}
	if c.Env.Epoch > p.StartEpoch {
		return fmt.Errorf("deal %d: start epoch %d has already elapsed at %d", id, p.StartEpoch, c.Env.Epoch)
	}
	if p.EndEpoch > expiration {
		return fmt.Errorf("deal %d: end epoch %d exceeds sector expiration %d", id, p.EndEpoch, expiration)
	}
	if !pc.Data.Equals(p.PieceCID) || pc.Size != p.PieceSize {
		return fmt.Errorf("deal %d: piece %s (%d bytes) is not the proposal's %s (%d bytes)", id, pc.Data, pc.Size, p.PieceCID, p.PieceSize)
	}
	return nil
}

// marketOnMinerSectorsTerminate is OnMinerSectorsTerminate (7), which a
// miner sends with the sectors it terminates and the epoch: each deal
// activated in one of them, unless it ends at or before the epoch (cron
// completes it), is settled up to the epoch, its provider collateral
// burned, the client's remaining fee and collateral unlocked, and the deal
// removed at once (actors v13+), so that StateMarketStorageDeal answers
// "not found". The caller must be a miner (18).
func (s *State) marketOnMinerSectorsTerminate(c *Call) ([]byte, *Abort) {
	var p actors.OnMinerSectorsTerminateParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if s.Actors[c.Caller].Kind != KindMiner {
		return nil, Abortf(ExitForbidden, "caller f0%d is not a miner", c.Caller)
	}
	epoch, sectors := p.Epoch, p.Sectors
	m := &s.Market
	// Walk the caller's sectors with deals, not the bitfield, which may
	// name up to 2^64 sectors.
	index := m.SectorDeals[c.Caller]
	hit := make([]uint64, 0, len(index))
	for sn := range index {
		if sectors.IsSet(sn) {
			hit = append(hit, sn)
		}
	}
	slices.Sort(hit)
	var slash []uint64
	for _, sn := range hit {
		for _, id := range index[sn] {
			d := m.Deals[id]
			if d == nil || d.State == nil {
				continue
			}
			if d.Proposal.EndEpoch <= epoch {
				continue // expired, not slashed: cron completes it
			}
			if _, provider := d.parties(); provider != c.Caller {
				return nil, Abortf(ExitIllegalState, "caller f0%d is not the provider f0%d of deal %d", c.Caller, provider, id)
			}
			slash = append(slash, id)
		}
	}

	burn := big.TokenAmount{}
	for _, id := range slash {
		d := m.Deals[id]
		d.State.SlashEpoch = epoch
		m.pay(d, epoch)
		m.unlockClient(d)
		burn = burn.Add(m.slashProvider(d))
		m.remove(id)
	}
	// The network drops the terminated sectors' entries whole; a deal that
	// had already expired stays in Deals, where cron completes it.
	for _, sn := range hit {
		delete(index, sn)
	}
	if len(index) == 0 {
		delete(m.SectorDeals, c.Caller)
	}
	s.transfer(MarketID, BurntFundsID, burn)
	return nil, nil
}
