package state

import (
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof"
)

// fakePreCommit is a pre-commit of sector n with a made-up CommR (the
// pre-commit checks only its form).
func fakePreCommit(f *minerFixture, n uint64) types.SectorPreCommitInfo {
	return types.SectorPreCommitInfo{SealProof: proof.StackedDrg2KiBV1_1, SectorNumber: n, SealedCID: piece.SealedCID([32]byte{byte(n), 1}),
		SealRandEpoch: f.epoch - 1, Expiration: f.expiration()}
}

func TestMiner_PreCommitSectorBatch2(t *testing.T) {
	base := newMinerFixture(t)
	base.createMiner()
	pol := base.s.Policy
	batch := func(mut func(f *minerFixture, p *actors.PreCommitSectorBatch2Params), numbers ...uint64) func(f *minerFixture) []byte {
		return func(f *minerFixture) []byte {
			p := &actors.PreCommitSectorBatch2Params{}
			for _, n := range numbers {
				p.Sectors = append(p.Sectors, fakePreCommit(f, n))
			}
			if mut != nil {
				mut(f, p)
			}
			return cborOf(f.t, p)
		}
	}
	first := func(mut func(f *minerFixture, s *types.SectorPreCommitInfo)) func(f *minerFixture, p *actors.PreCommitSectorBatch2Params) {
		return func(f *minerFixture, p *actors.PreCommitSectorBatch2Params) { mut(f, &p.Sectors[0]) }
	}
	unsealed := piece.CIDv1([32]byte{7})
	runMinerCases(t, base, 0, actors.MinerPreCommitSectorBatch2, []minerCase{
		{name: "three sectors", params: batch(nil, 1, 2, 3), check: func(t *testing.T, f *minerFixture, _ []byte) {
			m := f.m()
			if len(m.PreCommits) != 3 || m.AllocatedSectors.Count() != 3 ||
				!m.PreCommitDeposits.Equals(pol.preCommitDeposit(2048).Mul(big.NewInt(3)).Int) {
				t.Fatalf("pre-commits %d, allocated %v, deposits %s", len(m.PreCommits), m.AllocatedSectors, m.PreCommitDeposits)
			}
			pc, err := f.s.PreCommitInfo(f.minerAddr, 2)
			if err != nil || pc == nil || pc.PreCommitEpoch != f.epoch || !pc.PreCommitDeposit.Equals(pol.preCommitDeposit(2048).Int) {
				t.Fatalf("%+v %v", pc, err)
			}
		}},
		{name: "data sector", caller: byControl, params: batch(first(func(_ *minerFixture, s *types.SectorPreCommitInfo) { s.UnsealedCid = &unsealed }), 1)},
		{name: "owner, deposit paid by the value", setup: drainMiner, caller: byOwner, value: big.FromFIL(1), params: batch(nil, 1)},
		{name: "caller not controlling", caller: byOther, params: batch(nil, 1), code: ExitForbidden},
		{name: "empty batch", params: batch(nil), code: ExitIllegalArgument},
		{name: "batch too large", params: func(f *minerFixture) []byte {
			p := &actors.PreCommitSectorBatch2Params{}
			for n := range uint64(pol.PreCommitSectorBatchMaxSize + 1) {
				p.Sectors = append(p.Sectors, fakePreCommit(f, n))
			}
			return cborOf(f.t, p)
		}, code: ExitIllegalArgument},
		{name: "duplicate number", params: batch(nil, 1, 2, 1), code: ExitIllegalArgument},
		{name: "V1 seal proof", params: batch(first(func(_ *minerFixture, s *types.SectorPreCommitInfo) { s.SealProof = proof.StackedDrg2KiBV1 }), 1), code: ExitIllegalArgument},
		{name: "synthetic seal proof", params: batch(first(func(_ *minerFixture, s *types.SectorPreCommitInfo) {
			s.SealProof = proof.StackedDrg2KiBV1_1_Feat_SyntheticPoRep
		}), 1), code: ExitIllegalArgument},
		{name: "seal proof of another size", params: batch(first(func(_ *minerFixture, s *types.SectorPreCommitInfo) { s.SealProof = proof.StackedDrg32GiBV1_1 }), 1), code: ExitIllegalArgument},
		{name: "sector number too large", params: batch(nil, 1<<63), code: ExitIllegalArgument},
		{name: "sealed CID with the unsealed prefix", params: batch(first(func(_ *minerFixture, s *types.SectorPreCommitInfo) { s.SealedCID = unsealed }), 1), code: ExitIllegalArgument},
		{name: "unsealed CID with the sealed prefix", params: batch(first(func(_ *minerFixture, s *types.SectorPreCommitInfo) {
			c := piece.SealedCID([32]byte{1})
			s.UnsealedCid = &c
		}), 1), code: ExitIllegalArgument},
		{name: "seal randomness not in the past", params: batch(first(func(f *minerFixture, s *types.SectorPreCommitInfo) { s.SealRandEpoch = f.epoch }), 1), code: ExitIllegalArgument},
		{name: "seal randomness too old", setup: func(f *minerFixture) { f.epoch += pol.MaxPreCommitRandomnessLookback + 10 },
			params: batch(first(func(f *minerFixture, s *types.SectorPreCommitInfo) {
				s.SealRandEpoch = f.epoch - pol.MaxPreCommitRandomnessLookback - 1
			}), 1),
			code: ExitIllegalArgument},
		{name: "expiration before activation", params: batch(first(func(f *minerFixture, s *types.SectorPreCommitInfo) { s.Expiration = f.epoch }), 1), code: ExitIllegalArgument},
		{name: "lifetime too short", params: batch(first(func(f *minerFixture, s *types.SectorPreCommitInfo) {
			s.Expiration = f.epoch + pol.MaxProveCommitDuration + pol.MinSectorExpiration - 1
		}), 1), code: ExitIllegalArgument},
		{name: "expiration too far", params: batch(first(func(f *minerFixture, s *types.SectorPreCommitInfo) {
			s.Expiration = f.epoch + pol.MaxSectorExpirationExtension + 1
		}), 1), code: ExitIllegalArgument},
		{name: "deal IDs", params: batch(first(func(_ *minerFixture, s *types.SectorPreCommitInfo) { s.DealIDs = []uint64{1} }), 1), code: ExitIllegalArgument},
		{name: "number already allocated", setup: func(f *minerFixture) {
			f.mustCall(f.worker, actors.MinerPreCommitSectorBatch2, &actors.PreCommitSectorBatch2Params{Sectors: []types.SectorPreCommitInfo{fakePreCommit(f, 2)}})
		}, params: batch(nil, 1, 2), code: ExitIllegalArgument},
		{name: "deposit not covered", setup: drainMiner, params: batch(nil, 1), code: ExitInsufficientFunds},
		{name: "no params", params: rawParams(nil), code: ExitIllegalArgument},
		{name: "garbage", params: rawParams([]byte{0x81, 0x81, 0x80}), code: ExitSerialization},
	})
}

