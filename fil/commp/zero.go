package commp

import (
	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/fil/sha254"
)

// zeroComms[L] is Z(L), the root of a tree of 2^L zero leaves, i.e. of
// 32<<L zero bytes: Z(0) = 0^32 and Z(L) = H(Z(L-1), Z(L-1))
// (primitives.md §2.5; go-commp-utils zerocomm). Every level is one node hash
// from the one below, so the table is built once at package initialisation,
// up to the largest piece (2^63 bytes); it is never written afterwards.
// Zeros are never hashed at run time.
var zeroComms = func() (z [piece.MaxHeight + 1][32]byte) {
	for l := 1; l < len(z); l++ {
		z[l] = sha254.Node(z[l-1], z[l-1])
	}
	return z
}()

// ZeroCommitment returns the commitment of a piece of size zero bytes (after
// padding, the zero bytes stay zero): the root of its all-zero tree.
func ZeroCommitment(size piece.PaddedSize) ([32]byte, error) {
	if err := size.Validate(); err != nil {
		return [32]byte{}, err
	}
	return zeroComms[size.Height()], nil
}

// ZeroPieceCID returns the v1 piece CID of a piece of zeros of a padded size.
func ZeroPieceCID(size piece.PaddedSize) (cid.Cid, error) {
	comm, err := ZeroCommitment(size)
	if err != nil {
		return cid.Undef, err
	}
	return piece.CIDv1(comm), nil
}
