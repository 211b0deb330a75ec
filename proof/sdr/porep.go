package sdr

import (
	"crypto/sha256"
	"encoding/binary"
)

// PoRepID builds a porep_id (rust-filecoin-proofs-api registry.rs
// porep_id(), §0): the registered proof number as u64 LE in bytes 0..8, the
// nonce as u64 LE in bytes 8..16 (always 0 for registered proofs), zeros
// after.
func PoRepID(registeredProof, nonce uint64) [32]byte {
	var id [32]byte
	binary.LittleEndian.PutUint64(id[0:8], registeredProof)
	binary.LittleEndian.PutUint64(id[8:16], nonce)
	return id
}

// ReplicaID derives the replica_id of a sector (stacked/vanilla/params.rs
// generate_replica_id, §4): SHA-256 of prover_id, the sector number as u64
// big-endian, the ticket, comm_d and porep_id, with the top two bits of byte
// 31 cleared so that it is a canonical field element.
func ReplicaID(proverID [32]byte, sectorNumber uint64, ticket, commD, porepID [32]byte) [32]byte {
	var msg [32 + 8 + 32 + 32 + 32]byte
	copy(msg[0:32], proverID[:])
	binary.BigEndian.PutUint64(msg[32:40], sectorNumber)
	copy(msg[40:72], ticket[:])
	copy(msg[72:104], commD[:])
	copy(msg[104:136], porepID[:])
	id := sha256.Sum256(msg[:])
	id[31] &= 0x3f
	return id
}
