package address_test

import (
	"bytes"
	"testing"

	"github.com/strata-sp/strata/fil/address"
)

func BenchmarkParse(b *testing.B) {
	for _, s := range []string{
		"f01024",
		"f15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq",
		"f3vvmn62lofvhjd2ugzca6sof2j2ubwok6cj4xxbfzz4yuxfkgobpihhd2thlanmsh3w2ptld2gqkn2jvlss4a",
		"f410fkkld55ioe7qg24wvt7fu6pbknb56ht7pt4zamxa",
	} {
		b.Run(s[:2], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := address.NewFromString(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkString(b *testing.B) {
	a := address.MustParse("f15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq")
	b.ReportAllocs()
	for b.Loop() {
		_ = a.String()
	}
}

func BenchmarkDecodeCBOR(b *testing.B) {
	a := address.MustParse("f15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq")
	var buf bytes.Buffer
	if err := a.MarshalCBOR(&buf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := address.DecodeCBOR(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
