// Package sig implements Filecoin signatures: the Signature type with its
// chain encodings (go-state-types crypto.Signature), key handling, signing and
// verification for secp256k1 and BLS, BLS aggregation, and verification of
// delegated (Ethereum-style) signatures.
//
// What is signed is the caller's choice of bytes; Filecoin signs a message's
// CID bytes and a deal proposal's CBOR bytes. The schemes, as Lotus
// lib/sigs implements them:
//
//   - secp256k1: ECDSA over blake2b-256(msg), 65 bytes r || s || v with v the
//     recovery id. Verification recovers the public key and compares its f1
//     address with the signer's.
//   - BLS: BLS12-381 min-pubkey-size (48-byte G1 keys, 96-byte G2 signatures),
//     basic scheme, DST BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_, over the
//     raw msg. The signer's f3 address holds the public key.
//   - delegated: secp256k1 ECDSA over keccak-256(msg), r || s || v, for f410
//     (Ethereum) signers (FIP-0055).
//
// All functions are safe for concurrent use.
package sig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	cbg "github.com/whyrusleeping/cbor-gen"
)

// Type is the signature scheme, the first byte of a serialised signature.
type Type byte

// Signature types (go-state-types crypto.SigType).
const (
	// Secp256k1 is ECDSA on secp256k1 over blake2b-256, signed by f1 addresses.
	Secp256k1 Type = 1
	// BLS is BLS12-381 signed by f3 addresses.
	BLS Type = 2
	// Delegated is ECDSA on secp256k1 over keccak-256, signed by f410 addresses.
	Delegated Type = 3
)

// String returns the type's name as Lotus key types spell it.
func (t Type) String() string {
	switch t {
	case Secp256k1:
		return "secp256k1"
	case BLS:
		return "bls"
	case Delegated:
		return "delegated"
	default:
		return fmt.Sprintf("unknown(%d)", byte(t))
	}
}

func (t Type) valid() bool { return t == Secp256k1 || t == BLS || t == Delegated }

// Sizes of signature data and keys.
const (
	// Secp256k1Length is the length of secp256k1 and delegated signature data.
	Secp256k1Length = 65
	// BLSLength is the length of a compressed G2 BLS signature.
	BLSLength = 96
	// BLSPublicKeyLength is the length of a compressed G1 BLS public key.
	BLSPublicKeyLength = 48
	// PrivateKeyLength is the length of both kinds of private key.
	PrivateKeyLength = 32
	// MaxLength is the longest serialised signature (type byte and data) that
	// CBOR decoding accepts (go-state-types SignatureMaxLength).
	MaxLength = 200
)

// Signature is a typed signature.
type Signature struct {
	Type Type
	Data []byte
}

var (
	_ cbg.CBORMarshaler   = (*Signature)(nil)
	_ cbg.CBORUnmarshaler = (*Signature)(nil)
)

// Equals reports whether s and o have the same type and data.
func (s Signature) Equals(o Signature) bool {
	return s.Type == o.Type && bytes.Equal(s.Data, o.Data)
}

// MarshalCBOR writes s as a CBOR byte string holding type || data. A nil
// *Signature writes CBOR null, as cbor-gen expects of optional fields (block
// headers carry optional signatures).
func (s *Signature) MarshalCBOR(w io.Writer) error {
	if s == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	if !s.Type.valid() {
		return fmt.Errorf("marshal signature: %w %d", ErrUnknownType, s.Type)
	}
	if n := 1 + len(s.Data); n > MaxLength {
		return fmt.Errorf("marshal signature: %w: %d bytes, max %d", ErrTooLong, n, MaxLength)
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajByteString, uint64(1+len(s.Data))); err != nil {
		return err
	}
	if _, err := cw.Write([]byte{byte(s.Type)}); err != nil {
		return err
	}
	_, err := cw.Write(s.Data)
	return err
}

// UnmarshalCBOR reads one CBOR byte string of at most MaxLength bytes whose
// first byte is a known Type. As in Lotus, the data length is not checked
// against the type here; verification rejects a wrong length.
func (s *Signature) UnmarshalCBOR(r io.Reader) error {
	cr := cbg.NewCborReader(r)
	maj, n, err := cr.ReadHeader()
	if err == io.EOF {
		// Bare, as cbor-gen code expects: the stream ended cleanly
		// before an object.
		return err
	}
	if err != nil {
		return fmt.Errorf("unmarshal signature: %w", err)
	}
	if maj != cbg.MajByteString {
		return fmt.Errorf("unmarshal signature: %w: CBOR major type %d, want byte string (2)", ErrCBOR, maj)
	}
	if n > MaxLength {
		return fmt.Errorf("unmarshal signature: %w: %d bytes, max %d", ErrTooLong, n, MaxLength)
	}
	if n == 0 {
		return fmt.Errorf("unmarshal signature: %w: empty byte string", ErrCBOR)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(cr, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("unmarshal signature: %w", err)
	}
	if t := Type(buf[0]); !t.valid() {
		return fmt.Errorf("unmarshal signature: %w %d", ErrUnknownType, buf[0])
	}
	*s = Signature{Type: Type(buf[0]), Data: buf[1:]}
	return nil
}

// DecodeCBOR decodes a CBOR-encoded signature that must fill all of b.
func DecodeCBOR(b []byte) (Signature, error) {
	if len(b) == 0 {
		return Signature{}, fmt.Errorf("decode signature: empty input: %w", io.ErrUnexpectedEOF)
	}
	var s Signature
	r := bytes.NewReader(b)
	if err := s.UnmarshalCBOR(r); err != nil {
		return Signature{}, err
	}
	if r.Len() != 0 {
		return Signature{}, fmt.Errorf("decode signature: %w: %d bytes", ErrTrailingBytes, r.Len())
	}
	return s, nil
}

// signatureJSON is the Lotus JSON shape: {"Type":1,"Data":"<base64>"}.
type signatureJSON struct {
	Type Type
	Data []byte
}

// MarshalJSON writes {"Type":n,"Data":"<base64>"} as Lotus does.
func (s Signature) MarshalJSON() ([]byte, error) {
	return json.Marshal(signatureJSON(s))
}

// UnmarshalJSON reads the Lotus shape and rejects unknown types.
func (s *Signature) UnmarshalJSON(b []byte) error {
	var j signatureJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("unmarshal signature JSON: %w", err)
	}
	if !j.Type.valid() {
		return fmt.Errorf("unmarshal signature JSON: %w %d", ErrUnknownType, j.Type)
	}
	*s = Signature(j)
	return nil
}
