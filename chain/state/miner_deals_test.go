package state

import (
	"errors"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/big"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// publishDeals escrows funds and publishes one deal per sealed sector's
// piece, by the fixture's outsider as client; it returns the deal IDs.
func (f *minerFixture) publishDeals(numbers ...uint64) []uint64 {
	f.t.Helper()
	client := f.other
	if _, ab := f.callRaw(client, MarketID, actors.MarketAddBalance, big.FromFIL(10),
		cborOf(f.t, &actors.AddBalanceParams{ProviderOrClient: IDAddress(client)})); ab != nil {
		f.t.Fatal(ab)
	}
	if _, ab := f.callRaw(f.owner, MarketID, actors.MarketAddBalance, big.FromFIL(10),
		cborOf(f.t, &actors.AddBalanceParams{ProviderOrClient: f.minerAddr})); ab != nil {
		f.t.Fatal(ab)
	}
	label, err := ftypes.NewLabelFromString("deal")
	if err != nil {
		f.t.Fatal(err)
	}
	p := &actors.PublishStorageDealsParams{}
	for _, n := range numbers {
		pc := f.sealed[n].pieces[0]
		lo, _ := f.s.Policy.providerCollateralBounds(pc.Size)
		start := f.epoch + 30
		prop := ftypes.DealProposal{PieceCID: pc.CID, PieceSize: pc.Size, Client: IDAddress(client), Provider: IDAddress(f.miner),
			Label: label, StartEpoch: start, EndEpoch: start + f.s.Policy.DealMinDuration,
			StoragePricePerEpoch: big.FromAttoFIL(100), ProviderCollateral: lo, ClientCollateral: big.FromAttoFIL(1000)}
		cp, err := ftypes.SignDealProposal(&prop, f.keys[client])
		if err != nil {
			f.t.Fatal(err)
		}
		p.Deals = append(p.Deals, *cp)
	}
	ret, ab := f.callRaw(f.worker, MarketID, actors.MarketPublishStorageDeals, big.TokenAmount{}, cborOf(f.t, p))
	if ab != nil {
		f.t.Fatal(ab)
	}
	var r actors.PublishStorageDealsReturn
	if err := actors.DecodeReturn(ret, &r); err != nil || len(r.IDs) != len(numbers) {
		f.t.Fatalf("publish: %+v %v", r, err)
	}
	return r.IDs
}

// TestMiner_Deals activates deals through ProveCommitSectors3's
// notifications and ends them by terminating one sector and letting the
// other stay faulty past FaultMaxAge: each time the market removes the
// deal.
func TestMiner_Deals(t *testing.T) {
	f := newMinerFixture(t)
	f.createMiner()
	pcEpoch := f.epoch
	f.sealSector(1, pcEpoch, testPieceData(1))
	f.sealSector(2, pcEpoch, testPieceData(2))
	ids := f.publishDeals(1, 2)
	f.preCommitSealed(1, 2)
	f.advance(pcEpoch + f.s.Policy.PreCommitChallengeDelay + 1)

	p := f.proveParams(1, 2)
	for i := range p.SectorActivations {
		p.SectorActivations[i].Pieces[0].Notify = []actors.DataActivationNotification{{Address: IDAddress(MarketID), Payload: actors.EncodeDealID(ids[i])}}
	}
	// A piece naming the other sector's deal is rejected: all rolled back.
	bad := f.proveParams(1)
	bad.SectorActivations[0].Pieces[0].Notify = []actors.DataActivationNotification{{Address: IDAddress(MarketID), Payload: actors.EncodeDealID(ids[1])}}
	if _, ab := f.call(f.worker, actors.MinerProveCommitSectors3, bad); ab == nil || ab.Code != exitNotificationRejected {
		t.Fatalf("wrong deal: %v", ab)
	}
	f.mustCall(f.worker, actors.MinerProveCommitSectors3, p)
	for i, id := range ids {
		d, err := f.s.MarketDeal(id)
		if err != nil || d.State.SectorNumber != uint64(i+1) || d.State.SectorStartEpoch != f.epoch {
			t.Fatalf("deal %d: %+v %v", id, d, err)
		}
	}

	f.advancePastClose()
	f.proveAllOnce()
	dl1, part1 := f.deadlineOf(1)
	dl2, part2 := f.deadlineOf(2)
	if dl1 == dl2 {
		t.Fatal("both sectors in one deadline")
	}

	// Terminating sector 1 ends deal 0.
	f.proveUntilOpen((dl1 + 2) % f.s.Policy.WPoStPeriodDeadlines)
	f.mustCall(f.worker, actors.MinerTerminateSectors, &actors.TerminateSectorsParams{
		Terminations: []actors.FaultDeclaration{{Deadline: dl1, Partition: part1, Sectors: sectorSet(1)}}})
	if _, err := f.s.MarketDeal(ids[0]); !errors.Is(err, ErrDealNotFound) {
		t.Fatalf("deal of the terminated sector: %v", err)
	}
	if _, err := f.s.MarketDeal(ids[1]); err != nil {
		t.Fatalf("the other deal: %v", err)
	}

	// Sector 2 faulty for good: cron terminates it and ends deal 1.
	target := f.s.Policy.declarationDeadline(f.m().ProvingPeriodStart, dl2, f.epoch)
	if target.FaultCutoffPassed() {
		f.proveUntilOpen((dl2 + 2) % f.s.Policy.WPoStPeriodDeadlines)
	}
	f.mustCall(f.worker, actors.MinerDeclareFaults, &actors.DeclareFaultsParams{
		Faults: []actors.FaultDeclaration{{Deadline: dl2, Partition: part2, Sectors: sectorSet(2)}}})
	expiry := f.m().Deadlines[dl2].Partitions[part2].FaultExpirations[2]
	f.advance(expiry + 1)
	if f.m().Sectors[2] != nil {
		t.Fatal("faulty sector not terminated")
	}
	if _, err := f.s.MarketDeal(ids[1]); !errors.Is(err, ErrDealNotFound) {
		t.Fatalf("deal of the expired faulty sector: %v", err)
	}
}
