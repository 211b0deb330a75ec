package state

import (
	"encoding/json"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
)

// ActorsVersion is the builtin-actors version whose methods the devnet
// implements (the onboarding path of network version 27 on).
const ActorsVersion = 17

// CodeCID is the code CID of an actor kind in the devnet: the raw CID with
// an identity multihash of "fil/<version>/<kind>", the form the network
// used before code bundles. Clients that identify actors by the names in
// the CID (as Lotus's builtin.ActorNameByCode does for these) see the right
// kind.
func CodeCID(k Kind) cid.Cid {
	mh, err := multihash.Sum([]byte(fmt.Sprintf("fil/%d/%s", ActorsVersion, k)), multihash.IDENTITY, -1)
	if err != nil {
		panic(err) // identity hashing of a short string cannot fail
	}
	return cid.NewCidV1(cid.Raw, mh)
}

// headCID is an actor's Head: the CID of its entry's JSON (the devnet has
// no IPLD state tree; Head changes exactly when the actor's state does).
func (s *State) headCID(id uint64) (cid.Cid, error) {
	var v any = s.Actors[id]
	switch s.Actors[id].Kind {
	case KindMiner:
		v = []any{s.Actors[id], s.Miners[id]}
	case KindMarket:
		v = []any{s.Actors[id], &s.Market}
	case KindPower:
		v = []any{s.Actors[id], &s.Power}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return cid.Undef, err
	}
	mh, err := multihash.Sum(b, multihash.BLAKE2B_MIN+31, -1)
	if err != nil {
		return cid.Undef, err
	}
	return cid.NewCidV1(cid.DagJSON, mh), nil
}

// ActorView is StateGetActor's answer.
func (s *State) ActorView(a address.Address) (*types.Actor, error) {
	id, err := s.Lookup(a)
	if err != nil {
		return nil, err
	}
	head, err := s.headCID(id)
	if err != nil {
		return nil, err
	}
	act := s.Actors[id]
	return &types.Actor{Code: CodeCID(act.Kind), Head: head, Nonce: act.Nonce, Balance: act.Balance}, nil
}

// AccountKey is StateAccountKey's answer: the key address of an account.
func (s *State) AccountKey(a address.Address) (address.Address, error) {
	if p := a.Protocol(); p == address.SECP256K1 || p == address.BLS {
		return a, nil
	}
	id, err := s.Lookup(a)
	if err != nil {
		return address.Address{}, err
	}
	if act := s.Actors[id]; act.Kind != KindAccount || act.Address.Empty() {
		return address.Address{}, fmt.Errorf("%s is not an account with a key address", a)
	}
	return s.Actors[id].Address, nil
}

// Balance is WalletBalance's answer: zero for an unknown address.
func (s *State) Balance(a address.Address) big.TokenAmount {
	id, err := s.Lookup(a)
	if err != nil {
		return big.TokenAmount{}
	}
	return s.Actors[id].Balance
}

// Nonce is the next nonce of an account (zero for an unknown address).
func (s *State) Nonce(a address.Address) uint64 {
	id, err := s.Lookup(a)
	if err != nil {
		return 0
	}
	return s.Actors[id].Nonce
}
