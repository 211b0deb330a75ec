package sig

import (
	"fmt"
	"io"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/blake2b"

	"github.com/strata-sp/strata/fil/address"
)

// Secp256k1Key is a secp256k1 private key producing Secp256k1 signatures for
// an f1 address. Build it with NewSecp256k1Key or GenerateKey; the zero value
// is not a key.
type Secp256k1Key struct {
	k *secp256k1.PrivateKey
}

var _ PrivateKey = Secp256k1Key{}

// NewSecp256k1Key returns the key whose 32-byte big-endian scalar is b. The
// scalar must be in [1, n-1].
func NewSecp256k1Key(b []byte) (Secp256k1Key, error) {
	if len(b) != PrivateKeyLength {
		return Secp256k1Key{}, fmt.Errorf("secp256k1 private key: %w: %d bytes, want %d", ErrInvalidLength, len(b), PrivateKeyLength)
	}
	var s secp256k1.ModNScalar
	if overflow := s.SetByteSlice(b); overflow || s.IsZero() {
		return Secp256k1Key{}, fmt.Errorf("secp256k1 private key: %w: scalar is zero or not below the group order", ErrInvalidKey)
	}
	return Secp256k1Key{secp256k1.NewPrivateKey(&s)}, nil
}

func generateSecp256k1(r io.Reader) (Secp256k1Key, error) {
	k, err := secp256k1.GeneratePrivateKeyFromRand(r)
	if err != nil {
		return Secp256k1Key{}, fmt.Errorf("generate secp256k1 key: %w", err)
	}
	return Secp256k1Key{k}, nil
}

// Type returns Secp256k1.
func (Secp256k1Key) Type() Type { return Secp256k1 }

// Bytes returns the 32-byte big-endian scalar.
func (k Secp256k1Key) Bytes() []byte { return k.k.Serialize() }

// PublicKey returns the 65-byte uncompressed public key, the form f1
// addresses hash.
func (k Secp256k1Key) PublicKey() []byte { return k.k.PubKey().SerializeUncompressed() }

// Address returns the key's f1 address.
func (k Secp256k1Key) Address() (address.Address, error) {
	return address.NewSecp256k1Address(k.PublicKey())
}

// Sign signs blake2b-256(msg) (lotus lib/sigs/secp).
func (k Secp256k1Key) Sign(msg []byte) (Signature, error) {
	h := blake2b.Sum256(msg)
	return Signature{Type: Secp256k1, Data: signRecoverable(k.k, h[:])}, nil
}

// signRecoverable returns an RFC 6979 deterministic signature as r || s || v.
// decred's compact form is v+27 || r || s (Bitcoin's layout); Filecoin and
// Ethereum put the bare recovery id last.
func signRecoverable(k *secp256k1.PrivateKey, hash []byte) []byte {
	compact := ecdsa.SignCompact(k, hash, false)
	out := make([]byte, Secp256k1Length)
	copy(out, compact[1:])
	out[64] = compact[0] - 27
	return out
}

// recoverPublicKey returns the uncompressed public key that produced the
// r || s || v signature over hash.
func recoverPublicKey(data, hash []byte) ([]byte, error) {
	if len(data) != Secp256k1Length {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidLength, len(data), Secp256k1Length)
	}
	// Recovery ids are 0-3 (bit 0: y parity, bit 1: x overflowed the order).
	if data[64] > 3 {
		return nil, fmt.Errorf("%w: recovery id %d, want 0 to 3", ErrInvalidSignature, data[64])
	}
	compact := make([]byte, Secp256k1Length)
	compact[0] = data[64] + 27
	copy(compact[1:], data[:64])
	pub, _, err := ecdsa.RecoverCompact(compact, hash)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSignature, err)
	}
	return pub.SerializeUncompressed(), nil
}

func verifySecp256k1(data []byte, signer address.Address, msg []byte) error {
	if signer.Protocol() != address.SECP256K1 {
		return fmt.Errorf("verify secp256k1 signature: %w: signer %s", ErrSignerProtocol, signer)
	}
	h := blake2b.Sum256(msg)
	pub, err := recoverPublicKey(data, h[:])
	if err != nil {
		return fmt.Errorf("verify secp256k1 signature: %w", err)
	}
	got, err := address.NewSecp256k1Address(pub)
	if err != nil {
		return fmt.Errorf("verify secp256k1 signature: %w", err)
	}
	if got != signer {
		return fmt.Errorf("verify secp256k1 signature: %w: signed by %s, not %s", ErrVerify, got, signer)
	}
	return nil
}
