// Package types holds Filecoin chain objects with their DAG-CBOR tuple
// encoding, CIDs and Lotus JSON forms: messages (lotus chain/types) and
// market deal proposals (go-state-types builtin/v*/market).
//
// Every type implements cbor-gen's CBORMarshaler and CBORUnmarshaler, so it
// can be embedded in cbor-gen generated structs. The encoders are written by
// hand with cbor-gen's helpers so that every decoding error names the object,
// the field and the problem. UnmarshalCBOR reads one object from a stream;
// the Decode functions take a whole buffer and also reject trailing bytes.
//
// Chain-object CIDs are CIDv1, codec dag-cbor (0x71), multihash blake2b-256
// (go-state-types abi.CidBuilder), computed over the object's CBOR bytes.
package types

import (
	"errors"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"golang.org/x/crypto/blake2b"

	"github.com/strata-sp/strata/internal/cborx"
)

// Errors returned by this package, always wrapped with the object and field;
// test with errors.Is. Errors from fil/address, fil/big and fil/sig pass
// through wrapped, so their sentinels match too. The CBOR sentinels
// (ErrTrailingBytes, ErrCBORType, ErrFieldCount, ErrFieldTooLarge,
// ErrIntOverflow, ErrUndefinedCID) are those of the shared helpers in
// internal/cborx, and so the same values in fil/types and chain/types.
var (
	// ErrTrailingBytes means a Decode function found bytes after the object.
	ErrTrailingBytes = cborx.ErrTrailingBytes
	// ErrCBORType means a CBOR item has the wrong major type for its field.
	ErrCBORType = cborx.ErrType
	// ErrFieldCount means a tuple's CBOR array has the wrong length.
	ErrFieldCount = cborx.ErrFieldCount
	// ErrFieldTooLarge means a byte string field exceeds its limit.
	ErrFieldTooLarge = cborx.ErrFieldTooLarge
	// ErrIntOverflow means a CBOR integer does not fit the field's int64.
	ErrIntOverflow = cborx.ErrIntOverflow
	// ErrLabelTooLong means a deal label exceeds DealMaxLabelSize bytes.
	ErrLabelTooLong = errors.New("deal label too long")
	// ErrLabelNotUTF8 means a text deal label is not valid UTF-8.
	ErrLabelNotUTF8 = errors.New("deal label text is not valid UTF-8")
	// ErrLabelKind means a label was read as the other kind (text vs bytes).
	ErrLabelKind = errors.New("deal label is of the other kind")
	// ErrMessageVersion means a decoded message has a version other than
	// MessageVersion.
	ErrMessageVersion = errors.New("unsupported message version")
	// ErrUndefinedCID means a required CID field is cid.Undef.
	ErrUndefinedCID = cborx.ErrUndefinedCID
)

// CID returns the CID of a chain object from its CBOR bytes: CIDv1, dag-cbor,
// blake2b-256.
func CID(cbor []byte) cid.Cid {
	sum := blake2b.Sum256(cbor)
	mh, _ := multihash.Encode(sum[:], multihash.BLAKE2B_MIN+31) // never fails
	return cid.NewCidV1(cid.DagCBOR, mh)
}
