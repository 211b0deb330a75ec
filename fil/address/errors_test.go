package address_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/strata-sp/strata/fil/address"
)

// b32 encodes raw bytes the way address strings do, to build bad inputs.
func b32(s string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	var out []byte
	var acc, bits uint
	for _, c := range []byte(s) {
		acc = acc<<8 | uint(c)
		bits += 8
		for bits >= 5 {
			out = append(out, alphabet[(acc>>(bits-5))&31])
			bits -= 5
		}
	}
	if bits > 0 {
		out = append(out, alphabet[(acc<<(5-bits))&31])
	}
	return string(out)
}

func TestParse_Errors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"unknown network", "Q2gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr23y", address.ErrUnknownNetwork},
		{"upper-case network", "F01", address.ErrUnknownNetwork},
		{"unknown protocol", "t5gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr23y", address.ErrUnknownProtocol},
		{"wrong checksum", "t2gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr24y", address.ErrInvalidChecksum},
		{"id too long", "t0banananananannnnnnnnn", address.ErrInvalidLength},
		{"id not decimal", "t0banananananannnnnnn", address.ErrInvalidPayload},
		{"id 2^63", "t09223372036854775808", address.ErrInvalidPayload},
		{"id leading zero", "t0001", address.ErrInvalidEncoding},
		{"id plus sign", "t0+1", address.ErrInvalidPayload},
		{"digit outside base32", "t2gfvuyh7v2sx3patm1k23wdzmhyhtmqctasbr24y", address.ErrInvalidEncoding},
		{"upper case base32", "t2gfvuyh7v2sx3paTm1k23wdzmhyhtmqctasbr24y", address.ErrInvalidEncoding},
		{"too short", "t2", address.ErrInvalidLength},
		{"shorter than checksum", "t1234q", address.ErrInvalidLength},
		{"too long", strings.Repeat("a", address.MaxStringLength+1), address.ErrInvalidLength},
		{"one char", "t", address.ErrInvalidLength},
		{"id 19 letters", "t0" + strings.Repeat("a", 19), address.ErrInvalidPayload},
		{"id 20 letters", "t0" + strings.Repeat("a", 20), address.ErrInvalidLength},
		{"secp right length", "t1" + b32(strings.Repeat("a", 24)), address.ErrInvalidChecksum},
		{"secp payload long", "t1" + b32(strings.Repeat("a", 25)), address.ErrInvalidLength},
		{"secp payload short", "t1" + b32(strings.Repeat("a", 23)), address.ErrInvalidLength},
		{"actor right length", "t2" + b32(strings.Repeat("a", 24)), address.ErrInvalidChecksum},
		{"actor payload long", "t2" + b32(strings.Repeat("a", 25)), address.ErrInvalidLength},
		{"bls right length", "t3" + b32(strings.Repeat("a", 52)), address.ErrInvalidChecksum},
		{"bls payload short", "t3" + b32(strings.Repeat("a", 51)), address.ErrInvalidLength},
		// go-address TestTrailingBits: same bytes, non-zero padding bits.
		{"non-zero trailing bits", "f1xpbyy4tkdx5si2bgo37dubc2xwv6fum5tk57mid", address.ErrInvalidEncoding},
		{"line break inside base32", "f1xpbyy4tkdx5si2bgo37dubc\n2xwv6fum5tk57mia", address.ErrInvalidEncoding},
		{"delegated without f", "f432", address.ErrInvalidPayload},
		{"delegated namespace leading zero", "f4032f77777777x32lpna", address.ErrInvalidEncoding},
		{"delegated namespace 2^63", "f49223372036854775808fiic6zsy", address.ErrInvalidPayload},
		{"delegated wrong checksum", "f432f77777777x32lpnb", address.ErrInvalidEncoding},
		{"delegated checksum mismatch", "f433f77777777x32lpna", address.ErrInvalidChecksum},
		{"delegated too short", "f432faaa", address.ErrInvalidLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := address.NewFromString(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("NewFromString(%q) = %v, want %v", tt.in, err, tt.want)
			}
			if !strings.Contains(err.Error(), "address") {
				t.Errorf("error %q does not say what failed", err)
			}
		})
	}
}

