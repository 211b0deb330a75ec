package actors_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
)

// TestRoundTrip_AllTypes encodes a populated value of every type, decodes it
// with DecodeParams and checks that the value and its bytes survive.
func TestRoundTrip_AllTypes(t *testing.T) {
	for _, f := range allFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			b := encode(t, f.value)
			back := f.target()
			if err := actors.DecodeParams(b, back); err != nil {
				t.Fatalf("decode %x: %v", b, err)
			}
			if !reflect.DeepEqual(back, f.value) {
				t.Errorf("decoded %+v\nwant    %+v", back, f.value)
			}
			if again := encode(t, back); !bytes.Equal(again, b) {
				t.Fatalf("re-encoded %x\nwant       %x", again, b)
			}
			// Decoding into a used value replaces it entirely.
			if err := actors.DecodeParams(b, back); err != nil || !reflect.DeepEqual(back, f.value) {
				t.Fatalf("second decode: %+v, %v", back, err)
			}
			// Every proper prefix is truncated input.
			for n := range len(b) {
				if err := actors.DecodeParams(b[:n], f.target()); err == nil {
					t.Fatalf("prefix %x of %x decoded", b[:n], b)
				}
			}
		})
	}
}

// TestMarshalCBOR_NilPointer checks cbor-gen's convention that a nil pointer
// marshals as CBOR null.
func TestMarshalCBOR_NilPointer(t *testing.T) {
	for _, f := range allFixtures(t) {
		nilPtr := reflect.Zero(reflect.TypeOf(f.value)).Interface().(codec)
		var buf bytes.Buffer
		if err := nilPtr.MarshalCBOR(&buf); err != nil || buf.String() != "\xf6" {
			t.Errorf("%s: nil pointer wrote %x, %v", f.name, buf.Bytes(), err)
		}
	}
}
