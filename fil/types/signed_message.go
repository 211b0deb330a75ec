package types

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/internal/cborx"
)

// SignedMessage is a message with its sender's signature (lotus
// chain/types.SignedMessage); CBOR [Message, Signature].
type SignedMessage struct {
	Message   Message
	Signature sig.Signature
}

var (
	_ cbg.CBORMarshaler   = (*SignedMessage)(nil)
	_ cbg.CBORUnmarshaler = (*SignedMessage)(nil)
)

// SignMessage signs m's CID bytes with k, as a Lotus wallet does. Delegated
// (f410) senders sign an Ethereum transaction instead, which this package
// does not build, so delegated keys are refused.
func SignMessage(m *Message, k sig.PrivateKey) (*SignedMessage, error) {
	if k.Type() == sig.Delegated {
		return nil, fmt.Errorf("sign message: delegated keys sign the Ethereum transaction RLP: %w", errors.ErrUnsupported)
	}
	c, err := m.Cid()
	if err != nil {
		return nil, fmt.Errorf("sign message: %w", err)
	}
	s, err := k.Sign(c.Bytes())
	if err != nil {
		return nil, fmt.Errorf("sign message: %w", err)
	}
	return &SignedMessage{Message: *m, Signature: s}, nil
}

// VerifySignature checks the signature over the message's CID bytes by
// signer, the key address (f1 or f3) of the message's From: From itself when
// it is a key address, else its account key from chain state.
func (sm *SignedMessage) VerifySignature(signer address.Address) error {
	if sm.Signature.Type == sig.Delegated {
		return fmt.Errorf("verify message: delegated signatures cover the Ethereum transaction RLP: %w", errors.ErrUnsupported)
	}
	c, err := sm.Message.Cid()
	if err != nil {
		return fmt.Errorf("verify message: %w", err)
	}
	if err := sig.Verify(sm.Signature, signer, c.Bytes()); err != nil {
		return fmt.Errorf("verify message %s: %w", c, err)
	}
	return nil
}

const signedMessageFields = 2

// MarshalCBOR writes sm as the CBOR tuple [Message, Signature].
func (sm *SignedMessage) MarshalCBOR(w io.Writer) error {
	if sm == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, signedMessageFields); err != nil {
		return err
	}
	if err := sm.Message.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("signed message: field Message: %w", err)
	}
	if err := sm.Signature.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("signed message: field Signature: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR signed message from r.
func (sm *SignedMessage) UnmarshalCBOR(r io.Reader) error {
	*sm = SignedMessage{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, "signed message", signedMessageFields); err != nil {
		return err
	}
	if err := sm.Message.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr("signed message", "Message", err)
	}
	if err := sm.Signature.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr("signed message", "Signature", err)
	}
	return nil
}

// DecodeSignedMessage decodes a CBOR signed message that must fill all of b
// and carry a message of version MessageVersion.
func DecodeSignedMessage(b []byte) (*SignedMessage, error) {
	var sm SignedMessage
	if err := cborx.Decode("signed message", b, &sm); err != nil {
		return nil, err
	}
	if sm.Message.Version != MessageVersion {
		return nil, fmt.Errorf("signed message: %w %d, want %d", ErrMessageVersion, sm.Message.Version, MessageVersion)
	}
	return &sm, nil
}

// Serialize returns sm's CBOR bytes.
func (sm *SignedMessage) Serialize() ([]byte, error) { return cborx.Encode(sm) }

// Cid returns the CID the chain knows sm by. For a BLS signature it is the
// unsigned message's CID: blocks carry BLS messages unsigned next to one
// aggregate signature (lotus SignedMessage.Cid). For any other signature it
// is the CID of sm's CBOR.
func (sm *SignedMessage) Cid() (cid.Cid, error) {
	if sm.Signature.Type == sig.BLS {
		return sm.Message.Cid()
	}
	b, err := sm.Serialize()
	if err != nil {
		return cid.Undef, err
	}
	return CID(b), nil
}

// signedMessageJSON is the Lotus JSON shape; CID is output only.
type signedMessageJSON struct {
	Message   Message
	Signature sig.Signature
}

// MarshalJSON writes {"Message":…,"Signature":…,"CID":…} as Lotus does; the
// message carries its own "CID" too.
func (sm SignedMessage) MarshalJSON() ([]byte, error) {
	c, err := sm.Cid()
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		signedMessageJSON
		CID cid.Cid
	}{signedMessageJSON(sm), c})
}

// UnmarshalJSON reads the Lotus shape, ignoring the computed CIDs.
func (sm *SignedMessage) UnmarshalJSON(b []byte) error {
	var j signedMessageJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("signed message JSON: %w", err)
	}
	*sm = SignedMessage(j)
	return nil
}
