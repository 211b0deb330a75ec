// Package address implements Filecoin addresses: the five protocols (ID,
// secp256k1, actor, BLS, delegated), their byte and string forms, and their
// CBOR and JSON encodings, byte-compatible with go-address and Lotus.
//
// Spec: https://spec.filecoin.io/appendix/address/ and FIP-0048 (f4
// delegated addresses). The byte form is protocol || payload; the string form
// is network prefix, protocol digit, then a protocol-specific body (decimal for
// IDs, lowercase unpadded base32 of payload || checksum otherwise).
//
// The network (f mainnet / t testnet) only affects the string form and is a
// parameter here rather than process-global state: String formats for mainnet,
// Format takes the network explicitly, and parsing accepts both prefixes.
package address

import (
	"fmt"
	"math"

	"github.com/multiformats/go-varint"
)

// Protocol identifies how an address's payload is derived; it is the first byte
// of the byte form and the digit after the network prefix in the string form.
type Protocol byte

// The address protocols defined by the Filecoin spec.
const (
	// ID addresses carry the actor ID assigned by the init actor (f0...).
	ID Protocol = 0
	// SECP256K1 addresses carry blake2b-160 of an uncompressed secp256k1 public key (f1...).
	SECP256K1 Protocol = 1
	// Actor addresses carry blake2b-160 of data chosen by the creating actor (f2...).
	Actor Protocol = 2
	// BLS addresses carry a 48-byte compressed BLS12-381 G1 public key (f3...).
	BLS Protocol = 3
	// Delegated addresses carry a namespace actor ID and a sub-address (f4..., FIP-0048).
	Delegated Protocol = 4
	// Unknown is what Protocol reports for Undef.
	Unknown Protocol = 255
)

// String returns the protocol's name, for logs and errors.
func (p Protocol) String() string {
	switch p {
	case ID:
		return "id"
	case SECP256K1:
		return "secp256k1"
	case Actor:
		return "actor"
	case BLS:
		return "bls"
	case Delegated:
		return "delegated"
	default:
		return fmt.Sprintf("unknown(%d)", byte(p))
	}
}

// Network selects the prefix of an address's string form. The zero value is
// Mainnet.
type Network byte

const (
	// Mainnet addresses start with 'f'.
	Mainnet Network = iota
	// Testnet addresses (calibration, devnets) start with 't'.
	Testnet
)

// Prefix returns the network's prefix character. Any value other than Testnet
// is treated as Mainnet, so formatting never fails.
func (n Network) Prefix() byte {
	if n == Testnet {
		return 't'
	}
	return 'f'
}

// String returns "mainnet" or "testnet".
func (n Network) String() string {
	if n == Testnet {
		return "testnet"
	}
	return "mainnet"
}

// Limits from the spec and go-address constants.go.
const (
	// PayloadHashLength is the length of the blake2b digest in secp256k1 and actor addresses.
	PayloadHashLength = 20
	// BLSPublicKeyLength is the length of a compressed G1 public key in a BLS address.
	BLSPublicKeyLength = 48
	// ChecksumLength is the length of the blake2b checksum in non-ID string forms.
	ChecksumLength = 4
	// MaxSubaddressLength is the longest sub-address of a delegated address.
	MaxSubaddressLength = 54
	// MaxInt64StringLength is the length of math.MaxInt64 in decimal.
	MaxInt64StringLength = 19
	// MaxStringLength is the longest string form (a delegated address with the
	// largest namespace and sub-address): 2 + 19 + 1 + 93.
	MaxStringLength = 2 + MaxInt64StringLength + 1 + 93
	// MaxByteLength is the longest byte form: protocol, a 9-byte namespace
	// varint and a 54-byte sub-address. CBOR decoding rejects anything longer.
	MaxByteLength = 1 + varint.MaxLenUvarint63 + MaxSubaddressLength
	// UndefString is how Undef prints, and a string that parses back to Undef.
	UndefString = "<empty>"
	// EthereumNamespace is the namespace of f410 addresses: the actor ID of
	// the Ethereum Address Manager (FIP-0055).
	EthereumNamespace = 10
)

// Address is a Filecoin address. It is a comparable value: two addresses are
// equal exactly when their byte forms are equal. The zero value is Undef.
//
// An Address can only be built through this package's constructors and
// parsers, so every defined Address holds a valid byte form.
type Address struct{ b string }

// Undef is the undefined address, the zero value of Address.
var Undef = Address{}

// Empty reports whether a is Undef.
func (a Address) Empty() bool { return a.b == "" }

// Protocol returns a's protocol, or Unknown for Undef.
func (a Address) Protocol() Protocol {
	if a.b == "" {
		return Unknown
	}
	return Protocol(a.b[0])
}

// Payload returns a copy of a's payload (the byte form without the protocol
// byte), or nil for Undef.
func (a Address) Payload() []byte {
	if a.b == "" {
		return nil
	}
	return []byte(a.b[1:])
}

// Bytes returns a copy of a's byte form, protocol || payload; empty for Undef.
func (a Address) Bytes() []byte { return []byte(a.b) }

// ID returns the actor ID of an ID address.
func (a Address) ID() (uint64, error) {
	if a.Protocol() != ID {
		return 0, fmt.Errorf("address %s: %w", a, ErrNotID)
	}
	id, _, err := varint.FromUvarint([]byte(a.b[1:]))
	if err != nil {
		// Unreachable: constructors validate the varint.
		return 0, fmt.Errorf("address %x: %w: %v", a.b, ErrInvalidPayload, err)
	}
	return id, nil
}

// Delegated returns the namespace and sub-address of a delegated address.
func (a Address) Delegated() (namespace uint64, subaddress []byte, err error) {
	if a.Protocol() != Delegated {
		return 0, nil, fmt.Errorf("address %s: %w", a, ErrNotDelegated)
	}
	ns, n, err := varint.FromUvarint([]byte(a.b[1:]))
	if err != nil {
		return 0, nil, fmt.Errorf("address %x: %w: %v", a.b, ErrInvalidPayload, err)
	}
	return ns, []byte(a.b[1+n:]), nil
}

// maxID is the largest actor ID and delegated namespace: the spec limits both
// to 63 bits so they fit a signed int64 everywhere.
const maxID = math.MaxInt64
