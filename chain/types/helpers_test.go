package types_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	ftypes "github.com/strata-sp/strata/fil/types"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustCID(t testing.TB, s string) cid.Cid {
	t.Helper()
	c, err := cid.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenTipSet returns the mainnet tipset of testdata/tipset.json.
func goldenTipSet(t testing.TB) *types.TipSet {
	t.Helper()
	var ts types.TipSet
	if err := types.DecodeJSON(readGolden(t, "tipset.json"), &ts); err != nil {
		t.Fatal(err)
	}
	return &ts
}

// testHeader returns a complete block header whose CBOR exercises every field
// kind; seed varies the ticket and the timestamp.
func testHeader(t testing.TB, seed byte) *types.BlockHeader {
	t.Helper()
	miner, err := address.NewIDAddress(1000 + uint64(seed))
	if err != nil {
		t.Fatal(err)
	}
	c := ftypes.CID([]byte("parent"))
	return &types.BlockHeader{
		Miner:                 miner,
		Ticket:                &types.Ticket{VRFProof: bytes.Repeat([]byte{seed}, 96)},
		ElectionProof:         &types.ElectionProof{WinCount: 1, VRFProof: bytes.Repeat([]byte{seed + 1}, 96)},
		BeaconEntries:         []types.BeaconEntry{{Round: 100, Data: []byte{1, 2, 3}}},
		WinPoStProof:          []types.PoStProof{{PoStProof: 3, ProofBytes: bytes.Repeat([]byte{7}, 192)}},
		Parents:               []cid.Cid{c, ftypes.CID([]byte("parent2"))},
		ParentWeight:          big.NewInt(123456789),
		Height:                42,
		ParentStateRoot:       ftypes.CID([]byte("state")),
		ParentMessageReceipts: ftypes.CID([]byte("receipts")),
		Messages:              ftypes.CID([]byte{'m', seed}),
		BLSAggregate:          &sig.Signature{Type: sig.BLS, Data: bytes.Repeat([]byte{9}, 96)},
		Timestamp:             1700000000 + uint64(seed),
		BlockSig:              &sig.Signature{Type: sig.BLS, Data: bytes.Repeat([]byte{seed}, 96)},
		ForkSignaling:         0,
		ParentBaseFee:         big.FromAttoFIL(100),
	}
}

func serialize(t testing.TB, v interface{ Serialize() ([]byte, error) }) []byte {
	t.Helper()
	b, err := v.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
