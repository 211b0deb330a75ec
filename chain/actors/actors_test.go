package actors_test

import (
	"errors"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
)

// TestSingletons_Addresses checks the singleton actors' IDs and addresses.
func TestSingletons_Addresses(t *testing.T) {
	for want, a := range map[string]address.Address{
		"f00": actors.SystemAddr, "f01": actors.InitAddr, "f02": actors.RewardAddr, "f03": actors.CronAddr,
		"f04": actors.PowerAddr, "f05": actors.MarketAddr, "f06": actors.VerifregAddr, "f07": actors.DatacapAddr,
		"f010": actors.EAMAddr, "f099": actors.BurntFundsAddr,
	} {
		if a.String() != want {
			t.Errorf("%s: got %s", want, a)
		}
	}
	if b := encode(t, &actors.AddBalanceParams{ProviderOrClient: actors.MarketAddr}); string(b) != "\x42\x00\x05" {
		t.Errorf("f05 CBOR %x", b)
	}
}

// TestMethodHash_Vectors checks the FRC-0042 hash against the frc42_dispatch test
// vectors and the universal receiver hook, and every exported constant
// against its name.
func TestMethodHash_Vectors(t *testing.T) {
	upstream := map[string]actors.MethodNum{
		"Method": 0xa20642fc, "_Method": 0xeb9575aa, "Name": 0x02ea015c, "Symbol": 0x7adab63e,
		"TotalSupply": 0x06da7a35, "BalanceOf": 0x8710e1ac, "Receive": actors.MethodReceive,
	}
	// research/actor-params.md §1 lists these values too.
	exported := map[string]actors.MethodNum{
		"CreateMiner": actors.PowerCreateMinerExported, "NetworkRawPower": actors.PowerNetworkRawPowerExported,
		"MinerRawPower": actors.PowerMinerRawPowerExported, "MinerCount": actors.PowerMinerCountExported,
		"MinerConsensusCount": actors.PowerMinerConsensusCountExported, "MinerPower": actors.PowerMinerPowerExported,

		"AddBalance": actors.MarketAddBalanceExported, "WithdrawBalance": actors.MarketWithdrawBalanceExported,
		"PublishStorageDeals": actors.MarketPublishStorageDealsExported, "GetBalance": actors.MarketGetBalanceExported,
		"GetDealDataCommitment": actors.MarketGetDealDataCommitmentExported, "GetDealClient": actors.MarketGetDealClientExported,
		"GetDealProvider": actors.MarketGetDealProviderExported, "GetDealLabel": actors.MarketGetDealLabelExported,
		"GetDealTerm": actors.MarketGetDealTermExported, "GetDealTotalPrice": actors.MarketGetDealTotalPriceExported,
		"GetDealClientCollateral":   actors.MarketGetDealClientCollateralExported,
		"GetDealProviderCollateral": actors.MarketGetDealProviderCollateralExported,
		"GetDealVerified":           actors.MarketGetDealVerifiedExported, "GetDealActivation": actors.MarketGetDealActivationExported,
		"GetDealSector": actors.MarketGetDealSectorExported, "SettleDealPayments": actors.MarketSettleDealPaymentsExported,
		"SectorContentChanged": actors.MarketSectorContentChanged,

		"ChangeWorkerAddress": actors.MinerChangeWorkerAddressExported, "ChangePeerID": actors.MinerChangePeerIDExported,
		"ChangeMultiaddrs": actors.MinerChangeMultiaddrsExported, "ConfirmChangeWorkerAddress": actors.MinerConfirmChangeWorkerAddressExported,
		"RepayDebt": actors.MinerRepayDebtExported, "ChangeOwnerAddress": actors.MinerChangeOwnerAddressExported,
		"ChangeBeneficiary": actors.MinerChangeBeneficiaryExported, "GetBeneficiary": actors.MinerGetBeneficiaryExported,
		"GetOwner": actors.MinerGetOwnerExported, "IsControllingAddress": actors.MinerIsControllingAddressExported,
		"GetSectorSize": actors.MinerGetSectorSizeExported, "GetAvailableBalance": actors.MinerGetAvailableBalanceExported,
		"GetVestingFunds": actors.MinerGetVestingFundsExported, "GetPeerID": actors.MinerGetPeerIDExported,
		"GetMultiaddrs": actors.MinerGetMultiaddrsExported, "MaxTerminationFee": actors.MinerMaxTerminationFeeExported,
		"InitialPledge": actors.MinerInitialPledgeExported,
	}
	for _, m := range []map[string]actors.MethodNum{upstream, exported} {
		for name, want := range m {
			got, err := actors.MethodHash(name)
			if err != nil || got != want {
				t.Errorf("MethodHash(%q) = %d, %v; want %d", name, got, err, want)
			}
		}
	}
	// The values research/actor-params.md §1 quotes.
	notes := [][2]actors.MethodNum{
		{actors.MarketAddBalanceExported, 822473126}, {actors.MarketWithdrawBalanceExported, 2280458852},
		{actors.MinerWithdrawBalanceExported, 2280458852}, {actors.MarketPublishStorageDealsExported, 2236929350},
		{actors.PowerCreateMinerExported, 1173380165}, {actors.MinerChangeWorkerAddressExported, 3302309124},
		{actors.MinerGetBeneficiaryExported, 4158972569}, {actors.MinerIsControllingAddressExported, 348244887},
		{actors.MarketSectorContentChanged, 2034386435}, {actors.MethodReceive, 3726118371},
	}
	for _, n := range notes {
		if n[0] != n[1] {
			t.Errorf("constant %d, notes say %d", n[0], n[1])
		}
	}
	for _, bad := range []string{"", "method", "1Method", "Met-hod", "Métod", "Me thod"} {
		if _, err := actors.MethodHash(bad); !errors.Is(err, actors.ErrInvalidName) {
			t.Errorf("MethodHash(%q): %v, want ErrInvalidName", bad, err)
		}
	}
}

