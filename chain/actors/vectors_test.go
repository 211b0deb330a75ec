package actors_test

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/proof"
)

// vector is one encoding from research/actor-params.md: value must encode to
// hex, and hex must decode (DecodeParams) into a fresh target to a value
// equal to value that re-encodes to hex.
type vector struct {
	name   string
	hex    string
	value  codec
	target func() codec
}

func runVectors(t *testing.T, vectors []vector) {
	t.Helper()
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			want := mustHex(t, v.hex)
			if got := encode(t, v.value); !bytes.Equal(got, want) {
				t.Fatalf("encode: got  %x\nwant %s", got, v.hex)
			}
			back := v.target()
			if err := actors.DecodeParams(want, back); err != nil {
				t.Fatalf("decode %s: %v", v.hex, err)
			}
			if !reflect.DeepEqual(back, v.value) {
				t.Errorf("decoded %+v\nwant    %+v", back, v.value)
			}
			if got := encode(t, back); !bytes.Equal(got, want) {
				t.Fatalf("re-encode: got %x, want %s", got, v.hex)
			}
		})
	}
}

// TestVectors_Section8 checks every encoded vector of research/actor-params.md
// §8, and the inline examples of §2, §3 and §5 it collects, byte for byte in
// both directions.
func TestVectors_Section8(t *testing.T) {
	testCID := mustCID(t, testCIDHex)
	f0100, f0101, f01000 := mustAddr(t, "f0100"), mustAddr(t, "f0101"), mustAddr(t, "f01000")
	ccSector := types.SectorPreCommitInfo{
		SealProof: proof.StackedDrg32GiBV1_1, SectorNumber: 1, SealedCID: testCID,
		SealRandEpoch: 4, Expiration: 5,
	}
	faults := actors.FaultDeclaration{Deadline: 3, Partition: 0, Sectors: bitfield.NewFromSet([]uint64{5})}
	runVectors(t, []vector{
		// [UP] go-state-types builtin/v19/miner/miner_types_test.go.
		{"ProveCommitSectorsNI empty", "868040080102f4", &actors.ProveCommitSectorsNIParams{
			SealProofType: 8, AggregateProofType: 1, ProvingDeadline: 2,
		}, func() codec { return new(actors.ProveCommitSectorsNIParams) }},
		{"ProveCommitSectorsNI one sector", "8681860102d82a49000182e2039220010003040544deadbeef120106f5", &actors.ProveCommitSectorsNIParams{
			Sectors: []actors.SectorNIActivationInfo{{
				SealingNumber: 1, SealerID: 2, SealedCID: testCID, SectorNumber: 3, SealRandEpoch: 4, Expiration: 5,
			}},
			AggregateProof: mustHex(t, "deadbeef"), SealProofType: proof.StackedDrg32GiBV1_2_Feat_NiPoRep,
			AggregateProofType: actors.SnarkPackV2, ProvingDeadline: 6, RequireActivationSuccess: true,
		}, func() codec { return new(actors.ProveCommitSectorsNIParams) }},
		// [UP] unmarshall_test.go: the vesting-funds tail, a bare list.
		{"VestingFunds tail", "8282014200038202420004", &actors.VestingFunds{
			{Epoch: 1, Amount: big.FromAttoFIL(3)}, {Epoch: 2, Amount: big.FromAttoFIL(4)},
		}, func() codec { return new(actors.VestingFunds) }},
		// [OURS] big-int samples, as a bare big int (WithdrawBalanceReturn).
		{"big -1", "420101", &actors.WithdrawBalanceReturn{AmountWithdrawn: big.FromAttoFIL(-1)},
			func() codec { return new(actors.WithdrawBalanceReturn) }},
		{"big 0", "40", &actors.WithdrawBalanceReturn{},
			func() codec { return new(actors.WithdrawBalanceReturn) }},
		{"big 256", "43000100", &actors.WithdrawBalanceReturn{AmountWithdrawn: big.FromAttoFIL(256)},
			func() codec { return new(actors.WithdrawBalanceReturn) }},
		// [OURS] epoch -1 is 0x20 (here a SectorChanges [0, -1, []]).
		{"epoch -1", "830020" + "80", &actors.SectorChanges{MinimumCommitmentEpoch: -1},
			func() codec { return new(actors.SectorChanges) }},
		// [OURS] the message params of §8.
		{"CreateMiner", "854200644200650a4080", &actors.CreateMinerParams{
			Owner: f0100, Worker: f0101, WindowPoStProofType: proof.StackedDrgWindow2KiBV1_1,
		}, func() codec { return new(actors.CreateMinerParams) }},
		{"AddBalance", "4300e807", &actors.AddBalanceParams{ProviderOrClient: f01000},
			func() codec { return new(actors.AddBalanceParams) }},
		{"market WithdrawBalance", "824300e80749000de0b6b3a7640000", &actors.MarketWithdrawBalanceParams{
			ProviderOrClientAddress: f01000, Amount: big.FromFIL(1),
		}, func() codec { return new(actors.MarketWithdrawBalanceParams) }},
		{"DeclareFaults", "818183030042b002", &actors.DeclareFaultsParams{Faults: []actors.FaultDeclaration{faults}},
			func() codec { return new(actors.DeclareFaultsParams) }},
		// DeclareFaultsRecovered has the same shape and so the same bytes.
		{"DeclareFaultsRecovered", "818183030042b002", &actors.DeclareFaultsRecoveredParams{Recoveries: []actors.RecoveryDeclaration{faults}},
			func() codec { return new(actors.DeclareFaultsRecoveredParams) }},
		{"PreCommitSectorBatch2", "8181870801d82a49000182e20392200100048005f6", &actors.PreCommitSectorBatch2Params{
			Sectors: []types.SectorPreCommitInfo{ccSector},
		}, func() codec { return new(actors.PreCommitSectorBatch2Params) }},
		{"ProveCommitSectors3", "86818201808144deadbeef40f6f5f4", &actors.ProveCommitSectors3Params{
			SectorActivations:        []actors.SectorActivationManifest{{SectorNumber: 1}},
			SectorProofs:             [][]byte{mustHex(t, "deadbeef")},
			RequireActivationSuccess: true,
		}, func() codec { return new(actors.ProveCommitSectors3Params) }},
		{"BatchReturn all ok", "820180", &actors.ProveCommitSectors3Return{SuccessCount: 1},
			func() codec { return new(actors.BatchReturn) }},
		{"BatchReturn idx0 16", "820081820010", &actors.ProveCommitSectors3Return{
			FailCodes: []actors.FailCode{{Idx: 0, Code: actors.ExitIllegalArgument}},
		}, func() codec { return new(actors.BatchReturn) }},
		// [OURS] §3: TerminateSectors done.
		{"TerminateSectors return", "81f5", &actors.TerminateSectorsReturn{Done: true},
			func() codec { return new(actors.TerminateSectorsReturn) }},
	})
}

