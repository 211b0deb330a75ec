package state

import (
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
)

// TestMiner_Lifecycle walks a miner through its life with real proofs:
// create → pre-commit → wait → prove → sectors in deadlines → WindowPoSt
// → a missed deadline makes them faulty → recovery declared → proven
// again → terminated → gone, checking the views, the power and the total
// balance (f.check) on the way.
func TestMiner_Lifecycle(t *testing.T) {
	f := newMinerFixture(t)
	f.createMiner()
	if info, err := f.s.MinerInfo(f.minerAddr); err != nil || info.Owner != IDAddress(f.owner) || len(info.ControlAddresses) != 1 {
		t.Fatalf("miner info %+v %v", info, err)
	}
	f.preCommit(1, 2, 3)
	if pc, _ := f.s.PreCommitInfo(f.minerAddr, 2); pc == nil || pc.PreCommitEpoch != f.epoch {
		t.Fatalf("pre-commit %+v", pc)
	}
	f.advance(f.epoch + f.s.Policy.PreCommitChallengeDelay + 1)
	f.prove(1, 2, 3)
	if pc, _ := f.s.PreCommitInfo(f.minerAddr, 2); pc != nil {
		t.Fatal("pre-commit still there after proving")
	}
	si, err := f.s.SectorInfo(f.minerAddr, 2)
	if err != nil || si == nil || si.Activation != f.epoch {
		t.Fatalf("sector info %+v %v", si, err)
	}
	if p, _ := f.s.MinerPower(f.minerAddr); !p.MinerPower.RawBytePower.IsZero() || p.HasMinPower {
		t.Fatalf("unproven sectors have power %+v", p)
	}

	// The first WindowPoSt of each deadline gives the sectors power.
	f.advancePastClose()
	f.proveAllOnce()
	p, _ := f.s.MinerPower(f.minerAddr)
	if want := big.NewInt(3 * 2048); !p.MinerPower.RawBytePower.Equals(want) || !p.TotalPower.RawBytePower.Equals(want) || !p.HasMinPower {
		t.Fatalf("power %+v, want %s", p, want)
	}

	// Sector 1's deadline passes without a proof: its sectors turn faulty.
	dl1, part1 := f.deadlineOf(1)
	f.proveUntilOpen(dl1)
	f.advancePastClose()
	faults, _ := f.s.Faults(f.minerAddr)
	inDl := f.m().Deadlines[dl1].Partitions[part1].live()
	if !faults.Equal(inDl) || faults.IsEmpty() {
		t.Fatalf("faults %v, want %v", faults, inDl)
	}
	p, _ = f.s.MinerPower(f.minerAddr)
	if want := big.NewInt(int64(3-inDl.Count()) * 2048); !p.MinerPower.RawBytePower.Equals(want) {
		t.Fatalf("power after the fault %s, want %s", p.MinerPower.RawBytePower, want)
	}

	// Declared recovered, then proven in the deadline: healthy again.
	f.mustCall(f.worker, actors.MinerDeclareFaultsRecovered, &actors.DeclareFaultsRecoveredParams{
		Recoveries: []actors.FaultDeclaration{{Deadline: dl1, Partition: part1, Sectors: inDl}}})
	if rec, _ := f.s.Recoveries(f.minerAddr); !rec.Equal(inDl) {
		t.Fatalf("recoveries %v", rec)
	}
	f.proveUntilOpen(dl1)
	f.submitPoSt()
	if faults, _ := f.s.Faults(f.minerAddr); !faults.IsEmpty() {
		t.Fatalf("faults after recovery %v", faults)
	}
	p, _ = f.s.MinerPower(f.minerAddr)
	if want := big.NewInt(3 * 2048); !p.MinerPower.RawBytePower.Equals(want) {
		t.Fatalf("power after recovery %s", p.MinerPower.RawBytePower)
	}

	// Terminate sector 1 once its deadline is mutable again.
	f.advancePastClose()
	f.proveUntilOpen((dl1 + 2) % f.s.Policy.WPoStPeriodDeadlines)
	pledge := f.m().InitialPledge
	f.mustCall(f.worker, actors.MinerTerminateSectors, &actors.TerminateSectorsParams{
		Terminations: []actors.FaultDeclaration{{Deadline: dl1, Partition: part1, Sectors: bitfield.NewFromSet([]uint64{1})}}})
	if si, _ := f.s.SectorInfo(f.minerAddr, 1); si != nil {
		t.Fatal("terminated sector still has an info")
	}
	if got := pledge.Sub(f.m().InitialPledge); !got.Equals(f.s.Policy.initialPledge(2048).Int) {
		t.Fatalf("pledge unlocked %s", got)
	}
	secs, _ := f.s.Sectors(f.minerAddr, nil)
	if len(secs) != 2 {
		t.Fatalf("%d sectors left", len(secs))
	}
	parts, _ := f.s.Partitions(f.minerAddr, dl1)
	if parts[part1].LiveSectors.IsSet(1) || !parts[part1].AllSectors.IsSet(1) {
		t.Fatalf("partition after termination %+v", parts[part1])
	}
	p, _ = f.s.MinerPower(f.minerAddr)
	if want := big.NewInt(2 * 2048); !p.MinerPower.RawBytePower.Equals(want) {
		t.Fatalf("power after termination %s", p.MinerPower.RawBytePower)
	}

	// The owner withdraws what is not locked.
	avail := f.m().available(f.s.Actors[f.miner].Balance)
	ret := f.mustCall(f.owner, actors.MinerWithdrawBalance, &actors.MinerWithdrawBalanceParams{AmountRequested: big.FromFIL(1000)})
	var w actors.WithdrawBalanceReturn
	if err := actors.DecodeReturn(ret, &w); err != nil || !w.AmountWithdrawn.Equals(avail.Int) {
		t.Fatalf("withdrew %+v (%v), available %s", w, err, avail)
	}
	// Two more periods proven: nothing changes.
	f.proveUntilOpen(dl1)
	f.proveUntilOpen((dl1 + 3) % f.s.Policy.WPoStPeriodDeadlines)
	if faults, _ := f.s.Faults(f.minerAddr); !faults.IsEmpty() {
		t.Fatalf("faults %v", faults)
	}
}

// TestMiner_PoStPartitions proves deadlines of several partitions whose
// sector numbers interleave, listing the partitions in reverse: the proof
// covers the sectors in ascending number.
func TestMiner_PoStPartitions(t *testing.T) {
	f := newMinerFixture(t)
	f.createMiner()
	f.onboard(7, 8)
	f.onboard(1, 2, 3, 4)
	f.advancePastClose()
	f.proveAllOnce()
	if raw, _ := f.m().power(); !raw.Equals(big.NewInt(6 * 2048)) {
		t.Fatalf("power %s", raw)
	}
	multi := -1
	for i, d := range f.m().Deadlines {
		if len(d.Partitions) > 1 {
			multi = i
		}
	}
	if multi < 0 {
		t.Fatal("no deadline with several partitions")
	}
	f.proveUntilOpen(uint64(multi))
	n := len(f.m().Deadlines[multi].Partitions)
	var parts []uint64
	for i := n - 1; i >= 0; i-- {
		parts = append(parts, uint64(i))
	}
	f.mustCall(f.worker, actors.MinerSubmitWindowedPoSt, f.postParams(parts, bitfield.New()))
	if posted := f.m().Deadlines[multi].PartitionsPoSted.Count(); posted != uint64(n) {
		t.Fatalf("%d of %d partitions proven", posted, n)
	}
}
