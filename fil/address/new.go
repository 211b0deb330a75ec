package address

import (
	"fmt"

	"github.com/multiformats/go-varint"
	"golang.org/x/crypto/blake2b"
)

// NewIDAddress returns the ID address of an actor. IDs are limited to 63 bits.
func NewIDAddress(id uint64) (Address, error) {
	if id > maxID {
		return Undef, fmt.Errorf("id address %d: %w: ids must be below 2^63", id, ErrInvalidPayload)
	}
	return Address{string(append([]byte{byte(ID)}, varint.ToUvarint(id)...))}, nil
}

// NewSecp256k1Address returns the f1 address of a secp256k1 public key, as
// blake2b-160 of the key bytes. Lotus passes the 65-byte uncompressed key
// (0x04 || X || Y); the key is hashed as given, not validated.
func NewSecp256k1Address(pubkey []byte) (Address, error) {
	return Address{string(append([]byte{byte(SECP256K1)}, addressHash(pubkey)...))}, nil
}

// NewActorAddress returns the f2 address for data chosen by the creating
// actor (the init actor uses creator address || nonce || ...), as blake2b-160.
func NewActorAddress(data []byte) (Address, error) {
	return Address{string(append([]byte{byte(Actor)}, addressHash(data)...))}, nil
}

// NewBLSAddress returns the f3 address of a 48-byte compressed BLS12-381 G1
// public key. The key's curve membership is not checked here; signature
// verification does that.
func NewBLSAddress(pubkey []byte) (Address, error) {
	if len(pubkey) != BLSPublicKeyLength {
		return Undef, fmt.Errorf("bls address: %w: public key is %d bytes, want %d", ErrInvalidLength, len(pubkey), BLSPublicKeyLength)
	}
	return Address{string(append([]byte{byte(BLS)}, pubkey...))}, nil
}

// NewDelegatedAddress returns the f4 address of sub-address sub in the
// namespace of actor ns (FIP-0048). f410 Ethereum addresses use namespace
// EthereumNamespace and the 20-byte Ethereum address as sub.
func NewDelegatedAddress(ns uint64, sub []byte) (Address, error) {
	if ns > maxID {
		return Undef, fmt.Errorf("delegated address namespace %d: %w: namespaces must be below 2^63", ns, ErrInvalidPayload)
	}
	if len(sub) > MaxSubaddressLength {
		return Undef, fmt.Errorf("delegated address: %w: sub-address is %d bytes, max %d", ErrInvalidLength, len(sub), MaxSubaddressLength)
	}
	b := append([]byte{byte(Delegated)}, varint.ToUvarint(ns)...)
	return Address{string(append(b, sub...))}, nil
}

// NewFromBytes parses an address's byte form, protocol || payload. As in
// go-address, an empty input is Undef without error; CBOR decoding rejects it.
func NewFromBytes(b []byte) (Address, error) {
	if len(b) == 0 {
		return Undef, nil
	}
	if err := validateBytes(b); err != nil {
		return Undef, err
	}
	return Address{string(b)}, nil
}

// validateBytes checks a non-empty byte form against the payload rules of its
// protocol.
func validateBytes(b []byte) error {
	if len(b) == 1 {
		return fmt.Errorf("address bytes %x: %w: no payload", b, ErrInvalidLength)
	}
	p, payload := Protocol(b[0]), b[1:]
	switch p {
	case ID:
		id, n, err := varint.FromUvarint(payload)
		if err != nil {
			return fmt.Errorf("id address bytes %x: %w: %v", b, ErrInvalidPayload, err)
		}
		if n != len(payload) {
			return fmt.Errorf("id address bytes %x: %w: %d bytes after the id varint", b, ErrInvalidPayload, len(payload)-n)
		}
		if id > maxID {
			return fmt.Errorf("id address bytes %x: %w: id %d is not below 2^63", b, ErrInvalidPayload, id)
		}
	case SECP256K1, Actor:
		if len(payload) != PayloadHashLength {
			return fmt.Errorf("%s address bytes %x: %w: payload is %d bytes, want %d", p, b, ErrInvalidLength, len(payload), PayloadHashLength)
		}
	case BLS:
		if len(payload) != BLSPublicKeyLength {
			return fmt.Errorf("bls address bytes %x: %w: payload is %d bytes, want %d", b, ErrInvalidLength, len(payload), BLSPublicKeyLength)
		}
	case Delegated:
		ns, n, err := varint.FromUvarint(payload)
		if err != nil {
			return fmt.Errorf("delegated address bytes %x: %w: namespace: %v", b, ErrInvalidPayload, err)
		}
		if ns > maxID {
			return fmt.Errorf("delegated address bytes %x: %w: namespace %d is not below 2^63", b, ErrInvalidPayload, ns)
		}
		if len(payload)-n > MaxSubaddressLength {
			return fmt.Errorf("delegated address bytes %x: %w: sub-address is %d bytes, max %d", b, ErrInvalidLength, len(payload)-n, MaxSubaddressLength)
		}
	default:
		return fmt.Errorf("address bytes %x: %w %d", b, ErrUnknownProtocol, b[0])
	}
	return nil
}

// addressHash is the payload of f1 and f2 addresses: blake2b with a 20-byte
// digest (spec: "Payload ... blake2b-160").
func addressHash(data []byte) []byte {
	return blake2bSum(data, PayloadHashLength)
}

// Checksum returns the 4-byte blake2b checksum that the string form appends:
// blake2b-32 of protocol || payload (for f4 the payload includes the
// namespace varint).
func Checksum(data []byte) []byte {
	return blake2bSum(data, ChecksumLength)
}

func blake2bSum(data []byte, size int) []byte {
	h, err := blake2b.New(size, nil)
	if err != nil {
		// Only an invalid size or key fails, and both are constants here.
		panic(fmt.Sprintf("address: blake2b-%d: %v", size*8, err))
	}
	h.Write(data)
	return h.Sum(nil)
}
