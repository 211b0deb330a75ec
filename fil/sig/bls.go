package sig

import (
	"bytes"
	"fmt"
	"io"
	"slices"

	blst "github.com/supranational/blst/bindings/go"

	"github.com/strata-sp/strata/fil/address"
)

// BLSDST is the hash-to-curve domain separation tag of Filecoin BLS
// signatures: the IETF BLS basic scheme ("NUL") for G2 signatures
// (draft-irtf-cfrg-bls-signature, section 4.2.1), as filecoin-ffi uses.
const BLSDST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"

// blsDST returns BLSDST as the byte slice blst wants; a fresh slice each call
// keeps the package free of mutable globals.
func blsDST() []byte { return []byte(BLSDST) }

// BLSKey is a BLS12-381 private key producing BLS signatures for an f3
// address. Build it with NewBLSKey or GenerateKey; the zero value is not a
// key.
type BLSKey struct {
	sk  blst.SecretKey
	pub []byte // compressed G1, cached because every Address call needs it
}

var _ PrivateKey = BLSKey{}

// NewBLSKey returns the key stored as b: a 32-byte LITTLE-endian scalar in
// [1, r-1], the byte order of filecoin-ffi and Lotus KeyInfo.
func NewBLSKey(b []byte) (BLSKey, error) {
	if len(b) != PrivateKeyLength {
		return BLSKey{}, fmt.Errorf("bls private key: %w: %d bytes, want %d", ErrInvalidLength, len(b), PrivateKeyLength)
	}
	be := slices.Clone(b)
	slices.Reverse(be)
	var sk blst.SecretKey
	if sk.Deserialize(be) == nil {
		return BLSKey{}, fmt.Errorf("bls private key: %w: scalar is zero or not below the group order", ErrInvalidKey)
	}
	return newBLSKey(&sk), nil
}

func newBLSKey(sk *blst.SecretKey) BLSKey {
	return BLSKey{sk: *sk, pub: new(blst.P1Affine).From(sk).Compress()}
}

// generateBLS derives a key from 32 bytes of r with the IETF KeyGen
// (HKDF-based, draft-irtf-cfrg-bls-signature section 2.3).
func generateBLS(r io.Reader) (BLSKey, error) {
	ikm := make([]byte, 32)
	if _, err := io.ReadFull(r, ikm); err != nil {
		return BLSKey{}, fmt.Errorf("generate bls key: %w", err)
	}
	sk := blst.KeyGen(ikm)
	if sk == nil {
		return BLSKey{}, fmt.Errorf("generate bls key: %w", ErrInvalidKey)
	}
	return newBLSKey(sk), nil
}

// Type returns BLS.
func (BLSKey) Type() Type { return BLS }

// Bytes returns the 32-byte little-endian scalar.
func (k BLSKey) Bytes() []byte { return k.sk.ToLEndian() }

// PublicKey returns the 48-byte compressed G1 public key.
func (k BLSKey) PublicKey() []byte { return slices.Clone(k.pub) }

// Address returns the key's f3 address.
func (k BLSKey) Address() (address.Address, error) { return address.NewBLSAddress(k.pub) }

// Sign signs msg itself (hashed to G2 with BLSDST).
func (k BLSKey) Sign(msg []byte) (Signature, error) {
	s := new(blst.P2Affine).Sign(&k.sk, msg, blsDST())
	if s == nil {
		return Signature{}, fmt.Errorf("bls sign: %w", ErrInvalidKey)
	}
	return Signature{Type: BLS, Data: s.Compress()}, nil
}

// blsPublicKey decodes and validates the public key of an f3 signer.
func blsPublicKey(signer address.Address) (*blst.P1Affine, error) {
	if signer.Protocol() != address.BLS {
		return nil, fmt.Errorf("%w: signer %s", ErrSignerProtocol, signer)
	}
	pk := new(blst.P1Affine).Uncompress(signer.Payload())
	// KeyValidate rejects the identity and points outside the prime-order
	// subgroup, which would make forgeries trivial.
	if pk == nil || !pk.KeyValidate() {
		return nil, fmt.Errorf("%w: %s does not hold a valid G1 public key", ErrInvalidKey, signer)
	}
	return pk, nil
}

