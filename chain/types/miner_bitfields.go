package types

import (
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
)

// This file holds the miner API types that carry bitfields. Bitfields are
// JSON arrays of RLE run lengths ({5} is [5,1], the empty set [0]) and CBOR
// byte strings of RLE+ (fil/bitfield). StateMinerFaults and
// StateMinerRecoveries answer a bare bitfield.BitField. The message
// parameters that carry bitfields (SubmitWindowedPoSt, DeclareFaults, …) are
// in chain/actors.

// Deadline is one WindowPoSt deadline of a miner (lotus api.Deadline), an
// item of StateMinerDeadlines (48 on mainnet).
type Deadline struct {
	// PostSubmissions are the partitions proven in this deadline's current
	// challenge window.
	PostSubmissions bitfield.BitField
	// DisputableProofCount is the number of optimistically accepted proofs
	// that can still be disputed.
	DisputableProofCount uint64
	// DailyFee is the deadline's share of the daily sector fee (FIP-0100).
	DailyFee big.TokenAmount
}

// Partition is one partition of a deadline (lotus api.Partition), an item
// of StateMinerPartitions. From the actor's partition state: AllSectors =
// Sectors, FaultySectors = Faults, RecoveringSectors = Recoveries,
// LiveSectors = Sectors − Terminated, ActiveSectors = Live − Faults −
// Unproven (research/actor-params.md §4).
type Partition struct {
	AllSectors        bitfield.BitField
	FaultySectors     bitfield.BitField
	RecoveringSectors bitfield.BitField
	LiveSectors       bitfield.BitField
	ActiveSectors     bitfield.BitField
}
