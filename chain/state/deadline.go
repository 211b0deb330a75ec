package state

import (
	"sort"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/bitfield"
)

// This file holds a miner's proving structure: the deadlines of its proving
// period, their partitions, and the deadline arithmetic of the network's
// miner actor (builtin-actors actors/miner/src/deadlines.rs, dline.Info).

// MinerDeadline is one of a miner's WPoStPeriodDeadlines deadlines.
type MinerDeadline struct {
	// Partitions are the deadline's partitions in index order; a new
	// sector fills the last one up to WindowPoStPartitionSectors sectors
	// (terminated sectors included, as the network counts them until
	// compaction, which the devnet does not implement).
	Partitions []*MinerPartition
	// PartitionsPoSted are the partitions proven in the deadline's current
	// challenge window; cleared when the deadline closes.
	PartitionsPoSted bitfield.BitField
}

// MinerPartition is a set of sectors proven together (the network's
// Partition without its expiration queues and power sums, which the devnet
// derives from the sets).
//
// Invariants: Unproven, Faults and Terminated are subsets of Sectors;
// Faults and Terminated are disjoint, as are Unproven and Terminated;
// Recoveries is a subset of Faults; FaultExpirations has exactly the
// sectors of Faults as keys.
type MinerPartition struct {
	// Sectors is every sector ever assigned to the partition.
	Sectors bitfield.BitField
	// Unproven are sectors activated but not yet covered by a WindowPoSt;
	// they have no power until then.
	Unproven bitfield.BitField
	// Faults are sectors declared or detected faulty; they have no power.
	Faults bitfield.BitField
	// Recoveries are faulty sectors declared recovered, to be proven in
	// the next WindowPoSt of the deadline.
	Recoveries bitfield.BitField
	// Terminated are sectors no longer in the partition's live set; their
	// infos are gone from the miner's Sectors.
	Terminated bitfield.BitField
	// FaultExpirations give, for each faulty sector, the epoch at whose
	// deadline close it is terminated if still faulty: the last epoch of
	// the deadline in which it became faulty plus Policy.FaultMaxAge (the
	// network's early expiration of faulty sectors).
	FaultExpirations map[uint64]int64
}

// live are the partition's sectors that have not been terminated.
func (p *MinerPartition) live() bitfield.BitField {
	return bitfield.Subtract(p.Sectors, p.Terminated)
}

// active are the live sectors that have power: neither faulty nor
// unproven (lotus api.Partition ActiveSectors).
func (p *MinerPartition) active() bitfield.BitField {
	return bitfield.Subtract(p.live(), bitfield.Union(p.Faults, p.Unproven))
}

// clone copies p; bitfields are immutable and shared.
func (p *MinerPartition) clone() *MinerPartition {
	c := *p
	if p.FaultExpirations != nil {
		c.FaultExpirations = make(map[uint64]int64, len(p.FaultExpirations))
		for k, v := range p.FaultExpirations {
			c.FaultExpirations[k] = v
		}
	}
	return &c
}

// addFaults makes sectors (live sectors of p, not already faulty) faulty,
// terminating them at expiry unless they recover first. Recoveries among
// them are dropped.
func (p *MinerPartition) addFaults(sectors bitfield.BitField, expiry int64) {
	fresh := bitfield.Subtract(bitfield.Intersect(sectors, p.live()), p.Faults)
	p.Recoveries = bitfield.Subtract(p.Recoveries, sectors)
	if fresh.IsEmpty() {
		return
	}
	p.Faults = bitfield.Union(p.Faults, fresh)
	if p.FaultExpirations == nil {
		p.FaultExpirations = map[uint64]int64{}
	}
	_ = fresh.ForEach(func(n uint64) error {
		p.FaultExpirations[n] = expiry
		return nil
	})
}

// removeFaults makes sectors healthy again.
func (p *MinerPartition) removeFaults(sectors bitfield.BitField) {
	gone := bitfield.Intersect(p.Faults, sectors)
	p.Faults = bitfield.Subtract(p.Faults, gone)
	p.Recoveries = bitfield.Subtract(p.Recoveries, gone)
	_ = gone.ForEach(func(n uint64) error {
		delete(p.FaultExpirations, n)
		return nil
	})
	if len(p.FaultExpirations) == 0 {
		p.FaultExpirations = nil
	}
}

// terminate moves live sectors of p to Terminated.
func (p *MinerPartition) terminate(sectors bitfield.BitField) {
	p.removeFaults(sectors)
	p.Unproven = bitfield.Subtract(p.Unproven, sectors)
	p.Terminated = bitfield.Union(p.Terminated, bitfield.Intersect(sectors, p.Sectors))
}

// clone copies d and its partitions.
func (d *MinerDeadline) clone() *MinerDeadline {
	c := &MinerDeadline{PartitionsPoSted: d.PartitionsPoSted}
	if d.Partitions != nil {
		c.Partitions = make([]*MinerPartition, len(d.Partitions))
		for i, p := range d.Partitions {
			c.Partitions[i] = p.clone()
		}
	}
	return c
}

// liveCount is the number of live sectors in d.
func (d *MinerDeadline) liveCount() uint64 {
	var n uint64
	for _, p := range d.Partitions {
		n += p.live().Count()
	}
	return n
}

