package state

import (
	"fmt"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
)

// checkMutableDeclarations validates termination or extension targets: at
// most 3000 (ExitIllegalArgument), each a deadline in range
// (ExitIllegalArgument) that is mutable now, i.e. neither open nor next
// (ExitIllegalArgument), a partition that exists (ExitNotFound), and
// sectors all live in it (ExitIllegalArgument). Declarations naming the
// same partition are merged.
func (s *State) checkMutableDeclarations(m *Miner, now int64, ds []actors.FaultDeclaration, what string) ([]minerDeclaration, *Abort) {
	pol := s.Policy
	if len(ds) > declarationsMax {
		return nil, Abortf(ExitIllegalArgument, "too many %s declarations: %d, max %d", what, len(ds), declarationsMax)
	}
	var out []minerDeclaration
	index := map[[2]uint64]int{}
	for _, d := range ds {
		if d.Deadline >= pol.WPoStPeriodDeadlines {
			return nil, Abortf(ExitIllegalArgument, "invalid deadline %d of %d", d.Deadline, pol.WPoStPeriodDeadlines)
		}
		if !pol.deadlineMutable(m.ProvingPeriodStart, d.Deadline, now) {
			return nil, Abortf(ExitIllegalArgument, "cannot %s sectors in immutable deadline %d", what, d.Deadline)
		}
		dl := m.Deadlines[d.Deadline]
		if d.Partition >= uint64(len(dl.Partitions)) {
			return nil, Abortf(ExitNotFound, "no such partition %d in deadline %d", d.Partition, d.Deadline)
		}
		if !bitfield.Subtract(d.Sectors, dl.Partitions[d.Partition].live()).IsEmpty() {
			return nil, Abortf(ExitIllegalArgument, "can only %s live sectors of partition %d of deadline %d", what, d.Partition, d.Deadline)
		}
		k := [2]uint64{d.Deadline, d.Partition}
		if i, ok := index[k]; ok {
			out[i].sectors = bitfield.Union(out[i].sectors, d.Sectors)
			continue
		}
		index[k] = len(out)
		out = append(out, minerDeclaration{deadline: d.Deadline, partition: d.Partition, sectors: d.Sectors})
	}
	return out, nil
}

// minerTerminateSectors is TerminateSectors (9): the caller must be the
// owner, worker or a control address (ExitForbidden); declarations as
// checkMutableDeclarations. The market is told first
// (OnMinerSectorsTerminate with the current epoch and the sectors, so it
// ends their deals); if it aborts, so does the message, with its code.
// The sectors then leave the miner: their infos are deleted, they join
// their partitions' Terminated sets, their power goes and their pledge is
// unlocked (the devnet charges no termination fee). Always Done.
func (s *State) minerTerminateSectors(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.TerminateSectorsParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if !m.controlling(c.Caller) {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner, worker or a control address", c.Caller)
	}
	ds, ab := s.checkMutableDeclarations(m, c.Env.Epoch, p.Terminations, "terminate")
	if ab != nil {
		return nil, ab
	}
	ret, ab := cborBytes(&actors.TerminateSectorsReturn{Done: true})
	if ab != nil {
		return nil, ab
	}
	n := m.clone()
	all, err := n.terminate(ds)
	if err != nil {
		return nil, Abortf(ExitIllegalState, "%v", err)
	}
	if !all.IsEmpty() {
		if ab := s.notifyTerminated(c.Env, c.Receiver, c.Origin, all); ab != nil {
			return nil, ab
		}
	}
	s.commitMiner(c.Receiver, n)
	return ret, nil
}

