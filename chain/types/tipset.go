package types

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/big"
)

// TipSet is a set of blocks at one height sharing one set of parents
// (lotus chain/types.TipSet). It is immutable once built by NewTipSet (or
// decoded from JSON); the block headers it holds must not be modified. The
// zero TipSet has no blocks and is not a valid tipset.
//
// JSON: {"Cids":[…],"Blocks":[…],"Height":n} (Lotus ExpTipSet).
type TipSet struct {
	cids   []cid.Cid
	blocks []*BlockHeader
	height int64
}

// NewTipSet builds a tipset from its blocks, in any order. Like Lotus it
// sorts them by ticket (Ticket.Less; equal tickets by block CID bytes) and
// checks that all share the first block's height and parents. It also
// refuses a nil block, a block given twice, and, when there are several
// blocks, a block without a ticket (Lotus would panic sorting it). The
// caller's slice is not modified.
func NewTipSet(blocks []*BlockHeader) (*TipSet, error) {
	if len(blocks) == 0 {
		return nil, fmt.Errorf("%w: no blocks", ErrInvalidTipSet)
	}
	type entry struct {
		h *BlockHeader
		c cid.Cid
	}
	es := make([]entry, len(blocks))
	seen := make(map[cid.Cid]bool, len(blocks))
	for i, h := range blocks {
		if h == nil {
			return nil, fmt.Errorf("%w: block %d is nil", ErrInvalidTipSet, i)
		}
		if h.Ticket == nil && len(blocks) > 1 {
			return nil, fmt.Errorf("%w: block %d has no ticket", ErrInvalidTipSet, i)
		}
		c, err := h.Cid()
		if err != nil {
			return nil, fmt.Errorf("tipset: block %d: %w", i, err)
		}
		if seen[c] {
			return nil, fmt.Errorf("%w: block %s given twice", ErrInvalidTipSet, c)
		}
		seen[c] = true
		es[i] = entry{h, c}
	}
	sort.Slice(es, func(i, j int) bool {
		ti, tj := es[i].h.Ticket, es[j].h.Ticket
		if ti.Equals(tj) {
			return bytes.Compare(es[i].c.Bytes(), es[j].c.Bytes()) < 0
		}
		return ti.Less(tj)
	})
	first := es[0].h
	ts := &TipSet{
		cids:   make([]cid.Cid, len(es)),
		blocks: make([]*BlockHeader, len(es)),
		height: first.Height,
	}
	for i, e := range es {
		if e.h.Height != first.Height {
			return nil, fmt.Errorf("%w: block %s at height %d, block %s at %d",
				ErrInvalidTipSet, e.c, e.h.Height, es[0].c, first.Height)
		}
		if !cidsEqual(e.h.Parents, first.Parents) {
			return nil, fmt.Errorf("%w: blocks %s and %s have different parents", ErrInvalidTipSet, e.c, es[0].c)
		}
		ts.cids[i] = e.c
		ts.blocks[i] = e.h
	}
	return ts, nil
}

func cidsEqual(a, b []cid.Cid) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equals(b[i]) {
			return false
		}
	}
	return true
}

// Cids returns the blocks' CIDs in block order (a copy).
func (ts *TipSet) Cids() []cid.Cid { return append([]cid.Cid(nil), ts.cids...) }

// Blocks returns the block headers in block order. The slice is a copy; the
// headers are shared and must not be modified.
func (ts *TipSet) Blocks() []*BlockHeader { return append([]*BlockHeader(nil), ts.blocks...) }

// Key returns the tipset's key; EmptyTSK for a nil tipset, as in Lotus.
func (ts *TipSet) Key() TipSetKey {
	if ts == nil {
		return EmptyTSK
	}
	k, err := NewTipSetKey(ts.cids...)
	if err != nil {
		// Block CIDs are always defined.
		panic(err)
	}
	return k
}

// Height returns the tipset's epoch.
func (ts *TipSet) Height() int64 { return ts.height }

// Parents returns the key of the parent tipset. A block whose Parents holds
// an undefined CID cannot be encoded, so NewTipSet has already refused it.
func (ts *TipSet) Parents() TipSetKey {
	k, err := NewTipSetKey(ts.blocks[0].Parents...)
	if err != nil {
		panic(err)
	}
	return k
}