// addSectors adds new, unproven sectors to d, filling its last partition
// up to size sectors before opening another.
func (d *MinerDeadline) addSectors(numbers []uint64, size uint64) {
	for len(numbers) > 0 {
		var p *MinerPartition
		if n := len(d.Partitions); n > 0 && d.Partitions[n-1].Sectors.Count() < size {
			p = d.Partitions[n-1]
		} else {
			p = &MinerPartition{}
			d.Partitions = append(d.Partitions, p)
		}
		room := size - p.Sectors.Count()
		take := numbers
		if uint64(len(take)) > room {
			take = numbers[:room]
		}
		add := bitfield.NewFromSet(take)
		p.Sectors = bitfield.Union(p.Sectors, add)
		p.Unproven = bitfield.Union(p.Unproven, add)
		numbers = numbers[len(take):]
	}
}

// deadlineParams are the DeadlineInfo constants of a policy.
func (p Policy) deadlineParams() types.DeadlineParams {
	return types.DeadlineParams{
		PeriodDeadlines:        p.WPoStPeriodDeadlines,
		ProvingPeriod:          p.ProvingPeriod(),
		ChallengeWindow:        p.WPoStChallengeWindow,
		ChallengeLookback:      p.WPoStChallengeLookback,
		FaultDeclarationCutoff: p.FaultDeclarationCutoff,
	}
}

// quantizeDown returns the greatest epoch ≤ e congruent to offset modulo
// unit (the network's QuantSpec.quantize_down).
func quantizeDown(e, unit, offset int64) int64 {
	off := offset % unit
	if off < 0 {
		off += unit
	}
	r := (e - off) % unit
	if r < 0 {
		r += unit
	}
	return e - r
}

// currentDeadline is the deadline open at epoch for a miner whose proving
// periods start at epochs congruent to periodStart (the network's
// State.deadline_info, new_deadline_info_from_offset_and_epoch). Its
// period has always started.
func (p Policy) currentDeadline(periodStart, epoch int64) types.DeadlineInfo {
	start := quantizeDown(epoch, p.ProvingPeriod(), periodStart)
	idx := uint64((epoch - start) / p.WPoStChallengeWindow)
	return types.NewDeadlineInfo(start, idx, epoch, p.deadlineParams())
}

// declarationDeadline is the next occurrence, not yet closed at epoch, of
// deadline idx (the network's declaration_deadline_info): the deadline a
// fault or recovery declared now for that index is about.
func (p Policy) declarationDeadline(periodStart int64, idx uint64, epoch int64) types.DeadlineInfo {
	start := p.currentDeadline(periodStart, epoch).PeriodStart
	return types.NewDeadlineInfo(start, idx, epoch, p.deadlineParams()).NextNotElapsed()
}

// deadlineMutable reports whether deadline idx may have sectors added,
// terminated or extended at epoch: only if its next occurrence opens at
// least a challenge window from now, so the current and the next deadline
// never are (the network's deadline_is_mutable).
func (p Policy) deadlineMutable(periodStart int64, idx uint64, epoch int64) bool {
	dl := p.declarationDeadline(periodStart, idx, epoch)
	return epoch < dl.Open-p.WPoStChallengeWindow
}

// assignSectors assigns newly activated sectors to deadlines at epoch, in
// sector-number order: each goes to the mutable deadline with the fewest
// live sectors (lowest index on ties), a simplification of the network's
// assign_deadlines heap that balances the same way for uniform sectors.
// With fewer than three deadlines none is ever mutable; the devnet then
// considers every deadline but the open one (or all, with one deadline).
func (m *Miner) assignSectors(p Policy, epoch int64, numbers []uint64) {
	if len(numbers) == 0 {
		return
	}
	sorted := append([]uint64(nil), numbers...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var candidates []uint64
	for i := range m.Deadlines {
		if p.deadlineMutable(m.ProvingPeriodStart, uint64(i), epoch) {
			candidates = append(candidates, uint64(i))
		}
	}
	if len(candidates) == 0 {
		open := p.currentDeadline(m.ProvingPeriodStart, epoch).Index
		for i := range m.Deadlines {
			if uint64(i) != open || len(m.Deadlines) == 1 {
				candidates = append(candidates, uint64(i))
			}
		}
	}
	live := make(map[uint64]uint64, len(candidates))
	for _, i := range candidates {
		live[i] = m.Deadlines[i].liveCount()
	}
	perDeadline := map[uint64][]uint64{}
	for _, n := range sorted {
		best := candidates[0]
		for _, i := range candidates[1:] {
			if live[i] < live[best] {
				best = i
			}
		}
		live[best]++
		perDeadline[best] = append(perDeadline[best], n)
	}
	for _, i := range candidates {
		if ns := perDeadline[i]; len(ns) > 0 {
			m.Deadlines[i].addSectors(ns, m.Info.WindowPoStPartitionSectors)
		}
	}
}

// sectorLocation finds the deadline and partition of a sector.
func (m *Miner) sectorLocation(n uint64) (dl, part uint64, ok bool) {
	for i, d := range m.Deadlines {
		for j, p := range d.Partitions {
			if p.Sectors.IsSet(n) {
				return uint64(i), uint64(j), true
			}
		}
	}
	return 0, 0, false
}
