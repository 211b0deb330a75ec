package big_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/strata-sp/strata/fil/big"
)

// FuzzDecodeCBOR checks that accepted CBOR decodes again to the same value
// after re-encoding, and that the re-encoding is minimal.
func FuzzDecodeCBOR(f *testing.F) {
	for _, h := range loadCBORVectors(f) {
		b, err := hex.DecodeString(h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x41, 0x00})
	f.Add([]byte{0x42, 0x02, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := big.DecodeCBOR(b)
		if err != nil {
			return
		}
		enc := encode(t, x)
		again, err := big.DecodeCBOR(enc)
		if err != nil || !again.Equals(x) {
			t.Fatalf("%x: re-encoded %x decodes to %v, %v", b, enc, again, err)
		}
		if !bytes.Equal(encode(t, again), enc) {
			t.Fatalf("%x: encoding is not stable", b)
		}
		if len(enc) > len(b) {
			t.Fatalf("%x: re-encoding %x is longer than the input", b, enc)
		}
	})
}

// FuzzParseTokenAmount checks that accepted amounts format and parse back to
// the same value.
func FuzzParseTokenAmount(f *testing.F) {
	for _, s := range []string{"1.5", "1.5 FIL", "1.5fil", "100 attoFIL", "0 FIL", "-0.000000000000000001", "1e18", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := big.ParseTokenAmount(s)
		if err != nil {
			return
		}
		for _, out := range []string{x.String(), x.AttoString()} {
			back, err := big.ParseTokenAmount(out)
			if err != nil || back.Cmp(x) != 0 {
				t.Fatalf("%q -> %q -> %v, %v", s, out, back, err)
			}
		}
	})
}
