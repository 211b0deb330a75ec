package bitfield_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/strata-sp/strata/fil/bitfield"
)

// TestRoundTrip_Random encodes random sets every way and checks each form
// against the reference encoder and decodes it back.
func TestRoundTrip_Random(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		bits := randBits(rng, false)
		bf := bitfield.NewFromSet(bits)
		m := newModel(bits)

		p, err := bf.Encode()
		if err != nil {
			t.Fatalf("Encode %v: %v", bf, err)
		}
		if want := refEncode(m.sorted()); !bytes.Equal(p, want) {
			t.Fatalf("Encode %v = %x, reference %x", bf, p, want)
		}
		for name, decode := range map[string]func([]byte) (bitfield.BitField, error){
			"Decode": bitfield.Decode, "DecodeStrict": bitfield.DecodeStrict,
		} {
			back, err := decode(p)
			if err != nil || !back.Equal(bf) {
				t.Fatalf("%s(%x) = %v, %v; want %v", name, p, back, err, bf)
			}
		}
		runs, ok := refDecode(p)
		if !ok || !slices.Equal(refRuns(runs), bf.Runs()) {
			t.Fatalf("reference decode of %x = %v, %v; Runs %v", p, runs, ok, bf.Runs())
		}

		var buf bytes.Buffer
		if err := bf.MarshalCBOR(&buf); err != nil {
			t.Fatal(err)
		}
		var fromCBOR bitfield.BitField
		r := bytes.NewReader(buf.Bytes())
		if err := fromCBOR.UnmarshalCBOR(r); err != nil || !fromCBOR.Equal(bf) || r.Len() != 0 {
			t.Fatalf("CBOR %x: %v, %v", buf.Bytes(), fromCBOR, err)
		}

		js, err := json.Marshal(bf)
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON bitfield.BitField
		if err := json.Unmarshal(js, &fromJSON); err != nil || !fromJSON.Equal(bf) {
			t.Fatalf("JSON %s: %v, %v", js, fromJSON, err)
		}
	}
}

// TestDecode_RandomBytesAgainstReference feeds random byte strings, biased
// towards valid-looking ones, to Decode and the bit-at-a-time reference
// decoder, which must agree on acceptance and on the set; DecodeStrict must
// accept exactly the inputs that are their own canonical encoding.
func TestDecode_RandomBytesAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	accepted, canonical := 0, 0
	for range 60000 {
		p := make([]byte, rng.IntN(6))
		for i := range p {
			p[i] = byte(rng.Uint32())
			if rng.IntN(3) == 0 {
				p[i] &^= 0x80 // end varints sooner
			}
		}
		if len(p) > 0 && rng.IntN(2) == 0 {
			p[0] &^= 3 // version 0
		}
		ok, isCanonical := checkDecode(t, p)
		if ok {
			accepted++
		}
		if isCanonical {
			canonical++
		}
	}
	if accepted < 20000 || canonical < 5000 {
		t.Fatalf("only %d accepted and %d canonical inputs: the generator is off", accepted, canonical)
	}
	t.Logf("%d accepted, %d canonical", accepted, canonical)
}

// checkDecode runs the decoding checks shared with FuzzDecode and reports
// whether Decode and DecodeStrict accepted p.
func checkDecode(t *testing.T, p []byte) (ok, canonical bool) {
	t.Helper()
	bf, err := bitfield.Decode(p)
	runs, refOK := refDecode(p)
	if len(p) > bitfield.MaxEncodedSize {
		refOK = false
	}
	if (err == nil) != refOK {
		t.Fatalf("Decode(%x) error %v, reference accepts: %v", p, err, refOK)
	}
	strict, strictErr := bitfield.DecodeStrict(p)
	if err != nil {
		if strictErr == nil {
			t.Fatalf("DecodeStrict(%x) accepts what Decode rejects: %v", p, err)
		}
		return false, false
	}
	if got := bf.Runs(); !slices.Equal(got, refRuns(runs)) {
		t.Fatalf("Decode(%x) runs %v, reference %v", p, got, refRuns(runs))
	}
	enc, err := bf.Encode()
	if err != nil {
		t.Fatalf("Encode of decoded %x: %v", p, err)
	}
	if len(enc) > len(p) {
		t.Fatalf("canonical %x is longer than input %x", enc, p)
	}
	again, err := bitfield.DecodeStrict(enc)
	if err != nil || !again.Equal(bf) {
		t.Fatalf("DecodeStrict(Encode(Decode(%x))) = %v, %v; want %v", p, again, err, bf)
	}
	isCanonical := bytes.Equal(enc, p)
	if (strictErr == nil) != isCanonical {
		t.Fatalf("DecodeStrict(%x) error %v, but canonical is %x", p, strictErr, enc)
	}
	if strictErr != nil && !errors.Is(strictErr, bitfield.ErrNotCanonical) {
		t.Fatalf("DecodeStrict(%x) = %v, want ErrNotCanonical for input Decode accepts", p, strictErr)
	}
	if strictErr == nil && !strict.Equal(bf) {
		t.Fatalf("DecodeStrict(%x) = %v, Decode %v", p, strict, bf)
	}
	return true, isCanonical
}
