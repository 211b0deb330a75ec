package types_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/types"
)

func TestTipSetKey(t *testing.T) {
	a := mustCID(t, "bafy2bzacea3wsdh6y3a36tb3skempjoxqpuyompjbmfeyf34fi3uy6uue42v4")
	b := mustCID(t, "bafy2bzacebp3shtrn43k7g3unredz7fxn4gj533d3o43tqn2p2ipxxhrvchve")
	k, err := types.NewTipSetKey(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Cids(); len(got) != 2 || !got[0].Equals(a) || !got[1].Equals(b) {
		t.Fatalf("Cids %v", got)
	}
	if want := "{" + a.String() + "," + b.String() + "}"; k.String() != want {
		t.Fatalf("String %s", k)
	}
	if k2, _ := types.NewTipSetKey(b, a); k2.Equals(k) || k2 == k {
		t.Fatal("order must matter")
	}
	if k3, _ := types.NewTipSetKey(a, b); k3 != k {
		t.Fatal("equal keys must compare equal with ==")
	}
	fromBytes, err := types.TipSetKeyFromBytes(k.Bytes())
	if err != nil || fromBytes != k {
		t.Fatalf("TipSetKeyFromBytes: %v", err)
	}
	if _, err := types.TipSetKeyFromBytes(append(k.Bytes(), 0x01)); !errors.Is(err, types.ErrInvalidKey) {
		t.Fatalf("truncated CID: %v", err)
	}
	if _, err := types.NewTipSetKey(a, cid.Undef); !errors.Is(err, types.ErrUndefinedCID) {
		t.Fatalf("undefined CID: %v", err)
	}

	// JSON: array of CID objects; [] for the empty key; null reads as empty.
	j := mustJSON(t, k)
	if want := `[{"/":"` + a.String() + `"},{"/":"` + b.String() + `"}]`; string(j) != want {
		t.Fatalf("JSON %s", j)
	}
	if j := mustJSON(t, types.EmptyTSK); string(j) != "[]" {
		t.Fatalf("empty key JSON %s", j)
	}
	for _, in := range []string{"[]", "null"} {
		e := k
		if err := json.Unmarshal([]byte(in), &e); err != nil {
			t.Fatal(err)
		}
		if !e.IsEmpty() {
			t.Fatalf("%s: not empty", in)
		}
	}
	var back types.TipSetKey
	if err := json.Unmarshal(j, &back); err != nil || back != k {
		t.Fatalf("JSON round trip: %v", err)
	}
	for _, in := range []string{`[null]`, `[{"/":""}]`, `{"/":"x"}`, `["bafy2bzacea3wsdh6y3a36tb3skempjoxqpuyompjbmfeyf34fi3uy6uue42v4"]`, `"x"`} {
		if err := json.Unmarshal([]byte(in), &back); err == nil {
			t.Errorf("%s: no error", in)
		}
	}

	// CBOR: an array of tag-42 CIDs; the empty key is 80.
	var buf bytes.Buffer
	if err := k.MarshalCBOR(&buf); err != nil {
		t.Fatal(err)
	}
	var fromCBOR types.TipSetKey
	if err := fromCBOR.UnmarshalCBOR(bytes.NewReader(buf.Bytes())); err != nil || fromCBOR != k {
		t.Fatalf("CBOR round trip: %v", err)
	}
	buf.Reset()
	if err := types.EmptyTSK.MarshalCBOR(&buf); err != nil || buf.String() != "\x80" {
		t.Fatalf("empty key CBOR %x, %v", buf.Bytes(), err)
	}
}
