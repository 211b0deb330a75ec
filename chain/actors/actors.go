package actors

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/blake2b"

	"github.com/strata-sp/strata/fil/address"
)

// Singleton actor IDs (go-state-types builtin/singletons.go). Their ID
// addresses are below.
const (
	SystemActorID     uint64 = 0
	InitActorID       uint64 = 1
	RewardActorID     uint64 = 2
	CronActorID       uint64 = 3
	PowerActorID      uint64 = 4
	MarketActorID     uint64 = 5
	VerifregActorID   uint64 = 6
	DatacapActorID    uint64 = 7
	EAMActorID        uint64 = 10 // Ethereum Address Manager (FIP-0055)
	BurntFundsActorID uint64 = 99
	// FirstNonSingletonActorID is the first ID the init actor assigns.
	FirstNonSingletonActorID uint64 = 100
)

// ID addresses of the singleton actors: f00, f01, … f099.
var (
	SystemAddr     = mustID(SystemActorID)
	InitAddr       = mustID(InitActorID)
	RewardAddr     = mustID(RewardActorID)
	CronAddr       = mustID(CronActorID)
	PowerAddr      = mustID(PowerActorID)
	MarketAddr     = mustID(MarketActorID)
	VerifregAddr   = mustID(VerifregActorID)
	DatacapAddr    = mustID(DatacapActorID)
	EAMAddr        = mustID(EAMActorID)
	BurntFundsAddr = mustID(BurntFundsActorID)
)

func mustID(id uint64) address.Address {
	a, err := address.NewIDAddress(id)
	if err != nil {
		panic(err) // ids below 2^63 always make an address
	}
	return a
}

// MethodNum is a method number, a message's Method (go-state-types
// abi.MethodNum).
//
// Numbers below FirstExportedMethod are the actors' internal numbering. Since
// FIP-0050 the actors let only builtin actors (accounts, multisigs, other
// builtin actors — not EVM contracts) call them, with ExitForbidden
// otherwise; the FRC-0042 "Exported" numbers are open to every caller.
type MethodNum uint64

// Methods every actor shares.
const (
	// MethodSend transfers value without running code.
	MethodSend MethodNum = 0
	// MethodConstructor is called once, by the system or init actor.
	MethodConstructor MethodNum = 1
	// MethodReceive is the FRC-0046 universal receiver hook
	// (method_hash!("Receive")).
	MethodReceive MethodNum = 3726118371
	// FirstExportedMethod is the lowest FRC-0042 method number, 2^24.
	FirstExportedMethod MethodNum = 1 << 24
)

// Init actor (f01) methods.
const (
	InitConstructor MethodNum = 1
	// InitExec creates an actor: ExecParams, ExecReturn.
	InitExec MethodNum = 2
)

// Power actor (f04) methods (builtin-actors actors/power Method).
const (
	PowerConstructor MethodNum = 1
	// PowerCreateMiner creates a miner: CreateMinerParams,
	// CreateMinerReturn; any caller; the value goes to the new miner.
	PowerCreateMiner        MethodNum = 2
	PowerUpdateClaimedPower MethodNum = 3
	PowerEnrollCronEvent    MethodNum = 4
	// PowerCronTick is the Rust OnEpochTickEnd.
	PowerCronTick          MethodNum = 5
	PowerUpdatePledgeTotal MethodNum = 6
	PowerCurrentTotalPower MethodNum = 9

	PowerCreateMinerExported         MethodNum = 1173380165 // method_hash!("CreateMiner")
	PowerNetworkRawPowerExported     MethodNum = 931722534  // method_hash!("NetworkRawPower")
	PowerMinerRawPowerExported       MethodNum = 3753401894 // method_hash!("MinerRawPower")
	PowerMinerCountExported          MethodNum = 1987646258 // method_hash!("MinerCount")
	PowerMinerConsensusCountExported MethodNum = 196739875  // method_hash!("MinerConsensusCount")
	PowerMinerPowerExported          MethodNum = 36284446   // method_hash!("MinerPower")
)

