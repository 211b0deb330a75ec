package address_test

import (
	"bytes"
	"testing"

	"github.com/strata-sp/strata/fil/address"
)

// FuzzParse checks that any string either fails to parse or parses to an
// address whose canonical form is the input itself.
func FuzzParse(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.str)
	}
	f.Add("f1xpbyy4tkdx5si2bgo37dubc2xwv6fum5tk57mid")
	f.Add("f4032f77777777x32lpna")
	f.Add("t0001")
	f.Add(address.UndefString)
	f.Fuzz(func(t *testing.T, s string) {
		a, n, err := address.Parse(s)
		if err != nil {
			return
		}
		if a.Empty() {
			if s != "" && s != address.UndefString {
				t.Fatalf("%q parsed to Undef", s)
			}
			return
		}
		if got := a.Format(n); got != s {
			t.Fatalf("%q parsed, but formats as %q", s, got)
		}
		back, err := address.NewFromBytes(a.Bytes())
		if err != nil || back != a {
			t.Fatalf("bytes of %q do not round-trip: %v", s, err)
		}
	})
}

// FuzzNewFromBytes checks that accepted byte forms round-trip through the
// string form and CBOR.
func FuzzNewFromBytes(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.bytes)
	}
	f.Add([]byte{0, 0x80, 0x00})
	f.Add([]byte{4, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := address.NewFromBytes(b)
		if err != nil || a.Empty() {
			return
		}
		if !bytes.Equal(a.Bytes(), b) {
			t.Fatalf("Bytes() = %x, want %x", a.Bytes(), b)
		}
		back, err := address.NewFromString(a.String())
		if err != nil || back != a {
			t.Fatalf("%x: string %q does not parse back: %v", b, a.String(), err)
		}
		var buf bytes.Buffer
		if err := a.MarshalCBOR(&buf); err != nil {
			t.Fatal(err)
		}
		if c, err := address.DecodeCBOR(buf.Bytes()); err != nil || c != a {
			t.Fatalf("%x: CBOR does not round-trip: %v", b, err)
		}
	})
}

// FuzzDecodeCBOR checks that accepted CBOR re-encodes to the same bytes (the
// address CBOR form is canonical) and decodes again to the same address.
func FuzzDecodeCBOR(f *testing.F) {
	for _, v := range loadVectors(f) {
		var buf bytes.Buffer
		a, err := address.NewFromBytes(v.bytes)
		if err != nil {
			f.Fatal(err)
		}
		if err := a.MarshalCBOR(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte{0x42, 0x00, 0x01, 0x00})
	f.Add([]byte{0x58, 0x02, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := address.DecodeCBOR(b)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := a.MarshalCBOR(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), b) {
			t.Fatalf("decoded %x, re-encoded %x", b, buf.Bytes())
		}
		again, err := address.DecodeCBOR(buf.Bytes())
		if err != nil || again != a {
			t.Fatalf("second decode = %v, %v", again, err)
		}
	})
}
