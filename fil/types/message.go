package types

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/internal/cborx"
)

// MessageVersion is the only message version the network accepts.
const MessageVersion = 0

// MaxParamsLength is the largest Params that decoding accepts, cbor-gen's
// ByteArrayMaxLen (2 MiB) as in Lotus. The message pool applies a smaller
// limit to whole messages (64 KiB); that is policy, not encoding.
const MaxParamsLength = cbg.ByteArrayMaxLen

// Message is an unsigned chain message (lotus chain/types.Message). Its CBOR
// form is the 10-element array of its fields in order.
type Message struct {
	Version    uint64
	To         address.Address
	From       address.Address
	Nonce      uint64
	Value      big.TokenAmount
	GasLimit   int64
	GasFeeCap  big.TokenAmount
	GasPremium big.TokenAmount
	Method     uint64
	Params     []byte
}

var (
	_ cbg.CBORMarshaler   = (*Message)(nil)
	_ cbg.CBORUnmarshaler = (*Message)(nil)
)

const messageFields = 10

// MarshalCBOR writes m as a CBOR tuple. It fails on an Undef address or
// oversized Params, which no node would accept.
func (m *Message) MarshalCBOR(w io.Writer) error {
	if m == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	if len(m.Params) > MaxParamsLength {
		return fmt.Errorf("message: field Params: %w: %d bytes, max %d", ErrFieldTooLarge, len(m.Params), MaxParamsLength)
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, messageFields); err != nil {
		return err
	}
	if err := cborx.WriteUint64(cw, m.Version); err != nil {
		return err
	}
	if err := m.To.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("message: field To: %w", err)
	}
	if err := m.From.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("message: field From: %w", err)
	}
	if err := cborx.WriteUint64(cw, m.Nonce); err != nil {
		return err
	}
	if err := m.Value.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("message: field Value: %w", err)
	}
	if err := cborx.WriteInt64(cw, m.GasLimit); err != nil {
		return err
	}
	if err := m.GasFeeCap.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("message: field GasFeeCap: %w", err)
	}
	if err := m.GasPremium.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("message: field GasPremium: %w", err)
	}
	if err := cborx.WriteUint64(cw, m.Method); err != nil {
		return err
	}
	return cborx.WriteBytes(cw, m.Params)
}

// UnmarshalCBOR reads one CBOR message from r. It accepts any Version, as
// cbor-gen does; DecodeMessage also checks the version.
func (m *Message) UnmarshalCBOR(r io.Reader) (err error) {
	*m = Message{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, "message", messageFields); err != nil {
		return err
	}
	if m.Version, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr("message", "Version", err)
	}
	if err := m.To.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr("message", "To", err)
	}
	if err := m.From.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr("message", "From", err)
	}
	if m.Nonce, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr("message", "Nonce", err)
	}
	if err := m.Value.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr("message", "Value", err)
	}
	if m.GasLimit, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr("message", "GasLimit", err)
	}
	if err := m.GasFeeCap.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr("message", "GasFeeCap", err)
	}
	if err := m.GasPremium.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr("message", "GasPremium", err)
	}
	if m.Method, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr("message", "Method", err)
	}
	if m.Params, err = cborx.ReadBytes(cr, MaxParamsLength); err != nil {
		return cborx.FieldErr("message", "Params", err)
	}
	return nil
}

// DecodeMessage decodes a CBOR message that must fill all of b and have
// version MessageVersion (lotus types.DecodeMessage).
func DecodeMessage(b []byte) (*Message, error) {
	var m Message
	if err := cborx.Decode("message", b, &m); err != nil {
		return nil, err
	}
	if m.Version != MessageVersion {
		return nil, fmt.Errorf("message: %w %d, want %d", ErrMessageVersion, m.Version, MessageVersion)
	}
	return &m, nil
}

// Serialize returns m's CBOR bytes.
func (m *Message) Serialize() ([]byte, error) { return cborx.Encode(m) }

// Cid returns m's CID, the CID of its CBOR bytes. The signed bytes of a
// message are this CID's binary form.
func (m *Message) Cid() (cid.Cid, error) {
	b, err := m.Serialize()
	if err != nil {
		return cid.Undef, err
	}
	return CID(b), nil
}

// messageJSON is the Lotus JSON shape of a message's own fields. Decoding
// into it ignores the computed "CID", as Lotus does.
type messageJSON struct {
	Version    uint64
	To         address.Address
	From       address.Address
	Nonce      uint64
	Value      big.TokenAmount
	GasLimit   int64
	GasFeeCap  big.TokenAmount
	GasPremium big.TokenAmount
	Method     uint64
	Params     []byte
}

// MarshalJSON writes the Lotus shape: the fields in order (amounts as decimal
// strings, Params as base64 or null) followed by the computed "CID".
func (m Message) MarshalJSON() ([]byte, error) {
	c, err := m.Cid()
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		messageJSON
		CID cid.Cid
	}{messageJSON(m), c})
}

// UnmarshalJSON reads the Lotus shape; an input "CID" is ignored, since it is
// derived from the other fields.
func (m *Message) UnmarshalJSON(b []byte) error {
	var j messageJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("message JSON: %w", err)
	}
	*m = Message(j)
	return nil
}