// blsSignature decodes signature data and checks it is in G2.
func blsSignature(data []byte) (*blst.P2Affine, error) {
	if len(data) != BLSLength {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidLength, len(data), BLSLength)
	}
	s := new(blst.P2Affine).Uncompress(data)
	if s == nil || !s.SigValidate(false) {
		return nil, fmt.Errorf("%w: not a G2 point", ErrInvalidSignature)
	}
	return s, nil
}

func verifyBLS(data []byte, signer address.Address, msg []byte) error {
	pk, err := blsPublicKey(signer)
	if err != nil {
		return fmt.Errorf("verify bls signature: %w", err)
	}
	s, err := blsSignature(data)
	if err != nil {
		return fmt.Errorf("verify bls signature: %w", err)
	}
	// Key and signature were validated above.
	if !s.Verify(false, pk, false, msg, blsDST()) {
		return fmt.Errorf("verify bls signature: %w: signer %s", ErrVerify, signer)
	}
	return nil
}

// blsIdentity is the compressed point at infinity of G2, the aggregate of no
// signatures.
func blsIdentity() []byte {
	b := make([]byte, BLSLength)
	b[0] = 0xc0 // compressed flag and infinity flag
	return b
}

// AggregateBLS adds BLS signatures into one, as a block's BLSAggregate does
// for its BLS messages. The aggregate of no signatures is the identity.
func AggregateBLS(sigs []Signature) (Signature, error) {
	if len(sigs) == 0 {
		return Signature{Type: BLS, Data: blsIdentity()}, nil
	}
	var agg blst.P2Aggregate
	for i, s := range sigs {
		if s.Type != BLS {
			return Signature{}, fmt.Errorf("aggregate signature %d: %w %s, want bls", i, ErrUnknownType, s.Type)
		}
		p, err := blsSignature(s.Data)
		if err != nil {
			return Signature{}, fmt.Errorf("aggregate signature %d: %w", i, err)
		}
		agg.Add(p, false) // group-checked by blsSignature
	}
	return Signature{Type: BLS, Data: agg.ToAffine().Compress()}, nil
}

// VerifyAggregateBLS checks that agg aggregates signers[i]'s signature over
// msgs[i] for every i. Messages must be distinct (the basic scheme's rule
// against rogue-key attacks); a block's message CIDs always are. With no
// messages, only the identity verifies.
func VerifyAggregateBLS(signers []address.Address, msgs [][]byte, agg Signature) error {
	if len(signers) != len(msgs) {
		return fmt.Errorf("verify bls aggregate: %d signers for %d messages", len(signers), len(msgs))
	}
	if agg.Type != BLS {
		return fmt.Errorf("verify bls aggregate: %w %s, want bls", ErrUnknownType, agg.Type)
	}
	if len(msgs) == 0 {
		if !bytes.Equal(agg.Data, blsIdentity()) {
			return fmt.Errorf("verify bls aggregate: %w: no messages but a non-identity signature", ErrVerify)
		}
		return nil
	}
	s, err := blsSignature(agg.Data)
	if err != nil {
		return fmt.Errorf("verify bls aggregate: %w", err)
	}
	seen := make(map[string]int, len(msgs))
	pks := make([]*blst.P1Affine, len(signers))
	for i, signer := range signers {
		if j, dup := seen[string(msgs[i])]; dup {
			return fmt.Errorf("verify bls aggregate: %w: messages %d and %d", ErrDuplicateMessage, j, i)
		}
		seen[string(msgs[i])] = i
		if pks[i], err = blsPublicKey(signer); err != nil {
			return fmt.Errorf("verify bls aggregate: signer %d: %w", i, err)
		}
	}
	if !s.AggregateVerify(false, pks, false, msgs, blsDST()) {
		return fmt.Errorf("verify bls aggregate: %w", ErrVerify)
	}
	return nil
}
