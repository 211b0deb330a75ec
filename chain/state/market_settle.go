package state

import (
	"github.com/strata-sp/strata/fil/big"
)

// Deal settlement: the bookkeeping shared by cron and termination
// (builtin-actors market State::process_deal_update and
// process_deal_init_timed_out). Every function here assumes the market's
// invariants hold (see Market) and keeps them.

// parties returns a stored deal's client and provider IDs (stored
// proposals carry ID addresses).
func (d *Deal) parties() (client, provider uint64) {
	client, _ = d.Proposal.Client.ID()
	provider, _ = d.Proposal.Provider.ID()
	return client, provider
}

// pay moves the storage fee of the epochs from max(StartEpoch,
// LastUpdatedEpoch) to min(until, EndEpoch) from the client's locked
// escrow to the provider's escrow, and returns it. Only an activated deal
// is paid.
func (m *Market) pay(d *Deal, until int64) big.TokenAmount {
	if d.State == nil {
		return big.TokenAmount{}
	}
	p := &d.Proposal
	from := max(p.StartEpoch, d.State.LastUpdatedEpoch)
	to := min(until, p.EndEpoch)
	if to <= from {
		return big.TokenAmount{}
	}
	amt := p.StoragePricePerEpoch.Mul(big.NewInt(to - from))
	client, provider := d.parties()
	addTo(m.Escrow, client, amt.Neg())
	addTo(m.Locked, client, amt.Neg())
	addTo(m.Escrow, provider, amt)
	d.Paid = d.Paid.Add(amt)
	d.State.LastUpdatedEpoch = to
	return amt
}

// unlockClient unlocks what the client still has locked for d: the fee not
// yet paid and the client collateral.
func (m *Market) unlockClient(d *Deal) {
	client, _ := d.parties()
	p := &d.Proposal
	rest := p.TotalStorageFee().Sub(d.Paid).Add(p.ClientCollateral)
	addTo(m.Locked, client, rest.Neg())
}

// slashProvider takes d's provider collateral out of the provider's
// escrow, for the caller to burn, and returns it.
func (m *Market) slashProvider(d *Deal) big.TokenAmount {
	_, provider := d.parties()
	c := d.Proposal.ProviderCollateral
	addTo(m.Locked, provider, c.Neg())
	addTo(m.Escrow, provider, c.Neg())
	return c
}

// unlockProvider unlocks d's provider collateral.
func (m *Market) unlockProvider(d *Deal) {
	_, provider := d.parties()
	addTo(m.Locked, provider, d.Proposal.ProviderCollateral.Neg())
}

// remove deletes deal id and every index entry that names it.
func (m *Market) remove(id uint64) {
	d := m.Deals[id]
	if d == nil {
		return
	}
	delete(m.Deals, id)
	if pid, ok := m.Pending[d.ProposalCID.String()]; ok && pid == id {
		delete(m.Pending, d.ProposalCID.String())
	}
	if d.State == nil {
		return
	}
	_, provider := d.parties()
	sectors := m.SectorDeals[provider]
	ids := sectors[d.State.SectorNumber]
	for i, x := range ids {
		if x == id {
			ids = append(ids[:i:i], ids[i+1:]...)
			break
		}
	}
	if len(ids) == 0 {
		delete(sectors, d.State.SectorNumber)
	} else {
		sectors[d.State.SectorNumber] = ids
	}
	if len(sectors) == 0 {
		delete(m.SectorDeals, provider)
	}
}

// marketCron is the market's end-of-epoch work at env.Epoch, over every
// deal in ID order:
//   - a deal not activated by its start epoch is removed: its whole provider
//     collateral is burned (the network's
//     collateral_penalty_for_deal_activation_missed) and the client's fee
//     and collateral unlocked;
//   - an active deal whose end epoch has come is paid in full to the
//     provider, both collaterals are unlocked and the deal is removed;
//   - an active deal whose start epoch has come leaves the pending
//     proposals (activation needs the start not to have passed, so the
//     same proposal cannot be published again anyway).
//
// Simplification: the network processes a deal at a pseudo-random epoch
// within DEAL_UPDATES_INTERVAL after its start, and since FIP-0074 pays
// active deals only when SettleDealPayments is called. The devnet looks at
// every deal every epoch (the market is small) and settles a deal once, when
// it ends; the provider receives the same amount.
func (s *State) marketCron(env *Env) {
	m := &s.Market
	burn := big.TokenAmount{}
	for _, id := range m.dealIDs() {
		d := m.Deals[id]
		p := &d.Proposal
		switch {
		case d.State == nil && env.Epoch >= p.StartEpoch:
			// Activation needs epoch ≤ StartEpoch and runs before cron,
			// so from the cron of StartEpoch on the deal cannot start.
			m.unlockClient(d)
			burn = burn.Add(m.slashProvider(d))
			m.remove(id)
		case d.State != nil && env.Epoch >= p.EndEpoch:
			// Completed (see the simplification above).
			m.pay(d, p.EndEpoch)
			m.unlockClient(d)
			m.unlockProvider(d)
			m.remove(id)
		case d.State != nil && env.Epoch >= p.StartEpoch:
			// The network's first cron of an activated deal forgets its
			// pending proposal.
			delete(m.Pending, d.ProposalCID.String())
		}
	}
	s.transfer(MarketID, BurntFundsID, burn)
}
