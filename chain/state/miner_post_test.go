package state

import (
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/proof"
)

// sectorSet is a bitfield of the given sectors.
func sectorSet(ns ...uint64) bitfield.BitField { return bitfield.NewFromSet(ns) }

func TestMiner_SubmitWindowedPoSt(t *testing.T) {
	base := activeFixture(t)
	dl1, part1 := base.deadlineOf(1)
	base.proveUntilOpen(dl1)
	post := func(mut func(f *minerFixture, p *actors.SubmitWindowedPoStParams)) func(f *minerFixture) []byte {
		return func(f *minerFixture) []byte {
			p := f.postParams([]uint64{part1}, bitfield.New())
			if mut != nil {
				mut(f, p)
			}
			return cborOf(f.t, p)
		}
	}
	makeFaulty := func(recovering bool) func(f *minerFixture) {
		return func(f *minerFixture) {
			n := f.m().clone()
			part := n.Deadlines[dl1].Partitions[part1]
			part.addFaults(sectorSet(1), f.epoch+100)
			if recovering {
				part.Recoveries = sectorSet(1)
			}
			f.s.commitMiner(f.miner, n)
		}
	}
	power := func(want int64) func(t *testing.T, f *minerFixture, _ []byte) {
		return func(t *testing.T, f *minerFixture, _ []byte) {
			if raw, _ := f.m().power(); !raw.Equals(big.NewInt(want * 2048)) {
				t.Fatalf("power %s, want %d sectors", raw, want)
			}
			if !f.m().Deadlines[dl1].PartitionsPoSted.IsSet(part1) {
				t.Fatal("partition not marked proven")
			}
		}
	}
	runMinerCases(t, base, 0, actors.MinerSubmitWindowedPoSt, []minerCase{
		{name: "proven", params: post(nil), check: power(4)},
		{name: "skipped sector becomes faulty", caller: byOwner, params: func(f *minerFixture) []byte {
			return cborOf(f.t, f.postParams([]uint64{part1}, sectorSet(1)))
		}, check: func(t *testing.T, f *minerFixture, ret []byte) {
			power(3)(t, f, ret)
			if faults, _ := f.s.Faults(f.minerAddr); !faults.Equal(sectorSet(1)) {
				t.Fatalf("faults %v", faults)
			}
		}},
		{name: "recovery proven", setup: makeFaulty(true), params: post(nil), check: func(t *testing.T, f *minerFixture, ret []byte) {
			power(4)(t, f, ret)
			if faults, _ := f.s.Faults(f.minerAddr); !faults.IsEmpty() {
				t.Fatalf("faults %v", faults)
			}
		}},
		{name: "faulty sector not recovering stays faulty", setup: makeFaulty(false), params: post(nil), check: power(3)},
		{name: "caller not controlling", caller: byOther, params: post(nil), code: ExitForbidden},
		{name: "no proof", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) { p.Proofs = nil }), code: ExitIllegalArgument},
		{name: "two proofs", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) { p.Proofs = append(p.Proofs, p.Proofs[0]) }), code: ExitIllegalArgument},
		{name: "wrong proof type", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) {
			p.Proofs[0].PoStProof = proof.StackedDrgWindow8MiBV1_1
		}), code: ExitIllegalArgument},
		{name: "deadline out of range", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) { p.Deadline = 4 }), code: ExitIllegalArgument},
		{name: "deadline not open", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) { p.Deadline = (p.Deadline + 1) % 4 }), code: ExitIllegalArgument},
		{name: "randomness too long", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) {
			p.ChainCommitRand = append(p.ChainCommitRand, 0)
		}), code: ExitIllegalArgument},
		{name: "commit epoch before the challenge", params: post(func(f *minerFixture, p *actors.SubmitWindowedPoStParams) {
			dl := f.s.Policy.currentDeadline(f.m().ProvingPeriodStart, f.epoch)
			p.ChainCommitEpoch = dl.Challenge - 1
			r, _ := minerTestRandomness(types.DSTPoStChainCommit, p.ChainCommitEpoch, nil, false)
			p.ChainCommitRand = r[:]
		}), code: ExitIllegalArgument},
		{name: "commit epoch not in the past", params: post(func(f *minerFixture, p *actors.SubmitWindowedPoStParams) {
			p.ChainCommitEpoch = f.epoch
			r, _ := minerTestRandomness(types.DSTPoStChainCommit, p.ChainCommitEpoch, nil, false)
			p.ChainCommitRand = r[:]
		}), code: ExitIllegalArgument},
		{name: "commit randomness mismatched", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) { p.ChainCommitRand[0]++ }), code: ExitIllegalArgument},
		{name: "no partitions", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) { p.Partitions = nil }), code: ExitIllegalArgument},
		{name: "partition not found", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) { p.Partitions[0].Index = 7 }), code: ExitNotFound},
		{name: "partition twice", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) {
			p.Partitions = append(p.Partitions, p.Partitions[0])
		}), code: ExitIllegalArgument},
		{name: "already proven", setup: func(f *minerFixture) { f.submitPoSt() }, params: post(nil), code: ExitIllegalArgument},
		{name: "skipped outside the partition", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) {
			p.Partitions[0].Skipped = sectorSet(1 << 40)
		}), code: ExitIllegalArgument},
		{name: "invalid proof", params: post(func(_ *minerFixture, p *actors.SubmitWindowedPoStParams) {
			b := append([]byte(nil), p.Proofs[0].ProofBytes...)
			b[len(b)/2] ^= 1
			p.Proofs[0].ProofBytes = b
		}), code: ExitIllegalArgument},
		{name: "proof without the skipped sector", params: func(f *minerFixture) []byte {
			p := f.postParams([]uint64{part1}, bitfield.New())
			p.Partitions[0].Skipped = sectorSet(1)
			return cborOf(f.t, p)
		}, code: ExitIllegalArgument},
		{name: "garbage", params: rawParams([]byte{0x85, 0x00}), code: ExitSerialization},
	})
}