// TestMiner_PreCommitExpiry checks that a pre-commit never proven expires
// after MaxProveCommitDuration and its deposit is burned.
func TestMiner_PreCommitExpiry(t *testing.T) {
	f := newMinerFixture(t)
	f.createMiner()
	f.mustCall(f.worker, actors.MinerPreCommitSectorBatch2, &actors.PreCommitSectorBatch2Params{
		Sectors: []types.SectorPreCommitInfo{fakePreCommit(f, 1), fakePreCommit(f, 2)}})
	pcEpoch := f.epoch
	burnt := f.s.Actors[BurntFundsID].Balance
	deposit := f.m().PreCommitDeposits
	f.advance(pcEpoch + f.s.Policy.MaxProveCommitDuration)
	if len(f.m().PreCommits) != 2 {
		t.Fatal("pre-commits expired early")
	}
	f.advance(f.epoch + 1) // cron of the last epoch a prove-commit is accepted at
	if len(f.m().PreCommits) != 0 || !f.m().PreCommitDeposits.IsZero() {
		t.Fatalf("pre-commits %d, deposits %s", len(f.m().PreCommits), f.m().PreCommitDeposits)
	}
	if got := f.s.Actors[BurntFundsID].Balance.Sub(burnt); !got.Equals(deposit.Int) {
		t.Fatalf("burned %s, deposits were %s", got, deposit)
	}
	// The numbers stay allocated.
	_, ab := f.call(f.worker, actors.MinerPreCommitSectorBatch2, &actors.PreCommitSectorBatch2Params{Sectors: []types.SectorPreCommitInfo{fakePreCommit(f, 1)}})
	if ab == nil || ab.Code != ExitIllegalArgument {
		t.Fatalf("re-using an expired number: %v", ab)
	}
}
