package address

import (
	"bytes"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"

	"github.com/multiformats/go-varint"
)

// encoding is the base32 of address strings: RFC 4648 alphabet in lower case,
// without padding. It is read-only after package initialisation.
var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// String returns a's mainnet string form ("f0123", "f1..."), or UndefString for
// Undef. Use Format for testnet.
func (a Address) String() string { return a.Format(Mainnet) }

// Format returns a's string form with the prefix of network n, or UndefString
// for Undef.
func (a Address) Format(n Network) string {
	if a.b == "" {
		return UndefString
	}
	var sb strings.Builder
	sb.Grow(MaxStringLength)
	sb.WriteByte(n.Prefix())
	sb.WriteByte('0' + a.b[0])
	payload := []byte(a.b[1:])
	switch Protocol(a.b[0]) {
	case ID:
		id, _, _ := varint.FromUvarint(payload) // validated on construction
		sb.WriteString(strconv.FormatUint(id, 10))
	case Delegated:
		ns, n, _ := varint.FromUvarint(payload)
		sb.WriteString(strconv.FormatUint(ns, 10))
		sb.WriteByte('f')
		sb.WriteString(encoding.EncodeToString(append(payload[n:], Checksum([]byte(a.b))...)))
	default:
		sb.WriteString(encoding.EncodeToString(append(payload, Checksum([]byte(a.b))...)))
	}
	return sb.String()
}

// NewFromString parses an address string of either network. "" and
// UndefString parse to Undef.
func NewFromString(s string) (Address, error) {
	a, _, err := Parse(s)
	return a, err
}

// MustParse is NewFromString for constants in tests and tables; it panics on
// an invalid string.
func MustParse(s string) Address {
	a, err := NewFromString(s)
	if err != nil {
		panic(err)
	}
	return a
}

// Parse parses an address string and also reports its network. It accepts
// only the canonical form, the one Format produces: a string that decodes but
// re-encodes differently (leading zeros, non-zero trailing base32 bits, line
// breaks) is rejected with ErrInvalidEncoding, so each address has exactly one
// string form.
func Parse(s string) (Address, Network, error) {
	if s == "" || s == UndefString {
		return Undef, Mainnet, nil
	}
	if len(s) > MaxStringLength || len(s) < 3 {
		return Undef, Mainnet, fmt.Errorf("address %.*q: %w: %d characters, want 3 to %d", MaxStringLength, s, ErrInvalidLength, len(s), MaxStringLength)
	}
	var net Network
	switch s[0] {
	case 'f':
		net = Mainnet
	case 't':
		net = Testnet
	default:
		return Undef, Mainnet, fmt.Errorf("address %q: %w %q", s, ErrUnknownNetwork, s[0])
	}
	if s[1] < '0' || s[1] > '4' {
		return Undef, net, fmt.Errorf("address %q: %w %q", s, ErrUnknownProtocol, s[1])
	}
	a, err := parseBody(Protocol(s[1]-'0'), s[2:])
	if err != nil {
		return Undef, net, fmt.Errorf("address %q: %w", s, err)
	}
	if a.Format(net) != s {
		return Undef, net, fmt.Errorf("address %q: %w: canonical form is %q", s, ErrInvalidEncoding, a.Format(net))
	}
	return a, net, nil
}

// parseBody decodes what follows the network and protocol characters.
func parseBody(p Protocol, body string) (Address, error) {
	switch p {
	case ID:
		id, err := parseDecimal63(body, "id")
		if err != nil {
			return Undef, err
		}
		return NewIDAddress(id)
	case Delegated:
		nsStr, sub, ok := strings.Cut(body, "f")
		if !ok {
			return Undef, fmt.Errorf("%w: delegated address has no 'f' after the namespace", ErrInvalidPayload)
		}
		ns, err := parseDecimal63(nsStr, "namespace")
		if err != nil {
			return Undef, err
		}
		raw, err := decodeChecked(sub)
		if err != nil {
			return Undef, err
		}
		if len(raw)-ChecksumLength > MaxSubaddressLength {
			return Undef, fmt.Errorf("%w: sub-address is %d bytes, max %d", ErrInvalidLength, len(raw)-ChecksumLength, MaxSubaddressLength)
		}
		b := append([]byte{byte(p)}, varint.ToUvarint(ns)...)
		return checkSum(append(b, raw[:len(raw)-ChecksumLength]...), raw[len(raw)-ChecksumLength:])
	default:
		raw, err := decodeChecked(body)
		if err != nil {
			return Undef, err
		}
		b := append([]byte{byte(p)}, raw[:len(raw)-ChecksumLength]...)
		if err := validateBytes(b); err != nil {
			return Undef, err
		}
		return checkSum(b, raw[len(raw)-ChecksumLength:])
	}
}

// parseDecimal63 parses an ID or namespace: plain decimal digits below 2^63.
func parseDecimal63(s, what string) (uint64, error) {
	if len(s) > MaxInt64StringLength {
		return 0, fmt.Errorf("%w: %s has %d digits, max %d", ErrInvalidLength, what, len(s), MaxInt64StringLength)
	}
	v, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q is not a decimal number below 2^63", ErrInvalidPayload, what, s)
	}
	return v, nil
}

// decodeChecked decodes base32 payload || checksum and checks there is room
// for the checksum.
func decodeChecked(s string) ([]byte, error) {
	raw, err := encoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: base32: %v", ErrInvalidEncoding, err)
	}
	if len(raw) < ChecksumLength {
		return nil, fmt.Errorf("%w: %d bytes of base32 data, fewer than the %d-byte checksum", ErrInvalidLength, len(raw), ChecksumLength)
	}
	return raw, nil
}

// checkSum compares the checksum of byte form b with sum and builds the address.
func checkSum(b, sum []byte) (Address, error) {
	if want := Checksum(b); !bytes.Equal(want, sum) {
		return Undef, fmt.Errorf("%w: got %x, want %x", ErrInvalidChecksum, sum, want)
	}
	return NewFromBytes(b)
}
