package state

import (
	"bytes"
	"math/rand/v2"
	"testing"

	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/fil/sig"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// marketFixture is a devnet state with funded accounts, a miner (owner,
// worker, one control address) and a second miner, for market tests.
type marketFixture struct {
	t   testing.TB
	s   *State
	env *Env

	clientKey, client2Key sig.PrivateKey // secp256k1, BLS
	client, client2       uint64
	owner, worker         uint64
	control, other        uint64
	miner, miner2         uint64
	minerAddr             address.Address // the miner's f2 address

	pieces byte // distinguishes generated piece CIDs
}

// marketEpoch is the fixture's current epoch.
const marketEpoch = 100

func newMarketFixture(t testing.TB) *marketFixture {
	t.Helper()
	rng := rand.NewChaCha8([32]byte{'m', 'a', 'r', 'k', 'e', 't'})
	key := func(ty sig.Type) (sig.PrivateKey, address.Address) {
		k, err := sig.GenerateKey(ty, rng)
		if err != nil {
			t.Fatal(err)
		}
		a, err := k.Address()
		if err != nil {
			t.Fatal(err)
		}
		return k, a
	}
	f := &marketFixture{t: t, env: &Env{Epoch: marketEpoch}}
	var addrs []address.Address
	f.clientKey, _ = key(sig.Secp256k1)
	f.client2Key, _ = key(sig.BLS)
	for _, k := range []sig.PrivateKey{f.clientKey, f.client2Key} {
		a, _ := k.Address()
		addrs = append(addrs, a)
	}
	for range 4 { // owner, worker, control, other
		_, a := key(sig.Secp256k1)
		addrs = append(addrs, a)
	}
	g := Genesis{NetworkName: "markettest", Policy: DevnetPolicy()}
	for _, a := range addrs {
		g.Accounts = append(g.Accounts, GenesisAccount{Address: a, Balance: big.FromFIL(1000)})
	}
	s, err := NewState(g)
	if err != nil {
		t.Fatal(err)
	}
	f.s = s
	ids := make([]uint64, len(addrs))
	for i, a := range addrs {
		if ids[i], err = s.Lookup(a); err != nil {
			t.Fatal(err)
		}
	}
	f.client, f.client2, f.owner, f.worker, f.control, f.other = ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]
	f.miner, f.minerAddr = f.addMiner("miner-1", f.owner, f.worker, f.control)
	f.miner2, _ = f.addMiner("miner-2", f.other, f.other)
	return f
}

// addMiner creates a miner actor directly in the state, with the info the
// market reads.
func (f *marketFixture) addMiner(seed string, owner, worker uint64, control ...uint64) (uint64, address.Address) {
	f.t.Helper()
	a, err := address.NewActorAddress([]byte(seed))
	if err != nil {
		f.t.Fatal(err)
	}
	id := f.s.newActor(KindMiner, a)
	m := &Miner{}
	m.Info.Owner, m.Info.Worker, m.Info.ControlAddresses = owner, worker, control
	f.s.Miners[id] = m
	return id, a
}

