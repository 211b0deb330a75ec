package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/proof"
)

// minerCase is one row of a method's table: the state change to make
// first, the caller, the parameters, and the exit code expected. callRaw
// checks that an abort changed nothing and that balances are conserved.
type minerCase struct {
	name   string
	setup  func(f *minerFixture)
	caller func(f *minerFixture) uint64 // default: the worker
	params func(f *minerFixture) []byte
	value  big.TokenAmount
	code   types.ExitCode
	check  func(t *testing.T, f *minerFixture, ret []byte)
}

// runMinerCases runs each case on a clone of base, calling method of the
// receiver (default: the fixture's miner).
func runMinerCases(t *testing.T, base *minerFixture, receiver uint64, method actors.MethodNum, cases []minerCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := base.clone(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			caller := f.worker
			if tc.caller != nil {
				caller = tc.caller(f)
			}
			var params []byte
			if tc.params != nil {
				params = tc.params(f)
			}
			to := receiver
			if to == 0 {
				to = f.miner
			}
			ret, ab := f.callRaw(caller, to, method, tc.value, params)
			code := ExitOk
			if ab != nil {
				code = ab.Code
			}
			if code != tc.code {
				t.Fatalf("exit %d (%v), want %d", code, ab, tc.code)
			}
			if ab == nil && tc.check != nil {
				tc.check(t, f, ret)
			}
		})
	}
}

// rawParams returns a params function giving fixed bytes.
func rawParams(b []byte) func(*minerFixture) []byte { return func(*minerFixture) []byte { return b } }

func TestPower_CreateMiner(t *testing.T) {
	base := newMinerFixture(t)
	owner := func(f *minerFixture) uint64 { return f.owner }
	params := func(mut func(f *minerFixture, p *actors.CreateMinerParams)) func(f *minerFixture) []byte {
		return func(f *minerFixture) []byte {
			p := f.createMinerParams()
			if mut != nil {
				mut(f, p)
			}
			return cborOf(f.t, p)
		}
	}
	unknown, _ := address.NewSecp256k1Address([]byte("nobody"))
	created := func(t *testing.T, f *minerFixture, ret []byte) {
		var r actors.CreateMinerReturn
		if err := actors.DecodeReturn(ret, &r); err != nil {
			t.Fatal(err)
		}
		id, err := r.IDAddress.ID()
		if err != nil || id != f.s.NextID-1 || f.s.Actors[id].Kind != KindMiner {
			t.Fatalf("ID address %s (%v)", r.IDAddress, err)
		}
		// The network's robust address: CBOR(origin) || nonce || actors created.
		var b bytes.Buffer
		_ = f.ownerAddr.MarshalCBOR(&b)
		b.Write(make([]byte, 16))
		want, _ := address.NewActorAddress(b.Bytes())
		if r.RobustAddress != want {
			t.Fatalf("robust address %s, want %s", r.RobustAddress, want)
		}
		if got, err := f.s.Lookup(want); err != nil || got != id {
			t.Fatalf("robust address resolves to %d (%v)", got, err)
		}
		if !f.s.Actors[id].Balance.Equals(big.FromFIL(5).Int) || f.s.Power.MinerCount != 1 || f.s.Power.Claims[id] == nil {
			t.Fatalf("balance %s, miner count %d", f.s.Actors[id].Balance, f.s.Power.MinerCount)
		}
		m := f.s.Miners[id]
		pol := f.s.Policy
		if m.ProvingPeriodStart > f.epoch || m.ProvingPeriodStart+pol.ProvingPeriod() <= f.epoch ||
			m.CurrentDeadline != uint64((f.epoch-m.ProvingPeriodStart)/pol.WPoStChallengeWindow) ||
			m.ProvingPeriodStart != quantizeDown(f.epoch, pol.ProvingPeriod(), pol.provingPeriodOffset(id, f.epoch)) {
			t.Fatalf("proving period start %d, deadline %d at epoch %d", m.ProvingPeriodStart, m.CurrentDeadline, f.epoch)
		}
		if m.Info.SectorSize != proof.Size2KiB || m.Info.WindowPoStPartitionSectors != 2 || len(m.Deadlines) != 4 {
			t.Fatalf("info %+v", m.Info)
		}
	}
	runMinerCases(t, base, PowerID, actors.PowerCreateMiner, []minerCase{
		{name: "secp256k1 worker", caller: owner, params: params(func(f *minerFixture, p *actors.CreateMinerParams) { p.Worker = f.ownerAddr }),
			value: big.FromFIL(5), check: created},
		{name: "BLS worker, ID addresses", caller: owner, value: big.FromFIL(5), check: created,
			params: params(func(f *minerFixture, p *actors.CreateMinerParams) {
				p.Owner, p.Worker = IDAddress(f.owner), IDAddress(f.worker)
			})},
		{name: "unknown owner", caller: owner, params: params(func(_ *minerFixture, p *actors.CreateMinerParams) { p.Owner = unknown }), code: ExitIllegalArgument},
		{name: "owner not an account", caller: owner, params: params(func(_ *minerFixture, p *actors.CreateMinerParams) { p.Owner = IDAddress(MarketID) }), code: ExitIllegalArgument},
		{name: "unknown worker", caller: owner, params: params(func(_ *minerFixture, p *actors.CreateMinerParams) { p.Worker = unknown }), code: ExitIllegalArgument},
		{name: "worker not an account", caller: owner, params: params(func(_ *minerFixture, p *actors.CreateMinerParams) { p.Worker = IDAddress(PowerID) }), code: ExitIllegalArgument},
		{name: "worker without a key", caller: owner, params: params(func(_ *minerFixture, p *actors.CreateMinerParams) { p.Worker = IDAddress(BurntFundsID) }), code: ExitIllegalArgument},
		{name: "winning proof type", caller: owner, params: params(func(_ *minerFixture, p *actors.CreateMinerParams) {
			p.WindowPoStProofType = proof.StackedDrgWinning2KiBV1
		}), code: ExitIllegalArgument},
		{name: "V1 window proof type", caller: owner, params: params(func(_ *minerFixture, p *actors.CreateMinerParams) {
			p.WindowPoStProofType = proof.StackedDrgWindow2KiBV1
		}), code: ExitIllegalArgument},
		{name: "unknown proof type", caller: owner, params: params(func(_ *minerFixture, p *actors.CreateMinerParams) { p.WindowPoStProofType = 15 }), code: ExitIllegalArgument},
		{name: "peer ID too long", caller: owner, params: params(func(_ *minerFixture, p *actors.CreateMinerParams) { p.Peer = make([]byte, 129) }), code: ExitIllegalArgument},
		{name: "empty multiaddr", caller: owner, params: params(func(_ *minerFixture, p *actors.CreateMinerParams) { p.Multiaddrs = [][]byte{{}} }), code: ExitIllegalArgument},
		{name: "multiaddrs too large", caller: owner, params: params(func(_ *minerFixture, p *actors.CreateMinerParams) {
			p.Multiaddrs = [][]byte{make([]byte, 600), make([]byte, 600)}
		}), code: ExitIllegalArgument},
		{name: "no params", caller: owner, params: rawParams(nil), code: ExitIllegalArgument},
		{name: "garbage params", caller: owner, params: rawParams([]byte{0xff}), code: ExitSerialization},
		{name: "trailing bytes", caller: owner, params: func(f *minerFixture) []byte { return append(params(nil)(f), 0) }, code: ExitSerialization},
	})
	runMinerCases(t, base, PowerID, actors.PowerCreateMinerExported, []minerCase{
		{name: "exported number", caller: owner, params: params(nil), value: big.FromFIL(5), check: created},
	})
}

