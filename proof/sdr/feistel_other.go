//go:build !amd64 || purego

package sdr

// blake2b8 computes out[i] = blake2bFeistel(r[i], key[i]) for i < 8.
func blake2b8(out, r, key *[8]uint64) { blake2b8Generic(out, r, key) }
