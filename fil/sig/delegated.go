package sig

import (
	"fmt"

	"golang.org/x/crypto/sha3"

	"github.com/strata-sp/strata/fil/address"
)

// DelegatedKey is a secp256k1 key used the Ethereum way, for an f410 address
// (FIP-0055; lotus lib/sigs/delegated). The bytes it signs are normally the
// RLP of the Ethereum transaction a message was converted from.
type DelegatedKey struct {
	Secp256k1Key
}

var _ PrivateKey = DelegatedKey{}

// Type returns Delegated.
func (DelegatedKey) Type() Type { return Delegated }

// Address returns the key's f410 address: namespace 10 (the Ethereum Address
// Manager) and the Ethereum address, the last 20 bytes of keccak-256 of the
// public key without its 0x04 prefix.
func (k DelegatedKey) Address() (address.Address, error) {
	return ethAddress(k.PublicKey())
}

// Sign signs keccak-256(msg), r || s || v.
func (k DelegatedKey) Sign(msg []byte) (Signature, error) {
	return Signature{Type: Delegated, Data: signRecoverable(k.k, keccak256(msg))}, nil
}

func keccak256(msg []byte) []byte {
	h := sha3.NewLegacyKeccak256()
	h.Write(msg)
	return h.Sum(nil)
}

// ethAddress returns the f410 address of an uncompressed secp256k1 key.
func ethAddress(pub []byte) (address.Address, error) {
	if len(pub) != 65 || pub[0] != 0x04 {
		return address.Undef, fmt.Errorf("ethereum address: %w: want a 65-byte uncompressed public key", ErrInvalidKey)
	}
	return address.NewDelegatedAddress(address.EthereumNamespace, keccak256(pub[1:])[12:])
}

func verifyDelegated(data []byte, signer address.Address, msg []byte) error {
	if ns, sub, err := signer.Delegated(); err != nil || ns != address.EthereumNamespace || len(sub) != 20 {
		return fmt.Errorf("verify delegated signature: %w: signer %s is not an f410 Ethereum address", ErrSignerProtocol, signer)
	}
	pub, err := recoverPublicKey(data, keccak256(msg))
	if err != nil {
		return fmt.Errorf("verify delegated signature: %w", err)
	}
	got, err := ethAddress(pub)
	if err != nil {
		return fmt.Errorf("verify delegated signature: %w", err)
	}
	if got != signer {
		return fmt.Errorf("verify delegated signature: %w: signed by %s, not %s", ErrVerify, got, signer)
	}
	return nil
}