// TestEncodeDealID_Vectors checks §5.4's notification payloads: the bare CBOR deal
// ID (deal 7 is 07, deal 1000 is 1903e8).
func TestEncodeDealID_Vectors(t *testing.T) {
	for id, want := range map[uint64]string{0: "00", 7: "07", 23: "17", 24: "1818", 1000: "1903e8", 1 << 40: "1b0000010000000000"} {
		if got := hex.EncodeToString(actors.EncodeDealID(id)); got != want {
			t.Errorf("EncodeDealID(%d) = %s, want %s", id, got, want)
		}
		back, err := actors.DecodeDealID(mustHex(t, want))
		if err != nil || back != id {
			t.Errorf("DecodeDealID(%s) = %d, %v", want, back, err)
		}
	}
	for _, bad := range []string{"", "1807", "20", "0700", "4107", "f5", "1903"} {
		if id, err := actors.DecodeDealID(mustHex(t, bad)); err == nil {
			t.Errorf("DecodeDealID(%s) = %d, want an error", bad, id)
		}
	}
}

// TestSubmitWindowedPoSt_CBOR checks the 5-tuple layout of
// research/actor-params.md §3, assembled by hand from the rules there (the
// note has no upstream vector for it).
func TestSubmitWindowedPoSt_CBOR(t *testing.T) {
	proofBytes := bytes.Repeat([]byte{0xab}, 192)
	rand := bytes.Repeat([]byte{0x01}, 32)
	want := "85" + "03" +
		"82" + "820040" + "82014118" + // partitions: [0, {}], [1, {1}]
		"81" + "820d58c0" + hex.EncodeToString(proofBytes) + // one proof, type 13
		"1864" + "5820" + hex.EncodeToString(rand)
	runVectors(t, []vector{{"SubmitWindowedPoSt", want, &actors.SubmitWindowedPoStParams{
		Deadline: 3,
		Partitions: []actors.PoStPartition{
			{Index: 0},
			{Index: 1, Skipped: bitfield.NewFromSet([]uint64{1})},
		},
		Proofs:           []types.PoStProof{{PoStProof: proof.StackedDrgWindow32GiBV1_1, ProofBytes: proofBytes}},
		ChainCommitEpoch: 100,
		ChainCommitRand:  rand,
	}, func() codec { return new(actors.SubmitWindowedPoStParams) }}})
}

