package types_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
)

// TestBlockHeader_LotusVector checks the CBOR layout against Lotus's
// TestInteropBH (chain/types/blockheader_test.go, "acquired from
// go-filecoin"): the signing bytes of a header with every field set. Lotus's
// BLSAggregate there is &crypto.Signature{}, whose type byte 0 no decoder
// accepts and fil/sig refuses to encode; a BLS signature with empty data is
// used instead, so that one byte of the vector (41 00 → 41 02) changes.
func TestBlockHeader_LotusVector(t *testing.T) {
	miner, err := address.NewSecp256k1Address([]byte("address0"))
	if err != nil {
		t.Fatal(err)
	}
	mcid := mustCID(t, "bafy2bzaceaxyj7xq27gc2747adjcirpxx52tt7owqx6z6kckun7tqivvoym4y")
	h := &types.BlockHeader{
		Miner:                 miner,
		Ticket:                &types.Ticket{VRFProof: []byte{0x01, 0x02, 0x03}},
		ElectionProof:         &types.ElectionProof{WinCount: 0, VRFProof: []byte{0x0a, 0x0b}},
		BeaconEntries:         []types.BeaconEntry{{Round: 5, Data: []byte{0x0c}}},
		WinPoStProof:          []types.PoStProof{{PoStProof: 0, ProofBytes: []byte{0x07}}},
		Parents:               []cid.Cid{mcid},
		ParentWeight:          big.NewInt(1000),
		Height:                2,
		ParentStateRoot:       mcid,
		ParentMessageReceipts: mcid,
		Messages:              mcid,
		BLSAggregate:          &sig.Signature{Type: sig.BLS},
		Timestamp:             1,
		BlockSig:              &sig.Signature{Type: sig.BLS, Data: []byte{0x3}},
		ForkSignaling:         3,
		ParentBaseFee:         big.FromAttoFIL(1000000000),
	}
	const lotus = "905501d04cb15021bf6bd003073d79e2238d4e61f1ad2281430102038200420a0b818205410c818200410781d82a5827000171a0e402202f84fef0d7cc2d7f9f00d22445f7bf7539fdd685fd9f284aa37f3822b57619cc430003e802d82a5827000171a0e402202f84fef0d7cc2d7f9f00d22445f7bf7539fdd685fd9f284aa37f3822b57619ccd82a5827000171a0e402202f84fef0d7cc2d7f9f00d22445f7bf7539fdd685fd9f284aa37f3822b57619ccd82a5827000171a0e402202f84fef0d7cc2d7f9f00d22445f7bf7539fdd685fd9f284aa37f3822b57619cc410001f60345003b9aca00"
	if strings.Count(lotus, "410001f603") != 1 {
		t.Fatal("vector edit point not unique")
	}
	want := strings.Replace(lotus, "410001f603", "410201f603", 1)
	got, err := h.SigningBytes()
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != want {
		t.Fatalf("signing bytes\n got %x\nwant %s", got, want)
	}
	// SigningBytes is the CBOR with BlockSig null; the full CBOR carries it.
	full := serialize(t, h)
	if !bytes.Contains(full, []byte{0x42, 0x02, 0x03}) || bytes.Equal(full, got) {
		t.Fatalf("full CBOR %x should carry BlockSig 4202 03", full)
	}
	back, err := types.DecodeBlockHeader(full)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(serialize(t, back), full) {
		t.Fatal("CBOR round trip changed the bytes")
	}
}

// TestBlockHeader_MainnetCID decodes the real mainnet block of
// testdata/tipset.json (height 4863283) and checks its CID, which Lotus
// computed over its own CBOR: this pins the field order and every encoding
// rule against a block the network accepted.
func TestBlockHeader_MainnetCID(t *testing.T) {
	ts := goldenTipSet(t)
	h := ts.Blocks()[0]
	got, err := h.Cid()
	if err != nil {
		t.Fatal(err)
	}
	const want = "bafy2bzacedo7hjsumaajt6sbor42qycvjyk6goqe4oi4o4ddsjxkdeqrqf42c"
	if got.String() != want {
		t.Fatalf("CID %s, want %s", got, want)
	}
	b := serialize(t, h)
	back, err := types.DecodeBlockHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := back.Cid(); !c.Equals(got) {
		t.Fatalf("CBOR round trip: CID %s", c)
	}
	j1, _ := json.Marshal(h)
	j2, _ := json.Marshal(back)
	if !bytes.Equal(j1, j2) {
		t.Fatalf("CBOR round trip changed the JSON\n%s\n%s", j1, j2)
	}
}

