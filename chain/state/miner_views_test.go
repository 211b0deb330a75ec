package state

import (
	"bytes"
	"errors"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/proof"
)

func TestMiner_Views(t *testing.T) {
	f := activeFixture(t)
	pol := f.s.Policy
	m := f.m()
	idAddr := IDAddress(f.miner)

	for _, a := range []address.Address{idAddr, f.minerAddr} {
		info, err := f.s.MinerInfo(a)
		if err != nil || info.Worker != IDAddress(f.worker) || info.SectorSize != proof.Size2KiB || info.WindowPoStPartitionSectors != 2 ||
			info.WorkerChangeEpoch != -1 || info.PeerId == nil || info.Beneficiary != IDAddress(f.owner) || len(info.Multiaddrs) != 1 {
			t.Fatalf("%s: %+v %v", a, info, err)
		}
	}

	for _, e := range []int64{f.epoch, f.epoch + 7, f.epoch + 100, m.ProvingPeriodStart - 1, 0} {
		dl, err := f.s.ProvingDeadline(idAddr, e)
		if err != nil {
			t.Fatal(err)
		}
		want := types.NewDeadlineInfo(quantizeDown(e, pol.ProvingPeriod(), m.ProvingPeriodStart), dl.Index, e, pol.deadlineParams())
		if *dl != want || !dl.IsOpen() || dl.Index >= pol.WPoStPeriodDeadlines || dl.WPoStProvingPeriod != 60 {
			t.Fatalf("epoch %d: %+v, want %+v", e, dl, want)
		}
	}

	dls, err := f.s.Deadlines(idAddr)
	if err != nil || len(dls) != 4 {
		t.Fatalf("%d deadlines, %v", len(dls), err)
	}
	dl1, part1 := f.deadlineOf(1)
	parts, err := f.s.Partitions(idAddr, dl1)
	if err != nil || len(parts) != 1 || !parts[part1].ActiveSectors.IsSet(1) || !parts[part1].AllSectors.Equal(parts[part1].LiveSectors) {
		t.Fatalf("%+v %v", parts, err)
	}
	if _, err := f.s.Partitions(idAddr, 4); err == nil {
		t.Error("partitions of deadline 4")
	}

	all, _ := f.s.Sectors(idAddr, nil)
	filter := bitfield.NewFromSet([]uint64{3, 1, 77})
	some, _ := f.s.Sectors(idAddr, &filter)
	empty := bitfield.New()
	none, _ := f.s.Sectors(idAddr, &empty)
	if len(all) != 4 || len(some) != 2 || some[0].SectorNumber != 1 || some[1].SectorNumber != 3 || len(none) != 0 {
		t.Fatalf("sectors: %d all, %d filtered, %d none", len(all), len(some), len(none))
	}
	// Answers share nothing with the state.
	before := f.snapshot()
	all[0].Expiration = -5
	all[0].DealWeight = big.NewInt(9)
	if !bytes.Equal(before, f.snapshot()) {
		t.Fatal("changing a view's answer changed the state")
	}
	if si, err := f.s.SectorInfo(idAddr, 99); si != nil || err != nil {
		t.Fatalf("absent sector: %+v %v", si, err)
	}
	if pc, err := f.s.PreCommitInfo(idAddr, 1); pc != nil || err != nil {
		t.Fatalf("absent pre-commit: %+v %v", pc, err)
	}
	pledge, err := f.s.InitialPledge(idAddr, types.SectorPreCommitInfo{SealProof: proof.StackedDrg2KiBV1_1})
	if want := pol.initialPledge(2048).Mul(big.NewInt(110)).Int.Div(big.NewInt(100)); err != nil || !pledge.Equals(want) {
		t.Fatalf("initial pledge %s (%v), want %s", pledge, err, want)
	}
	if _, err := f.s.InitialPledge(idAddr, types.SectorPreCommitInfo{SealProof: proof.StackedDrg32GiBV1_1}); err == nil {
		t.Error("initial pledge for a seal proof the miner cannot use")
	}
	if faults, err := f.s.Faults(idAddr); err != nil || !faults.IsEmpty() {
		t.Fatalf("faults %v %v", faults, err)
	}

	unknown, _ := address.NewIDAddress(424242)
	for name, view := range map[string]func(a address.Address) error{
		"MinerInfo":       func(a address.Address) error { _, err := f.s.MinerInfo(a); return err },
		"MinerPower":      func(a address.Address) error { _, err := f.s.MinerPower(a); return err },
		"ProvingDeadline": func(a address.Address) error { _, err := f.s.ProvingDeadline(a, 1); return err },
		"Deadlines":       func(a address.Address) error { _, err := f.s.Deadlines(a); return err },
		"Partitions":      func(a address.Address) error { _, err := f.s.Partitions(a, 0); return err },
		"Sectors":         func(a address.Address) error { _, err := f.s.Sectors(a, nil); return err },
		"SectorInfo":      func(a address.Address) error { _, err := f.s.SectorInfo(a, 1); return err },
		"PreCommitInfo":   func(a address.Address) error { _, err := f.s.PreCommitInfo(a, 1); return err },
		"Faults":          func(a address.Address) error { _, err := f.s.Faults(a); return err },
		"Recoveries":      func(a address.Address) error { _, err := f.s.Recoveries(a); return err },
		"InitialPledge": func(a address.Address) error {
			_, err := f.s.InitialPledge(a, types.SectorPreCommitInfo{SealProof: proof.StackedDrg2KiBV1_1})
			return err
		},
	} {
		if err := view(unknown); !errors.Is(err, ErrActorNotFound) {
			t.Errorf("%s of an unknown actor: %v", name, err)
		}
		if err := view(f.ownerAddr); !errors.Is(err, ErrNotMiner) {
			t.Errorf("%s of an account: %v", name, err)
		}
	}
}

// TestMiner_SnapshotRoundTrip checks that a state with miners, sectors,
// faults, recoveries and pre-commits survives Snapshot and Restore
// unchanged, and that the restored state then evolves identically.
func TestMiner_SnapshotRoundTrip(t *testing.T) {
	f, dl1, part1, _ := mutableFixture(t)
	f.mustCall(f.worker, actors.MinerDeclareFaults, &actors.DeclareFaultsParams{
		Faults: []actors.FaultDeclaration{{Deadline: dl1, Partition: part1, Sectors: sectorSet(1)}}})
	f.mustCall(f.worker, actors.MinerPreCommitSectorBatch2, &actors.PreCommitSectorBatch2Params{
		Sectors: []types.SectorPreCommitInfo{fakePreCommit(f, 9)}})
	f.mustCall(f.owner, actors.MinerChangeWorkerAddress, &actors.ChangeWorkerAddressParams{NewWorker: f.ownerAddr})
	snap := f.snapshot()
	r, err := Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.Snapshot()
	if err != nil || !bytes.Equal(snap, again) {
		t.Fatalf("snapshot changed through Restore (%v)", err)
	}
	g := f.clone(t)
	g.s = r
	f.advance(f.epoch + 2*f.s.Policy.ProvingPeriod())
	g.advance(g.epoch + 2*g.s.Policy.ProvingPeriod())
	if !bytes.Equal(f.snapshot(), g.snapshot()) {
		t.Fatal("the restored state evolved differently")
	}
	if faults, _ := f.s.Faults(f.minerAddr); faults.Count() != 4 {
		t.Fatalf("faults %v after two unproven periods", faults)
	}
}
