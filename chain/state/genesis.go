package state

import (
	"bytes"
	"encoding/json"
	"fmt"

	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
)

// GenesisAccount is an account funded at genesis.
type GenesisAccount struct {
	Address address.Address // a key address (f1 or f3)
	Balance big.TokenAmount
}

// Genesis says what the first state holds.
type Genesis struct {
	NetworkName    string
	NetworkVersion types.NetworkVersion
	Policy         Policy
	Accounts       []GenesisAccount
	// Reserve is the balance of the reward actor, which pays nothing in
	// the devnet but receives gas premiums.
	Reserve big.TokenAmount
}

// NewState returns the genesis state: the singleton actors and the funded
// accounts, which get IDs from FirstNonSingletonID on in order.
func NewState(g Genesis) (*State, error) {
	if err := g.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	if g.NetworkName == "" {
		return nil, fmt.Errorf("genesis: no network name")
	}
	s := &State{
		NetworkName:    g.NetworkName,
		NetworkVersion: g.NetworkVersion,
		Policy:         g.Policy,
		NextID:         FirstNonSingletonID,
		Actors:         map[uint64]*Actor{},
		IDs:            map[string]uint64{},
		Miners:         map[uint64]*Miner{},
	}
	for id, k := range map[uint64]Kind{SystemID: KindSystem, InitID: KindInit, RewardID: KindReward, CronID: KindCron,
		PowerID: KindPower, MarketID: KindMarket, VerifregID: KindVerifreg, BurntFundsID: KindAccount} {
		s.Actors[id] = &Actor{Kind: k}
	}
	s.Actors[RewardID].Balance = g.Reserve
	s.Market.init()
	s.Power.init()
	for _, a := range g.Accounts {
		if p := a.Address.Protocol(); p != address.SECP256K1 && p != address.BLS {
			return nil, fmt.Errorf("genesis: account %s is not a key address", a.Address)
		}
		if _, dup := s.IDs[a.Address.String()]; dup {
			return nil, fmt.Errorf("genesis: account %s listed twice", a.Address)
		}
		id := s.newActor(KindAccount, a.Address)
		s.Actors[id].Balance = a.Balance
	}
	return s, nil
}

// MarshalJSON and UnmarshalJSON are the snapshot format: the whole state as
// JSON. Clone copies through it.

// Snapshot serialises the state.
func (s *State) Snapshot() ([]byte, error) { return json.Marshal(s) }

// Restore reads a state written by Snapshot.
func Restore(b []byte) (*State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("restore state: %w", err)
	}
	if s.Actors == nil || s.IDs == nil || s.Miners == nil {
		return nil, fmt.Errorf("restore state: incomplete snapshot")
	}
	s.Market.init()
	s.Power.init()
	return &s, nil
}

// Clone returns a deep copy.
func (s *State) Clone() (*State, error) {
	b, err := s.Snapshot()
	if err != nil {
		return nil, err
	}
	return Restore(b)
}

// cborBytes serialises v.
func cborBytes(v cbg.CBORMarshaler) ([]byte, *Abort) {
	var buf bytes.Buffer
	if err := v.MarshalCBOR(&buf); err != nil {
		return nil, Abortf(ExitSerialization, "encode return: %v", err)
	}
	return buf.Bytes(), nil
}

// decodeParams decodes method parameters, mapping failure to exit 21.
func decodeParams(b []byte, v cbg.CBORUnmarshaler) *Abort {
	r := bytes.NewReader(b)
	if err := v.UnmarshalCBOR(r); err != nil {
		return Abortf(ExitSerialization, "decode params: %v", err)
	}
	if r.Len() != 0 {
		return Abortf(ExitSerialization, "decode params: %d trailing bytes", r.Len())
	}
	return nil
}
