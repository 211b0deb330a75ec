package types_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"golang.org/x/crypto/blake2b"

	"github.com/strata-sp/strata/chain/types"
)

// TestNewTipSet_Order checks Lotus's block order: ascending blake2b-256 of
// the ticket's VRF proof, whatever the input order.
func TestNewTipSet_Order(t *testing.T) {
	blocks := []*types.BlockHeader{testHeader(t, 1), testHeader(t, 2), testHeader(t, 3), testHeader(t, 4)}
	want := append([]*types.BlockHeader(nil), blocks...)
	sort.Slice(want, func(i, j int) bool {
		a := blake2b.Sum256(want[i].Ticket.VRFProof)
		b := blake2b.Sum256(want[j].Ticket.VRFProof)
		return bytes.Compare(a[:], b[:]) < 0
	})
	var wantCids []cid.Cid
	for _, b := range want {
		c, err := b.Cid()
		if err != nil {
			t.Fatal(err)
		}
		wantCids = append(wantCids, c)
	}
	wantKey, err := types.NewTipSetKey(wantCids...)
	if err != nil {
		t.Fatal(err)
	}
	for _, perm := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}} {
		in := make([]*types.BlockHeader, len(perm))
		for i, p := range perm {
			in[i] = blocks[p]
		}
		inCopy := append([]*types.BlockHeader(nil), in...)
		ts, err := types.NewTipSet(in)
		if err != nil {
			t.Fatal(err)
		}
		if !ts.Key().Equals(wantKey) {
			t.Fatalf("perm %v: key %s, want %s", perm, ts.Key(), wantKey)
		}
		for i := range in {
			if in[i] != inCopy[i] {
				t.Fatal("NewTipSet reordered the caller's slice")
			}
		}
		if ts.MinTicketBlock() != want[0] || ts.Height() != 42 {
			t.Fatal("wrong min ticket block or height")
		}
	}
}

// TestNewTipSet_EqualTickets: blocks with the same ticket are ordered by
// their CID bytes, as Lotus does.
func TestNewTipSet_EqualTickets(t *testing.T) {
	a, b := testHeader(t, 1), testHeader(t, 1)
	b.Timestamp++
	ca, _ := a.Cid()
	cb, _ := b.Cid()
	first := ca
	if bytes.Compare(cb.Bytes(), ca.Bytes()) < 0 {
		first = cb
	}
	for _, in := range [][]*types.BlockHeader{{a, b}, {b, a}} {
		ts, err := types.NewTipSet(in)
		if err != nil {
			t.Fatal(err)
		}
		if !ts.Cids()[0].Equals(first) {
			t.Fatalf("first block %s, want %s", ts.Cids()[0], first)
		}
	}
}

func TestNewTipSet_Errors(t *testing.T) {
	noTicket := testHeader(t, 2)
	noTicket.Ticket = nil
	otherHeight := testHeader(t, 2)
	otherHeight.Height++
	otherParents := testHeader(t, 2)
	otherParents.Parents = otherParents.Parents[:1]
	swapped := testHeader(t, 2)
	swapped.Parents = []cid.Cid{swapped.Parents[1], swapped.Parents[0]}
	tests := []struct {
		name   string
		blocks []*types.BlockHeader
		msg    string
	}{
		{"none", nil, "no blocks"},
		{"nil block", []*types.BlockHeader{testHeader(t, 1), nil}, "block 1 is nil"},
		{"no ticket", []*types.BlockHeader{testHeader(t, 1), noTicket}, "block 1 has no ticket"},
		{"height", []*types.BlockHeader{testHeader(t, 1), otherHeight}, "at height"},
		{"parents", []*types.BlockHeader{testHeader(t, 1), otherParents}, "different parents"},
		{"parent order", []*types.BlockHeader{testHeader(t, 1), swapped}, "different parents"},
		{"duplicate", []*types.BlockHeader{testHeader(t, 1), testHeader(t, 1)}, "given twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := types.NewTipSet(tc.blocks)
			if !errors.Is(err, types.ErrInvalidTipSet) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want ErrInvalidTipSet with %q", err, tc.msg)
			}
		})
	}
	// One block needs no ticket (a genesis block may lack one).
	if _, err := types.NewTipSet([]*types.BlockHeader{noTicket}); err != nil {
		t.Fatal(err)
	}
}

