package sig_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"testing"

	"github.com/strata-sp/strata/fil/sig"
)

func encodeSig(t testing.TB, s sig.Signature) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.MarshalCBOR(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSignature_CBOR(t *testing.T) {
	// A secp256k1 signature is byte string(66) = 58 42, then type 01, then data.
	s := sig.Signature{Type: sig.Secp256k1, Data: bytes.Repeat([]byte{0xab}, 65)}
	got := encodeSig(t, s)
	want := append([]byte{0x58, 0x42, 0x01}, s.Data...)
	if !bytes.Equal(got, want) {
		t.Errorf("CBOR %x, want %x", got, want)
	}
	// A BLS signature: byte string(97) = 58 61, type 02.
	b := sig.Signature{Type: sig.BLS, Data: bytes.Repeat([]byte{0xcd}, 96)}
	if got := encodeSig(t, b); !bytes.Equal(got[:3], []byte{0x58, 0x61, 0x02}) {
		t.Errorf("BLS CBOR header %x", got[:3])
	}
	var nilSig *sig.Signature
	var buf bytes.Buffer
	if err := nilSig.MarshalCBOR(&buf); err != nil || !bytes.Equal(buf.Bytes(), []byte{0xf6}) {
		t.Errorf("nil signature CBOR %x, %v", buf.Bytes(), err)
	}
}

func TestSignature_JSON(t *testing.T) {
	s := sig.Signature{Type: sig.BLS, Data: []byte("byte array")}
	j, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Type":2,"Data":"Ynl0ZSBhcnJheQ=="}`; string(j) != want {
		t.Errorf("JSON %s, want %s", j, want)
	}
	var back sig.Signature
	if err := json.Unmarshal(j, &back); err != nil || !back.Equals(s) {
		t.Errorf("round trip = %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"Type":7,"Data":""}`), &back); !errors.Is(err, sig.ErrUnknownType) {
		t.Errorf("unknown type JSON = %v", err)
	}
	if err := json.Unmarshal([]byte(`{"Type":1,"Data":"!!"}`), &back); err == nil {
		t.Error("bad base64 accepted")
	}
}

func TestSignature_CBORErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"trailing bytes", []byte{0x42, 0x01, 0xaa, 0x00}, sig.ErrTrailingBytes},
		{"unknown type", []byte{0x42, 0x04, 0xaa}, sig.ErrUnknownType},
		{"type zero", []byte{0x41, 0x00}, sig.ErrUnknownType},
		{"empty", []byte{0x40}, sig.ErrCBOR},
		{"text", []byte{0x61, 0x01}, sig.ErrCBOR},
		{"null", []byte{0xf6}, sig.ErrCBOR},
		{"too long", append([]byte{0x58, 201, 0x01}, make([]byte, 200)...), sig.ErrTooLong},
		{"truncated", []byte{0x43, 0x01}, io.ErrUnexpectedEOF},
		{"no input", nil, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sig.DecodeCBOR(tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("DecodeCBOR(%x) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
	var buf bytes.Buffer
	if err := (&sig.Signature{Type: 0}).MarshalCBOR(&buf); !errors.Is(err, sig.ErrUnknownType) {
		t.Errorf("MarshalCBOR(type 0) = %v", err)
	}
	if err := (&sig.Signature{Type: sig.BLS, Data: make([]byte, 200)}).MarshalCBOR(&buf); !errors.Is(err, sig.ErrTooLong) {
		t.Errorf("MarshalCBOR(200 bytes) = %v", err)
	}
}

func randomSignature(r *rand.Rand) sig.Signature {
	types := []sig.Type{sig.Secp256k1, sig.BLS, sig.Delegated}
	data := make([]byte, r.Intn(sig.MaxLength))
	r.Read(data)
	return sig.Signature{Type: types[r.Intn(3)], Data: data}
}

// TestSignature_RoundTrip checks CBOR ⇄ value ⇄ JSON on random signatures.
func TestSignature_RoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for i := 0; i < 3000; i++ {
		s := randomSignature(r)
		back, err := sig.DecodeCBOR(encodeSig(t, s))
		if err != nil || !back.Equals(s) {
			t.Fatalf("CBOR round trip = %v, %v", back, err)
		}
		j, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON sig.Signature
		if err := json.Unmarshal(j, &fromJSON); err != nil || !fromJSON.Equals(s) {
			t.Fatalf("JSON round trip of %s = %v, %v", j, fromJSON, err)
		}
	}
}
