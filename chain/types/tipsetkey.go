package types

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/internal/cborx"
)

// TipSetKey identifies a tipset by the CIDs of its blocks, in the tipset's
// block order (by ticket; see NewTipSet). It is an immutable, comparable
// value usable as a map key: two keys are equal exactly when they hold the
// same CIDs in the same order (lotus chain/types.TipSetKey).
//
// The zero value is EmptyTSK. As an API parameter the empty key means "the
// current head" (research/lotus-api-v1.md §4).
//
// JSON: an array of CID objects, [] for the empty key; null also decodes to
// the empty key. CBOR: an array of tag-42 CIDs, as a block's Parents.
type TipSetKey struct {
	// value is the concatenation of the CIDs' binary forms; CIDs are
	// self-delimiting, so it decodes unambiguously.
	value string
}

// EmptyTSK is the empty tipset key: "the current head" in API calls.
var EmptyTSK = TipSetKey{}

// NewTipSetKey returns the key of the given block CIDs, which must be defined
// and in the tipset's block order. Duplicates are the caller's concern, as in
// Lotus; NewTipSet never produces them.
func NewTipSetKey(cids ...cid.Cid) (TipSetKey, error) {
	var b strings.Builder
	for i, c := range cids {
		if !c.Defined() {
			return EmptyTSK, fmt.Errorf("tipset key: CID %d: %w", i, ErrUndefinedCID)
		}
		b.WriteString(c.KeyString())
	}
	return TipSetKey{b.String()}, nil
}

// TipSetKeyFromBytes returns the key whose Bytes are b, checking that b is a
// sequence of binary CIDs.
func TipSetKeyFromBytes(b []byte) (TipSetKey, error) {
	if _, err := decodeKey(string(b)); err != nil {
		return EmptyTSK, err
	}
	return TipSetKey{string(b)}, nil
}

func decodeKey(s string) ([]cid.Cid, error) {
	var out []cid.Cid
	for b := []byte(s); len(b) > 0; {
		n, c, err := cid.CidFromBytes(b)
		if err != nil {
			return nil, fmt.Errorf("%w: CID %d: %w", ErrInvalidKey, len(out), err)
		}
		out = append(out, c)
		b = b[n:]
	}
	return out, nil
}

// Cids returns the key's CIDs in order; a new slice each time, empty (not
// nil) for the empty key.
func (k TipSetKey) Cids() []cid.Cid {
	cids, err := decodeKey(k.value)
	if err != nil {
		// Every constructor validates, so this is unreachable.
		panic(err)
	}
	if cids == nil {
		cids = []cid.Cid{}
	}
	return cids
}

// Bytes returns the concatenated binary CIDs, the form Lotus stores keys in.
func (k TipSetKey) Bytes() []byte { return []byte(k.value) }

// IsEmpty reports whether k is the empty key.
func (k TipSetKey) IsEmpty() bool { return k.value == "" }

// Equals reports whether k and o hold the same CIDs in the same order.
func (k TipSetKey) Equals(o TipSetKey) bool { return k.value == o.value }

// Has reports whether c is one of k's CIDs.
func (k TipSetKey) Has(c cid.Cid) bool {
	for _, kc := range k.Cids() {
		if kc.Equals(c) {
			return true
		}
	}
	return false
}

// String returns the CIDs as "{bafy…,bafy…}", the form Lotus uses in
// messages such as "loading tipset {…}".
func (k TipSetKey) String() string {
	cids := k.Cids()
	parts := make([]string, len(cids))
	for i, c := range cids {
		parts[i] = c.String()
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// MarshalJSON writes k as an array of CID objects; the empty key is [].
func (k TipSetKey) MarshalJSON() ([]byte, error) {
	return json.Marshal(k.Cids())
}

// UnmarshalJSON reads an array of CID objects. null and [] give the empty
// key; a null element is an error rather than being dropped.
func (k *TipSetKey) UnmarshalJSON(b []byte) error {
	var cids []cid.Cid
	if err := json.Unmarshal(b, &cids); err != nil {
		return fmt.Errorf("tipset key JSON: %w", err)
	}
	key, err := NewTipSetKey(cids...)
	if err != nil {
		return err
	}
	*k = key
	return nil
}

// MarshalCBOR writes k as an array of tag-42 CIDs.
func (k TipSetKey) MarshalCBOR(w io.Writer) error {
	if err := writeCIDs(cbg.NewCborWriter(w), k.Cids()); err != nil {
		return fmt.Errorf("tipset key: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads an array of at most 8192 tag-42 CIDs.
func (k *TipSetKey) UnmarshalCBOR(r io.Reader) error {
	cids, err := readCIDs(cbg.NewCborReader(r))
	if err != nil {
		if err == io.EOF {
			return err
		}
		return fmt.Errorf("tipset key: %w", err)
	}
	key, err := NewTipSetKey(cids...)
	if err != nil {
		return err
	}
	*k = key
	return nil
}

// readCIDs reads an array of CIDs; an empty array reads as nil, as cbor-gen
// does (so an empty Parents shows as null in JSON, like Lotus).
func readCIDs(cr *cbg.CborReader) ([]cid.Cid, error) {
	n, err := cborx.ReadArrayHeader(cr)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]cid.Cid, n)
	for i := range out {
		if out[i], err = cborx.ReadCID(cr); err != nil {
			return nil, fmt.Errorf("CID %d: %w", i, err)
		}
	}
	return out, nil
}

func writeCIDs(cw *cbg.CborWriter, cids []cid.Cid) error {
	if err := cborx.WriteArrayHeader(cw, len(cids)); err != nil {
		return err
	}
	for i, c := range cids {
		if err := cborx.WriteCID(cw, c); err != nil {
			return fmt.Errorf("CID %d: %w", i, err)
		}
	}
	return nil
}

var (
	_ json.Marshaler      = TipSetKey{}
	_ json.Unmarshaler    = (*TipSetKey)(nil)
	_ cbg.CBORMarshaler   = TipSetKey{}
	_ cbg.CBORUnmarshaler = (*TipSetKey)(nil)
)
