package actors_test

import (
	"bytes"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/sig"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/proof"
)

// fixture is a populated value of one type and a constructor of an empty
// one, for round trips and fuzz seeds.
type fixture struct {
	name   string
	value  codec
	target func() codec
}

// Decoder families, one fuzz target each.
const (
	familyPower  = "power"
	familyMiner  = "miner"
	familyMarket = "market"
)

// fixtures returns a populated value of every type of a family: every
// optional field set, every list non-empty, negative epochs and amounts where
// the type allows them.
func fixtures(t testing.TB, family string) []fixture {
	t.Helper()
	commR := mustCID(t, "0182e20381e80220"+hexRepeat("22", 32))
	commD := mustCID(t, "0181e203922020"+hexRepeat("33", 32))
	robust, err := address.NewActorAddress([]byte("strata"))
	if err != nil {
		t.Fatal(err)
	}
	bls, err := address.NewBLSAddress(bytes.Repeat([]byte{0x44}, address.BLSPublicKeyLength))
	if err != nil {
		t.Fatal(err)
	}
	owner, worker, control := mustAddr(t, "f01000"), mustAddr(t, "f01001"), mustAddr(t, "f01002")
	bf := bitfield.NewFromSet([]uint64{0, 2, 4, 5, 6, 11, 1000})
	piece := actors.PieceActivationManifest{
		CID: commD, Size: 1 << 35,
		VerifiedAllocationKey: &actors.VerifiedAllocationKey{Client: 1001, ID: 1 << 40},
		Notify: []actors.DataActivationNotification{
			{Address: actors.MarketAddr, Payload: actors.EncodeDealID(1 << 33)},
			{Address: robust, Payload: []byte{0xff}},
		},
	}
	agg := actors.SnarkPackV2
	switch family {
	case familyPower:
		return []fixture{
			{"CreateMinerParams", &actors.CreateMinerParams{
				Owner: owner, Worker: bls, WindowPoStProofType: proof.StackedDrgWindow32GiBV1_1,
				Peer: []byte("peer"), Multiaddrs: [][]byte{{0x04, 127, 0, 0, 1}, {0x29}},
			}, func() codec { return new(actors.CreateMinerParams) }},
			{"ExecParams", &actors.ExecParams{CodeCID: commR, ConstructorParams: []byte{0x80}},
				func() codec { return new(actors.ExecParams) }},
			{"ExecReturn", &actors.ExecReturn{IDAddress: owner, RobustAddress: robust},
				func() codec { return new(actors.ExecReturn) }},
			{"MinerConstructorParams", &actors.MinerConstructorParams{
				OwnerAddr: owner, WorkerAddr: worker, ControlAddrs: []address.Address{control, robust},
				WindowPoStProofType: proof.StackedDrgWindow2KiBV1_1, PeerID: []byte("peer"), Multiaddrs: [][]byte{{1, 2}},
			}, func() codec { return new(actors.MinerConstructorParams) }},
		}
	case familyMiner:
		return []fixture{
			{"ControlAddressesReturn", &actors.ControlAddressesReturn{Owner: owner, Worker: worker, ControlAddrs: []address.Address{control}},
				func() codec { return new(actors.ControlAddressesReturn) }},
			{"ChangeWorkerAddressParams", &actors.ChangeWorkerAddressParams{NewWorker: bls, NewControlAddrs: []address.Address{control, worker}},
				func() codec { return new(actors.ChangeWorkerAddressParams) }},
			{"ChangePeerIDParams", &actors.ChangePeerIDParams{NewID: []byte("12D3KooW")},
				func() codec { return new(actors.ChangePeerIDParams) }},
			{"ChangeMultiaddrsParams", &actors.ChangeMultiaddrsParams{NewMultiaddrs: [][]byte{{4, 10, 0, 0, 1}, {6, 0x1f, 0x90}}},
				func() codec { return new(actors.ChangeMultiaddrsParams) }},
			{"ChangeOwnerAddressParams", &actors.ChangeOwnerAddressParams{NewOwner: robust},
				func() codec { return new(actors.ChangeOwnerAddressParams) }},
			{"SubmitWindowedPoStParams", &actors.SubmitWindowedPoStParams{
				Deadline: 47, Partitions: []actors.PoStPartition{{Index: 0, Skipped: bf}, {Index: 1}},
				Proofs:           []types.PoStProof{{PoStProof: proof.StackedDrgWindow2KiBV1_1, ProofBytes: bytes.Repeat([]byte{9}, 192)}},
				ChainCommitEpoch: -5, ChainCommitRand: bytes.Repeat([]byte{7}, 32),
			}, func() codec { return new(actors.SubmitWindowedPoStParams) }},
			{"PoStPartition", &actors.PoStPartition{Index: 1 << 20, Skipped: bf},
				func() codec { return new(actors.PoStPartition) }},
			{"FaultDeclaration", &actors.FaultDeclaration{Deadline: 2, Partition: 3, Sectors: bf},
				func() codec { return new(actors.FaultDeclaration) }},
			{"DeclareFaultsParams", &actors.DeclareFaultsParams{Faults: []actors.FaultDeclaration{{Deadline: 1, Sectors: bf}, {Partition: 9}}},
				func() codec { return new(actors.DeclareFaultsParams) }},
			{"DeclareFaultsRecoveredParams", &actors.DeclareFaultsRecoveredParams{Recoveries: []actors.RecoveryDeclaration{{Deadline: 1, Partition: 2, Sectors: bf}}},
				func() codec { return new(actors.DeclareFaultsRecoveredParams) }},
			{"TerminateSectorsParams", &actors.TerminateSectorsParams{Terminations: []actors.TerminationDeclaration{{Deadline: 5, Partition: 1, Sectors: bf}}},
				func() codec { return new(actors.TerminateSectorsParams) }},
			{"TerminateSectorsReturn", &actors.TerminateSectorsReturn{Done: false},
				func() codec { return new(actors.TerminateSectorsReturn) }},
			{"PreCommitSectorBatch2Params", &actors.PreCommitSectorBatch2Params{Sectors: []types.SectorPreCommitInfo{
				{SealProof: proof.StackedDrg2KiBV1_1, SectorNumber: 1, SealedCID: commR, SealRandEpoch: 10, Expiration: 1 << 30},
				{SealProof: proof.StackedDrg2KiBV1_1_Feat_SyntheticPoRep, SectorNumber: 2, SealedCID: commR, SealRandEpoch: -1,
					DealIDs: []uint64{4, 5}, Expiration: 20, UnsealedCid: &commD},
			}}, func() codec { return new(actors.PreCommitSectorBatch2Params) }},
			{"ProveCommitSectors3Params", &actors.ProveCommitSectors3Params{
				SectorActivations:  []actors.SectorActivationManifest{{SectorNumber: 1, Pieces: []actors.PieceActivationManifest{piece, {CID: commD, Size: 2048}}}, {SectorNumber: 2}},
				AggregateProof:     []byte{1, 2, 3},
				AggregateProofType: &agg, RequireActivationSuccess: true, RequireNotificationSuccess: true,
			}, func() codec { return new(actors.ProveCommitSectors3Params) }},
			{"SectorActivationManifest", &actors.SectorActivationManifest{SectorNumber: 9, Pieces: []actors.PieceActivationManifest{piece}},
				func() codec { return new(actors.SectorActivationManifest) }},
			{"PieceActivationManifest", &piece, func() codec { return new(actors.PieceActivationManifest) }},
			{"VerifiedAllocationKey", &actors.VerifiedAllocationKey{Client: 1, ID: 2},
				func() codec { return new(actors.VerifiedAllocationKey) }},
			{"DataActivationNotification", &actors.DataActivationNotification{Address: actors.MarketAddr, Payload: actors.EncodeDealID(3)},
				func() codec { return new(actors.DataActivationNotification) }},
			{"BatchReturn", &actors.BatchReturn{SuccessCount: 1 << 31, FailCodes: []actors.FailCode{{Idx: 1, Code: actors.ExitForbidden}, {Idx: 7, Code: actors.ExitNotificationRejected}}},
				func() codec { return new(actors.BatchReturn) }},
			{"FailCode", &actors.FailCode{Idx: 4294967295, Code: 4294967295},
				func() codec { return new(actors.FailCode) }},
			{"ProveReplicaUpdates3Params", &actors.ProveReplicaUpdates3Params{
				SectorUpdates: []actors.SectorUpdateManifest{{Sector: 3, Deadline: 4, Partition: 5, NewSealedCID: commR, Pieces: []actors.PieceActivationManifest{piece}}},
				SectorProofs:  [][]byte{{1}, {2}}, UpdateProofsType: actors.UpdateProofStackedDrg32GiBV1,
				RequireActivationSuccess: true,
			}, func() codec { return new(actors.ProveReplicaUpdates3Params) }},
			{"SectorUpdateManifest", &actors.SectorUpdateManifest{Sector: 1, NewSealedCID: commR},
				func() codec { return new(actors.SectorUpdateManifest) }},
			{"ProveCommitSectorsNIParams", &actors.ProveCommitSectorsNIParams{
				Sectors:        []actors.SectorNIActivationInfo{{SealingNumber: 1, SealerID: 1000, SealedCID: commR, SectorNumber: 2, SealRandEpoch: -3, Expiration: 4}},
				AggregateProof: []byte{5}, SealProofType: proof.StackedDrg2KiBV1_2_Feat_NiPoRep, AggregateProofType: actors.SnarkPackV2,
				ProvingDeadline: 47,
			}, func() codec { return new(actors.ProveCommitSectorsNIParams) }},
			{"SectorNIActivationInfo", &actors.SectorNIActivationInfo{SealingNumber: 9, SealerID: 8, SealedCID: commR, SectorNumber: 7, SealRandEpoch: 6, Expiration: 5},
				func() codec { return new(actors.SectorNIActivationInfo) }},
			{"ExtendSectorExpiration2Params", &actors.ExtendSectorExpiration2Params{Extensions: []actors.ExpirationExtension2{{
				Deadline: 1, Partition: 2, Sectors: bf, NewExpiration: 1 << 33,
				SectorsWithClaims: []actors.SectorClaim{{SectorNumber: 3, MaintainClaims: []uint64{1, 2}, DropClaims: []uint64{3}}},
			}}}, func() codec { return new(actors.ExtendSectorExpiration2Params) }},
			{"ExpirationExtension2", &actors.ExpirationExtension2{Sectors: bf, NewExpiration: -1},
				func() codec { return new(actors.ExpirationExtension2) }},
			{"SectorClaim", &actors.SectorClaim{SectorNumber: 1, MaintainClaims: []uint64{1 << 62}},
				func() codec { return new(actors.SectorClaim) }},
			{"MinerWithdrawBalanceParams", &actors.MinerWithdrawBalanceParams{AmountRequested: big.MustParseTokenAmount("12.5")},
				func() codec { return new(actors.MinerWithdrawBalanceParams) }},
			{"WithdrawBalanceReturn", &actors.WithdrawBalanceReturn{AmountWithdrawn: big.MustParseTokenAmount("-0.000001")},
				func() codec { return new(actors.WithdrawBalanceReturn) }},
			{"ChangeBeneficiaryParams", &actors.ChangeBeneficiaryParams{NewBeneficiary: worker, NewQuota: big.FromFIL(100), NewExpiration: 1 << 40},
				func() codec { return new(actors.ChangeBeneficiaryParams) }},
			{"GetBeneficiaryReturn", &actors.GetBeneficiaryReturn{
				Active: actors.ActiveBeneficiary{Beneficiary: owner, Term: types.BeneficiaryTerm{Quota: big.FromFIL(5), UsedQuota: big.FromFIL(1), Expiration: 99}},
				Proposed: &types.PendingBeneficiaryChange{
					NewBeneficiary: control, NewQuota: big.FromFIL(7), NewExpiration: 1000, ApprovedByBeneficiary: true,
				},
			}, func() codec { return new(actors.GetBeneficiaryReturn) }},
			{"GetBeneficiaryReturn no proposal", &actors.GetBeneficiaryReturn{
				Active: actors.ActiveBeneficiary{Beneficiary: owner, Term: types.BeneficiaryTerm{Expiration: -1}},
			}, func() codec { return new(actors.GetBeneficiaryReturn) }},
			{"IsControllingAddressParams", &actors.IsControllingAddressParams{Address: bls},
				func() codec { return new(actors.IsControllingAddressParams) }},
			{"IsControllingAddressReturn", &actors.IsControllingAddressReturn{IsControlling: true},
				func() codec { return new(actors.IsControllingAddressReturn) }},
			{"VestingFund", &actors.VestingFund{Epoch: 100, Amount: big.FromFIL(3)},
				func() codec { return new(actors.VestingFund) }},
			{"VestingFunds", &actors.VestingFunds{{Epoch: 1, Amount: big.FromFIL(1)}, {Epoch: 2, Amount: big.FromAttoFIL(2)}},
				func() codec { return new(actors.VestingFunds) }},
			{"GetVestingFundsReturn", &actors.GetVestingFundsReturn{VestingFunds: actors.VestingFunds{{Epoch: 5, Amount: big.FromFIL(2)}}},
				func() codec { return new(actors.GetVestingFundsReturn) }},
		}
	case familyMarket:
		text, err := ftypes.NewLabelFromString("strata ✓")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := ftypes.NewLabelFromBytes([]byte{0xff, 0x00})
		if err != nil {
			t.Fatal(err)
		}
		proposal := ftypes.DealProposal{
			PieceCID: commD, PieceSize: 1 << 11, VerifiedDeal: true, Client: bls, Provider: owner, Label: text,
			StartEpoch: 100, EndEpoch: 200, StoragePricePerEpoch: big.FromAttoFIL(5),
			ProviderCollateral: big.FromFIL(1), ClientCollateral: big.TokenAmount{},
		}
		second := proposal
		second.Label, second.VerifiedDeal = raw, false
		return []fixture{
			{"AddBalanceParams", &actors.AddBalanceParams{ProviderOrClient: bls},
				func() codec { return new(actors.AddBalanceParams) }},
			{"MarketWithdrawBalanceParams", &actors.MarketWithdrawBalanceParams{ProviderOrClientAddress: owner, Amount: big.FromAttoFIL(1)},
				func() codec { return new(actors.MarketWithdrawBalanceParams) }},
			{"PublishStorageDealsParams", &actors.PublishStorageDealsParams{Deals: []ftypes.ClientDealProposal{
				{Proposal: proposal, ClientSignature: sig.Signature{Type: sig.BLS, Data: bytes.Repeat([]byte{1}, 96)}},
				{Proposal: second, ClientSignature: sig.Signature{Type: sig.Secp256k1, Data: bytes.Repeat([]byte{2}, 65)}},
			}}, func() codec { return new(actors.PublishStorageDealsParams) }},
			{"PublishStorageDealsReturn", &actors.PublishStorageDealsReturn{IDs: []uint64{1, 2, 3}, ValidDeals: bitfield.NewFromSet([]uint64{0, 1, 3})},
				func() codec { return new(actors.PublishStorageDealsReturn) }},
			{"OnMinerSectorsTerminateParams", &actors.OnMinerSectorsTerminateParams{Epoch: 12345, Sectors: bitfield.NewFromSet([]uint64{1, 2, 3, 100})},
				func() codec { return new(actors.OnMinerSectorsTerminateParams) }},
			{"SectorContentChangedParams", &actors.SectorContentChangedParams{Sectors: []actors.SectorChanges{
				{Sector: 1, MinimumCommitmentEpoch: 1000, Added: []actors.PieceChange{{Data: commD, Size: 2048, Payload: actors.EncodeDealID(1)}}},
				{Sector: 2, MinimumCommitmentEpoch: -1},
			}}, func() codec { return new(actors.SectorContentChangedParams) }},
			{"SectorChanges", &actors.SectorChanges{Sector: 5, Added: []actors.PieceChange{{Data: commD, Size: 1}}},
				func() codec { return new(actors.SectorChanges) }},
			{"PieceChange", &actors.PieceChange{Data: commD, Size: 1 << 35, Payload: []byte{1, 2}},
				func() codec { return new(actors.PieceChange) }},
			{"SectorContentChangedReturn", &actors.SectorContentChangedReturn{Sectors: []actors.SectorReturn{{Accepted: []bool{true}}, {Accepted: []bool{false, true}}}},
				func() codec { return new(actors.SectorContentChangedReturn) }},
			{"SectorReturn", &actors.SectorReturn{Accepted: []bool{false}},
				func() codec { return new(actors.SectorReturn) }},
		}
	}
	t.Fatalf("unknown family %q", family)
	return nil
}

func hexRepeat(b string, n int) string {
	var s string
	for range n {
		s += b
	}
	return s
}

// allFixtures returns the fixtures of every family.
func allFixtures(t testing.TB) []fixture {
	t.Helper()
	var all []fixture
	for _, f := range []string{familyPower, familyMiner, familyMarket} {
		all = append(all, fixtures(t, f)...)
	}
	return all
}
