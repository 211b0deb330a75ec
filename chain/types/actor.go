package types

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/internal/cborx"
)

// Actor is an actor's entry in the state tree (lotus chain/types.Actor,
// ActorV5).
//
// JSON: {"Code","Head","Nonce","Balance","DelegatedAddress"}, the last null
// for actors without an f4 address. CBOR: [Code, Head, Nonce, Balance,
// DelegatedAddress] (state tree v5, nv18 on); decoding also reads the
// 4-tuple of older state trees, with DelegatedAddress nil.
type Actor struct {
	// Code is the actor's code CID, which names its type and version.
	Code cid.Cid
	// Head is the root CID of the actor's state.
	Head cid.Cid
	// Nonce is the next message nonce of an account (or EVM) actor.
	Nonce   uint64
	Balance big.TokenAmount
	// DelegatedAddress is the actor's f4 address, if it has one.
	DelegatedAddress *address.Address
}

var (
	_ cbg.CBORMarshaler   = (*Actor)(nil)
	_ cbg.CBORUnmarshaler = (*Actor)(nil)
)

// MarshalCBOR writes a as the 5-tuple; a nil *Actor writes CBOR null.
func (a *Actor) MarshalCBOR(w io.Writer) error {
	if a == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	const what = "actor"
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, 5); err != nil {
		return err
	}
	if err := cborx.WriteCID(cw, a.Code); err != nil {
		return fmt.Errorf("%s: field Code: %w", what, err)
	}
	if err := cborx.WriteCID(cw, a.Head); err != nil {
		return fmt.Errorf("%s: field Head: %w", what, err)
	}
	if err := cborx.WriteUint64(cw, a.Nonce); err != nil {
		return err
	}
	if err := a.Balance.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field Balance: %w", what, err)
	}
	// A nil *address.Address writes CBOR null.
	if err := a.DelegatedAddress.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field DelegatedAddress: %w", what, err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR actor of 4 or 5 fields from r.
func (a *Actor) UnmarshalCBOR(r io.Reader) (err error) {
	const what = "actor"
	*a = Actor{}
	cr := cbg.NewCborReader(r)
	n, err := cborx.ReadTuple(cr, what, 4, 5)
	if err != nil {
		return err
	}
	if a.Code, err = cborx.ReadCID(cr); err != nil {
		return cborx.FieldErr(what, "Code", err)
	}
	if a.Head, err = cborx.ReadCID(cr); err != nil {
		return cborx.FieldErr(what, "Head", err)
	}
	if a.Nonce, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr(what, "Nonce", err)
	}
	if err := a.Balance.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "Balance", err)
	}
	if n == 5 {
		if a.DelegatedAddress, err = readOptional[address.Address](cr); err != nil {
			return cborx.FieldErr(what, "DelegatedAddress", err)
		}
	}
	return nil
}

// DecodeActor decodes a CBOR actor that must fill all of b.
func DecodeActor(b []byte) (*Actor, error) {
	var a Actor
	if err := cborx.Decode("actor", b, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Serialize returns a's CBOR bytes.
func (a *Actor) Serialize() ([]byte, error) { return cborx.Encode(a) }

// ActorState is an actor's balance, code and decoded state (lotus
// api.ActorState), the answer of StateReadState. State is the
// actor-version-specific state struct as the node rendered it in JSON, kept
// verbatim.
type ActorState struct {
	Balance big.TokenAmount
	Code    cid.Cid
	State   json.RawMessage
}

// NetworkVersion is a network upgrade number (go-state-types
// network.Version); a JSON number. It fixes the actors version (nv22 →
// actors v13 … nv29 → v19; research/actor-params.md).
type NetworkVersion uint

// DomainSeparationTag separates the uses of chain randomness
// (go-state-types crypto.DomainSeparationTag); a JSON number.
type DomainSeparationTag int64

// The domain separation tags (research/primitives.md §3.1).
const (
	DSTTicketProduction               DomainSeparationTag = 1
	DSTElectionProofProduction        DomainSeparationTag = 2
	DSTWinningPoStChallengeSeed       DomainSeparationTag = 3
	DSTWindowedPoStChallengeSeed      DomainSeparationTag = 4
	DSTSealRandomness                 DomainSeparationTag = 5
	DSTInteractiveSealChallengeSeed   DomainSeparationTag = 6
	DSTWindowedPoStDeadlineAssignment DomainSeparationTag = 7
	DSTMarketDealCronSeed             DomainSeparationTag = 8
	DSTPoStChainCommit                DomainSeparationTag = 9
)
