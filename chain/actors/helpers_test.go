package actors_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
)

// testCIDHex is the CID go-state-types' miner tests use (bagboea4seaaqa):
// CIDv1, codec fil-commitment-sealed, multihash sha2-256-trunc254-padded of
// one zero byte. It would fail the miner's prefix checks; the encoding does
// not care.
const testCIDHex = "0182e20392200100"

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustCID(t testing.TB, hexBytes string) cid.Cid {
	t.Helper()
	c, err := cid.Cast(mustHex(t, hexBytes))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustAddr(t testing.TB, s string) address.Address {
	t.Helper()
	a, err := address.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func encode(t testing.TB, v cbg.CBORMarshaler) []byte {
	t.Helper()
	b, err := actors.EncodeParams(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	return b
}

// codec is a value that both encodes and decodes.
type codec interface {
	cbg.CBORMarshaler
	cbg.CBORUnmarshaler
}