// Market actor (f05) methods (builtin-actors actors/market Method).
const (
	MarketConstructor MethodNum = 1
	// MarketAddBalance: AddBalanceParams; the message value is escrowed.
	MarketAddBalance MethodNum = 2
	// MarketWithdrawBalance: MarketWithdrawBalanceParams,
	// WithdrawBalanceReturn.
	MarketWithdrawBalance MethodNum = 3
	// MarketPublishStorageDeals: PublishStorageDealsParams,
	// PublishStorageDealsReturn.
	MarketPublishStorageDeals      MethodNum = 4
	MarketVerifyDealsForActivation MethodNum = 5
	MarketBatchActivateDeals       MethodNum = 6
	MarketOnMinerSectorsTerminate  MethodNum = 7 // OnMinerSectorsTerminateParams
	MarketCronTick                 MethodNum = 9

	MarketAddBalanceExported                MethodNum = 822473126  // method_hash!("AddBalance")
	MarketWithdrawBalanceExported           MethodNum = 2280458852 // method_hash!("WithdrawBalance")
	MarketPublishStorageDealsExported       MethodNum = 2236929350 // method_hash!("PublishStorageDeals")
	MarketGetBalanceExported                MethodNum = 726108461  // method_hash!("GetBalance")
	MarketGetDealDataCommitmentExported     MethodNum = 1157985802 // method_hash!("GetDealDataCommitment")
	MarketGetDealClientExported             MethodNum = 128053329  // method_hash!("GetDealClient")
	MarketGetDealProviderExported           MethodNum = 935081690  // method_hash!("GetDealProvider")
	MarketGetDealLabelExported              MethodNum = 46363526   // method_hash!("GetDealLabel")
	MarketGetDealTermExported               MethodNum = 163777312  // method_hash!("GetDealTerm")
	MarketGetDealTotalPriceExported         MethodNum = 4287162428 // method_hash!("GetDealTotalPrice")
	MarketGetDealClientCollateralExported   MethodNum = 200567895  // method_hash!("GetDealClientCollateral")
	MarketGetDealProviderCollateralExported MethodNum = 2986712137 // method_hash!("GetDealProviderCollateral")
	MarketGetDealVerifiedExported           MethodNum = 2627389465 // method_hash!("GetDealVerified")
	MarketGetDealActivationExported         MethodNum = 2567238399 // method_hash!("GetDealActivation")
	MarketGetDealSectorExported             MethodNum = 2611213344 // method_hash!("GetDealSector")
	MarketSettleDealPaymentsExported        MethodNum = 1900091594 // method_hash!("SettleDealPayments")
	// MarketSectorContentChanged is how a miner notifies the market of
	// activated deal pieces (SectorContentChangedParams,
	// SectorContentChangedReturn); it has no internal number.
	MarketSectorContentChanged MethodNum = 2034386435 // method_hash!("SectorContentChanged")
)

