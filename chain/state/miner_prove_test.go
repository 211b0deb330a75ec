package state

import (
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/piece"
)

// proveFixture has sectors 1..3 (CC) and 4 (one data piece) sealed and
// pre-committed, at the first epoch they can be proven.
func proveFixture(t *testing.T) (*minerFixture, int64) {
	t.Helper()
	f := newMinerFixture(t)
	f.createMiner()
	pcEpoch := f.epoch
	for n := uint64(1); n <= 3; n++ {
		f.sealSector(n, pcEpoch, nil)
	}
	f.sealSector(4, pcEpoch, testPieceData(4))
	f.preCommitSealed(1, 2, 3, 4)
	f.advance(pcEpoch + f.s.Policy.PreCommitChallengeDelay + 1)
	return f, pcEpoch
}

func TestMiner_ProveCommitSectors3(t *testing.T) {
	base, pcEpoch := proveFixture(t)
	pol := base.s.Policy
	prove := func(mut func(f *minerFixture, p *actors.ProveCommitSectors3Params), numbers ...uint64) func(f *minerFixture) []byte {
		return func(f *minerFixture) []byte {
			p := f.proveParams(numbers...)
			if mut != nil {
				mut(f, p)
			}
			return cborOf(f.t, p)
		}
	}
	lenient := func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
		p.RequireActivationSuccess, p.RequireNotificationSuccess = false, false
	}
	badProof := func(i int) func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
		return func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			p.SectorProofs[i] = append([]byte(nil), p.SectorProofs[i]...)
			p.SectorProofs[i][len(p.SectorProofs[i])/2] ^= 1
		}
	}
	verified := func(i int) func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
		return func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			p.SectorActivations[i].Pieces[0].VerifiedAllocationKey = &actors.VerifiedAllocationKey{Client: f.other, ID: 1}
		}
	}
	notify := func(to func(f *minerFixture) uint64) func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
		return func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			p.SectorActivations[0].Pieces[0].Notify = []actors.DataActivationNotification{{Address: IDAddress(to(f)), Payload: actors.EncodeDealID(999)}}
		}
	}
	market := func(*minerFixture) uint64 { return MarketID }
	batchResult := func(ok uint32, fails ...actors.FailCode) func(t *testing.T, f *minerFixture, ret []byte) {
		return func(t *testing.T, f *minerFixture, ret []byte) {
			var r actors.BatchReturn
			if err := actors.DecodeReturn(ret, &r); err != nil {
				t.Fatal(err)
			}
			if r.SuccessCount != ok || len(r.FailCodes) != len(fails) {
				t.Fatalf("batch return %+v", r)
			}
			for i := range fails {
				if r.FailCodes[i] != fails[i] {
					t.Fatalf("batch return %+v", r)
				}
			}
		}
	}
	active := func(numbers ...uint64) func(t *testing.T, f *minerFixture, ret []byte) {
		return func(t *testing.T, f *minerFixture, ret []byte) {
			batchResult(uint32(len(numbers)))(t, f, ret)
			m := f.m()
			for _, n := range numbers {
				si := m.Sectors[n]
				if si == nil || m.PreCommits[n] != nil || si.Activation != f.epoch || !si.InitialPledge.Equals(pol.initialPledge(2048).Int) {
					t.Fatalf("sector %d: %+v", n, si)
				}
				dl, part := f.deadlineOf(n)
				if !m.Deadlines[dl].Partitions[part].Unproven.IsSet(n) || !pol.deadlineMutable(m.ProvingPeriodStart, dl, f.epoch) {
					t.Fatalf("sector %d in deadline %d partition %d, not unproven or not mutable", n, dl, part)
				}
			}
			if raw, _ := m.power(); !raw.IsZero() {
				t.Fatalf("unproven sectors have power %s", raw)
			}
		}
	}
	runMinerCases(t, base, 0, actors.MinerProveCommitSectors3, []minerCase{
		{name: "one CC sector", params: prove(nil, 1), check: active(1)},
		{name: "batch", caller: byControl, params: prove(nil, 1, 2, 3, 4), check: func(t *testing.T, f *minerFixture, ret []byte) {
			active(1, 2, 3, 4)(t, f, ret)
			if !f.m().PreCommitDeposits.IsZero() || !f.m().InitialPledge.Equals(pol.initialPledge(2048).Mul(big.NewInt(4)).Int) {
				t.Fatalf("deposits %s, pledge %s", f.m().PreCommitDeposits, f.m().InitialPledge)
			}
			si := f.m().Sectors[4]
			if want := big.NewInt(1024 * (si.Expiration - f.epoch)); !si.DealWeight.Equals(want) {
				t.Fatalf("deal weight %s, want %s", si.DealWeight, want)
			}
		}},
		{name: "caller not controlling", caller: byOther, params: prove(nil, 1), code: ExitForbidden},
		{name: "no activations", params: prove(nil), code: ExitIllegalArgument},
		{name: "too many activations", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			p.SectorProofs[0] = []byte{1} // keeps the params small
			for len(p.SectorActivations) <= pol.PreCommitSectorBatchMaxSize {
				p.SectorActivations = append(p.SectorActivations, p.SectorActivations[0])
				p.SectorProofs = append(p.SectorProofs, p.SectorProofs[0])
			}
		}, 1), code: ExitIllegalArgument},
		{name: "proofs and aggregate", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) { p.AggregateProof = []byte{1} }, 1), code: ExitIllegalArgument},
		{name: "no proof", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) { p.SectorProofs = nil }, 1), code: ExitIllegalArgument},
		{name: "proof count", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) { p.SectorProofs = p.SectorProofs[:1] }, 1, 2), code: ExitIllegalArgument},
		{name: "aggregate type with proofs", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			t := actors.SnarkPackV2
			p.AggregateProofType = &t
		}, 1), code: ExitIllegalArgument},
		{name: "aggregate of the wrong type", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			t := actors.SnarkPackV1
			p.SectorProofs, p.AggregateProof, p.AggregateProofType = nil, []byte{1}, &t
		}, 1), code: ExitIllegalArgument},
		{name: "aggregate", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			t := actors.SnarkPackV2
			p.SectorProofs, p.AggregateProof, p.AggregateProofType = nil, []byte{1}, &t
		}, 1, 2), code: ExitIllegalArgument},
		{name: "sector twice", params: prove(nil, 1, 1), code: ExitIllegalArgument},
		{name: "not pre-committed", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			p.SectorActivations[1].SectorNumber = 9
		}, 1, 2), code: ExitNotFound},
		{name: "piece in a CC sector", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			p.SectorActivations[0].Pieces = f.sealed[4].pieces
		}, 1), code: ExitIllegalArgument},
		{name: "data sector without its pieces", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			p.SectorActivations[0].Pieces = nil
		}, 4), code: ExitIllegalArgument},
		{name: "invalid piece size", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			p.SectorActivations[0].Pieces[0].Size = 1000
		}, 4), code: ExitIllegalArgument},
		{name: "piece CID of another kind", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			p.SectorActivations[0].Pieces[0].CID = piece.SealedCID([32]byte{1})
		}, 4), code: ExitIllegalArgument},
		{name: "notification to another actor", params: prove(notify(func(f *minerFixture) uint64 { return f.other }), 4), code: ExitIllegalArgument},
		{name: "too early", setup: func(f *minerFixture) { f.epoch = pcEpoch + pol.PreCommitChallengeDelay }, params: prove(nil, 1), code: ExitForbidden},
		{name: "expired", setup: func(f *minerFixture) { f.epoch = pcEpoch + pol.MaxProveCommitDuration + 1 }, params: prove(lenient, 1, 2), code: ExitIllegalArgument},
		{name: "expired, activation required", setup: func(f *minerFixture) { f.epoch = pcEpoch + pol.MaxProveCommitDuration + 1 }, params: prove(nil, 1), code: ExitIllegalArgument},
		{name: "one bad proof of two", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			lenient(f, p)
			badProof(0)(f, p)
		}, 1, 2), check: func(t *testing.T, f *minerFixture, ret []byte) {
			batchResult(1, actors.FailCode{Idx: 0, Code: actors.ExitIllegalArgument})(t, f, ret)
			if f.m().Sectors[1] != nil || f.m().PreCommits[1] == nil || f.m().Sectors[2] == nil {
				t.Fatal("wrong sector activated")
			}
		}},
		{name: "bad proof, activation required", params: prove(badProof(1), 1, 2), code: ExitIllegalArgument},
		{name: "only a bad proof", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			lenient(f, p)
			badProof(0)(f, p)
		}, 1), code: ExitIllegalArgument},
		{name: "proof of another sector", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			p.SectorProofs[0] = f.sealed[2].proof
		}, 1), code: ExitIllegalArgument},
		{name: "mixed seal proofs", setup: func(f *minerFixture) {
			pc := *f.m().PreCommits[2]
			pc.Info.SealProof++
			f.m().PreCommits[2] = &pc
		}, params: prove(nil, 1, 2), code: ExitIllegalState},
		{name: "verified allocation, activation required", params: prove(verified(0), 4), code: ExitIllegalArgument},
		{name: "only a verified allocation", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			lenient(f, p)
			verified(0)(f, p)
		}, 4), code: ExitIllegalArgument},
		{name: "verified allocation beside a CC sector", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			lenient(f, p)
			verified(1)(f, p)
		}, 1, 4), check: batchResult(1, actors.FailCode{Idx: 1, Code: actors.ExitIllegalArgument})},
		{name: "pledge not covered", setup: drainMiner, params: prove(nil, 1, 2), code: ExitInsufficientFunds},
		{name: "deal rejected, notification required", params: prove(notify(market), 4), code: exitNotificationRejected},
		{name: "deal rejected, notification not required", params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			notify(market)(f, p)
			p.RequireNotificationSuccess = false
		}, 4), check: active(4)},
		{name: "market aborts, notification required", setup: marketRefuses, params: prove(notify(market), 4), code: exitNotificationReceiverAborted},
		{name: "market aborts, notification not required", setup: marketRefuses, params: prove(func(f *minerFixture, p *actors.ProveCommitSectors3Params) {
			notify(market)(f, p)
			p.RequireNotificationSuccess = false
		}, 4), check: active(4)},
		{name: "no params", params: rawParams(nil), code: ExitIllegalArgument},
		{name: "garbage", params: rawParams([]byte{0x86, 0x80}), code: ExitSerialization},
	})
}

// marketRefuses makes the market actor answer every method with an abort
// (by dispatching it as an account), to see how the miner takes it.
func marketRefuses(f *minerFixture) { f.s.Actors[MarketID].Kind = KindAccount }