// TestProveCommitSectors3_DealPiece checks, byte by byte, the manifest of a
// verified deal piece as §5.4 describes it: the market notified with the
// CBOR deal ID, the allocation key set, and an aggregate proof.
func TestProveCommitSectors3_DealPiece(t *testing.T) {
	pieceCID := mustCID(t, "0181e203922020"+hex.EncodeToString(bytes.Repeat([]byte{0x11}, 32)))
	agg := actors.SnarkPackV2
	want := "86" +
		"81" + "82" + "07" + // one activation, sector 7
		"81" + "84" + "d82a5828" + "00" + "0181e203922020" + hex.EncodeToString(bytes.Repeat([]byte{0x11}, 32)) +
		"1908" + "00" + // size 2048
		"82" + "1903e8" + "05" + // allocation [client 1000, id 5]
		"81" + "82" + "4200" + "05" + "43" + "1903e8" + // notify f05 with deal 1000
		"80" + "43" + "aabbcc" + "01" + "f4" + "f5"
	runVectors(t, []vector{{"deal piece", want, &actors.ProveCommitSectors3Params{
		SectorActivations: []actors.SectorActivationManifest{{
			SectorNumber: 7,
			Pieces: []actors.PieceActivationManifest{{
				CID:                   pieceCID,
				Size:                  2048,
				VerifiedAllocationKey: &actors.VerifiedAllocationKey{Client: 1000, ID: 5},
				Notify:                []actors.DataActivationNotification{{Address: actors.MarketAddr, Payload: actors.EncodeDealID(1000)}},
			}},
		}},
		AggregateProof:             mustHex(t, "aabbcc"),
		AggregateProofType:         &agg,
		RequireNotificationSuccess: true,
	}, func() codec { return new(actors.ProveCommitSectors3Params) }}})
}

// TestSectorContentChanged_CBOR checks the transparent notification shapes
// of §5.4: params a bare array of [Sector, MinimumCommitmentEpoch, Added],
// the return nested bare arrays of bools.
func TestSectorContentChanged_CBOR(t *testing.T) {
	pieceCID := mustCID(t, testCIDHex)
	runVectors(t, []vector{
		{"params", "81" + "83" + "07" + "1a000f4240" + "81" + "83" + "d82a49000182e20392200100" + "190800" + "41" + "07",
			&actors.SectorContentChangedParams{Sectors: []actors.SectorChanges{{
				Sector: 7, MinimumCommitmentEpoch: 1_000_000,
				Added: []actors.PieceChange{{Data: pieceCID, Size: 2048, Payload: actors.EncodeDealID(7)}},
			}}}, func() codec { return new(actors.SectorContentChangedParams) }},
		{"return", "82" + "82f5f4" + "80",
			&actors.SectorContentChangedReturn{Sectors: []actors.SectorReturn{{Accepted: []bool{true, false}}, {}}},
			func() codec { return new(actors.SectorContentChangedReturn) }},
		{"empty params", "80", &actors.SectorContentChangedParams{},
			func() codec { return new(actors.SectorContentChangedParams) }},
	})
}

