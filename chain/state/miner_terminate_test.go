package state

import (
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
)

func TestMiner_TerminateSectors(t *testing.T) {
	base, dl1, part1, open := mutableFixture(t)
	pol := base.s.Policy
	decl := func(ns ...uint64) actors.FaultDeclaration {
		return actors.FaultDeclaration{Deadline: dl1, Partition: part1, Sectors: sectorSet(ns...)}
	}
	terminate := func(ds ...actors.FaultDeclaration) func(f *minerFixture) []byte {
		return func(f *minerFixture) []byte { return cborOf(f.t, &actors.TerminateSectorsParams{Terminations: ds}) }
	}
	gone := func(ns ...uint64) func(t *testing.T, f *minerFixture, ret []byte) {
		return func(t *testing.T, f *minerFixture, ret []byte) {
			var r actors.TerminateSectorsReturn
			if err := actors.DecodeReturn(ret, &r); err != nil || !r.Done {
				t.Fatalf("%+v %v", r, err)
			}
			for _, n := range ns {
				if si, _ := f.s.SectorInfo(f.minerAddr, n); si != nil {
					t.Fatalf("sector %d still there", n)
				}
			}
			if !f.m().InitialPledge.Equals(pol.initialPledge(2048).Mul(big.NewInt(int64(4 - len(ns)))).Int) {
				t.Fatalf("pledge %s", f.m().InitialPledge)
			}
			if raw, _ := f.m().power(); !raw.Equals(big.NewInt(int64(4-len(ns)) * 2048)) {
				t.Fatalf("power %s", raw)
			}
		}
	}
	other := base.m().Deadlines[dl1].Partitions[part1].live()
	others, _ := other.All(10)
	many := make([]actors.FaultDeclaration, declarationsMax+1)
	for i := range many {
		many[i] = decl(1)
	}
	runMinerCases(t, base, 0, actors.MinerTerminateSectors, []minerCase{
		{name: "one sector", params: terminate(decl(1)), check: gone(1)},
		{name: "declarations merged", caller: byOwner, params: terminate(decl(others[0]), decl(others[1])), check: gone(others...)},
		{name: "faulty sector", setup: func(f *minerFixture) {
			f.mustCall(f.worker, actors.MinerDeclareFaults, &actors.DeclareFaultsParams{Faults: []actors.FaultDeclaration{decl(1)}})
		}, params: terminate(decl(1)), check: gone(1)},
		{name: "caller not controlling", caller: byOther, params: terminate(decl(1)), code: ExitForbidden},
		{name: "too many declarations", params: terminate(many...), code: ExitIllegalArgument},
		{name: "deadline out of range", params: terminate(actors.FaultDeclaration{Deadline: 4, Sectors: sectorSet(1)}), code: ExitIllegalArgument},
		{name: "open deadline", params: terminate(actors.FaultDeclaration{Deadline: open, Sectors: sectorSet(1)}), code: ExitIllegalArgument},
		{name: "next deadline", params: terminate(actors.FaultDeclaration{Deadline: (open + 1) % 4, Sectors: sectorSet(1)}), code: ExitIllegalArgument},
		{name: "partition not found", params: terminate(actors.FaultDeclaration{Deadline: dl1, Partition: 3, Sectors: sectorSet(1)}), code: ExitNotFound},
		{name: "sector not in the partition", params: terminate(decl(1, 2)), code: ExitIllegalArgument},
		{name: "already terminated", setup: func(f *minerFixture) {
			f.mustCall(f.worker, actors.MinerTerminateSectors, &actors.TerminateSectorsParams{Terminations: []actors.FaultDeclaration{decl(1)}})
		}, params: terminate(decl(1)), code: ExitIllegalArgument},
		{name: "market aborts", setup: marketRefuses, params: terminate(decl(1)), code: ExitUnhandledMessage},
		{name: "garbage", params: rawParams([]byte{0x81, 0x81, 0x83, 0x00}), code: ExitSerialization},
	})
}

