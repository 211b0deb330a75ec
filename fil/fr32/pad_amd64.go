//go:build amd64 && !purego

package fr32

import "golang.org/x/sys/cpu"

// useAVX512 is set once at package initialisation: AVX-512 F with the OS
// saving its state, unless built with -tags noavx512.
var useAVX512 = avx512Allowed && cpu.X86.HasAVX512F

// padAVX512 pads len(out)/128 quads; in must hold 127 bytes per quad plus
// one, because each quad is read as 128 bytes.
//
//go:noescape
func padAVX512(in, out []byte)

// padQuads pads quads quads of in into out. Every quad but the last may read
// one byte past its 127 (see padQuad), so the last one is left to padLast.
func padQuads(in, out []byte, quads int) {
	if useAVX512 {
		padAVX512(in[:(quads-1)*UnpaddedChunk+1], out[:(quads-1)*PaddedChunk])
	} else {
		padQuadsGeneric(in, out, quads)
	}
	padLast(in, out, quads)
}
