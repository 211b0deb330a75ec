package state

import (
	"sort"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
)

// minerCron is the miners' end-of-epoch work at env.Epoch, miner by miner
// in ID order (the network's deferred cron events, which the power actor's
// cron tick delivers at each deadline's last epoch):
//
//  1. Pre-commits not proven within Policy.MaxProveCommitDuration expire
//     (at the end of epoch PreCommitEpoch + MaxProveCommitDuration, the
//     last one a prove-commit is accepted at; the network waits a further
//     clean-up delay) and their deposits are burned.
//  2. At the last epoch of the miner's current deadline the deadline
//     closes: partitions without a WindowPoSt this period have all their
//     live sectors marked faulty (unproven ones included; declared
//     recoveries are dropped); live sectors whose expiration has come
//     leave (on time: their pledge is unlocked, the market is not told,
//     as on the network), and so do sectors faulty since longer than
//     Policy.FaultMaxAge (early: the market is told with
//     OnMinerSectorsTerminate, whose failure cron ignores); the proven
//     set is cleared and the miner moves to its next deadline, and to its
//     next proving period after the last deadline. Deadlines skipped by
//     null rounds are closed in turn.
func (s *State) minerCron(env *Env) {
	ids := make([]uint64, 0, len(s.Miners))
	for id := range s.Miners {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		s.minerCronOne(env, id)
	}
}

func (s *State) minerCronOne(env *Env, id uint64) {
	pol := s.Policy
	m := s.Miners[id]
	var expired []uint64
	for num, pc := range m.PreCommits {
		if env.Epoch >= pc.PreCommitEpoch+pol.MaxProveCommitDuration {
			expired = append(expired, num)
		}
	}
	dl := types.NewDeadlineInfo(m.ProvingPeriodStart, m.CurrentDeadline, env.Epoch, pol.deadlineParams())
	// A miner without deadlines (a bare state built by hand, as tests of
	// other actors do) has only pre-commits to expire.
	proving := uint64(len(m.Deadlines)) == pol.WPoStPeriodDeadlines && m.CurrentDeadline < pol.WPoStPeriodDeadlines
	if len(expired) == 0 && (!proving || env.Epoch < dl.Last()) {
		return
	}

	n := m.clone()
	burned := big.TokenAmount{}
	sort.Slice(expired, func(i, j int) bool { return expired[i] < expired[j] })
	for _, num := range expired {
		burned = burned.Add(n.PreCommits[num].PreCommitDeposit)
		delete(n.PreCommits, num)
	}
	n.PreCommitDeposits = n.PreCommitDeposits.Sub(burned)

	var early []bitfield.BitField
	for proving && env.Epoch >= dl.Last() {
		early = append(early, n.closeDeadline(pol, dl))
		n.CurrentDeadline++
		if n.CurrentDeadline == pol.WPoStPeriodDeadlines {
			n.CurrentDeadline = 0
			n.ProvingPeriodStart += pol.ProvingPeriod()
		}
		dl = types.NewDeadlineInfo(n.ProvingPeriodStart, n.CurrentDeadline, env.Epoch, pol.deadlineParams())
	}

	s.commitMiner(id, n)
	s.burn(id, burned)
	if all := bitfield.Union(early...); !all.IsEmpty() {
		// Cron cannot fail: a market that refuses keeps its deals until
		// its own cron finds them.
		_ = s.notifyTerminated(env, id, IDAddress(SystemID), all)
	}
}

// closeDeadline does the work of a deadline's close on m (a clone the
// caller owns) and returns the sectors terminated early.
func (m *Miner) closeDeadline(pol Policy, dl types.DeadlineInfo) bitfield.BitField {
	d := m.Deadlines[dl.Index]
	faultExpiry := dl.Last() + pol.FaultMaxAge
	var earlySets []bitfield.BitField
	for j, part := range d.Partitions {
		if !d.PartitionsPoSted.IsSet(uint64(j)) {
			part.Recoveries = bitfield.New()
			part.addFaults(bitfield.Subtract(part.live(), part.Faults), faultExpiry)
			part.Unproven = bitfield.New()
		}
		var onTime, early []uint64
		_ = part.live().ForEach(func(n uint64) error {
			si := m.Sectors[n]
			switch {
			case si != nil && si.Expiration <= dl.Last():
				onTime = append(onTime, n)
			case part.Faults.IsSet(n) && part.FaultExpirations[n] <= dl.Last():
				early = append(early, n)
			}
			return nil
		})
		gone := bitfield.NewFromSet(append(onTime, early...))
		if gone.IsEmpty() {
			continue
		}
		_ = gone.ForEach(func(n uint64) error {
			if si := m.Sectors[n]; si != nil {
				m.InitialPledge = m.InitialPledge.Sub(si.InitialPledge)
				delete(m.Sectors, n)
			}
			return nil
		})
		part.terminate(gone)
		earlySets = append(earlySets, bitfield.NewFromSet(early))
	}
	d.PartitionsPoSted = bitfield.New()
	return bitfield.Union(earlySets...)
}
