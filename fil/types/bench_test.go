package types_test

import (
	"bytes"
	"testing"

	"github.com/strata-sp/strata/fil/types"
)

func benchMessage(b *testing.B) *types.Message {
	b.Helper()
	_, secp := loadMessageVectors(b)
	return vectorMessage(b, secp[0])
}

func BenchmarkMessage_MarshalCBOR(b *testing.B) {
	m := benchMessage(b)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := m.MarshalCBOR(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMessage_UnmarshalCBOR(b *testing.B) {
	enc := serialize(b, benchMessage(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := types.DecodeMessage(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMessage_Cid(b *testing.B) {
	m := benchMessage(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Cid(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDealProposal_Cid(b *testing.B) {
	p, err := types.DecodeDealProposal(mustHex(b, proposalHex("8b", nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Cid(); err != nil {
			b.Fatal(err)
		}
	}
}