func TestMiner_ExtendSectorExpiration2(t *testing.T) {
	base, dl1, part1, open := mutableFixture(t)
	pol := base.s.Policy
	exp1 := base.m().Sectors[1].Expiration
	ext := func(newExp int64, ns ...uint64) actors.ExpirationExtension2 {
		return actors.ExpirationExtension2{Deadline: dl1, Partition: part1, Sectors: sectorSet(ns...), NewExpiration: newExp}
	}
	extend := func(xs ...actors.ExpirationExtension2) func(f *minerFixture) []byte {
		return func(f *minerFixture) []byte {
			return cborOf(f.t, &actors.ExtendSectorExpiration2Params{Extensions: xs})
		}
	}
	extended := func(n uint64, want int64) func(t *testing.T, f *minerFixture, _ []byte) {
		return func(t *testing.T, f *minerFixture, _ []byte) {
			if si, _ := f.s.SectorInfo(f.minerAddr, n); si == nil || si.Expiration != want {
				t.Fatalf("sector %d: %+v, want expiration %d", n, si, want)
			}
		}
	}
	many := make([]actors.ExpirationExtension2, declarationsMax+1)
	for i := range many {
		many[i] = ext(exp1+1, 1)
	}
	runMinerCases(t, base, 0, actors.MinerExtendSectorExpiration2, []minerCase{
		{name: "extended", params: extend(ext(exp1+100, 1)), check: extended(1, exp1+100)},
		{name: "twice, increasing", caller: byOwner, params: extend(ext(exp1+100, 1), ext(exp1+200, 1)), check: extended(1, exp1+200)},
		{name: "twice, reducing", params: extend(ext(exp1+200, 1), ext(exp1+100, 1)), code: ExitIllegalArgument},
		{name: "caller not controlling", caller: byOther, params: extend(ext(exp1+100, 1)), code: ExitForbidden},
		{name: "too many", params: extend(many...), code: ExitIllegalArgument},
		{name: "deadline out of range", params: extend(actors.ExpirationExtension2{Deadline: 4, Sectors: sectorSet(1), NewExpiration: exp1 + 1}), code: ExitIllegalArgument},
		{name: "immutable deadline", params: extend(actors.ExpirationExtension2{Deadline: open, Sectors: sectorSet(1), NewExpiration: exp1 + 1}), code: ExitIllegalArgument},
		{name: "partition not found", params: extend(actors.ExpirationExtension2{Deadline: dl1, Partition: 2, Sectors: sectorSet(1), NewExpiration: exp1 + 1}), code: ExitNotFound},
		{name: "sector not in the partition", params: extend(ext(exp1+1, 2)), code: ExitIllegalArgument},
		{name: "sectors with claims", params: extend(func() actors.ExpirationExtension2 {
			x := ext(exp1+1, 1)
			x.SectorsWithClaims = []actors.SectorClaim{{SectorNumber: 1}}
			return x
		}()), code: ExitIllegalArgument},
		{name: "reduced", params: extend(ext(exp1-1, 1)), code: ExitIllegalArgument},
		{name: "too far", params: func(f *minerFixture) []byte {
			return extend(ext(f.epoch+pol.MaxSectorExpirationExtension+1, 1))(f)
		}, code: ExitIllegalArgument},
		{name: "garbage", params: rawParams([]byte{0x81, 0x81, 0x85}), code: ExitSerialization},
	})
}

func TestMiner_OtherMethods(t *testing.T) {
	base := newMinerFixture(t)
	base.createMiner()
	for _, m := range []struct {
		n    actors.MethodNum
		code types.ExitCode
	}{
		{actors.MinerConstructor, ExitForbidden}, {actors.MinerOnDeferredCronEvent, ExitForbidden},
		{actors.MinerApplyRewards, ExitForbidden},
		{6, ExitUnhandledMessage}, {7, ExitUnhandledMessage}, {8, ExitUnhandledMessage}, {25, ExitUnhandledMessage},
		{26, ExitUnhandledMessage}, {27, ExitUnhandledMessage}, {29, ExitUnhandledMessage}, {33, ExitUnhandledMessage},
		{actors.MinerCompactPartitions, ExitUnhandledMessage}, {actors.MinerChangeOwnerAddress, ExitUnhandledMessage},
		{actors.MinerProveReplicaUpdates3, ExitUnhandledMessage}, {actors.MinerProveCommitSectorsNI, ExitUnhandledMessage},
		{99, ExitUnhandledMessage},
	} {
		f := base.clone(t)
		_, ab := f.callRaw(f.worker, f.miner, m.n, big.TokenAmount{}, nil)
		if ab == nil || ab.Code != m.code {
			t.Errorf("method %d: %v, want exit %d", m.n, ab, m.code)
		}
	}
}

