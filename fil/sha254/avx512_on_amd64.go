//go:build amd64 && !purego && !noavx512

package sha254

// avx512Allowed lets Nodes use AVX-512 where the CPU has it. Build with
// -tags noavx512 to keep to SHA-NI: heavy AVX-512 use lowers the clock of
// the cores running it (about 8% on the development machine when both cores
// do), which slows whatever else shares them, and it makes CommP scale
// worse from one core to two even though it stays faster in absolute terms.
const avx512Allowed = true