func TestPower_OtherMethods(t *testing.T) {
	base := newMinerFixture(t)
	for _, m := range []struct {
		n    actors.MethodNum
		code types.ExitCode
	}{
		{actors.PowerConstructor, ExitForbidden}, {actors.PowerUpdateClaimedPower, ExitForbidden},
		{actors.PowerEnrollCronEvent, ExitForbidden}, {actors.PowerCronTick, ExitForbidden},
		{actors.PowerUpdatePledgeTotal, ExitForbidden}, {7, ExitUnhandledMessage}, {8, ExitUnhandledMessage},
		{actors.PowerCurrentTotalPower, ExitUnhandledMessage}, {12345, ExitUnhandledMessage},
	} {
		f := base.clone(t)
		_, ab := f.callRaw(f.owner, PowerID, m.n, big.TokenAmount{}, nil)
		if ab == nil || ab.Code != m.code {
			t.Errorf("method %d: %v, want exit %d", m.n, ab, m.code)
		}
	}
}

// TestPower_CreateMinerMessage creates two miners through ApplyMessage:
// each message's nonce makes a distinct robust address.
func TestPower_CreateMinerMessage(t *testing.T) {
	f := newMinerFixture(t)
	var robust []address.Address
	for nonce := uint64(0); nonce < 2; nonce++ {
		params := cborOf(t, f.createMinerParams())
		msg := &ftypes.Message{To: IDAddress(PowerID), From: f.ownerAddr, Nonce: nonce, Value: big.FromFIL(1),
			GasLimit: 100_000_000, GasFeeCap: big.FromAttoFIL(1000), GasPremium: big.FromAttoFIL(10),
			Method: uint64(actors.PowerCreateMiner), Params: params}
		r := f.s.ApplyMessage(f.env(), msg, 200)
		if r.ExitCode != ExitOk {
			t.Fatalf("create miner: exit %d", r.ExitCode)
		}
		var ret actors.CreateMinerReturn
		if err := actors.DecodeReturn(r.Return, &ret); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_ = f.ownerAddr.MarshalCBOR(&b)
		var n [16]byte
		binary.BigEndian.PutUint64(n[:8], nonce)
		b.Write(n[:])
		if want, _ := address.NewActorAddress(b.Bytes()); ret.RobustAddress != want {
			t.Fatalf("nonce %d: robust address %s, want %s", nonce, ret.RobustAddress, want)
		}
		robust = append(robust, ret.RobustAddress)
	}
	if robust[0] == robust[1] || f.s.Power.MinerCount != 2 {
		t.Fatalf("robust addresses %v, %d miners", robust, f.s.Power.MinerCount)
	}
	checkMinerInvariants(t, f.s)
	if _, err := f.s.MinerPower(f.ownerAddr); !errors.Is(err, ErrNotMiner) {
		t.Errorf("MinerPower of an account: %v", err)
	}
	unknown, _ := address.NewIDAddress(999999)
	if _, err := f.s.MinerPower(unknown); !errors.Is(err, ErrActorNotFound) {
		t.Errorf("MinerPower of nobody: %v", err)
	}
}