// Miner actor methods (builtin-actors actors/miner Method). The removed
// numbers are listed in RemovedMinerMethod.
const (
	// MinerConstructor is called by init on CreateMiner:
	// MinerConstructorParams.
	MinerConstructor MethodNum = 1
	// MinerControlAddresses: no params, ControlAddressesReturn.
	MinerControlAddresses MethodNum = 2
	// MinerChangeWorkerAddress: ChangeWorkerAddressParams; owner only.
	MinerChangeWorkerAddress MethodNum = 3
	// MinerChangePeerID: ChangePeerIDParams.
	MinerChangePeerID MethodNum = 4
	// MinerSubmitWindowedPoSt: SubmitWindowedPoStParams.
	MinerSubmitWindowedPoSt MethodNum = 5
	// MinerTerminateSectors: TerminateSectorsParams, TerminateSectorsReturn.
	MinerTerminateSectors MethodNum = 9
	// MinerDeclareFaults: DeclareFaultsParams.
	MinerDeclareFaults MethodNum = 10
	// MinerDeclareFaultsRecovered: DeclareFaultsRecoveredParams.
	MinerDeclareFaultsRecovered        MethodNum = 11
	MinerOnDeferredCronEvent           MethodNum = 12
	MinerCheckSectorProven             MethodNum = 13
	MinerApplyRewards                  MethodNum = 14
	MinerReportConsensusFault          MethodNum = 15
	MinerWithdrawBalance               MethodNum = 16 // MinerWithdrawBalanceParams, WithdrawBalanceReturn
	MinerInternalSectorSetupForPreseal MethodNum = 17
	MinerChangeMultiaddrs              MethodNum = 18 // ChangeMultiaddrsParams
	MinerCompactPartitions             MethodNum = 19
	MinerCompactSectorNumbers          MethodNum = 20
	// MinerConfirmChangeWorkerAddress: no params; finalises a queued
	// worker change once its epoch is reached.
	MinerConfirmChangeWorkerAddress MethodNum = 21
	MinerRepayDebt                  MethodNum = 22
	MinerChangeOwnerAddress         MethodNum = 23 // ChangeOwnerAddressParams
	MinerDisputeWindowedPoSt        MethodNum = 24
	// MinerPreCommitSectorBatch2: PreCommitSectorBatch2Params.
	MinerPreCommitSectorBatch2 MethodNum = 28
	MinerChangeBeneficiary     MethodNum = 30 // ChangeBeneficiaryParams
	// MinerGetBeneficiary: no params, GetBeneficiaryReturn.
	MinerGetBeneficiary MethodNum = 31
	// MinerExtendSectorExpiration2: ExtendSectorExpiration2Params.
	MinerExtendSectorExpiration2 MethodNum = 32
	// MinerProveCommitSectors3: ProveCommitSectors3Params,
	// ProveCommitSectors3Return; the onboarding path since nv22.
	MinerProveCommitSectors3 MethodNum = 34
	// MinerProveReplicaUpdates3: ProveReplicaUpdates3Params,
	// ProveReplicaUpdates3Return.
	MinerProveReplicaUpdates3 MethodNum = 35
	// MinerProveCommitSectorsNI: ProveCommitSectorsNIParams,
	// ProveCommitSectorsNIReturn.
	MinerProveCommitSectorsNI MethodNum = 36

	MinerChangeWorkerAddressExported        MethodNum = 3302309124 // method_hash!("ChangeWorkerAddress")
	MinerChangePeerIDExported               MethodNum = 1236548004 // method_hash!("ChangePeerID")
	MinerWithdrawBalanceExported            MethodNum = 2280458852 // method_hash!("WithdrawBalance")
	MinerChangeMultiaddrsExported           MethodNum = 1063480576 // method_hash!("ChangeMultiaddrs")
	MinerConfirmChangeWorkerAddressExported MethodNum = 2354970453 // method_hash!("ConfirmChangeWorkerAddress")
	MinerRepayDebtExported                  MethodNum = 3665352697 // method_hash!("RepayDebt")
	MinerChangeOwnerAddressExported         MethodNum = 1010589339 // method_hash!("ChangeOwnerAddress")
	MinerChangeBeneficiaryExported          MethodNum = 1570634796 // method_hash!("ChangeBeneficiary")
	MinerGetBeneficiaryExported             MethodNum = 4158972569 // method_hash!("GetBeneficiary")
	MinerGetOwnerExported                   MethodNum = 3275365574 // method_hash!("GetOwner")
	// MinerIsControllingAddressExported is how the market checks a
	// PublishStorageDeals caller: IsControllingAddressParams,
	// IsControllingAddressReturn.
	MinerIsControllingAddressExported MethodNum = 348244887  // method_hash!("IsControllingAddress")
	MinerGetSectorSizeExported        MethodNum = 3858292296 // method_hash!("GetSectorSize")
	MinerGetAvailableBalanceExported  MethodNum = 4026106874 // method_hash!("GetAvailableBalance")
	MinerGetVestingFundsExported      MethodNum = 1726876304 // method_hash!("GetVestingFunds")
	MinerGetPeerIDExported            MethodNum = 2812875329 // method_hash!("GetPeerID")
	MinerGetMultiaddrsExported        MethodNum = 1332909407 // method_hash!("GetMultiaddrs")
	MinerMaxTerminationFeeExported    MethodNum = 4127382196 // method_hash!("MaxTerminationFee")
	MinerInitialPledgeExported        MethodNum = 3180523767 // method_hash!("InitialPledge")
)

