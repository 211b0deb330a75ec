package state

import (
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
)

// fuzzMethods are the methods FuzzMinerMethods calls: every miner method
// the devnet serves (and a few it refuses), and the power actor's
// CreateMiner.
var fuzzMethods = []struct {
	power  bool
	method actors.MethodNum
}{
	{true, actors.PowerCreateMiner},
	{false, actors.MinerControlAddresses}, {false, actors.MinerChangeWorkerAddress}, {false, actors.MinerChangePeerID},
	{false, actors.MinerSubmitWindowedPoSt}, {false, actors.MinerTerminateSectors}, {false, actors.MinerDeclareFaults},
	{false, actors.MinerDeclareFaultsRecovered}, {false, actors.MinerWithdrawBalance}, {false, actors.MinerChangeMultiaddrs},
	{false, actors.MinerConfirmChangeWorkerAddress}, {false, actors.MinerPreCommitSectorBatch2},
	{false, actors.MinerExtendSectorExpiration2}, {false, actors.MinerProveCommitSectors3},
	{false, actors.MinerIsControllingAddressExported}, {false, 26}, {false, 1},
}

// FuzzMinerMethods feeds arbitrary params to every miner and power method
// of a state with active sectors, pre-commits and an open deadline, from
// each kind of caller: no call may panic, an abort must change nothing,
// balances are conserved and a success keeps the invariants.
func FuzzMinerMethods(f *testing.F) {
	base := activeFixture(f)
	dl1, _ := base.deadlineOf(1)
	base.proveUntilOpen(dl1)
	base.preCommit(5, 6)
	snap := base.snapshot()

	// Seeds: valid params of each method, and some noise.
	seeds := map[actors.MethodNum][]byte{
		actors.PowerCreateMiner:                  cborOf(f, base.createMinerParams()),
		actors.MinerChangeWorkerAddress:          cborOf(f, &actors.ChangeWorkerAddressParams{NewWorker: base.ownerAddr}),
		actors.MinerChangePeerID:                 cborOf(f, &actors.ChangePeerIDParams{NewID: []byte{0, 1, 2}}),
		actors.MinerSubmitWindowedPoSt:           cborOf(f, base.postParams([]uint64{0}, bitfield.New())),
		actors.MinerTerminateSectors:             cborOf(f, &actors.TerminateSectorsParams{Terminations: []actors.FaultDeclaration{{Deadline: (dl1 + 2) % 4, Sectors: sectorSet(2, 4)}}}),
		actors.MinerDeclareFaults:                cborOf(f, &actors.DeclareFaultsParams{Faults: []actors.FaultDeclaration{{Deadline: (dl1 + 2) % 4, Sectors: sectorSet(2)}}}),
		actors.MinerDeclareFaultsRecovered:       cborOf(f, &actors.DeclareFaultsRecoveredParams{Recoveries: []actors.FaultDeclaration{{Deadline: dl1, Sectors: sectorSet(1)}}}),
		actors.MinerWithdrawBalance:              cborOf(f, &actors.MinerWithdrawBalanceParams{AmountRequested: big.FromFIL(1)}),
		actors.MinerChangeMultiaddrs:             cborOf(f, &actors.ChangeMultiaddrsParams{NewMultiaddrs: [][]byte{{1}}}),
		actors.MinerPreCommitSectorBatch2:        cborOf(f, &actors.PreCommitSectorBatch2Params{Sectors: []types.SectorPreCommitInfo{fakePreCommit(base, 7)}}),
		actors.MinerExtendSectorExpiration2:      cborOf(f, &actors.ExtendSectorExpiration2Params{Extensions: []actors.ExpirationExtension2{{Deadline: (dl1 + 2) % 4, Sectors: sectorSet(2), NewExpiration: 5000}}}),
		actors.MinerProveCommitSectors3:          cborOf(f, base.proveParams(5, 6)),
		actors.MinerIsControllingAddressExported: cborOf(f, &actors.IsControllingAddressParams{Address: base.workerAddr}),
	}
	for i, m := range fuzzMethods {
		for caller := range byte(3) {
			f.Add(byte(i), caller, seeds[m.method])
		}
		f.Add(byte(i), byte(1), []byte{0x80})
		f.Add(byte(i), byte(1), []byte{0x81, 0x81, 0x83, 0x00, 0x00, 0x41, 0x0c})
	}

	f.Fuzz(func(t *testing.T, which, caller byte, params []byte) {
		s, err := Restore(snap)
		if err != nil {
			t.Fatal(err)
		}
		fx := *base // the sealed sectors are only read
		fx.t, fx.s = t, s
		m := fuzzMethods[int(which)%len(fuzzMethods)]
		from := []uint64{fx.worker, fx.owner, fx.other}[int(caller)%3]
		to := fx.miner
		if m.power {
			to = PowerID
		}
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("method %d from f0%d panicked: %v", m.method, from, r)
			}
		}()
		// callRaw checks that an abort changed nothing, the balances and
		// the invariants.
		ret, ab := fx.callRaw(from, to, m.method, big.TokenAmount{}, params)
		if ab != nil && ret != nil {
			t.Fatal("an abort returned a value")
		}
		// The state stays usable: cron keeps the invariants.
		fx.advance(fx.epoch + 2)
	})
}
