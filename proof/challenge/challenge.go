// Package challenge derives the challenges of seal and PoSt proofs from
// public randomness, exactly as rust-fil-proofs does (research/primitives.md
// §4): which nodes an interactive PoRep opens, which sectors a PoSt picks,
// and which leaves of each sector it opens.
package challenge

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/multiformats/go-varint"
)

// Errors, checked with errors.Is.
var (
	// ErrInvalid means an argument is out of range (no nodes, no sectors).
	ErrInvalid = errors.New("invalid challenge parameters")
)

// ProverID is the prover_id of a miner: the uvarint of its actor ID (the
// payload of its f0 address), zero-padded on the right to 32 bytes
// (filecoin-ffi proofs.go toProverID).
func ProverID(minerID uint64) [32]byte {
	var id [32]byte
	copy(id[:], varint.ToUvarint(minerID))
	return id
}

// Interactive returns the interactive PoRep challenges of one partition:
// for index i, j = perPartition·partition + i (u32 little-endian),
// h = SHA256(replica_id || seed || j), and the challenge is h read as a
// little-endian integer mod (nodes−1), plus 1, so node 0 is never challenged
// (stacked/vanilla/challenges.rs).
func Interactive(replicaID, seed [32]byte, nodes uint64, partition, perPartition int) ([]uint64, error) {
	if nodes < 2 || perPartition < 1 || partition < 0 {
		return nil, fmt.Errorf("%w: %d nodes, partition %d, %d per partition", ErrInvalid, nodes, partition, perPartition)
	}
	mod := new(big.Int).SetUint64(nodes - 1)
	out := make([]uint64, perPartition)
	var buf [68]byte
	copy(buf[0:32], replicaID[:])
	copy(buf[32:64], seed[:])
	x := new(big.Int)
	for i := range out {
		binary.LittleEndian.PutUint32(buf[64:], uint32(perPartition*partition+i))
		h := sha256.Sum256(buf[:])
		x.SetBytes(reverse(h))
		out[i] = x.Mod(x, mod).Uint64() + 1
	}
	return out, nil
}

func reverse(h [32]byte) []byte {
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		h[i], h[j] = h[j], h[i]
	}
	return h[:]
}

// PoStSectors picks count sectors out of setLen for a PoSt: challenge n is
// SHA256(prover_id || randomness || u64_LE(n))[0..8] read as a u64 little
// endian, mod setLen (fallback/vanilla.rs generate_sector_challenge). The
// result holds indexes into the sector set; they may repeat.
func PoStSectors(proverID, randomness [32]byte, setLen uint64, count int) ([]uint64, error) {
	if setLen == 0 || count < 0 {
		return nil, fmt.Errorf("%w: %d sectors, %d challenges", ErrInvalid, setLen, count)
	}
	out := make([]uint64, count)
	var buf [72]byte
	copy(buf[0:32], proverID[:])
	copy(buf[32:64], randomness[:])
	for n := range out {
		binary.LittleEndian.PutUint64(buf[64:], uint64(n))
		h := sha256.Sum256(buf[:])
		out[n] = binary.LittleEndian.Uint64(h[:8]) % setLen
	}
	return out, nil
}

// PoStLeaves returns the leaf challenges of one sector in a PoSt: challenge
// n is SHA256(randomness || u64_LE(sector number) || u64_LE(index))[0..8]
// read as a u64 little endian, mod the sector's nodes. With API version 1.2
// (current) index = n; before it, index = sectorIndex·count + n, where
// sectorIndex is the sector's position in its partition (fallback/utils.rs).
func PoStLeaves(randomness [32]byte, sectorNumber, nodes uint64, count int, legacySectorIndex int) ([]uint64, error) {
	if nodes == 0 || count < 0 {
		return nil, fmt.Errorf("%w: %d nodes, %d challenges", ErrInvalid, nodes, count)
	}
	out := make([]uint64, count)
	var buf [48]byte
	copy(buf[0:32], randomness[:])
	binary.LittleEndian.PutUint64(buf[32:], sectorNumber)
	for n := range out {
		index := uint64(n)
		if legacySectorIndex >= 0 {
			index = uint64(legacySectorIndex*count + n)
		}
		binary.LittleEndian.PutUint64(buf[40:], index)
		h := sha256.Sum256(buf[:])
		out[n] = binary.LittleEndian.Uint64(h[:8]) % nodes
	}
	return out, nil
}
