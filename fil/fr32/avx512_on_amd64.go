//go:build amd64 && !purego && !noavx512

package fr32

// avx512Allowed lets Pad use AVX-512 where the CPU has it; -tags noavx512
// turns it off, as it does in package sha254.
const avx512Allowed = true
