package types

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/internal/cborx"
)

// ExitCode is the exit code of a message execution: 0 is success, 1-15 are
// system errors, 16 and up actor errors (go-state-types exitcode.ExitCode).
type ExitCode int64

// ExitOk is the exit code of a successful message.
const ExitOk ExitCode = 0

// IsSuccess reports whether c is ExitOk.
func (c ExitCode) IsSuccess() bool { return c == ExitOk }

// LookbackNoLimit is the StateWaitMsg/StateSearchMsg limit meaning "search
// the whole chain" (lotus api.LookbackNoLimit).
const LookbackNoLimit int64 = -1

// MessageReceipt is the result of executing a message (lotus
// chain/types.MessageReceipt).
//
// JSON: {"ExitCode","Return","GasUsed","EventsRoot"}; Return is base64 or
// null, EventsRoot a CID or null when the message emitted no events.
//
// CBOR: the 4-tuple [ExitCode, Return, GasUsed, EventsRoot] receipts have
// had since FEVM (nv18); decoding also reads the 3-tuple of older receipts,
// with EventsRoot nil. (Lotus has a 6-field receipt for FIP-0107 in
// development; lotus-api-v1.md does not list its fields, so it is not read.)
type MessageReceipt struct {
	ExitCode   ExitCode
	Return     []byte
	GasUsed    int64
	EventsRoot *cid.Cid
}

var (
	_ cbg.CBORMarshaler   = (*MessageReceipt)(nil)
	_ cbg.CBORUnmarshaler = (*MessageReceipt)(nil)
)

// MarshalCBOR writes r as the 4-tuple; a nil *MessageReceipt writes CBOR null.
func (r *MessageReceipt) MarshalCBOR(w io.Writer) error {
	if r == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, 4); err != nil {
		return err
	}
	if err := cborx.WriteInt64(cw, int64(r.ExitCode)); err != nil {
		return err
	}
	if err := cborx.WriteBytes(cw, r.Return); err != nil {
		return fmt.Errorf("message receipt: field Return: %w", err)
	}
	if err := cborx.WriteInt64(cw, r.GasUsed); err != nil {
		return err
	}
	if err := cborx.WriteOptionalCID(cw, r.EventsRoot); err != nil {
		return fmt.Errorf("message receipt: field EventsRoot: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR receipt of 3 or 4 fields from rd.
func (r *MessageReceipt) UnmarshalCBOR(rd io.Reader) error {
	const what = "message receipt"
	*r = MessageReceipt{}
	cr := cbg.NewCborReader(rd)
	n, err := cborx.ReadTuple(cr, what, 3, 4)
	if err != nil {
		return err
	}
	code, err := cborx.ReadInt64(cr)
	if err != nil {
		return cborx.FieldErr(what, "ExitCode", err)
	}
	r.ExitCode = ExitCode(code)
	if r.Return, err = cborx.ReadBytes(cr, cborx.MaxBytes); err != nil {
		return cborx.FieldErr(what, "Return", err)
	}
	if r.GasUsed, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "GasUsed", err)
	}
	if n == 4 {
		if r.EventsRoot, err = cborx.ReadOptionalCID(cr); err != nil {
			return cborx.FieldErr(what, "EventsRoot", err)
		}
	}
	return nil
}

// DecodeMessageReceipt decodes a CBOR receipt that must fill all of b.
func DecodeMessageReceipt(b []byte) (*MessageReceipt, error) {
	var r MessageReceipt
	if err := cborx.Decode("message receipt", b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Serialize returns r's CBOR bytes.
func (r *MessageReceipt) Serialize() ([]byte, error) { return cborx.Encode(r) }

// MsgLookup is where and how a message executed (lotus api.MsgLookup), the
// answer of StateWaitMsg and StateSearchMsg.
type MsgLookup struct {
	// Message is the CID that executed: a replacing (gas-bumped) message's
	// CID when the search allowed replacement.
	Message cid.Cid
	Receipt MessageReceipt
	// ReturnDec is the actor's decoded return value as the node rendered it
	// (JSON of the return struct, base64 bytes, or null), kept verbatim.
	ReturnDec json.RawMessage
	// TipSet and Height are the execution tipset: the one in whose parent
	// state the receipt lives, not the tipset that included the message.
	TipSet TipSetKey
	Height int64
}

// MessageSendSpec tunes MpoolPushMessage and GasEstimateMessageGas (lotus
// api.MessageSendSpec). A nil *MessageSendSpec means node defaults.
type MessageSendSpec struct {
	// MaxFee caps GasFeeCap×GasLimit when the node estimates fees; zero is
	// the node's default.
	MaxFee big.TokenAmount
	// MsgUuid lets the node recognise a resubmission of the same push.
	MsgUuid UUID
	// MaximizeFeeCap sets GasFeeCap to the MaxFee budget instead of an estimate.
	MaximizeFeeCap bool
}

// UUID is a 16-byte UUID as github.com/google/uuid marshals it: the
// 36-character hyphenated hex form ("07070707-0707-…"). The zero value is
// the nil UUID "00000000-0000-0000-0000-000000000000".
type UUID [16]byte

// String returns u's hyphenated lower-case hex form.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// ParseUUID parses the forms google/uuid accepts: hyphenated (36), with a
// "urn:uuid:" prefix (45) or in braces (38), or 32 bare hex digits.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	h := s
	switch len(s) {
	case 45:
		if !strings.EqualFold(s[:9], "urn:uuid:") {
			return u, fmt.Errorf("%w: %q", ErrInvalidUUID, s)
		}
		h = s[9:]
	case 38:
		if s[0] != '{' || s[37] != '}' {
			return u, fmt.Errorf("%w: %q", ErrInvalidUUID, s)
		}
		h = s[1:37]
	case 36, 32:
	default:
		return u, fmt.Errorf("%w: %q", ErrInvalidUUID, s)
	}
	if len(h) == 36 {
		if h[8] != '-' || h[13] != '-' || h[18] != '-' || h[23] != '-' {
			return u, fmt.Errorf("%w: %q", ErrInvalidUUID, s)
		}
		h = h[0:8] + h[9:13] + h[14:18] + h[19:23] + h[24:]
	}
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return UUID{}, fmt.Errorf("%w: %q", ErrInvalidUUID, s)
	}
	return u, nil
}

