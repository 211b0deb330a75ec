package sig

import (
	"fmt"
	"io"

	"github.com/strata-sp/strata/fil/address"
)

// PrivateKey is a signing key of one Type. Implementations are immutable and
// safe for concurrent use.
type PrivateKey interface {
	// Type is the signature type the key produces.
	Type() Type
	// Bytes is the 32-byte private key as Lotus stores it in KeyInfo:
	// big-endian for secp256k1 and delegated, little-endian for BLS.
	Bytes() []byte
	// PublicKey is the public key: 65-byte uncompressed secp256k1
	// (0x04 || X || Y) or 48-byte compressed BLS G1.
	PublicKey() []byte
	// Address is the key's address: f1, f3 or f410.
	Address() (address.Address, error)
	// Sign signs msg; see the package documentation for what each type
	// hashes.
	Sign(msg []byte) (Signature, error)
}

// GenerateKey creates a private key of type t from the randomness in r. The
// same bytes from r give the same key, which tests use; production callers
// pass crypto/rand.Reader.
func GenerateKey(t Type, r io.Reader) (PrivateKey, error) {
	switch t {
	case Secp256k1:
		return generateSecp256k1(r)
	case BLS:
		return generateBLS(r)
	case Delegated:
		k, err := generateSecp256k1(r)
		if err != nil {
			return nil, err
		}
		return DelegatedKey{k}, nil
	default:
		return nil, fmt.Errorf("generate key: %w %d", ErrUnknownType, byte(t))
	}
}

// NewPrivateKey returns the private key of type t stored as b (see
// PrivateKey.Bytes for the byte order).
func NewPrivateKey(t Type, b []byte) (PrivateKey, error) {
	switch t {
	case Secp256k1:
		return NewSecp256k1Key(b)
	case BLS:
		return NewBLSKey(b)
	case Delegated:
		k, err := NewSecp256k1Key(b)
		if err != nil {
			return nil, err
		}
		return DelegatedKey{k}, nil
	default:
		return nil, fmt.Errorf("new private key: %w %d", ErrUnknownType, byte(t))
	}
}

// Verify checks that s is signer's signature over msg. The signer must be the
// key address for s's type (f1 for secp256k1, f3 for BLS, f410 for delegated);
// resolve ID addresses through chain state first.
func Verify(s Signature, signer address.Address, msg []byte) error {
	switch s.Type {
	case Secp256k1:
		return verifySecp256k1(s.Data, signer, msg)
	case BLS:
		return verifyBLS(s.Data, signer, msg)
	case Delegated:
		return verifyDelegated(s.Data, signer, msg)
	default:
		return fmt.Errorf("verify: %w %d", ErrUnknownType, byte(s.Type))
	}
}
