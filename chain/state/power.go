package state

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
)

// Power is the storage power actor's state: every miner's claim and their
// totals.
//
// Simplifications (the devnet has no reward actor, consensus-fault or
// pledge-total bookkeeping): a miner's claim is derived from its sectors
// whenever they change (the network's UpdateClaimedPower, which miners call,
// has no external use); raw and quality-adjusted power are equal, since
// there are no verified deals; every claim counts towards the totals and a
// miner meets the consensus minimum as soon as it has any power (the devnet
// bundle's minimum for 2 KiB sectors is one sector).
type Power struct {
	TotalRawBytePower    big.Int
	TotalQualityAdjPower big.Int
	MinerCount           int64
	// Claims are the miners' claims by actor ID.
	Claims map[uint64]*PowerClaim
}

// PowerClaim is one miner's power.
type PowerClaim struct {
	RawBytePower    big.Int
	QualityAdjPower big.Int
}

func (p *Power) init() {
	if p.Claims == nil {
		p.Claims = map[uint64]*PowerClaim{}
	}
}

// setClaim replaces a miner's claim and adjusts the totals.
func (p *Power) setClaim(id uint64, raw, qa big.Int) {
	p.init()
	old := p.Claims[id]
	if old == nil {
		old = &PowerClaim{}
	}
	p.TotalRawBytePower = p.TotalRawBytePower.Add(raw.Sub(old.RawBytePower))
	p.TotalQualityAdjPower = p.TotalQualityAdjPower.Add(qa.Sub(old.QualityAdjPower))
	p.Claims[id] = &PowerClaim{RawBytePower: raw, QualityAdjPower: qa}
}

// powerMethod serves the power actor. Only CreateMiner (and its FRC-0042
// alias) is open to messages. The methods miners and cron call on the
// network (UpdateClaimedPower, EnrollCronEvent, CronTick,
// UpdatePledgeTotal) are done directly by the devnet's miner code and cron,
// so a message calling them is refused as the network refuses a caller of
// the wrong type (ExitForbidden); CurrentTotalPower and the exported
// getters are not served (ExitUnhandledMessage), nor are removed methods.
func (s *State) powerMethod(c *Call) ([]byte, *Abort) {
	switch actors.MethodNum(c.Method) {
	case actors.PowerCreateMiner, actors.PowerCreateMinerExported:
		return s.powerCreateMiner(c)
	case actors.PowerConstructor:
		return nil, Abortf(ExitForbidden, "power constructor: caller f0%d is not the system actor", c.Caller)
	case actors.PowerUpdateClaimedPower, actors.PowerEnrollCronEvent, actors.PowerUpdatePledgeTotal:
		return nil, Abortf(ExitForbidden, "power method %d: caller f0%d is not a miner actor the devnet lets call it", c.Method, c.Caller)
	case actors.PowerCronTick:
		return nil, Abortf(ExitForbidden, "power cron tick: caller f0%d is not the cron actor", c.Caller)
	}
	if name, removed := actors.RemovedPowerMethod(actors.MethodNum(c.Method)); removed {
		return nil, Abortf(ExitUnhandledMessage, "invalid method %d (%s was removed)", c.Method, name)
	}
	return nil, Abortf(ExitUnhandledMessage, "invalid method %d for power actor", c.Method)
}

// powerCreateMiner is CreateMiner (2): the power actor has the init actor
// create a miner actor and records an empty claim for it. Any caller may
// create a miner; the message value goes to the new miner. Checks of the
// owner, worker and proof type are the miner constructor's (newMiner).
//
// The new miner's robust address is the network's: NewActorAddress over
// the CBOR of the origin's key address, the origin's message nonce (u64
// big-endian) and the number of actors the message created before (u64
// big-endian, always 0 here). ApplyMessage bumps the nonce before invoking,
// so the message's nonce is the sender's nonce minus one.
func (s *State) powerCreateMiner(c *Call) ([]byte, *Abort) {
	var p actors.CreateMinerParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	robust, ab := s.newActorAddress(c)
	if ab != nil {
		return nil, ab
	}
	if _, taken := s.IDs[robust.String()]; taken {
		return nil, Abortf(ExitIllegalState, "actor address %s already in use", robust)
	}
	id := s.NextID
	m, ab := s.newMiner(c.Env, id, &p)
	if ab != nil {
		return nil, ab
	}
	ret, ab := cborBytes(&actors.CreateMinerReturn{IDAddress: IDAddress(id), RobustAddress: robust})
	if ab != nil {
		return nil, ab
	}
	// Validated: create the actor, move the value on, record the claim.
	if got := s.newActor(KindMiner, robust); got != id {
		panic(fmt.Sprintf("new miner got ID %d, expected %d", got, id))
	}
	s.Miners[id] = m
	s.transfer(c.Receiver, id, c.Value)
	s.Power.setClaim(id, big.Int{}, big.Int{})
	s.Power.MinerCount++
	return ret, nil
}

// newActorAddress computes the robust address of the actor a message
// creates (see powerCreateMiner).
func (s *State) newActorAddress(c *Call) (address.Address, *Abort) {
	origin := c.Origin
	var nonce uint64
	if id, err := s.Lookup(origin); err == nil {
		a := s.Actors[id]
		if origin.Protocol() == address.ID && !a.Address.Empty() {
			origin = a.Address
		}
		if a.Nonce > 0 {
			nonce = a.Nonce - 1
		}
	}
	if origin.Empty() {
		return address.Address{}, Abortf(ExitIllegalState, "message has no origin")
	}
	var buf bytes.Buffer
	if err := origin.MarshalCBOR(&buf); err != nil {
		return address.Address{}, Abortf(ExitIllegalState, "encode origin: %v", err)
	}
	var n [16]byte
	binary.BigEndian.PutUint64(n[:8], nonce)
	binary.BigEndian.PutUint64(n[8:], 0)
	buf.Write(n[:])
	a, err := address.NewActorAddress(buf.Bytes())
	if err != nil {
		return address.Address{}, Abortf(ExitIllegalState, "actor address: %v", err)
	}
	return a, nil
}

// MinerPower is StateMinerPower's answer: the miner's claim, the network's
// totals, and whether the miner may win blocks.
func (s *State) MinerPower(a address.Address) (*types.MinerPower, error) {
	id, _, err := s.minerByAddress(a)
	if err != nil {
		return nil, err
	}
	c := s.Power.Claims[id]
	if c == nil {
		c = &PowerClaim{}
	}
	return &types.MinerPower{
		MinerPower:  types.Claim{RawBytePower: c.RawBytePower, QualityAdjPower: c.QualityAdjPower},
		TotalPower:  types.Claim{RawBytePower: s.Power.TotalRawBytePower, QualityAdjPower: s.Power.TotalQualityAdjPower},
		HasMinPower: c.RawBytePower.Sign() > 0,
	}, nil
}
