package state

import (
	"strconv"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
)

// marketDeal is d as Lotus's api.MarketDeal shows it: a deal not yet
// activated has no state in the actor, and Lotus reports SectorNumber 0 and
// -1 epochs (market.EmptyDealState).
func marketDeal(d *Deal) *types.MarketDeal {
	md := &types.MarketDeal{
		Proposal: d.Proposal.DealProposal,
		State:    types.DealState{SectorStartEpoch: types.NoEpoch, LastUpdatedEpoch: types.NoEpoch, SlashEpoch: types.NoEpoch},
	}
	if d.State != nil {
		md.State = *d.State
	}
	return md
}

// MarketDeal is StateMarketStorageDeal's answer. A deal that was never
// published, was not activated by its start epoch, ended or was slashed is
// gone: the error wraps ErrDealNotFound and reads as Lotus's.
func (s *State) MarketDeal(id uint64) (*types.MarketDeal, error) {
	d, ok := s.Market.Deals[id]
	if !ok {
		return nil, dealNotFound(id)
	}
	return marketDeal(d), nil
}

// MarketDeals is StateMarketDeals's answer: every deal, keyed by its
// decimal ID.
func (s *State) MarketDeals() map[string]*types.MarketDeal {
	out := make(map[string]*types.MarketDeal, len(s.Market.Deals))
	for id, d := range s.Market.Deals {
		out[strconv.FormatUint(id, 10)] = marketDeal(d)
	}
	return out
}

// MarketBalance is StateMarketBalance's answer: a's escrow and the part of
// it locked in deals, zero for an actor without escrow. As in Lotus, an
// address that resolves to no actor is an error (wrapping
// ErrActorNotFound).
func (s *State) MarketBalance(a address.Address) (types.MarketBalance, error) {
	id, err := s.Lookup(a)
	if err != nil {
		return types.MarketBalance{}, err
	}
	return types.MarketBalance{Escrow: s.Market.Escrow[id], Locked: s.Market.Locked[id]}, nil
}
