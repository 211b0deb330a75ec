package devnet

import (
	"encoding/binary"

	"golang.org/x/crypto/blake2b"

	"github.com/strata-sp/strata/chain/types"
)

// DrawRandomness is Lotus's chain randomness (chain/rand DrawRandomnessFromBase):
// blake2b-256(int64 BE tag || blake2b-256(base) || int64 BE round ||
// entropy), base being a ticket's VRF proof or a beacon entry's data.
func DrawRandomness(base []byte, tag types.DomainSeparationTag, round int64, entropy []byte) [32]byte {
	h, _ := blake2b.New256(nil)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(tag))
	h.Write(b[:])
	d := blake2b.Sum256(base)
	h.Write(d[:])
	binary.BigEndian.PutUint64(b[:], uint64(round))
	h.Write(b[:])
	h.Write(entropy)
	var out [32]byte
	h.Sum(out[:0])
	return out
}