// declParams encodes fault or recovery declarations.
func declParams(recovery bool, ds ...actors.FaultDeclaration) func(f *minerFixture) []byte {
	return func(f *minerFixture) []byte {
		if recovery {
			return cborOf(f.t, &actors.DeclareFaultsRecoveredParams{Recoveries: ds})
		}
		return cborOf(f.t, &actors.DeclareFaultsParams{Faults: ds})
	}
}

// mutableFixture is an active fixture at the second epoch of the deadline
// two after sector 1's, so that sector 1's deadline is mutable and its
// fault cutoff far.
func mutableFixture(t *testing.T) (f *minerFixture, dl1, part1, open uint64) {
	f = activeFixture(t)
	dl1, part1 = f.deadlineOf(1)
	open = (dl1 + 2) % f.s.Policy.WPoStPeriodDeadlines
	f.proveUntilOpen(open)
	return f, dl1, part1, open
}

func TestMiner_DeclareFaults(t *testing.T) {
	base, dl1, part1, open := mutableFixture(t)
	pol := base.s.Policy
	decl := func(ns ...uint64) actors.FaultDeclaration {
		return actors.FaultDeclaration{Deadline: dl1, Partition: part1, Sectors: sectorSet(ns...)}
	}
	faulty := func(ns ...uint64) func(t *testing.T, f *minerFixture, _ []byte) {
		return func(t *testing.T, f *minerFixture, _ []byte) {
			if faults, _ := f.s.Faults(f.minerAddr); !faults.Equal(sectorSet(ns...)) {
				t.Fatalf("faults %v, want %v", faults, ns)
			}
			if raw, _ := f.m().power(); !raw.Equals(big.NewInt(int64(4-len(ns)) * 2048)) {
				t.Fatalf("power %s", raw)
			}
			target := pol.declarationDeadline(f.m().ProvingPeriodStart, dl1, f.epoch)
			for _, n := range ns {
				if got := f.m().Deadlines[dl1].Partitions[part1].FaultExpirations[n]; got != target.Last()+pol.FaultMaxAge {
					t.Fatalf("sector %d fault expiration %d, want %d", n, got, target.Last()+pol.FaultMaxAge)
				}
			}
		}
	}
	recovering := func(f *minerFixture) {
		f.mustCall(f.worker, actors.MinerDeclareFaults, &actors.DeclareFaultsParams{Faults: []actors.FaultDeclaration{decl(1)}})
		f.mustCall(f.worker, actors.MinerDeclareFaultsRecovered, &actors.DeclareFaultsRecoveredParams{Recoveries: []actors.FaultDeclaration{decl(1)}})
	}
	many := make([]actors.FaultDeclaration, declarationsMax+1)
	for i := range many {
		many[i] = decl(1)
	}
	runMinerCases(t, base, 0, actors.MinerDeclareFaults, []minerCase{
		{name: "declared", params: declParams(false, decl(1)), check: faulty(1)},
		{name: "two declarations merged", caller: byControl, params: declParams(false, decl(1), decl(1)), check: faulty(1)},
		{name: "recovery retracted", setup: recovering, params: declParams(false, decl(1)), check: func(t *testing.T, f *minerFixture, ret []byte) {
			faulty(1)(t, f, ret)
			if rec, _ := f.s.Recoveries(f.minerAddr); !rec.IsEmpty() {
				t.Fatalf("recoveries %v", rec)
			}
		}},
		{name: "caller not controlling", caller: byOther, params: declParams(false, decl(1)), code: ExitForbidden},
		{name: "too many declarations", params: declParams(false, many...), code: ExitIllegalArgument},
		{name: "deadline out of range", params: declParams(false, actors.FaultDeclaration{Deadline: 4, Sectors: sectorSet(1)}), code: ExitIllegalArgument},
		{name: "fault cutoff passed", params: declParams(false, actors.FaultDeclaration{Deadline: open, Sectors: sectorSet(1)}), code: ExitIllegalArgument},
		{name: "partition not found", params: declParams(false, actors.FaultDeclaration{Deadline: dl1, Partition: 9, Sectors: sectorSet(1)}), code: ExitNotFound},
		{name: "sector not in the partition", params: declParams(false, decl(1, 1000)), code: ExitIllegalArgument},
		{name: "garbage", params: rawParams([]byte{0x81, 0x81, 0x83}), code: ExitSerialization},
		{name: "no params", params: rawParams(nil), code: ExitIllegalArgument},
	})
}

