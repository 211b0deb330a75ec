//go:build amd64 && !purego && noavx512

package sha254

// avx512Allowed is false: built with -tags noavx512 (see avx512_on_amd64.go).
const avx512Allowed = false