// terminate removes the declared live sectors from m (which must be a
// clone the caller owns) and returns them all.
func (m *Miner) terminate(ds []minerDeclaration) (bitfield.BitField, error) {
	var sets []bitfield.BitField
	for _, d := range ds {
		part := m.Deadlines[d.deadline].Partitions[d.partition]
		gone := bitfield.Intersect(d.sectors, part.live())
		err := gone.ForEach(func(n uint64) error {
			si := m.Sectors[n]
			if si == nil {
				return errMissingSector(n)
			}
			m.InitialPledge = m.InitialPledge.Sub(si.InitialPledge)
			delete(m.Sectors, n)
			return nil
		})
		if err != nil {
			return bitfield.BitField{}, err
		}
		part.terminate(gone)
		sets = append(sets, gone)
	}
	return bitfield.Union(sets...), nil
}

// notifyTerminated tells the market that sectors of a miner were
// terminated (OnMinerSectorsTerminate).
func (s *State) notifyTerminated(env *Env, miner uint64, origin address.Address, sectors bitfield.BitField) *Abort {
	params, ab := cborBytes(&actors.OnMinerSectorsTerminateParams{Epoch: env.Epoch, Sectors: sectors})
	if ab != nil {
		return ab
	}
	_, ab = s.invoke(&Call{Env: env, Caller: miner, Origin: origin, Receiver: MarketID,
		Method: uint64(actors.MarketOnMinerSectorsTerminate), Params: params})
	return ab
}

// minerExtendSectorExpiration2 is ExtendSectorExpiration2 (32): the caller
// must be the owner, worker or a control address (ExitForbidden);
// extensions as checkMutableDeclarations; ExitIllegalArgument for any
// SectorsWithClaims (the devnet has no verified claims) and for a new
// expiration before a sector's current one or failing the expiration
// bounds from the sector's activation (at least Policy.MinSectorExpiration
// after it, at most Policy.MaxSectorExpirationExtension after now).
func (s *State) minerExtendSectorExpiration2(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.ExtendSectorExpiration2Params
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if !m.controlling(c.Caller) {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner, worker or a control address", c.Caller)
	}
	decls := make([]actors.FaultDeclaration, len(p.Extensions))
	for i, x := range p.Extensions {
		if len(x.SectorsWithClaims) > 0 {
			return nil, Abortf(ExitIllegalArgument, "sectors with claims: the devnet has no verified claims")
		}
		decls[i] = actors.FaultDeclaration{Deadline: x.Deadline, Partition: x.Partition, Sectors: x.Sectors}
	}
	if _, ab := s.checkMutableDeclarations(m, c.Env.Epoch, decls, "extend"); ab != nil {
		return nil, ab
	}
	newExp := map[uint64]int64{}
	for _, x := range p.Extensions {
		err := x.Sectors.ForEach(func(n uint64) error {
			si := m.Sectors[n]
			if si == nil {
				return errMissingSector(n)
			}
			exp, cur := x.NewExpiration, si.Expiration
			if prev, ok := newExp[n]; ok {
				cur = prev // extended by an earlier declaration
			}
			if exp < cur {
				return Abortf(ExitIllegalArgument, "cannot reduce sector %d's expiration to %d from %d", n, exp, cur)
			}
			if ab := s.Policy.checkExpiration(c.Env.Epoch, si.Activation, exp); ab != nil {
				return ab
			}
			newExp[n] = exp
			return nil
		})
		if ab, ok := err.(*Abort); ok {
			return nil, ab
		}
		if err != nil {
			return nil, Abortf(ExitNotFound, "%v", err)
		}
	}
	n := m.clone()
	for num, exp := range newExp {
		si := *n.Sectors[num]
		si.Expiration = exp
		n.Sectors[num] = &si
	}
	s.commitMiner(c.Receiver, n)
	return nil, nil
}

// errMissingSector reports a live sector without an info, a broken
// invariant.
func errMissingSector(n uint64) error {
	return fmt.Errorf("sector %d has no on-chain info", n)
}

// burn moves funds to the burnt-funds actor.
func (s *State) burn(from uint64, v big.TokenAmount) {
	s.transfer(from, BurntFundsID, v)
}