// MarshalText writes u's hyphenated form; JSON shows it as a string.
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText parses any form ParseUUID accepts.
func (u *UUID) UnmarshalText(b []byte) error {
	v, err := ParseUUID(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// InvocResult is the result of StateCall (lotus api.InvocResult). A message
// that fails is not an RPC error: MsgRct.ExitCode is non-zero and Error says
// why; Error is "" on success.
type InvocResult struct {
	MsgCid         cid.Cid
	Msg            *ftypes.Message
	MsgRct         *MessageReceipt
	GasCost        MsgGasCost
	ExecutionTrace ExecutionTrace
	Error          string
	Duration       time.Duration // JSON: nanoseconds
}

// MsgGasCost breaks down what a message's gas cost (lotus api.MsgGasCost);
// every amount, GasUsed included, is an attoFIL decimal string in JSON.
type MsgGasCost struct {
	Message            cid.Cid
	GasUsed            big.TokenAmount
	BaseFeeBurn        big.TokenAmount
	OverEstimationBurn big.TokenAmount
	MinerPenalty       big.TokenAmount
	MinerTip           big.TokenAmount
	Refund             big.TokenAmount
	TotalCost          big.TokenAmount
}

// ExecutionTrace is the call tree of one message execution (lotus
// chain/types.ExecutionTrace). It is the one API type with omitted fields:
// InvokedActor, Logs and IpldOps are left out when empty, while GasCharges
// and Subcalls are null when empty.
type ExecutionTrace struct {
	Msg          MessageTrace
	MsgRct       ReturnTrace
	InvokedActor *ActorTrace `json:",omitempty"`
	GasCharges   []*GasTrace
	Subcalls     []ExecutionTrace
	Logs         []string    `json:",omitempty"`
	IpldOps      []TraceIpld `json:",omitempty"`
}

// MessageTrace is the message of one call in an ExecutionTrace.
type MessageTrace struct {
	From        address.Address
	To          address.Address
	Value       big.TokenAmount
	Method      uint64
	Params      []byte
	ParamsCodec uint64
	GasLimit    uint64
	ReadOnly    bool
}

// ReturnTrace is the result of one call in an ExecutionTrace.
type ReturnTrace struct {
	ExitCode    ExitCode
	Return      []byte
	ReturnCodec uint64
}

// ActorTrace is the actor a call invoked, as it was before the call.
type ActorTrace struct {
	Id    uint64 // actor ID; Lotus spells it Id
	State Actor
}

// GasTrace is one gas charge; Lotus tags its fields tg, cg, sg and tt.
type GasTrace struct {
	Name       string
	TotalGas   int64         `json:"tg"`
	ComputeGas int64         `json:"cg"`
	StorageGas int64         `json:"sg"`
	TimeTaken  time.Duration `json:"tt"`
}

// TraceOp is an IPLD block operation in a trace; JSON "Get" or "Put".
type TraceOp uint64

// The IPLD trace operations (lotus chain/types IpldOpGet, IpldOpPut).
const (
	IpldOpGet TraceOp = iota
	IpldOpPut
)

// MarshalText writes "Get" or "Put"; Lotus writes "Unknown" for anything
// else, and so does this.
func (o TraceOp) MarshalText() ([]byte, error) {
	switch o {
	case IpldOpGet:
		return []byte("Get"), nil
	case IpldOpPut:
		return []byte("Put"), nil
	default:
		return []byte("Unknown"), nil
	}
}

// UnmarshalText reads "Get" or "Put".
func (o *TraceOp) UnmarshalText(b []byte) error {
	switch string(b) {
	case "Get":
		*o = IpldOpGet
	case "Put":
		*o = IpldOpPut
	default:
		return fmt.Errorf("%w: %q", ErrUnknownOp, b)
	}
	return nil
}

// TraceIpld is one IPLD block read or write in a trace.
type TraceIpld struct {
	Op   TraceOp
	Cid  cid.Cid
	Size uint64
}
