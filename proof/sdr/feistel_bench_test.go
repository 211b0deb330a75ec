package sdr

import "testing"

// BenchmarkFeistelRound reports the cost of one Feistel round function
// (BLAKE2b-512 of 16 bytes), eight lanes at a time and scalar.
func BenchmarkFeistelRound(b *testing.B) {
	var out, r, k [8]uint64
	b.Run("8-lane", func(b *testing.B) {
		for b.Loop() {
			blake2b8(&out, &r, &k)
			r[0] += out[0]
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/8, "ns/round")
	})
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			blake2b8Generic(&out, &r, &k)
			r[0] += out[0]
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/8, "ns/round")
	})
}

// BenchmarkParentsPerNode splits the cost of a cache entry: base parents
// (two ChaCha8 blocks and five bucket draws) and expander parents (eight
// cycle-walked Feistel permutations).
func BenchmarkParentsPerNode(b *testing.B) {
	g := mustGraph(b, 1<<24, fill32(2), V1_1)
	b.Run("base", func(b *testing.B) {
		var p [BaseDegree]uint32
		v := uint32(1 << 20)
		for b.Loop() {
			g.baseParents(v, &p)
			v++
		}
	})
	b.Run("expander", func(b *testing.B) {
		out := make([]uint64, 1024*ExpanderDegree)
		first := uint64(1 << 20)
		for b.Loop() {
			g.feistel.permuteRange(first*ExpanderDegree, out)
			first += 1024
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1024, "ns/node")
	})
}
