package types_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/fil/types"
)

// messageSeeds returns the CBOR of every message vector.
func messageSeeds(f *testing.F) [][]byte {
	f.Helper()
	bls, secp := loadMessageVectors(f)
	var seeds [][]byte
	for _, v := range append(bls, secp...) {
		seeds = append(seeds, serialize(f, vectorMessage(f, v)))
	}
	return seeds
}

// signedSeeds returns the CBOR of every message vector with its signature.
func signedSeeds(f *testing.F) [][]byte {
	f.Helper()
	bls, secp := loadMessageVectors(f)
	var seeds [][]byte
	for _, v := range bls {
		s := sig.Signature{Type: sig.BLS, Data: mustHex(f, v.SignatureHex)}
		seeds = append(seeds, serialize(f, &types.SignedMessage{Message: *vectorMessage(f, v), Signature: s}))
	}
	s := sig.Signature{Type: sig.Secp256k1, Data: mustHex(f, secp[0].SignatureHex)}
	seeds = append(seeds, serialize(f, &types.SignedMessage{Message: *vectorMessage(f, secp[0]), Signature: s}))
	return seeds
}

func proposalSeeds(f *testing.F) [][]byte {
	f.Helper()
	return [][]byte{
		mustHex(f, proposalHex("8b", nil)),
		mustHex(f, proposalHex("8b", map[int]string{5: "44deadbeef", 2: "f5"})),
		mustHex(f, proposalHex("8b", map[int]string{5: "68" + "6465616462656566"})),
		mustHex(f, proposalHex("8b", map[int]string{5: "790100" + strings.Repeat("61", 256)})),
	}
}

// fuzzStable is the property every decoder fuzz target checks: input that
// decodes re-encodes without error, that encoding decodes again and re-encodes
// to itself (decode∘encode is the identity on what the encoder produces), and
// a JSON round trip preserves the CBOR where the JSON form is lossless.
func fuzzStable[T any, P interface {
	*T
	Serialize() ([]byte, error)
}](t *testing.T, b []byte, decode func([]byte) (P, error), viaJSON func(P) bool) {
	v, err := decode(b)
	if err != nil {
		return
	}
	enc, err := v.Serialize()
	if err != nil {
		t.Fatalf("decoded %x but cannot re-encode: %v", b, err)
	}
	again, err := decode(enc)
	if err != nil {
		t.Fatalf("re-encoding %x does not decode: %v", enc, err)
	}
	if enc2 := serialize(t, again); !bytes.Equal(enc2, enc) {
		t.Fatalf("encoding is not stable: %x then %x", enc, enc2)
	}
	if len(enc) > len(b) {
		t.Fatalf("re-encoding %x is longer than the input %x", enc, b)
	}
	if viaJSON == nil || !viaJSON(v) {
		return
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	fromJSON := P(new(T))
	if err := json.Unmarshal(j, fromJSON); err != nil {
		t.Fatalf("JSON %s does not parse back: %v", j, err)
	}
	if got := serialize(t, fromJSON); !bytes.Equal(got, enc) {
		t.Fatalf("JSON round trip of %s changed the CBOR", j)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range messageSeeds(f) {
		f.Add(s)
	}
	f.Add(mustHex(f, msgHex("8a", map[int]string{5: "3b7fffffffffffffff"})))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzStable(t, b, types.DecodeMessage, func(*types.Message) bool { return true })
	})
}

func FuzzDecodeSignedMessage(f *testing.F) {
	for _, s := range signedSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzStable(t, b, types.DecodeSignedMessage, func(*types.SignedMessage) bool { return true })
	})
}

func FuzzDecodeDealProposal(f *testing.F) {
	for _, s := range proposalSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzStable(t, b, types.DecodeDealProposal, func(p *types.DealProposal) bool { return p.Label.IsString() })
	})
}

func FuzzDecodeClientDealProposal(f *testing.F) {
	for _, s := range proposalSeeds(f) {
		f.Add(append(append([]byte{0x82}, s...), 0x58, 0x42, 0x01))
		f.Add(append(append(append([]byte{0x82}, s...), 0x58, 0x42, 0x01), make([]byte, 65)...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzStable(t, b, types.DecodeClientDealProposal, func(c *types.ClientDealProposal) bool { return c.Proposal.Label.IsString() })
	})
}

// labelBox adapts DecodeDealLabel to fuzzStable's pointer shape.
type labelBox struct{ l types.DealLabel }

func (b *labelBox) Serialize() ([]byte, error) {
	var buf bytes.Buffer
	err := b.l.MarshalCBOR(&buf)
	return buf.Bytes(), err
}

func FuzzDecodeDealLabel(f *testing.F) {
	for _, h := range []string{"60", "40", "68" + "6465616462656566", "44deadbeef", "62fffe", "790100" + strings.Repeat("61", 256)} {
		f.Add(mustHex(f, h))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		decode := func(b []byte) (*labelBox, error) {
			l, err := types.DecodeDealLabel(b)
			return &labelBox{l}, err
		}
		fuzzStable(t, b, decode, nil)
		l, err := types.DecodeDealLabel(b)
		if err != nil {
			return
		}
		if l.Len() > types.DealMaxLabelSize {
			t.Fatalf("label of %d bytes accepted", l.Len())
		}
		if l.IsString() {
			j, err := json.Marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			var back types.DealLabel
			if err := json.Unmarshal(j, &back); err != nil || !back.Equals(l) {
				t.Fatalf("JSON round trip of %s = %v, %v", j, back, err)
			}
		}
	})
}
