// Package state is the devnet's world state and the pure functions that
// change it: applying one message (ApplyMessage), the end-of-epoch cron
// (Cron), and the read-only views the chain API serves. It does no I/O and
// keeps no clock: everything a method needs from the chain (epoch, base
// fee, randomness, proof verification) comes in an Env, so a test drives it
// with plain values and a node replays the same messages to the same state.
//
// Actors are the network's builtin actors as messages see them: the same
// singleton IDs, method numbers, parameter CBOR and exit codes
// (chain/actors), so a message built for the network is understood here.
// Their state is kept in Go structs (serialised as JSON for snapshots), not
// in the network's HAMT/AMT layout; the views return the network's API
// shapes (chain/types).
//
// Contract of every method handler: it either succeeds, or returns an
// *Abort having changed nothing. Handlers validate everything first, then
// mutate.
package state

import (
	"errors"
	"fmt"
	"sort"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/proof/engine"
)

// Kind is what an actor is (the devnet's stand-in for a code CID).
type Kind string

// The actor kinds.
const (
	KindSystem   Kind = "system"
	KindInit     Kind = "init"
	KindReward   Kind = "reward"
	KindCron     Kind = "cron"
	KindPower    Kind = "storagepower"
	KindMarket   Kind = "storagemarket"
	KindVerifreg Kind = "verifiedregistry"
	KindAccount  Kind = "account"
	KindMiner    Kind = "storageminer"
)

// The singleton actors' IDs (the network's).
const (
	SystemID     uint64 = 0
	InitID       uint64 = 1
	RewardID     uint64 = 2
	CronID       uint64 = 3
	PowerID      uint64 = 4
	MarketID     uint64 = 5
	VerifregID   uint64 = 6
	BurntFundsID uint64 = 99
	// FirstNonSingletonID is the first ID given to a new actor.
	FirstNonSingletonID uint64 = 1000
)

// Actor is one actor's entry in the state tree.
type Actor struct {
	Kind    Kind
	Balance big.TokenAmount
	Nonce   uint64
	// Address is the robust address: the key address of an account, the
	// actor (f2) address of a miner; undefined for singletons.
	Address address.Address
}

// State is the whole world state.
type State struct {
	// NetworkName is the name StateNetworkName answers.
	NetworkName string
	// NetworkVersion is the network version the devnet implements.
	NetworkVersion types.NetworkVersion
	Policy         Policy
	NextID         uint64
	Actors         map[uint64]*Actor
	// IDs maps robust addresses (by String()) to IDs.
	IDs    map[string]uint64
	Power  Power
	Market Market
	Miners map[uint64]*Miner
}

// Env is what executing a message needs from the chain.
type Env struct {
	// Epoch is the epoch of the tipset whose messages are applied (or the
	// epoch cron runs at).
	Epoch   int64
	BaseFee big.TokenAmount
	// Randomness draws chain randomness as Lotus's
	// StateGetRandomnessFromTickets (beacon false) or ...FromBeacon.
	Randomness func(tag types.DomainSeparationTag, epoch int64, entropy []byte, beacon bool) ([32]byte, error)
	// Verifier checks seal and PoSt proofs.
	Verifier engine.Verifier
}

// Abort is a method's failure: an exit code and what went wrong.
type Abort struct {
	Code types.ExitCode
	Msg  string
}

func (a *Abort) Error() string { return fmt.Sprintf("exit %d: %s", a.Code, a.Msg) }

// Abortf builds an *Abort.
func Abortf(code types.ExitCode, format string, args ...any) *Abort {
	return &Abort{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Exit codes used by the VM (the network's numbers; chain/actors names
// them all).
const (
	ExitOk                    types.ExitCode = 0
	ExitSysSenderInvalid      types.ExitCode = 1
	ExitSysSenderStateInvalid types.ExitCode = 2
	ExitSysIllegalInstr       types.ExitCode = 4
	ExitSysInvalidReceiver    types.ExitCode = 5
	ExitSysInsufficientFunds  types.ExitCode = 6
	ExitSysOutOfGas           types.ExitCode = 7
	ExitIllegalArgument       types.ExitCode = 16
	ExitNotFound              types.ExitCode = 17
	ExitForbidden             types.ExitCode = 18
	ExitInsufficientFunds     types.ExitCode = 19
	ExitIllegalState          types.ExitCode = 20
	ExitSerialization         types.ExitCode = 21
	ExitUnhandledMessage      types.ExitCode = 22
)

// Call is one method invocation.
type Call struct {
	Env    *Env
	Caller uint64 // the sender's ID
	// Origin is the robust address of the message's sender.
	Origin   address.Address
	Receiver uint64
	Value    big.TokenAmount
	Method   uint64
	Params   []byte
}

// Errors of the views, checked with errors.Is.
var (
	// ErrActorNotFound: no actor has that address.
	ErrActorNotFound = errors.New("actor not found")
	// ErrNotMiner: the actor is not a miner.
	ErrNotMiner = errors.New("actor is not a miner")
)

// Lookup resolves an address to an actor ID.
func (s *State) Lookup(a address.Address) (uint64, error) {
	if id, err := a.ID(); err == nil {
		if _, ok := s.Actors[id]; ok {
			return id, nil
		}
		return 0, fmt.Errorf("%s: %w", a, ErrActorNotFound)
	}
	if id, ok := s.IDs[a.String()]; ok {
		return id, nil
	}
	return 0, fmt.Errorf("%s: %w", a, ErrActorNotFound)
}

// Actor returns the actor with ID id, or nil.
func (s *State) Actor(id uint64) *Actor { return s.Actors[id] }

// IDAddress is the ID address of id.
func IDAddress(id uint64) address.Address {
	a, err := address.NewIDAddress(id)
	if err != nil {
		panic(err) // ids come from NextID, far below 2^63
	}
	return a
}

// newActor creates an actor with the next ID.
func (s *State) newActor(kind Kind, robust address.Address) uint64 {
	id := s.NextID
	s.NextID++
	s.Actors[id] = &Actor{Kind: kind, Address: robust}
	if !robust.Empty() {
		s.IDs[robust.String()] = id
	}
	return id
}

// transfer moves value between actors; callers have checked the balance.
func (s *State) transfer(from, to uint64, v big.TokenAmount) {
	if v.Sign() == 0 || from == to {
		return
	}
	s.Actors[from].Balance = s.Actors[from].Balance.Sub(v)
	s.Actors[to].Balance = s.Actors[to].Balance.Add(v)
}

// TotalBalance is the sum of every actor's balance (conserved by every
// message and cron; tests check it).
func (s *State) TotalBalance() big.TokenAmount {
	ids := make([]uint64, 0, len(s.Actors))
	for id := range s.Actors {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	total := big.TokenAmount{}
	for _, id := range ids {
		total = total.Add(s.Actors[id].Balance)
	}
	return total
}
