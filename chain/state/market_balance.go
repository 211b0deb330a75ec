package state

import (
	"slices"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
)

// escrowHolder resolves the address an escrow method names (builtin-actors
// market escrow_address): the escrow's owner, where withdrawn funds go, and
// which callers may withdraw. For a miner that is its owner (recipient) and
// owner or worker (callers); for a client, the client itself.
//
// An address that does not resolve is ExitIllegalArgument, as on the
// network. Devnet restriction: a client must be an account (the network
// accepts any non-miner actor, but in the devnet no other actor can sign a
// deal or send a withdrawal, so such escrow would be stuck for good).
func (s *State) escrowHolder(a address.Address) (id, recipient uint64, approved []uint64, ab *Abort) {
	id, err := s.Lookup(a)
	if err != nil {
		return 0, 0, nil, Abortf(ExitIllegalArgument, "failed to resolve address %s", a)
	}
	switch s.Actors[id].Kind {
	case KindMiner:
		mc, ok := s.minerControl(id)
		if !ok {
			return 0, 0, nil, Abortf(ExitIllegalState, "miner %d has no info", id)
		}
		return id, mc.Owner, []uint64{mc.Owner, mc.Worker}, nil
	case KindAccount:
		return id, id, []uint64{id}, nil
	}
	return 0, 0, nil, Abortf(ExitIllegalArgument, "%s is neither a miner nor an account", a)
}

// marketAddBalance is AddBalance (2, and its exported number): the message
// value, already transferred to the market, is credited to the escrow of
// the address in the params; any caller may pay. A value ≤ 0 or an
// address that is not a miner or an account is ExitIllegalArgument.
func (s *State) marketAddBalance(c *Call) ([]byte, *Abort) {
	var p actors.AddBalanceParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if c.Value.Sign() <= 0 {
		return nil, Abortf(ExitIllegalArgument, "balance to add must be greater than zero was: %s", c.Value.AttoString())
	}
	id, _, _, ab := s.escrowHolder(p.ProviderOrClient)
	if ab != nil {
		return nil, ab
	}
	addTo(s.Market.Escrow, id, c.Value)
	return nil, nil
}

// marketWithdrawBalance is WithdrawBalance (3, and its exported number): it
// pays min(amount, available) of the escrow to its recipient and returns
// the amount paid (a bare big int). The caller must be the client itself,
// or the miner's owner or worker, and a miner's funds go to its owner
// (ExitForbidden otherwise); a negative amount or an address that is not a
// miner or an account is ExitIllegalArgument.
func (s *State) marketWithdrawBalance(c *Call) ([]byte, *Abort) {
	var p actors.MarketWithdrawBalanceParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if p.Amount.Sign() < 0 {
		return nil, Abortf(ExitIllegalArgument, "negative amount %s", p.Amount.AttoString())
	}
	id, recipient, approved, ab := s.escrowHolder(p.ProviderOrClientAddress)
	if ab != nil {
		return nil, ab
	}
	if !slices.Contains(approved, c.Caller) {
		return nil, Abortf(ExitForbidden, "caller f0%d may not withdraw from the escrow of %s", c.Caller, p.ProviderOrClientAddress)
	}
	if _, ok := s.Actors[recipient]; !ok {
		return nil, Abortf(ExitIllegalState, "withdrawal recipient f0%d does not exist", recipient)
	}
	avail := s.Market.available(id)
	if avail.Sign() < 0 {
		return nil, Abortf(ExitIllegalState, "escrow of f0%d is below its locked funds", id)
	}
	out := big.TokenAmount{Int: big.Min(p.Amount.Int, avail.Int)}
	ret, ab := cborBytes(&actors.WithdrawBalanceReturn{AmountWithdrawn: out})
	if ab != nil {
		return nil, ab
	}
	addTo(s.Market.Escrow, id, out.Neg())
	s.transfer(MarketID, recipient, out)
	return ret, nil
}