func TestParse_Good(t *testing.T) {
	for _, s := range []string{"f1xpbyy4tkdx5si2bgo37dubc2xwv6fum5tk57mia", "t00", "f09223372036854775807"} {
		if _, err := address.NewFromString(s); err != nil {
			t.Errorf("NewFromString(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", address.UndefString} {
		a, err := address.NewFromString(s)
		if err != nil || a != address.Undef {
			t.Errorf("NewFromString(%q) = %v, %v; want Undef", s, a, err)
		}
	}
}

func TestNewFromBytes_Errors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"unknown protocol", []byte{5, 4, 4}, address.ErrUnknownProtocol},
		{"id without payload", []byte{0}, address.ErrInvalidLength},
		{"id non-minimal varint", []byte{0, 0x80, 0x00}, address.ErrInvalidPayload},
		{"id hanging varint", []byte{0, 0x80}, address.ErrInvalidPayload},
		{"id extra bytes", []byte{0, 0x01, 0x02}, address.ErrInvalidPayload},
		{"id 2^64", []byte{0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, address.ErrInvalidPayload},
		{"id 2^63", []byte{0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, address.ErrInvalidPayload},
		{"secp short", append([]byte{1}, make([]byte, 19)...), address.ErrInvalidLength},
		{"secp long", append([]byte{1}, make([]byte, 21)...), address.ErrInvalidLength},
		{"actor short", append([]byte{2}, make([]byte, 19)...), address.ErrInvalidLength},
		{"actor long", append([]byte{2}, make([]byte, 21)...), address.ErrInvalidLength},
		{"bls short", append([]byte{3}, make([]byte, 47)...), address.ErrInvalidLength},
		{"bls long", append([]byte{3}, make([]byte, 33+16)...), address.ErrInvalidLength},
		{"delegated sub-address too long", append([]byte{4, 0}, make([]byte, 55)...), address.ErrInvalidLength},
		{"delegated hanging namespace varint", []byte{4, 0xff}, address.ErrInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := address.NewFromBytes(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("NewFromBytes(%x) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
	if a, err := address.NewFromBytes(nil); err != nil || a != address.Undef {
		t.Errorf("NewFromBytes(nil) = %v, %v; want Undef", a, err)
	}
}

func TestConstructors_Errors(t *testing.T) {
	if _, err := address.NewIDAddress(math.MaxInt64 + 1); !errors.Is(err, address.ErrInvalidPayload) {
		t.Errorf("NewIDAddress(2^63) = %v", err)
	}
	if _, err := address.NewBLSAddress(make([]byte, 47)); !errors.Is(err, address.ErrInvalidLength) {
		t.Errorf("NewBLSAddress(47 bytes) = %v", err)
	}
	if _, err := address.NewDelegatedAddress(math.MaxInt64+1, nil); !errors.Is(err, address.ErrInvalidPayload) {
		t.Errorf("NewDelegatedAddress(2^63) = %v", err)
	}
	if _, err := address.NewDelegatedAddress(10, make([]byte, 55)); !errors.Is(err, address.ErrInvalidLength) {
		t.Errorf("NewDelegatedAddress(55 bytes) = %v", err)
	}
	a := address.MustParse("f1xpbyy4tkdx5si2bgo37dubc2xwv6fum5tk57mia")
	if _, err := a.ID(); !errors.Is(err, address.ErrNotID) {
		t.Errorf("ID of f1 = %v", err)
	}
	if _, _, err := a.Delegated(); !errors.Is(err, address.ErrNotDelegated) {
		t.Errorf("Delegated of f1 = %v", err)
	}
}

func TestCBOR_Errors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"trailing bytes", []byte{0x42, 0x00, 0x01, 0x00}, address.ErrTrailingBytes},
		{"text string", []byte{0x62, 0x00, 0x01}, address.ErrCBOR},
		{"null", []byte{0xf6}, address.ErrCBOR},
		{"empty byte string", []byte{0x40}, address.ErrUndef},
		{"over 64 bytes", append([]byte{0x58, 65}, make([]byte, 65)...), address.ErrInvalidLength},
		{"truncated", []byte{0x42, 0x00}, io.ErrUnexpectedEOF},
		{"empty input", nil, io.ErrUnexpectedEOF},
		{"bad payload", []byte{0x42, 0x09, 0x01}, address.ErrUnknownProtocol},
		{"non-canonical header", []byte{0x58, 0x02, 0x00, 0x01}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := address.DecodeCBOR(tt.in)
			if err == nil {
				t.Fatalf("DecodeCBOR(%x) succeeded", tt.in)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("DecodeCBOR(%x) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
	var buf bytes.Buffer
	if err := address.Undef.MarshalCBOR(&buf); !errors.Is(err, address.ErrUndef) {
		t.Errorf("MarshalCBOR(Undef) = %v", err)
	}
	var nilAddr *address.Address
	buf.Reset()
	if err := nilAddr.MarshalCBOR(&buf); err != nil || !bytes.Equal(buf.Bytes(), []byte{0xf6}) {
		t.Errorf("MarshalCBOR(nil) = %x, %v; want f6", buf.Bytes(), err)
	}
}

func TestJSON_Undef(t *testing.T) {
	j, err := address.Undef.MarshalJSON()
	if err != nil || string(j) != `"<empty>"` {
		t.Errorf("Undef JSON = %s, %v", j, err)
	}
	for _, in := range []string{`"<empty>"`, `""`, `null`} {
		a := address.MustParse("f01")
		if err := json.Unmarshal([]byte(in), &a); err != nil {
			t.Errorf("Unmarshal %s: %v", in, err)
		}
		if in != `null` && a != address.Undef {
			t.Errorf("Unmarshal %s = %v, want Undef", in, a)
		}
	}
	var a address.Address
	if err := json.Unmarshal([]byte(`123`), &a); err == nil {
		t.Error("a JSON number parsed as an address")
	}
	if err := json.Unmarshal([]byte(`"f0001"`), &a); !errors.Is(err, address.ErrInvalidEncoding) {
		t.Errorf("non-canonical JSON = %v", err)
	}
}