// TestMiner_FaultMaxAge lets a sector stay faulty: after FaultMaxAge cron
// terminates it; its partition-mate, proven all along, stays.
func TestMiner_FaultMaxAge(t *testing.T) {
	f, dl1, part1, _ := mutableFixture(t)
	pol := f.s.Policy
	mates, _ := bitfield.Subtract(f.m().Deadlines[dl1].Partitions[part1].live(), sectorSet(1)).All(10)
	f.mustCall(f.worker, actors.MinerDeclareFaults, &actors.DeclareFaultsParams{Faults: []actors.FaultDeclaration{{Deadline: dl1, Partition: part1, Sectors: sectorSet(1)}}})
	expiry := f.m().Deadlines[dl1].Partitions[part1].FaultExpirations[1]
	pledge := f.m().InitialPledge
	for f.epoch <= expiry {
		dl := pol.currentDeadline(f.m().ProvingPeriodStart, f.epoch)
		f.proveUntilOpen((dl.Index + 1) % pol.WPoStPeriodDeadlines)
		if f.epoch <= expiry && f.m().Sectors[1] == nil {
			t.Fatalf("sector 1 terminated at %d, before its fault expiry %d", f.epoch, expiry)
		}
	}
	if f.m().Sectors[1] != nil {
		t.Fatalf("sector 1 still there at %d, fault expiry %d", f.epoch, expiry)
	}
	for _, n := range mates {
		if f.m().Sectors[n] == nil {
			t.Fatalf("healthy sector %d terminated", n)
		}
	}
	if got := pledge.Sub(f.m().InitialPledge); !got.Equals(pol.initialPledge(2048).Int) {
		t.Fatalf("pledge released %s", got)
	}
	if !f.m().Deadlines[dl1].Partitions[part1].Terminated.IsSet(1) {
		t.Fatal("not in Terminated")
	}
}

// TestMiner_FaultMaxAgeMarketRefuses checks that cron terminates a sector
// faulty for too long even when the market refuses the notification.
func TestMiner_FaultMaxAgeMarketRefuses(t *testing.T) {
	f, dl1, part1, _ := mutableFixture(t)
	f.mustCall(f.worker, actors.MinerDeclareFaults, &actors.DeclareFaultsParams{Faults: []actors.FaultDeclaration{{Deadline: dl1, Partition: part1, Sectors: sectorSet(1)}}})
	marketRefuses(f)
	f.advance(f.m().Deadlines[dl1].Partitions[part1].FaultExpirations[1] + 1)
	if f.m().Sectors[1] != nil {
		t.Fatal("sector 1 not terminated")
	}
}

// TestMiner_Expiration checks on-time expiration: a sector whose
// expiration has come leaves at its deadline's close, its pledge unlocked.
func TestMiner_Expiration(t *testing.T) {
	f := activeFixture(t)
	dl1, part1 := f.deadlineOf(1)
	si := *f.m().Sectors[1]
	si.Expiration = f.epoch + 1 // as if pre-committed long ago
	f.m().Sectors[1] = &si
	pledge := f.m().InitialPledge
	f.proveUntilOpen(dl1)
	if f.m().Sectors[1] == nil {
		t.Fatal("expired before its deadline closed")
	}
	f.submitPoSt()
	f.advancePastClose()
	if f.m().Sectors[1] != nil || !f.m().Deadlines[dl1].Partitions[part1].Terminated.IsSet(1) {
		t.Fatal("sector 1 did not expire")
	}
	if got := pledge.Sub(f.m().InitialPledge); !got.Equals(f.s.Policy.initialPledge(2048).Int) {
		t.Fatalf("pledge released %s", got)
	}
	if raw, _ := f.m().power(); !raw.Equals(big.NewInt(3 * 2048)) {
		t.Fatalf("power %s", raw)
	}
}
