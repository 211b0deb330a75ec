package types

import (
	"errors"

	"github.com/strata-sp/strata/internal/cborx"
)

// Errors returned by this package, always wrapped with the object and field;
// test with errors.Is. Errors from fil/address, fil/big and fil/sig pass
// through wrapped, so their sentinels match too. The CBOR sentinels
// (ErrTrailingBytes, ErrCBORType, ErrFieldCount, ErrFieldTooLarge,
// ErrIntOverflow, ErrUndefinedCID) are those of the shared helpers in
// internal/cborx, and so the same values in fil/types and chain/types.
var (
	// ErrTooLarge means an input exceeds the size limit of its decoder
	// (MaxBlockHeaderSize, MaxJSONSize).
	ErrTooLarge = errors.New("input too large")
	// ErrTrailingBytes means a Decode function found bytes after the object.
	ErrTrailingBytes = cborx.ErrTrailingBytes
	// ErrCBORType means a CBOR item has the wrong major type for its field.
	ErrCBORType = cborx.ErrType
	// ErrFieldCount means a tuple's CBOR array has the wrong length.
	ErrFieldCount = cborx.ErrFieldCount
	// ErrFieldTooLarge means a byte string or array field exceeds its limit.
	ErrFieldTooLarge = cborx.ErrFieldTooLarge
	// ErrIntOverflow means a CBOR integer does not fit the field's int64.
	ErrIntOverflow = cborx.ErrIntOverflow
	// ErrUndefinedCID means a required CID is cid.Undef (JSON null), which
	// has no CBOR encoding and cannot be part of a tipset key.
	ErrUndefinedCID = cborx.ErrUndefinedCID
	// ErrInvalidTipSet means blocks do not form a tipset: none at all, a nil
	// block, a missing ticket, different heights or parents, or a block
	// given twice.
	ErrInvalidTipSet = errors.New("invalid tipset")
	// ErrCIDMismatch means a tipset's JSON "Cids" or "Height" disagree with
	// its blocks; see TipSet.UnmarshalJSON.
	ErrCIDMismatch = errors.New("tipset CIDs do not match its blocks")
	// ErrInvalidKey means tipset key bytes are not a sequence of CIDs.
	ErrInvalidKey = errors.New("invalid tipset key")
	// ErrInvalidPeerID means a peer ID is neither a base58 multihash nor a
	// libp2p-key CID.
	ErrInvalidPeerID = errors.New("invalid peer ID")
	// ErrInvalidUUID means a message UUID is not in a UUID text form.
	ErrInvalidUUID = errors.New("invalid UUID")
	// ErrUnknownOp means an IPLD trace operation is neither "Get" nor "Put".
	ErrUnknownOp = errors.New("unknown IPLD trace operation")
)
