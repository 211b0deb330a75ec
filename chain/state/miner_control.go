package state

import (
	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
)

// This file holds the miner's configuration and balance methods.

// minerControlAddresses is ControlAddresses (2): any caller; no params;
// returns the owner, worker and control addresses as ID addresses.
func (s *State) minerControlAddresses(c *Call, m *Miner) ([]byte, *Abort) {
	if ab := checkNoParams(c.Params); ab != nil {
		return nil, ab
	}
	r := actors.ControlAddressesReturn{Owner: IDAddress(m.Info.Owner), Worker: IDAddress(m.Info.Worker)}
	for _, id := range m.Info.ControlAddresses {
		r.ControlAddrs = append(r.ControlAddrs, IDAddress(id))
	}
	return cborBytes(&r)
}

// minerIsControllingAddress is the exported IsControllingAddress: any
// caller; whether the address resolves to the owner, the worker or a
// control address.
func (s *State) minerIsControllingAddress(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.IsControllingAddressParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	r := actors.IsControllingAddressReturn{}
	if id, err := s.Lookup(p.Address); err == nil {
		r.IsControlling = m.controlling(id)
	}
	return cborBytes(&r)
}

// minerChangeWorkerAddress is ChangeWorkerAddress (3): the owner only
// (ExitForbidden); the new worker must be an account with a key
// (resolveWorker) and every control address an account
// (ExitIllegalArgument). The control addresses are replaced at once; a new
// worker is queued to take effect Policy.ChainFinality epochs later (the
// network's WorkerKeyChangeDelay) once ConfirmChangeWorkerAddress is
// called. A change already pending is kept, as the network does.
func (s *State) minerChangeWorkerAddress(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.ChangeWorkerAddressParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if c.Caller != m.Info.Owner {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner f0%d", c.Caller, m.Info.Owner)
	}
	worker, ab := s.resolveWorker(p.NewWorker)
	if ab != nil {
		return nil, ab
	}
	controls, ab := s.resolveControls(p.NewControlAddrs)
	if ab != nil {
		return nil, ab
	}
	n := m.clone()
	n.Info.ControlAddresses = controls
	if worker != n.Info.Worker && n.Info.PendingWorkerKey == nil {
		n.Info.PendingWorkerKey = &WorkerKeyChange{NewWorker: worker, EffectiveAt: c.Env.Epoch + s.Policy.ChainFinality}
	}
	s.commitMiner(c.Receiver, n)
	return nil, nil
}

// minerConfirmChangeWorkerAddress is ConfirmChangeWorkerAddress (21): the
// owner only (ExitForbidden); no params. It makes the pending worker the
// worker. With no change pending it aborts with ExitIllegalArgument, before
// the change's epoch with ExitForbidden (the network returns without effect
// in both cases; the devnet says why instead).
func (s *State) minerConfirmChangeWorkerAddress(c *Call, m *Miner) ([]byte, *Abort) {
	if ab := checkNoParams(c.Params); ab != nil {
		return nil, ab
	}
	if c.Caller != m.Info.Owner {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner f0%d", c.Caller, m.Info.Owner)
	}
	k := m.Info.PendingWorkerKey
	if k == nil {
		return nil, Abortf(ExitIllegalArgument, "no pending key change")
	}
	if c.Env.Epoch < k.EffectiveAt {
		return nil, Abortf(ExitForbidden, "too early for key change: current epoch %d, change at %d", c.Env.Epoch, k.EffectiveAt)
	}
	n := m.clone()
	n.Info.Worker = k.NewWorker
	n.Info.PendingWorkerKey = nil
	s.commitMiner(c.Receiver, n)
	return nil, nil
}

// minerChangePeerID is ChangePeerID (4): owner, worker or control
// (ExitForbidden); a peer ID of at most 128 bytes (ExitIllegalArgument).
func (s *State) minerChangePeerID(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.ChangePeerIDParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if ab := checkPeerInfo(p.NewID, nil); ab != nil {
		return nil, ab
	}
	if !m.controlling(c.Caller) {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner, worker or a control address", c.Caller)
	}
	n := m.clone()
	n.Info.PeerID = append([]byte(nil), p.NewID...)
	s.commitMiner(c.Receiver, n)
	return nil, nil
}

// minerChangeMultiaddrs is ChangeMultiaddrs (18): owner, worker or control
// (ExitForbidden); non-empty multiaddrs of at most 1024 bytes in all
// (ExitIllegalArgument).
func (s *State) minerChangeMultiaddrs(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.ChangeMultiaddrsParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if ab := checkPeerInfo(nil, p.NewMultiaddrs); ab != nil {
		return nil, ab
	}
	if !m.controlling(c.Caller) {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner, worker or a control address", c.Caller)
	}
	n := m.clone()
	n.Info.Multiaddrs = nil
	for _, a := range p.NewMultiaddrs {
		n.Info.Multiaddrs = append(n.Info.Multiaddrs, append([]byte(nil), a...))
	}
	s.commitMiner(c.Receiver, n)
	return nil, nil
}

// minerWithdrawBalance is WithdrawBalance (16): a negative amount aborts
// with ExitIllegalArgument, a caller other than the owner (the devnet's
// only beneficiary) with ExitForbidden. It sends the owner the requested
// amount or, if less, the available balance (neither pre-commit deposits
// nor pledge), and returns the amount sent.
func (s *State) minerWithdrawBalance(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.MinerWithdrawBalanceParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if p.AmountRequested.Sign() < 0 {
		return nil, Abortf(ExitIllegalArgument, "negative fund requested for withdrawal: %s", p.AmountRequested.AttoString())
	}
	if c.Caller != m.Info.Owner {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner f0%d", c.Caller, m.Info.Owner)
	}
	avail := m.available(s.Actors[c.Receiver].Balance)
	if avail.Sign() < 0 {
		return nil, Abortf(exitBalanceInvariantsBroken, "available balance %s is negative", avail.AttoString())
	}
	amount := p.AmountRequested
	if avail.Cmp(amount) < 0 {
		amount = avail
	}
	ret, ab := cborBytes(&actors.WithdrawBalanceReturn{AmountWithdrawn: amount})
	if ab != nil {
		return nil, ab
	}
	s.transfer(c.Receiver, m.Info.Owner, amount)
	return ret, nil
}

// idAddresses turns actor IDs into ID addresses.
func idAddresses(ids []uint64) []address.Address {
	var as []address.Address
	for _, id := range ids {
		as = append(as, IDAddress(id))
	}
	return as
}