func TestMiner_DeclareFaultsRecovered(t *testing.T) {
	base, dl1, part1, open := mutableFixture(t)
	decl := func(ns ...uint64) actors.FaultDeclaration {
		return actors.FaultDeclaration{Deadline: dl1, Partition: part1, Sectors: sectorSet(ns...)}
	}
	base.mustCall(base.worker, actors.MinerDeclareFaults, &actors.DeclareFaultsParams{Faults: []actors.FaultDeclaration{decl(1)}})
	recovering := func(ns ...uint64) func(t *testing.T, f *minerFixture, _ []byte) {
		return func(t *testing.T, f *minerFixture, _ []byte) {
			if rec, _ := f.s.Recoveries(f.minerAddr); !rec.Equal(sectorSet(ns...)) {
				t.Fatalf("recoveries %v, want %v", rec, ns)
			}
		}
	}
	runMinerCases(t, base, 0, actors.MinerDeclareFaultsRecovered, []minerCase{
		{name: "declared", params: declParams(true, decl(1)), check: recovering(1)},
		{name: "healthy sectors ignored", caller: byOwner, params: declParams(true, decl(1), decl(3)), check: recovering(1)},
		{name: "caller not controlling", caller: byOther, params: declParams(true, decl(1)), code: ExitForbidden},
		{name: "deadline out of range", params: declParams(true, actors.FaultDeclaration{Deadline: 9, Sectors: sectorSet(1)}), code: ExitIllegalArgument},
		{name: "fault cutoff passed", params: declParams(true, actors.FaultDeclaration{Deadline: open, Sectors: sectorSet(1)}), code: ExitIllegalArgument},
		{name: "partition not found", params: declParams(true, actors.FaultDeclaration{Deadline: dl1, Partition: 1, Sectors: sectorSet(1)}), code: ExitNotFound},
		{name: "sector not in the partition", params: declParams(true, decl(2)), code: ExitIllegalArgument},
		{name: "too many declarations", params: func(f *minerFixture) []byte {
			ds := make([]actors.FaultDeclaration, declarationsMax+1)
			for i := range ds {
				ds[i] = decl(1)
			}
			return declParams(true, ds...)(f)
		}, code: ExitIllegalArgument},
		{name: "garbage", params: rawParams([]byte{0x80}), code: ExitSerialization},
	})
}
