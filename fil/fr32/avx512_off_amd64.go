//go:build amd64 && !purego && noavx512

package fr32

// avx512Allowed is false: built with -tags noavx512.
const avx512Allowed = false
