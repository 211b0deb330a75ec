package bitfield_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/strata-sp/strata/fil/bitfield"
)

// partitionSectors is the sector count of a 32 GiB or 64 GiB window PoSt
// partition, the bitfield size miners handle most.
const partitionSectors = 2349

// partitionFields returns partition-sized fields: all 2,349 sectors in one
// run, and 2,349 sectors scattered over twice the range (about 1,200 runs,
// the worst case a partition's fault or recovery set reaches in practice).
func partitionFields() map[string]bitfield.BitField {
	rng := rand.New(rand.NewPCG(9, 10))
	contiguous := make([]uint64, partitionSectors)
	for i := range contiguous {
		contiguous[i] = 100_000 + uint64(i)
	}
	scattered := make([]uint64, 0, partitionSectors)
	for _, i := range rng.Perm(2 * partitionSectors)[:partitionSectors] {
		scattered = append(scattered, 100_000+uint64(i))
	}
	return map[string]bitfield.BitField{
		"contiguous": bitfield.NewFromSet(contiguous),
		"scattered":  bitfield.NewFromSet(scattered),
	}
}

func BenchmarkDecode(b *testing.B) {
	for name, bf := range partitionFields() {
		p, err := bf.Encode()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if _, err := bitfield.Decode(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for name, bf := range partitionFields() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bf.Encode(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUnmarshalCBOR(b *testing.B) {
	bf := partitionFields()["scattered"]
	var buf bytes.Buffer
	if err := bf.MarshalCBOR(&buf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var out bitfield.BitField
		if err := out.UnmarshalCBOR(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnion merges a partition's field with a copy shifted by one
// sector, so nearly every run of one meets runs of the other.
func BenchmarkUnion(b *testing.B) {
	for name, bf := range partitionFields() {
		var shifted []uint64
		_ = bf.ForEach(func(i uint64) error { shifted = append(shifted, i+1); return nil })
		other := bitfield.NewFromSet(shifted)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bitfield.Union(bf, other)
			}
		})
	}
}
