//go:build amd64 && !purego

package sdr

import "golang.org/x/sys/cpu"

// blake2bFeistel8 computes out[i] = blake2bFeistel(r[i], key[i]) for eight
// lanes with AVX-512 F and BW (feistel_blake2b_amd64.s).
//
//go:noescape
func blake2bFeistel8(out, r, key *[8]uint64)

// blake2b8 computes out[i] = blake2bFeistel(r[i], key[i]) for i < 8, with
// AVX-512 where the CPU and OS support it (x/sys/cpu checks XCR0). Eight
// round functions take about as long in the vector unit as two scalar ones.
func blake2b8(out, r, key *[8]uint64) {
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW {
		blake2bFeistel8(out, r, key)
		return
	}
	blake2b8Generic(out, r, key)
}