// TestBlockHeader_RoundTrip covers full headers and genesis-like ones with
// null optional fields and empty arrays; empty arrays decode to nil, as
// cbor-gen does, so their JSON is null.
func TestBlockHeader_RoundTrip(t *testing.T) {
	full := testHeader(t, 1)
	genesis := &types.BlockHeader{
		Miner:                 full.Miner,
		ParentStateRoot:       full.ParentStateRoot,
		ParentMessageReceipts: full.ParentMessageReceipts,
		Messages:              full.Messages,
		Height:                -5,
	}
	for name, h := range map[string]*types.BlockHeader{"full": full, "genesis": genesis} {
		t.Run(name, func(t *testing.T) {
			b := serialize(t, h)
			back, err := types.DecodeBlockHeader(b)
			if err != nil {
				t.Fatal(err)
			}
			if again := serialize(t, back); !bytes.Equal(again, b) {
				t.Fatalf("round trip\n got %x\nwant %x", again, b)
			}
			j, err := json.Marshal(back)
			if err != nil {
				t.Fatal(err)
			}
			var fromJSON types.BlockHeader
			if err := json.Unmarshal(j, &fromJSON); err != nil {
				t.Fatal(err)
			}
			if again := serialize(t, &fromJSON); !bytes.Equal(again, b) {
				t.Fatalf("JSON round trip of %s changed the CBOR", j)
			}
		})
	}
	b := serialize(t, genesis)
	// 90 (16 fields), Miner f01001, then null Ticket and ElectionProof and
	// empty BeaconEntries, WinPoStProof and Parents.
	if !bytes.HasPrefix(b[1:], append(append([]byte{}, mustHex(t, "4300e907")...), 0xf6, 0xf6, 0x80, 0x80, 0x80)) {
		t.Fatalf("genesis-like CBOR %x", b)
	}
	j := string(mustJSON(t, genesis))
	for _, want := range []string{`"Ticket":null`, `"BeaconEntries":null`, `"Parents":null`, `"BlockSig":null`, `"Height":-5`, `"ParentWeight":"0"`} {
		if !strings.Contains(j, want) {
			t.Errorf("JSON %s lacks %s", j, want)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBlockHeader_MarshalErrors(t *testing.T) {
	for name, edit := range map[string]func(*types.BlockHeader){
		"undef miner":      func(h *types.BlockHeader) { h.Miner = address.Undef },
		"undef state root": func(h *types.BlockHeader) { h.ParentStateRoot = cid.Undef },
		"undef parent":     func(h *types.BlockHeader) { h.Parents[1] = cid.Undef },
		"bad sig type":     func(h *types.BlockHeader) { h.BlockSig = &sig.Signature{Type: 7} },
	} {
		t.Run(name, func(t *testing.T) {
			h := testHeader(t, 1)
			edit(h)
			if _, err := h.Serialize(); err == nil {
				t.Fatal("no error")
			}
			if _, err := h.Cid(); err == nil {
				t.Fatal("Cid: no error")
			}
		})
	}
}

// TestDecodeBlockHeader_Errors feeds damaged CBOR and checks that each
// failure names its cause.
func TestDecodeBlockHeader_Errors(t *testing.T) {
	good := serialize(t, testHeader(t, 1))
	hx := hex.EncodeToString(good)
	// Offsets in good: 90 | 4300e903 (Miner) | 81 5860 <96> (Ticket) ...
	tests := []struct {
		name string
		in   []byte
		is   error
		msg  string
	}{
		{"empty", nil, io.ErrUnexpectedEOF, "empty input"},
		{"truncated", good[:len(good)-3], io.ErrUnexpectedEOF, "field ParentBaseFee"},
		{"trailing", append(append([]byte{}, good...), 0x00), types.ErrTrailingBytes, "1 bytes after"},
		{"15 fields", mustHex(t, "8f"+hx[2:]), types.ErrFieldCount, "array of 15, want [16]"},
		{"map", mustHex(t, "a0"), types.ErrCBORType, "map, want array"},
		{"ticket not array", mustHex(t, "90"+hx[2:10]+"40"), types.ErrCBORType, "field Ticket"},
		{"too large", make([]byte, types.MaxBlockHeaderSize+1), types.ErrTooLarge, "max 1048576"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := types.DecodeBlockHeader(tc.in)
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q lacks %q", err, tc.msg)
			}
		})
	}
}