// snapshot returns the state's snapshot.
func (f *marketFixture) snapshot() []byte {
	f.t.Helper()
	b, err := f.s.Snapshot()
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// encode returns v's CBOR bytes (nil for nil).
func marketCBOR(t testing.TB, v cbg.CBORMarshaler) []byte {
	t.Helper()
	if v == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := v.MarshalCBOR(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// callRaw invokes a market method as send does (the value moves to the
// market first and back on an abort) and checks the handler contract: an
// abort changes nothing, and total balance and market invariants hold.
func (f *marketFixture) callRaw(caller uint64, method actors.MethodNum, value big.TokenAmount, params []byte) ([]byte, *Abort) {
	f.t.Helper()
	before := f.snapshot()
	total := f.s.TotalBalance()
	if value.Sign() > 0 {
		f.s.transfer(caller, MarketID, value)
	}
	c := &Call{Env: f.env, Caller: caller, Receiver: MarketID, Value: value, Method: uint64(method), Params: params}
	ret, ab := f.s.invoke(c)
	if ab != nil {
		if value.Sign() > 0 {
			f.s.transfer(MarketID, caller, value)
		}
		if after := f.snapshot(); !bytes.Equal(before, after) {
			f.t.Errorf("method %d aborted (%v) but changed the state", method, ab)
		}
	}
	if got := f.s.TotalBalance(); !got.Equals(total.Int) {
		f.t.Errorf("method %d: total balance %s, was %s", method, got.AttoString(), total.AttoString())
	}
	checkMarketInvariants(f.t, f.s)
	return ret, ab
}

// call is callRaw with params encoded from v.
func (f *marketFixture) call(caller uint64, method actors.MethodNum, value big.TokenAmount, v cbg.CBORMarshaler) ([]byte, *Abort) {
	f.t.Helper()
	return f.callRaw(caller, method, value, marketCBOR(f.t, v))
}

// mustCall is call that fails the test on an abort.
func (f *marketFixture) mustCall(caller uint64, method actors.MethodNum, value big.TokenAmount, v cbg.CBORMarshaler) []byte {
	f.t.Helper()
	ret, ab := f.call(caller, method, value, v)
	if ab != nil {
		f.t.Fatalf("method %d: %v", method, ab)
	}
	return ret
}

// fund adds amount to the escrow of a, paid by payer.
func (f *marketFixture) fund(payer uint64, a address.Address, amount big.TokenAmount) {
	f.t.Helper()
	f.mustCall(payer, actors.MarketAddBalance, amount, &actors.AddBalanceParams{ProviderOrClient: a})
}

// nextPiece returns a fresh v1 piece CID.
func (f *marketFixture) nextPiece() piece.Info {
	f.pieces++
	return piece.Info{CID: piece.CIDv1([32]byte{f.pieces, 0xaa}), Size: 2048}
}

// proposal returns a valid proposal of client (an ID) with the miner,
// changed by mut.
func (f *marketFixture) proposal(client uint64, mut func(*ftypes.DealProposal)) ftypes.DealProposal {
	f.t.Helper()
	pi := f.nextPiece()
	label, err := ftypes.NewLabelFromString("bafytestlabel")
	if err != nil {
		f.t.Fatal(err)
	}
	start := f.env.Epoch + 10
	lo, _ := f.s.Policy.providerCollateralBounds(uint64(pi.Size))
	p := ftypes.DealProposal{
		PieceCID:             pi.CID,
		PieceSize:            uint64(pi.Size),
		Client:               IDAddress(client),
		Provider:             IDAddress(f.miner),
		Label:                label,
		StartEpoch:           start,
		EndEpoch:             start + f.s.Policy.DealMinDuration,
		StoragePricePerEpoch: big.FromAttoFIL(1000),
		ProviderCollateral:   lo,
		ClientCollateral:     big.FromAttoFIL(5000),
	}
	if mut != nil {
		mut(&p)
	}
	return p
}

// sign signs p with k.
func (f *marketFixture) sign(p ftypes.DealProposal, k sig.PrivateKey) ftypes.ClientDealProposal {
	f.t.Helper()
	cp, err := ftypes.SignDealProposal(&p, k)
	if err != nil {
		f.t.Fatal(err)
	}
	return *cp
}

// deal is a proposal of the secp256k1 client, signed.
func (f *marketFixture) deal(mut func(*ftypes.DealProposal)) ftypes.ClientDealProposal {
	f.t.Helper()
	return f.sign(f.proposal(f.client, mut), f.clientKey)
}

// fundAll gives both clients and the miner 10 FIL of escrow.
func (f *marketFixture) fundAll() {
	f.t.Helper()
	f.fund(f.client, IDAddress(f.client), big.FromFIL(10))
	f.fund(f.client2, IDAddress(f.client2), big.FromFIL(10))
	f.fund(f.owner, f.minerAddr, big.FromFIL(10))
}

// publish publishes deals as the worker and returns the return value.
func (f *marketFixture) publish(deals ...ftypes.ClientDealProposal) (*actors.PublishStorageDealsReturn, *Abort) {
	f.t.Helper()
	ret, ab := f.call(f.worker, actors.MarketPublishStorageDeals, big.TokenAmount{}, &actors.PublishStorageDealsParams{Deals: deals})
	if ab != nil {
		return nil, ab
	}
	var r actors.PublishStorageDealsReturn
	if err := actors.DecodeReturn(ret, &r); err != nil {
		f.t.Fatalf("decode publish return: %v", err)
	}
	return &r, nil
}

// mustPublish publishes deals that must all be valid and returns their IDs.
func (f *marketFixture) mustPublish(deals ...ftypes.ClientDealProposal) []uint64 {
	f.t.Helper()
	r, ab := f.publish(deals...)
	if ab != nil {
		f.t.Fatalf("publish: %v", ab)
	}
	if len(r.IDs) != len(deals) || r.ValidDeals.Count() != uint64(len(deals)) {
		f.t.Fatalf("publish: %d of %d deals valid", len(r.IDs), len(deals))
	}
	return r.IDs
}

// activate sends SectorContentChanged as miner for one sector holding the
// deals' pieces and returns the accepted flags.
func (f *marketFixture) activate(miner, sector uint64, expiration int64, ids ...uint64) ([]bool, *Abort) {
	f.t.Helper()
	var added []actors.PieceChange
	for _, id := range ids {
		d := f.s.Market.Deals[id]
		if d == nil {
			f.t.Fatalf("no deal %d", id)
		}
		added = append(added, actors.PieceChange{Data: d.Proposal.PieceCID, Size: d.Proposal.PieceSize, Payload: actors.EncodeDealID(id)})
	}
	p := &actors.SectorContentChangedParams{Sectors: []actors.SectorChanges{{Sector: sector, MinimumCommitmentEpoch: expiration, Added: added}}}
	ret, ab := f.call(miner, actors.MarketSectorContentChanged, big.TokenAmount{}, p)
	if ab != nil {
		return nil, ab
	}
	var r actors.SectorContentChangedReturn
	if err := actors.DecodeReturn(ret, &r); err != nil {
		f.t.Fatalf("decode SectorContentChanged return: %v", err)
	}
	if len(r.Sectors) != 1 {
		f.t.Fatalf("SectorContentChanged returned %d sectors, want 1", len(r.Sectors))
	}
	return r.Sectors[0].Accepted, nil
}

// marketFarExpiration is a sector expiration later than any fixture deal's end.
const marketFarExpiration = 1 << 40

// checkMarketInvariants checks what Market documents: the market actor's
// balance covers the escrow; each ID's locked funds are exactly what its
// deals hold and at most its escrow; pending proposals name live deals.
func checkMarketInvariants(t testing.TB, s *State) {
	t.Helper()
	m := &s.Market
	sum := big.TokenAmount{}
	for id, e := range m.Escrow {
		if e.Sign() <= 0 {
			t.Errorf("escrow of f0%d is %s", id, e.AttoString())
		}
		sum = sum.Add(e)
	}
	if bal := s.Actors[MarketID].Balance; bal.Cmp(sum) < 0 {
		t.Errorf("market balance %s, below the escrow total %s", bal.AttoString(), sum.AttoString())
	}
	want := map[uint64]big.TokenAmount{}
	for id, d := range m.Deals {
		client, provider := d.parties()
		p := &d.Proposal
		want[client] = want[client].Add(p.TotalStorageFee().Sub(d.Paid).Add(p.ClientCollateral))
		want[provider] = want[provider].Add(p.ProviderCollateral)
		if d.State == nil {
			if pid, ok := m.Pending[d.ProposalCID.String()]; !ok || pid != id {
				t.Errorf("deal %d is not activated and not pending", id)
			}
		}
	}
	for id := range want {
		if want[id].IsZero() {
			delete(want, id)
		}
	}
	if len(want) != len(m.Locked) {
		t.Errorf("locked %v, deals hold %v", m.Locked, want)
	}
	for id, l := range m.Locked {
		if !l.Equals(want[id].Int) {
			t.Errorf("locked of f0%d is %s, deals hold %s", id, l.AttoString(), want[id].AttoString())
		}
		if l.Cmp(m.Escrow[id]) > 0 {
			t.Errorf("locked of f0%d (%s) exceeds its escrow (%s)", id, l.AttoString(), m.Escrow[id].AttoString())
		}
	}
	for c, id := range m.Pending {
		if d := m.Deals[id]; d == nil || d.ProposalCID.String() != c {
			t.Errorf("pending proposal %s names deal %d, which is not it", c, id)
		}
	}
	for provider, sectors := range m.SectorDeals {
		for sn, ids := range sectors {
			for _, id := range ids {
				d := m.Deals[id]
				if d == nil || d.State == nil || d.State.SectorNumber != sn {
					t.Errorf("sector %d of f0%d lists deal %d, which is not active there", sn, provider, id)
				}
			}
		}
	}
}

// dealState is the market's state of deal id as the API shows it.
func (f *marketFixture) dealState(id uint64) (types.DealState, error) {
	d, err := f.s.MarketDeal(id)
	if err != nil {
		return types.DealState{}, err
	}
	return d.State, nil
}
