package sdr

import (
	"encoding/binary"

	"golang.org/x/crypto/blake2b"
)

//go:generate go run blake2b_gen.go

// feistelRounds is FEISTEL_ROUNDS of crypto/feistel.rs: only keys[0..3] are
// used (§2).
const feistelRounds = 3

// feistel is the permutation of [0, n) that maps a node's expander slots to
// parents (crypto/feistel.rs, §2): a 3-round Feistel network over 2h bits,
// with h the smallest h >= 1 such that 4^h >= n, and cycle-walking back into
// [0, n).
type feistel struct {
	n         uint64
	halfBits  uint
	rightMask uint64
	leftMask  uint64
	keys      [feistelRounds]uint64
}

func newFeistel(n uint64, keys [4]uint64) feistel {
	h := uint(1)
	for p := uint64(4); p < n; p *= 4 {
		h++
	}
	f := feistel{n: n, halfBits: h, rightMask: 1<<h - 1}
	f.leftMask = f.rightMask << h
	copy(f.keys[:], keys[:feistelRounds])
	return f
}

// round is the round function: blake2bFeistel masked to the half width.
func (f *feistel) round(r, key uint64) uint64 {
	return blake2bFeistel(r, key) & f.rightMask
}

// blake2bFeistel returns the first 8 bytes, read big-endian, of the
// BLAKE2b-512 digest (64-byte output, unkeyed: blake2b_simd::blake2b) of r
// and key written big-endian, the round function of crypto/feistel.rs
// before masking (§2). BLAKE2b-256 would give other bytes.
func blake2bFeistel(r, key uint64) uint64 {
	var in [16]byte
	binary.BigEndian.PutUint64(in[:8], r)
	binary.BigEndian.PutUint64(in[8:], key)
	sum := blake2b.Sum512(in[:])
	return binary.BigEndian.Uint64(sum[:8])
}

// encode runs the three rounds on x.
func (f *feistel) encode(x uint64) uint64 {
	l, r := (x&f.leftMask)>>f.halfBits, x&f.rightMask
	for _, k := range f.keys {
		l, r = r, l^f.round(r, k)
	}
	return l<<f.halfBits | r
}

// permute maps x in [0, n) to [0, n), encoding again while the result is
// outside the domain.
func (f *feistel) permute(x uint64) uint64 {
	u := f.encode(x)
	for u >= f.n {
		u = f.encode(u)
	}
	return u
}

// permuteRange sets out[i] = permute(first+i) for every i, eight round
// functions at a time (blake2b8). The eight lanes each carry one value
// through its rounds; a lane whose value has been encoded and lies in
// [0, n) takes the next input at once, so cycle-walking (half of all
// encodings land outside the domain, §2) never leaves lanes idle.
func (f *feistel) permuteRange(first uint64, out []uint64) {
	type lane struct {
		slot  int // index in out; -1 for an idle lane
		l, r  uint64
		round int
	}
	var lanes [8]lane
	var rs, ks, fs [8]uint64
	next, active := 0, 0
	load := func(ln *lane) {
		if next == len(out) {
			*ln = lane{slot: -1}
			return
		}
		x := first + uint64(next)
		*ln = lane{slot: next, l: (x & f.leftMask) >> f.halfBits, r: x & f.rightMask}
		next++
		active++
	}
	for i := range lanes {
		load(&lanes[i])
	}
	for active > 0 {
		for i := range lanes {
			rs[i], ks[i] = lanes[i].r, f.keys[lanes[i].round]
		}
		blake2b8(&fs, &rs, &ks)
		for i := range lanes {
			ln := &lanes[i]
			if ln.slot < 0 {
				continue
			}
			ln.l, ln.r = ln.r, ln.l^(fs[i]&f.rightMask)
			if ln.round++; ln.round < feistelRounds {
				continue
			}
			u := ln.l<<f.halfBits | ln.r
			if u < f.n {
				out[ln.slot] = u
				active--
				load(ln)
				continue
			}
			ln.l, ln.r, ln.round = (u&f.leftMask)>>f.halfBits, u&f.rightMask, 0
		}
	}
}

// blake2b8Generic is blake2b8 with the scalar round function.
func blake2b8Generic(out, r, key *[8]uint64) {
	for i := range out {
		out[i] = blake2bFeistel(r[i], key[i])
	}
}
