// Package hub is the sector manager: it serves many miners, and sealing
// workers pull work from it through the Sealer API (the pull contract of
// DESIGN.md section 5). The worker drives each sector through its states
// and the hub answers and records: it allocates sector numbers, hands out
// tickets and seeds, takes submissions, and holds a lease per sector that
// the worker renews by reporting or pinging; a sector whose lease lapses is
// given to the next worker that asks, so nothing stays stuck.
//
// Every Submit* is idempotent: the same input gets the same answer, a
// different input for a sector already submitted gets
// MismatchedSubmission.
package hub

import (
	"fmt"
	"time"

	"github.com/strata-sp/strata/proof"
)

// Namespace is the JSON-RPC namespace of the worker-facing API.
const Namespace = "Sealer"

// SectorID names a sector: its miner's actor ID and its number.
type SectorID struct {
	Miner  uint64
	Number uint64
}

func (s SectorID) String() string { return fmt.Sprintf("f0%d/%d", s.Miner, s.Number) }

// AllocateSectorSpec is what a worker thread can take.
type AllocateSectorSpec struct {
	// Worker names the worker machine; its leases are renewed by its
	// Pings.
	Worker string
	// AllowedMiners limits the miners (actor IDs); empty allows all.
	AllowedMiners []uint64
	// AllowedProofTypes limits the seal proofs; empty allows all.
	AllowedProofTypes []proof.SealProof
	// Locations are the directories this worker can read (its own thread
	// directories and any shared storage), to tell whether a sector taken
	// over can resume from its files.
	Locations []string
}

// AllocatedSector is a sector given to a worker.
type AllocatedSector struct {
	ID         SectorID
	ProofType  proof.SealProof
	LeaseUntil time.Time
	// Takeover is set when the sector was another worker's whose lease
	// lapsed. State is how far the hub knows it got and Location where its
	// files were; Resumable says whether Location is one of the
	// allocating worker's. A sector that is not resumable is sealed again
	// from its pieces and ticket, which gives the same commitments.
	Takeover  bool
	State     State
	Location  string
	Resumable bool
	// For a sector taken over after its persist: its ticket, commitments
	// and persist store, so a worker that reaches the store proves it from
	// the persisted copy instead of sealing it again.
	Ticket      *Ticket `json:",omitempty"`
	CommR       []byte  `json:",omitempty"`
	CommD       []byte  `json:",omitempty"`
	PersistedTo string  `json:",omitempty"`
}

// State is the hub's view of a sector.
type State string

// The hub's sector states, in order.
const (
	StateAllocated          State = "allocated"
	StatePreCommitSubmitted State = "precommit_submitted"
	StatePreCommitLanded    State = "precommit_landed"
	StatePersisted          State = "persisted"
	StateProofSubmitted     State = "proof_submitted"
	StateProofLanded        State = "proof_landed"
	StateFinalized          State = "finalized"
	StateAborted            State = "aborted"
)

// Terminal reports whether s is final.
func (s State) Terminal() bool { return s == StateFinalized || s == StateAborted }

// Ticket is the sealing randomness of a sector and the epoch it was drawn
// at.
type Ticket struct {
	Ticket []byte
	Epoch  int64
}

// PreCommitInfo is what a worker submits after PC2.
type PreCommitInfo struct {
	CommR  [32]byte
	CommD  [32]byte
	Ticket Ticket
}

// SubmitResult is the answer to a Submit* call (damocles's names).
type SubmitResult string

// The submit results.
const (
	// Accepted: recorded (also the answer to the same submission again).
	Accepted SubmitResult = "Accepted"
	// MismatchedSubmission: the sector was already submitted with other
	// values.
	MismatchedSubmission SubmitResult = "MismatchedSubmission"
	// Rejected: the submission is wrong (Desc says why).
	Rejected SubmitResult = "Rejected"
	// FilesMissed: the persisted files are not where the worker says.
	FilesMissed SubmitResult = "FilesMissed"
)

// SubmitResp is a Submit* answer.
type SubmitResp struct {
	Res  SubmitResult
	Desc string `json:",omitempty"`
}

// OnChainState is where a sector's message is (damocles's names).
type OnChainState string

// The on-chain states.
const (
	OnChainPending    OnChainState = "Pending"
	OnChainPacked     OnChainState = "Packed"
	OnChainLanded     OnChainState = "Landed"
	OnChainNotFound   OnChainState = "NotFound"
	OnChainFailed     OnChainState = "Failed"
	OnChainPermFailed OnChainState = "PermFailed"
	// OnChainShouldAbort: the sector cannot go on (its deals expired, the
	// operator aborted it); the worker should abort it.
	OnChainShouldAbort OnChainState = "ShouldAbort"
)

// PollResp is a Poll* answer.
type PollResp struct {
	State OnChainState
	Desc  string `json:",omitempty"`
}

// StateChange is a worker's report of one transition of its sector state
// machine.
type StateChange struct {
	Prev, Next, Event string
}

// FailureLevel grades a failure a worker reports.
type FailureLevel string

// The failure levels.
const (
	FailureTemporary FailureLevel = "temporary"
	FailurePermanent FailureLevel = "permanent"
	FailureCritical  FailureLevel = "critical"
	FailureAbort     FailureLevel = "abort"
)

// Failure is a failure a worker reports with a state change.
type Failure struct {
	Level FailureLevel
	Desc  string
}

// StateReport is ReportState's argument.
type StateReport struct {
	Worker   string
	Location string // the thread's directory
	Change   StateChange
	Failure  *Failure `json:",omitempty"`
}

// SectorStateResp answers ReportState: whether the hub wants the sector
// aborted (an operator abort, or another worker took it over).
type SectorStateResp struct {
	ID          SectorID
	Finalized   bool
	AbortReason string `json:",omitempty"`
}

// WorkerInfo is a worker's heartbeat.
type WorkerInfo struct {
	Name    string
	Threads int
	// Summary counts threads by condition: empty, running, waiting,
	// paused, errors.
	Summary map[string]int `json:",omitempty"`
}