// TestPublishStorageDealsReturn_DealIDs checks the return's pairing of
// input indexes and new deal IDs.
func TestPublishStorageDealsReturn_DealIDs(t *testing.T) {
	r := &actors.PublishStorageDealsReturn{IDs: []uint64{100, 101}, ValidDeals: bitfield.NewFromSet([]uint64{0, 2})}
	runVectors(t, []vector{{"return", "82" + "82" + "1864" + "1865" + "41" + "3c", r, // {0,2}: 00 1 1 1 1 → 0x3c
		func() codec { return new(actors.PublishStorageDealsReturn) }}})
	ids, err := r.DealIDs()
	if err != nil || len(ids) != 2 || ids[0] != 100 || ids[2] != 101 {
		t.Fatalf("DealIDs = %v, %v", ids, err)
	}
	r.IDs = r.IDs[:1]
	if _, err := r.DealIDs(); err == nil {
		t.Fatal("DealIDs accepted 1 ID for 2 valid deals")
	}
}

// TestBatchReturn_Codes checks the conversions between a BatchReturn and
// per-item exit codes.
func TestBatchReturn_Codes(t *testing.T) {
	codes := []actors.ExitCode{actors.ExitOk, actors.ExitIllegalArgument, actors.ExitOk, actors.ExitNotFound, actors.ExitOk}
	b := actors.NewBatchReturn(codes)
	if b.SuccessCount != 3 || len(b.FailCodes) != 2 || b.FailCodes[1] != (actors.FailCode{Idx: 3, Code: actors.ExitNotFound}) {
		t.Fatalf("NewBatchReturn = %+v", b)
	}
	if b.Size() != 5 || b.AllOK() || !reflect.DeepEqual(b.Codes(), codes) {
		t.Fatalf("Size %d AllOK %v Codes %v", b.Size(), b.AllOK(), b.Codes())
	}
	if ok := actors.NewBatchReturn([]actors.ExitCode{0, 0}); !ok.AllOK() || ok.Size() != 2 {
		t.Fatalf("all ok: %+v", ok)
	}
	runVectors(t, []vector{{"mixed", "82" + "03" + "82" + "820110" + "820311", &b,
		func() codec { return new(actors.BatchReturn) }}})
}

// TestBitfield_Section6 checks that the RLE+ vectors of research/actor-params.md
// §6 are accepted by the strict (FVM) bitfield reading the package uses, as a
// PoStPartition's Skipped field, and re-encode to themselves.
func TestBitfield_Section6(t *testing.T) {
	tests := []struct {
		set  []uint64
		cbor string
	}{
		{nil, "40"},
		{[]uint64{0}, "410c"},
		{[]uint64{1}, "4118"},
		{[]uint64{5}, "42b002"},
		{[]uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "425401"},
		{seq(100), "42840c"},
		{[]uint64{1000}, "4300fd20"},
		{[]uint64{0, 2, 4, 5, 6, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27}, "447c472202"},
	}
	for _, tc := range tests {
		runVectors(t, []vector{{tc.cbor, "8201" + tc.cbor, &actors.PoStPartition{Index: 1, Skipped: bitfield.NewFromSet(tc.set)},
			func() codec { return new(actors.PoStPartition) }}})
	}
}

func seq(n uint64) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = uint64(i)
	}
	return s
}