func TestTipSet_Accessors(t *testing.T) {
	p1, p2 := testHeader(t, 1), testHeader(t, 2)
	parent, err := types.NewTipSet([]*types.BlockHeader{p1, p2})
	if err != nil {
		t.Fatal(err)
	}
	child := testHeader(t, 3)
	child.Parents = parent.Cids()
	child.Height = parent.Height() + 2 // a null round in between
	child.Timestamp = 5
	ts, err := types.NewTipSet([]*types.BlockHeader{child})
	if err != nil {
		t.Fatal(err)
	}
	if !ts.IsChildOf(parent) || parent.IsChildOf(ts) {
		t.Fatal("IsChildOf")
	}
	if !ts.Parents().Equals(parent.Key()) {
		t.Fatal("Parents")
	}
	c1, _ := p1.Cid()
	if !parent.Contains(c1) || ts.Contains(c1) || !parent.Key().Has(c1) {
		t.Fatal("Contains/Has")
	}
	if parent.MinTimestamp() != p1.Timestamp || ts.MinTimestamp() != 5 {
		t.Fatal("MinTimestamp")
	}
	if !ts.ParentState().Equals(child.ParentStateRoot) || !ts.ParentWeight().Equals(child.ParentWeight) ||
		!ts.ParentBaseFee().Equals(child.ParentBaseFee.Int) {
		t.Fatal("parent accessors")
	}
	var nilTS *types.TipSet
	if !nilTS.Key().IsEmpty() || !nilTS.Equals(nil) || nilTS.Equals(ts) || ts.Equals(parent) || !ts.Equals(ts) {
		t.Fatal("Equals/Key on nil")
	}
	if s := ts.String(); !strings.HasSuffix(s, "@44") || !strings.HasPrefix(s, "{bafy2bza") {
		t.Fatalf("String %q", s)
	}
	// Accessors return copies.
	ts.Cids()[0] = cid.Undef
	ts.Blocks()[0] = nil
	if !ts.Cids()[0].Defined() || ts.Blocks()[0] == nil {
		t.Fatal("accessor exposed internal slices")
	}
}

// TestTipSet_JSON covers the Lotus JSON form: round trip, null, and the check
// that given Cids and Height match the blocks.
func TestTipSet_JSON(t *testing.T) {
	ts, err := types.NewTipSet([]*types.BlockHeader{testHeader(t, 1), testHeader(t, 2)})
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(ts)
	if err != nil {
		t.Fatal(err)
	}
	var back types.TipSet
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equals(ts) {
		t.Fatal("round trip changed the tipset")
	}
	if j2, _ := json.Marshal(&back); !bytes.Equal(j2, j) {
		t.Fatalf("JSON round trip\n%s\n%s", j, j2)
	}
	var nilTS *types.TipSet
	if b, _ := json.Marshal(nilTS); string(b) != "null" {
		t.Fatalf("nil tipset JSON %s", b)
	}

	var m map[string]json.RawMessage
	if err := json.Unmarshal(j, &m); err != nil {
		t.Fatal(err)
	}
	edit := func(k, v string) []byte {
		c := map[string]json.RawMessage{}
		for kk, vv := range m {
			c[kk] = vv
		}
		if v == "" {
			delete(c, k)
		} else {
			c[k] = json.RawMessage(v)
		}
		b, _ := json.Marshal(c)
		return b
	}
	other := testHeader(t, 3)
	oc, _ := other.Cid()
	// Without Cids and Height the tipset is rebuilt from the blocks alone.
	var loose types.TipSet
	if err := json.Unmarshal(edit("Cids", ""), &loose); err != nil || !loose.Equals(ts) {
		t.Fatalf("no Cids: %v", err)
	}
	if err := json.Unmarshal(edit("Height", ""), &loose); err != nil || !loose.Equals(ts) {
		t.Fatalf("no Height: %v", err)
	}
	bad := []struct {
		name string
		in   []byte
		is   error
	}{
		{"wrong cids", edit("Cids", `[{"/":"`+oc.String()+`"}]`), types.ErrCIDMismatch},
		{"reversed cids", edit("Cids", mustJSONString(t, []cid.Cid{ts.Cids()[1], ts.Cids()[0]})), types.ErrCIDMismatch},
		{"wrong height", edit("Height", "43"), types.ErrCIDMismatch},
		{"no blocks", edit("Blocks", "[]"), types.ErrInvalidTipSet},
		{"null blocks", edit("Blocks", "null"), types.ErrInvalidTipSet},
		{"null block", edit("Blocks", "[null]"), types.ErrInvalidTipSet},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			var got types.TipSet
			err := json.Unmarshal(tc.in, &got)
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
		})
	}
}

func mustJSONString(t testing.TB, v any) string { t.Helper(); return string(mustJSON(t, v)) }

func TestHeadChange_JSON(t *testing.T) {
	ts := goldenTipSet(t)
	j := mustJSON(t, []types.HeadChange{{Type: types.HCApply, Val: ts}, {Type: types.HCRevert}})
	if !bytes.HasPrefix(j, []byte(`[{"Type":"apply","Val":{"Cids":[{"/":"bafy2bzacedo7`)) ||
		!bytes.HasSuffix(j, []byte(`{"Type":"revert","Val":null}]`)) {
		t.Fatalf("JSON %s", j)
	}
}
