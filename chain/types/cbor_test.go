package types_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/proof"
)

// cborCase is one CBOR vector: decoding in must succeed and re-encode to out
// (in itself when out is empty).
type cborCase struct {
	name    string
	in, out string
	decode  func([]byte) (interface{ Serialize() ([]byte, error) }, error)
}

func decoder[T interface{ Serialize() ([]byte, error) }](f func([]byte) (T, error)) func([]byte) (interface{ Serialize() ([]byte, error) }, error) {
	return func(b []byte) (interface{ Serialize() ([]byte, error) }, error) { return f(b) }
}

// TestCBOR_Vectors checks the state encodings against the vectors in
// research/actor-params.md §4 and §5.4 ([UP] go-state-types
// miner_types_test.go; [OURS] the note's independent encoder).
func TestCBOR_Vectors(t *testing.T) {
	const legacySector = "8f0109d82a49000182e20392200100800203420004420005490053444835ec580000f6f609f6f601"
	tests := []cborCase{
		// [UP] a sector written before FIP-0100: 15 fields; re-written with a
		// zero DailyFee appended, as go-state-types does.
		{"sector legacy 15", legacySector, "90" + legacySector[2:] + "40", decoder(types.DecodeSectorOnChainInfo)},
		{"sector 16", "90" + legacySector[2:] + "40", "", decoder(types.DecodeSectorOnChainInfo)},
		// [UP] the zero value of go-state-types' test.
		{"sector zero", "900020d82a450001000000800000404040f6f600f6f60040", "", decoder(types.DecodeSectorOnChainInfo)},
		// [OURS] a CC pre-commit [8, 1, cid, 4, [], 5, null].
		{"precommit", "870801d82a49000182e20392200100048005f6", "", decoder(types.DecodeSectorPreCommitInfo)},
		{"precommit on chain", "83870801d82a49000182e20392200100048005f6420064190100", "", decoder(types.DecodeSectorPreCommitOnChainInfo)},
		// [OURS] a deal state [0, -1, -1, -1].
		{"deal state", "8400202020", "", decoder(types.DecodeDealState)},
		// Receipts: the 3-tuple of old receipts gains a null EventsRoot.
		{"receipt v0", "8300410a1903e8", "8400410a1903e8f6", decoder(types.DecodeMessageReceipt)},
		{"receipt v1", "8412401903e8d82a49000182e20392200100", "", decoder(types.DecodeMessageReceipt)},
		// Actors: the 4-tuple of old state trees gains a null address.
		{"actor v4", "84d82a49000182e20392200100d82a49000182e203922001000542000a", "85d82a49000182e20392200100d82a49000182e203922001000542000af6", decoder(types.DecodeActor)},
		{"actor v5", "85d82a49000182e20392200100d82a49000182e203922001000542000a4300e807", "", decoder(types.DecodeActor)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.decode(mustHex(t, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.out
			if want == "" {
				want = tc.in
			}
			if got := hex.EncodeToString(serialize(t, v)); got != want {
				t.Fatalf("re-encoded\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestCBOR_Fields checks decoded values of the vectors above.
func TestCBOR_Fields(t *testing.T) {
	s, err := types.DecodeSectorOnChainInfo(mustHex(t, "8f0109d82a49000182e20392200100800203420004420005490053444835ec580000f6f609f6f601"))
	if err != nil {
		t.Fatal(err)
	}
	if s.SectorNumber != 1 || s.SealProof != proof.StackedDrg64GiBV1_1 || s.Activation != 2 || s.Expiration != 3 ||
		!s.DealWeight.Equals(big.NewInt(4)) || !s.InitialPledge.Equals(big.FromFIL(6).Int) ||
		s.ExpectedDayReward != nil || s.PowerBaseEpoch != 9 || s.SectorKeyCID != nil ||
		s.Flags != types.SimpleQAPower || !s.DailyFee.IsZero() || s.DeprecatedDealIDs != nil {
		t.Fatalf("sector %+v", s)
	}
	if j := string(mustJSON(t, s)); strings.Contains(j, "DeprecatedDealIDs") || !strings.Contains(j, `"ExpectedDayReward":null`) {
		t.Fatalf("sector JSON %s", j)
	}
	d, err := types.DecodeDealState(mustHex(t, "8400202020"))
	if err != nil || *d != (types.DealState{SectorStartEpoch: types.NoEpoch, LastUpdatedEpoch: -1, SlashEpoch: -1}) {
		t.Fatalf("deal state %+v, %v", d, err)
	}
	a, err := types.DecodeActor(mustHex(t, "85d82a49000182e20392200100d82a49000182e203922001000542000a4300e807"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Nonce != 5 || !a.Balance.Equals(big.NewInt(10)) || a.DelegatedAddress == nil || *a.DelegatedAddress != address.MustParse("f01000") {
		t.Fatalf("actor %+v", a)
	}
	r, err := types.DecodeMessageReceipt(mustHex(t, "8412401903e8d82a49000182e20392200100"))
	if err != nil || r.ExitCode != 18 || r.Return != nil || r.GasUsed != 1000 || r.EventsRoot == nil {
		t.Fatalf("receipt %+v, %v", r, err)
	}
	if j := string(mustJSON(t, r)); !strings.HasPrefix(j, `{"ExitCode":18,"Return":null,"GasUsed":1000,"EventsRoot":{"/":"`) {
		t.Fatalf("receipt JSON %s", j)
	}
}

func TestCBOR_DecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		decode func([]byte) (interface{ Serialize() ([]byte, error) }, error)
		is     error
		msg    string
	}{
		{"sector 14 fields", "8e", decoder(types.DecodeSectorOnChainInfo), types.ErrFieldCount, "array of 14, want [15 16]"},
		{"sector bad cid", "8f0109d82a4101", decoder(types.DecodeSectorOnChainInfo), nil, "field SealedCID"},
		{"sector truncated", "8f0109", decoder(types.DecodeSectorOnChainInfo), io.ErrUnexpectedEOF, "field SealedCID"},
		{"deal state negative sector", "8420202020", decoder(types.DecodeDealState), types.ErrCBORType, "field SectorNumber"},
		{"deal state epoch overflow", "84003b8000000000000000202020", decoder(types.DecodeDealState), types.ErrIntOverflow, "field SectorStartEpoch"},
		{"receipt 5 fields", "85", decoder(types.DecodeMessageReceipt), types.ErrFieldCount, "want [3 4]"},
		{"actor undef cid", "85f6", decoder(types.DecodeActor), nil, "field Code"},
		{"precommit trailing", "870801d82a49000182e20392200100048005f600", decoder(types.DecodeSectorPreCommitInfo), types.ErrTrailingBytes, "1 bytes after"},
		{"precommit too many deal ids", "870801d82a49000182e2039220010004992001", decoder(types.DecodeSectorPreCommitInfo), types.ErrFieldTooLarge, "field DealIDs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.decode(mustHex(t, tc.in))
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q lacks %q", err, tc.msg)
			}
		})
	}
}

func TestCBOR_MarshalErrors(t *testing.T) {
	for name, v := range map[string]interface{ Serialize() ([]byte, error) }{
		"sector undef cid":    &types.SectorOnChainInfo{},
		"precommit undef cid": &types.SectorPreCommitInfo{},
		"actor undef code":    &types.Actor{},
		"receipt big return":  &types.MessageReceipt{Return: make([]byte, 2<<20+1)},
	} {
		if _, err := v.Serialize(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Nil pointers encode as CBOR null, as cbor-gen expects of optional fields.
	var buf bytes.Buffer
	var r *types.MessageReceipt
	if err := r.MarshalCBOR(&buf); err != nil || buf.String() != "\xf6" {
		t.Fatalf("nil receipt %x, %v", buf.Bytes(), err)
	}
	sealed := mustCID(t, "bafy2bzacea3wsdh6y3a36tb3skempjoxqpuyompjbmfeyf34fi3uy6uue42v4")
	undef := cid.Undef
	p := types.SectorPreCommitOnChainInfo{Info: types.SectorPreCommitInfo{SealedCID: sealed, UnsealedCid: &undef}}
	if _, err := p.Serialize(); !errors.Is(err, types.ErrUndefinedCID) {
		t.Fatalf("undefined optional CID: %v", err)
	}
}