// ParentState returns the state root after executing the parent tipset, the
// state that queries "at" this tipset read.
func (ts *TipSet) ParentState() cid.Cid { return ts.blocks[0].ParentStateRoot }

// ParentWeight returns the chain weight up to the parent tipset.
func (ts *TipSet) ParentWeight() big.Int { return ts.blocks[0].ParentWeight }

// ParentBaseFee returns the base fee after executing the parent tipset.
func (ts *TipSet) ParentBaseFee() big.TokenAmount { return ts.blocks[0].ParentBaseFee }

// MinTimestamp returns the earliest block timestamp.
func (ts *TipSet) MinTimestamp() uint64 {
	m := ts.blocks[0].Timestamp
	for _, b := range ts.blocks[1:] {
		m = min(m, b.Timestamp)
	}
	return m
}

// MinTicketBlock returns the block with the smallest ticket, the first in
// block order; its ticket seeds the randomness of the next epoch.
func (ts *TipSet) MinTicketBlock() *BlockHeader { return ts.blocks[0] }

// Contains reports whether c is one of the tipset's blocks.
func (ts *TipSet) Contains(c cid.Cid) bool {
	for _, tc := range ts.cids {
		if tc.Equals(c) {
			return true
		}
	}
	return false
}

// Equals reports whether ts and o hold the same blocks; two nil tipsets are
// equal.
func (ts *TipSet) Equals(o *TipSet) bool {
	if ts == nil || o == nil {
		return ts == o
	}
	return cidsEqual(ts.cids, o.cids)
}

// IsChildOf reports whether parent is ts's parent tipset: ts's parents are
// parent's blocks and ts is higher.
func (ts *TipSet) IsChildOf(parent *TipSet) bool {
	return ts.Parents().Equals(parent.Key()) && ts.height > parent.height
}

// String returns the tipset's key and height, for logs.
func (ts *TipSet) String() string {
	return fmt.Sprintf("%s@%d", ts.Key(), ts.height)
}

// tipSetJSON is Lotus's ExpTipSet. Height is a pointer to tell an absent
// height from 0 when decoding.
type tipSetJSON struct {
	Cids   []cid.Cid
	Blocks []*BlockHeader
	Height *int64
}

// MarshalJSON writes {"Cids","Blocks","Height"}. A nil *TipSet is null.
func (ts TipSet) MarshalJSON() ([]byte, error) {
	h := ts.height
	return json.Marshal(tipSetJSON{Cids: ts.cids, Blocks: ts.blocks, Height: &h})
}

// UnmarshalJSON rebuilds the tipset from "Blocks" with NewTipSet, as Lotus
// does. Unlike Lotus it then checks the "Cids" and "Height" given (when
// present) against the blocks and fails with ErrCIDMismatch if they differ:
// a mismatch means this package encodes headers differently from the node
// (a field added in a newer network version, say), and every tipset key
// built from the wrong CIDs would be rejected later, far from the cause.
func (ts *TipSet) UnmarshalJSON(b []byte) error {
	var j tipSetJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("tipset JSON: %w", err)
	}
	t, err := NewTipSet(j.Blocks)
	if err != nil {
		return fmt.Errorf("tipset JSON: %w", err)
	}
	if j.Cids != nil && !cidsEqual(j.Cids, t.cids) {
		return fmt.Errorf("tipset JSON: %w: given %v, blocks hash to %v", ErrCIDMismatch, j.Cids, t.cids)
	}
	if j.Height != nil && *j.Height != t.height {
		return fmt.Errorf("tipset JSON: %w: given height %d, blocks at %d", ErrCIDMismatch, *j.Height, t.height)
	}
	*ts = *t
	return nil
}

// HeadChange is one item of a ChainNotify batch (lotus api.HeadChange).
// Type is HCCurrent, HCApply or HCRevert; it stays a string because Lotus
// sends any string there and clients should skip what they do not know.
type HeadChange struct {
	Type string
	Val  *TipSet
}

// HeadChange types (lotus chain/store HCCurrent, HCApply, HCRevert).
// ChainNotify's first batch is one HCCurrent with the head; later batches
// list reverts, then applies.
const (
	HCCurrent = "current"
	HCApply   = "apply"
	HCRevert  = "revert"
)
