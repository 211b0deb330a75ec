package types_test

import (
	"bytes"
	"encoding/json"
	mathbig "math/big"
	"math/rand"
	"testing"
	"unicode/utf8"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/fil/types"
)

// gen builds random chain objects from a seeded source.
type gen struct{ r *rand.Rand }

func (g gen) bytes(n int) []byte {
	b := make([]byte, n)
	g.r.Read(b)
	return b
}

func (g gen) address(t testing.TB) address.Address {
	t.Helper()
	var a address.Address
	var err error
	switch g.r.Intn(5) {
	case 0:
		a, err = address.NewIDAddress(uint64(g.r.Int63()) >> uint(g.r.Intn(63)))
	case 1:
		a, err = address.NewSecp256k1Address(g.bytes(65))
	case 2:
		a, err = address.NewActorAddress(g.bytes(8))
	case 3:
		a, err = address.NewBLSAddress(g.bytes(48))
	default:
		a, err = address.NewDelegatedAddress(uint64(g.r.Intn(100)), g.bytes(g.r.Intn(55)))
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (g gen) amount() big.TokenAmount {
	v := new(mathbig.Int).Rand(g.r, new(mathbig.Int).Lsh(mathbig.NewInt(1), uint(g.r.Intn(130))))
	if g.r.Intn(4) == 0 {
		v.Neg(v)
	}
	return big.TokenAmount{Int: big.FromBig(v)}
}

func (g gen) int64() int64 {
	v := g.r.Int63() >> uint(g.r.Intn(63))
	if g.r.Intn(2) == 0 {
		return -v - 1
	}
	return v
}

func (g gen) message(t testing.TB) types.Message {
	var params []byte
	if n := g.r.Intn(80); n > 0 {
		params = g.bytes(n)
	}
	return types.Message{
		To: g.address(t), From: g.address(t),
		Nonce: g.r.Uint64(), Value: g.amount(), GasLimit: g.int64(),
		GasFeeCap: g.amount(), GasPremium: g.amount(), Method: g.r.Uint64(), Params: params,
	}
}

func (g gen) signature() sig.Signature {
	types := []sig.Type{sig.Secp256k1, sig.BLS, sig.Delegated}
	return sig.Signature{Type: types[g.r.Intn(3)], Data: g.bytes(g.r.Intn(sig.MaxLength))}
}

func (g gen) label(t testing.TB) types.DealLabel {
	t.Helper()
	n := g.r.Intn(types.DealMaxLabelSize + 1)
	var l types.DealLabel
	var err error
	if g.r.Intn(2) == 0 {
		l, err = types.NewLabelFromBytes(g.bytes(n))
	} else {
		runes := make([]rune, 0, n)
		for len(string(runes)) < n-4 {
			runes = append(runes, rune(g.r.Intn(0x10000)))
		}
		s := string(runes)
		if !utf8.ValidString(s) {
			t.Fatalf("generated invalid UTF-8")
		}
		l, err = types.NewLabelFromString(s)
	}
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (g gen) proposal(t testing.TB) types.DealProposal {
	c := cid.NewCidV1(cid.DagCBOR, types.CID(g.bytes(8)).Hash())
	return types.DealProposal{
		PieceCID: c, PieceSize: g.r.Uint64(), VerifiedDeal: g.r.Intn(2) == 0,
		Client: g.address(t), Provider: g.address(t), Label: g.label(t),
		StartEpoch: g.int64(), EndEpoch: g.int64(),
		StoragePricePerEpoch: g.amount(), ProviderCollateral: g.amount(), ClientCollateral: g.amount(),
	}
}

// roundTrip checks CBOR ⇄ value ⇄ JSON for one object: decoding its CBOR and
// re-encoding gives the same bytes, and so does a JSON round trip.
func roundTrip[T any, P interface {
	*T
	Serialize() ([]byte, error)
}](t *testing.T, v P, decode func([]byte) (P, error), viaJSON bool) {
	t.Helper()
	b, err := v.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	back, err := decode(b)
	if err != nil {
		t.Fatalf("decode %x: %v", b, err)
	}
	if again := serialize(t, back); !bytes.Equal(again, b) {
		t.Fatalf("CBOR round trip\n got %x\nwant %x", again, b)
	}
	if !viaJSON {
		return
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	fromJSON := P(new(T))
	if err := json.Unmarshal(j, fromJSON); err != nil {
		t.Fatalf("JSON %s: %v", j, err)
	}
	if again := serialize(t, fromJSON); !bytes.Equal(again, b) {
		t.Fatalf("JSON round trip of %s changed CBOR", j)
	}
}

func TestRoundTrip_Random(t *testing.T) {
	g := gen{rand.New(rand.NewSource(5))}
	for i := 0; i < 1000; i++ {
		m := g.message(t)
		roundTrip(t, &m, types.DecodeMessage, true)
		sm := types.SignedMessage{Message: m, Signature: g.signature()}
		roundTrip(t, &sm, types.DecodeSignedMessage, true)
		p := g.proposal(t)
		// A bytes label has no lossless JSON form (see DealLabel.MarshalJSON).
		roundTrip(t, &p, types.DecodeDealProposal, p.Label.IsString())
		cp := types.ClientDealProposal{Proposal: p, ClientSignature: g.signature()}
		roundTrip(t, &cp, types.DecodeClientDealProposal, p.Label.IsString())
	}
}

// TestSignedMessage_Cid checks the Lotus rule: a BLS-signed message has its
// unsigned message's CID, any other its own.
func TestSignedMessage_Cid(t *testing.T) {
	g := gen{rand.New(rand.NewSource(6))}
	m := g.message(t)
	mc, err := m.Cid()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []sig.Type{sig.Secp256k1, sig.BLS, sig.Delegated} {
		sm := types.SignedMessage{Message: m, Signature: sig.Signature{Type: typ, Data: g.bytes(65)}}
		c, err := sm.Cid()
		if err != nil {
			t.Fatal(err)
		}
		want := types.CID(serialize(t, &sm))
		if typ == sig.BLS {
			want = mc
		}
		if c != want {
			t.Errorf("%v: CID %s, want %s", typ, c, want)
		}
	}
}

func TestDealProposal_SignVerify(t *testing.T) {
	g := gen{rand.New(rand.NewSource(7))}
	for _, typ := range []sig.Type{sig.Secp256k1, sig.BLS} {
		k, err := sig.GenerateKey(typ, g.r)
		if err != nil {
			t.Fatal(err)
		}
		client, err := k.Address()
		if err != nil {
			t.Fatal(err)
		}
		p := g.proposal(t)
		p.Client = client
		cp, err := types.SignDealProposal(&p, k)
		if err != nil {
			t.Fatal(err)
		}
		if err := cp.VerifySignature(client); err != nil {
			t.Errorf("%v: VerifySignature: %v", typ, err)
		}
		cp.Proposal.EndEpoch++
		if err := cp.VerifySignature(client); err == nil {
			t.Errorf("%v: a modified proposal verified", typ)
		}
		// The signature covers the CBOR bytes, so even the label's kind
		// (text or bytes, same content) matters.
		cp.Proposal.Label, _ = types.NewLabelFromString("abc")
		if cp, err = types.SignDealProposal(&cp.Proposal, k); err != nil {
			t.Fatal(err)
		}
		cp.Proposal.Label, _ = types.NewLabelFromBytes([]byte("abc"))
		if err := cp.VerifySignature(client); err == nil {
			t.Errorf("%v: a proposal with the other label kind verified", typ)
		}
	}
}