// TestRemovedMethod_Table checks the method numbers the network no longer
// dispatches (research/actor-params.md §1) and that live ones are not among
// them.
func TestRemovedMethod_Table(t *testing.T) {
	removed := map[actors.MethodNum]string{
		6: "PreCommitSector", 7: "ProveCommitSector", 8: "ExtendSectorExpiration", 25: "PreCommitSectorBatch",
		26: "ProveCommitAggregate", 27: "ProveReplicaUpdates", 29: "ProveReplicaUpdates2", 33: "MovePartitions",
	}
	for m := actors.MethodNum(0); m < 64; m++ {
		name, ok := actors.RemovedMinerMethod(m)
		if want, wantOK := removed[m]; ok != wantOK || name != want {
			t.Errorf("RemovedMinerMethod(%d) = %q, %v", m, name, ok)
		}
	}
	for _, live := range []actors.MethodNum{
		actors.MinerSubmitWindowedPoSt, actors.MinerPreCommitSectorBatch2, actors.MinerProveCommitSectors3,
		actors.MinerProveCommitSectorsNI, actors.MinerExtendSectorExpiration2, actors.MinerDeclareFaults,
	} {
		if _, ok := actors.RemovedMinerMethod(live); ok {
			t.Errorf("live method %d listed as removed", live)
		}
	}
	if name, ok := actors.RemovedPowerMethod(8); !ok || name != "SubmitPoRepForBulkVerify" {
		t.Errorf("power 8: %q %v", name, ok)
	}
	if _, ok := actors.RemovedPowerMethod(actors.PowerCreateMiner); ok {
		t.Error("CreateMiner listed as removed")
	}
	if name, ok := actors.RemovedMarketMethod(8); !ok || name != "ComputeDataCommitment" {
		t.Errorf("market 8: %q %v", name, ok)
	}
}