// Methods the network has removed: the actors no longer dispatch them, so
// they answer ExitUnhandledMessage ("invalid method"), as for any unknown
// number (research/actor-params.md §1).
var (
	removedMinerMethods = map[MethodNum]string{
		6:  "PreCommitSector",        // deprecated in actors v13
		7:  "ProveCommitSector",      // FIP-0084, actors v14 (nv23)
		8:  "ExtendSectorExpiration", // FIP-0103, actors v17 (nv27)
		25: "PreCommitSectorBatch",   // deprecated in actors v13
		26: "ProveCommitAggregate",   // FIP-0101, actors v17 (nv27)
		27: "ProveReplicaUpdates",    // FIP-0106, actors v17 (nv27)
		29: "ProveReplicaUpdates2",   // deprecated in actors v13
		33: "MovePartitions",         // never enabled
	}
	removedPowerMethods = map[MethodNum]string{
		7: "OnConsensusFault",         // actors v2
		8: "SubmitPoRepForBulkVerify", // with ProveCommitSector (FIP-0084)
	}
	removedMarketMethods = map[MethodNum]string{
		8: "ComputeDataCommitment",
	}
)

// RemovedMinerMethod reports whether m is a miner method the network has
// removed, and its former name: 6 PreCommitSector, 7 ProveCommitSector,
// 8 ExtendSectorExpiration, 25 PreCommitSectorBatch, 26 ProveCommitAggregate,
// 27 ProveReplicaUpdates, 29 ProveReplicaUpdates2, 33 MovePartitions. A devnet
// tracking mainnet at nv27 or later answers them with ExitUnhandledMessage;
// onboarding goes through 28 then 34 (or 36 for NI-PoRep).
func RemovedMinerMethod(m MethodNum) (name string, removed bool) {
	name, removed = removedMinerMethods[m]
	return name, removed
}

// RemovedPowerMethod reports whether m is a power method the network has
// removed (7 OnConsensusFault, 8 SubmitPoRepForBulkVerify), and its name.
func RemovedPowerMethod(m MethodNum) (name string, removed bool) {
	name, removed = removedPowerMethods[m]
	return name, removed
}

// RemovedMarketMethod reports whether m is a market method the network has
// removed (8 ComputeDataCommitment), and its name.
func RemovedMarketMethod(m MethodNum) (name string, removed bool) {
	name, removed = removedMarketMethods[m]
	return name, removed
}

// MethodHash returns the FRC-0042 method number of an exported method name:
// the first big-endian 4-byte window of blake2b-512("1|" + name) that is at
// least 2^24. Names start with an ASCII capital letter or '_' and go on with
// ASCII letters, digits and '_' (ErrInvalidName otherwise).
func MethodHash(name string) (MethodNum, error) {
	if name == "" {
		return 0, fmt.Errorf("%w: empty", ErrInvalidName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		upper := c >= 'A' && c <= 'Z'
		ok := upper || c == '_' || (i > 0 && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9'))
		if !ok {
			return 0, fmt.Errorf("%w: %q", ErrInvalidName, name)
		}
	}
	digest := blake2b.Sum512([]byte("1|" + name))
	for i := 0; i+4 <= len(digest); i += 4 {
		if n := binary.BigEndian.Uint32(digest[i:]); n >= uint32(FirstExportedMethod) {
			return MethodNum(n), nil
		}
	}
	// FRC-0042 leaves such names unusable; no name in use hits this.
	return 0, fmt.Errorf("%w: %q hashes to no number ≥ 2^24", ErrInvalidName, name)
}
