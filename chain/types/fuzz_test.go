package types_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/strata-sp/strata/chain/types"
)

// blockSeeds returns the CBOR of the mainnet block, a full test header and a
// genesis-like one.
func blockSeeds(f *testing.F) [][]byte {
	f.Helper()
	genesis := testHeader(f, 9)
	genesis.Ticket, genesis.ElectionProof, genesis.BlockSig, genesis.BLSAggregate = nil, nil, nil, nil
	genesis.BeaconEntries, genesis.WinPoStProof, genesis.Parents = nil, nil, nil
	return [][]byte{
		serialize(f, goldenTipSet(f).Blocks()[0]),
		serialize(f, testHeader(f, 1)),
		serialize(f, genesis),
	}
}

// FuzzDecodeBlockHeader checks that any input DecodeBlockHeader accepts
// re-encodes, that the encoding is a fixed point (decode∘encode is the
// identity on it) no longer than the input, that the block has a CID, and
// that a JSON round trip keeps the CBOR (and so the CID).
func FuzzDecodeBlockHeader(f *testing.F) {
	for _, s := range blockSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := types.DecodeBlockHeader(b)
		if err != nil {
			return
		}
		enc, err := h.Serialize()
		if err != nil {
			t.Fatalf("decoded %x but cannot re-encode: %v", b, err)
		}
		if len(enc) > len(b) {
			t.Fatalf("re-encoding %x is longer than the input %x", enc, b)
		}
		again, err := types.DecodeBlockHeader(enc)
		if err != nil {
			t.Fatalf("re-encoding %x does not decode: %v", enc, err)
		}
		if enc2 := serialize(t, again); !bytes.Equal(enc2, enc) {
			t.Fatalf("encoding is not stable: %x then %x", enc, enc2)
		}
		if _, err := h.Cid(); err != nil {
			t.Fatal(err)
		}
		j, err := json.Marshal(h)
		if err != nil {
			t.Fatalf("JSON: %v", err)
		}
		var fromJSON types.BlockHeader
		if err := types.DecodeJSON(j, &fromJSON); err != nil {
			t.Fatalf("JSON %s does not parse back: %v", j, err)
		}
		if got := serialize(t, &fromJSON); !bytes.Equal(got, enc) {
			t.Fatalf("JSON round trip of %s changed the CBOR", j)
		}
	})
}

// FuzzDecodeTipSetJSON checks that any JSON DecodeJSON accepts as a TipSet
// re-encodes to JSON that decodes to the same tipset and re-encodes to
// itself.
func FuzzDecodeTipSetJSON(f *testing.F) {
	f.Add(readGolden(f, "tipset.json"))
	two, err := types.NewTipSet([]*types.BlockHeader{testHeader(f, 1), testHeader(f, 2)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mustJSON(f, two))
	f.Add([]byte(`{"Blocks":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ts types.TipSet
		if err := types.DecodeJSON(b, &ts); err != nil {
			return
		}
		j, err := json.Marshal(&ts)
		if err != nil {
			t.Fatalf("decoded %s but cannot re-encode: %v", b, err)
		}
		var again types.TipSet
		if err := types.DecodeJSON(j, &again); err != nil {
			t.Fatalf("re-encoding %s does not decode: %v", j, err)
		}
		if !again.Equals(&ts) || again.Height() != ts.Height() || !again.Key().Equals(ts.Key()) {
			t.Fatalf("round trip changed the tipset: %s then %s", ts.Key(), again.Key())
		}
		if j2 := mustJSON(t, &again); !bytes.Equal(j2, j) {
			t.Fatalf("JSON is not stable:\n%s\n%s", j, j2)
		}
	})
}
