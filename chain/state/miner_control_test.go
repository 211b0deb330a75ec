package state

import (
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
)

// Callers of the table cases.
func byOwner(f *minerFixture) uint64   { return f.owner }
func byControl(f *minerFixture) uint64 { return f.control }
func byOther(f *minerFixture) uint64   { return f.other }

func TestMiner_ControlAddresses(t *testing.T) {
	base := newMinerFixture(t)
	base.createMiner()
	runMinerCases(t, base, 0, actors.MinerControlAddresses, []minerCase{
		{name: "any caller", caller: byOther, check: func(t *testing.T, f *minerFixture, ret []byte) {
			var r actors.ControlAddressesReturn
			if err := actors.DecodeReturn(ret, &r); err != nil {
				t.Fatal(err)
			}
			if r.Owner != IDAddress(f.owner) || r.Worker != IDAddress(f.worker) || len(r.ControlAddrs) != 1 || r.ControlAddrs[0] != IDAddress(f.control) {
				t.Fatalf("%+v", r)
			}
		}},
		{name: "params given", params: rawParams([]byte{0x80}), code: ExitIllegalArgument},
	})
}

func TestMiner_ChangeWorkerAddress(t *testing.T) {
	base := newMinerFixture(t)
	base.createMiner()
	unknown, _ := address.NewSecp256k1Address([]byte("nobody"))
	params := func(worker func(f *minerFixture) address.Address, controls ...func(f *minerFixture) address.Address) func(f *minerFixture) []byte {
		return func(f *minerFixture) []byte {
			p := &actors.ChangeWorkerAddressParams{NewWorker: worker(f)}
			for _, c := range controls {
				p.NewControlAddrs = append(p.NewControlAddrs, c(f))
			}
			return cborOf(f.t, p)
		}
	}
	controlAddr := func(f *minerFixture) address.Address { return f.controlAddr }
	workerAddr := func(f *minerFixture) address.Address { return f.workerAddr }
	otherAddr := func(f *minerFixture) address.Address { return f.otherAddr }
	fixed := func(a address.Address) func(*minerFixture) address.Address {
		return func(*minerFixture) address.Address { return a }
	}
	cases := []minerCase{
		{name: "new worker queued, controls replaced", caller: byOwner, params: params(controlAddr, otherAddr),
			check: func(t *testing.T, f *minerFixture, _ []byte) {
				in := f.m().Info
				if in.Worker != f.worker || in.PendingWorkerKey == nil || in.PendingWorkerKey.NewWorker != f.control ||
					in.PendingWorkerKey.EffectiveAt != f.epoch+f.s.Policy.ChainFinality || len(in.ControlAddresses) != 1 || in.ControlAddresses[0] != f.other {
					t.Fatalf("%+v", in)
				}
				mi, _ := f.s.MinerInfo(f.minerAddr)
				if mi.NewWorker != IDAddress(f.control) || mi.WorkerChangeEpoch != in.PendingWorkerKey.EffectiveAt {
					t.Fatalf("view %+v", mi)
				}
			}},
		{name: "same worker, no controls", caller: byOwner, params: params(workerAddr),
			check: func(t *testing.T, f *minerFixture, _ []byte) {
				if in := f.m().Info; in.PendingWorkerKey != nil || len(in.ControlAddresses) != 0 {
					t.Fatalf("%+v", in)
				}
			}},
		{name: "caller not the owner", params: params(controlAddr), code: ExitForbidden},
		{name: "unknown worker", caller: byOwner, params: params(fixed(unknown)), code: ExitIllegalArgument},
		{name: "worker not an account", caller: byOwner, params: params(fixed(IDAddress(MarketID))), code: ExitIllegalArgument},
		{name: "unknown control", caller: byOwner, params: params(workerAddr, fixed(unknown)), code: ExitIllegalArgument},
		{name: "control not an account", caller: byOwner, params: params(workerAddr, fixed(IDAddress(PowerID))), code: ExitIllegalArgument},
		{name: "eleven controls", caller: byOwner, params: func(f *minerFixture) []byte {
			p := &actors.ChangeWorkerAddressParams{NewWorker: f.workerAddr}
			for range 11 {
				p.NewControlAddrs = append(p.NewControlAddrs, f.controlAddr)
			}
			return cborOf(f.t, p)
		}, code: ExitIllegalArgument},
		{name: "no params", caller: byOwner, params: rawParams(nil), code: ExitIllegalArgument},
		{name: "garbage", caller: byOwner, params: rawParams([]byte{0x82, 0x01}), code: ExitSerialization},
	}
	runMinerCases(t, base, 0, actors.MinerChangeWorkerAddress, cases)
	runMinerCases(t, base, 0, actors.MinerChangeWorkerAddressExported, cases[:1])
}

func TestMiner_ConfirmChangeWorkerAddress(t *testing.T) {
	base := newMinerFixture(t)
	base.createMiner()
	pending := func(f *minerFixture) {
		f.mustCall(f.owner, actors.MinerChangeWorkerAddress, &actors.ChangeWorkerAddressParams{NewWorker: f.ownerAddr})
	}
	due := func(f *minerFixture) {
		pending(f)
		f.epoch += f.s.Policy.ChainFinality
	}
	cases := []minerCase{
		{name: "confirmed", setup: due, caller: byOwner, check: func(t *testing.T, f *minerFixture, _ []byte) {
			if in := f.m().Info; in.Worker != f.owner || in.PendingWorkerKey != nil {
				t.Fatalf("%+v", in)
			}
		}},
		{name: "nothing pending", caller: byOwner, code: ExitIllegalArgument},
		{name: "too early", setup: pending, caller: byOwner, code: ExitForbidden},
		{name: "caller not the owner", setup: due, code: ExitForbidden},
		{name: "params given", setup: due, caller: byOwner, params: rawParams([]byte{0xf6}), code: ExitIllegalArgument},
	}
	runMinerCases(t, base, 0, actors.MinerConfirmChangeWorkerAddress, cases)
	runMinerCases(t, base, 0, actors.MinerConfirmChangeWorkerAddressExported, cases[:1])
}

func TestMiner_ChangePeerAndMultiaddrs(t *testing.T) {
	base := newMinerFixture(t)
	base.createMiner()
	peer := func(b []byte) func(f *minerFixture) []byte {
		return func(f *minerFixture) []byte { return cborOf(f.t, &actors.ChangePeerIDParams{NewID: b}) }
	}
	runMinerCases(t, base, 0, actors.MinerChangePeerID, []minerCase{
		{name: "changed", caller: byControl, params: peer([]byte("new peer")), check: func(t *testing.T, f *minerFixture, _ []byte) {
			if string(f.m().Info.PeerID) != "new peer" {
				t.Fatalf("%q", f.m().Info.PeerID)
			}
		}},
		{name: "caller not controlling", caller: byOther, params: peer([]byte("x")), code: ExitForbidden},
		{name: "too long", params: peer(make([]byte, 129)), code: ExitIllegalArgument},
		{name: "garbage", params: rawParams([]byte{0x41}), code: ExitSerialization},
	})
	addrs := func(as ...[]byte) func(f *minerFixture) []byte {
		return func(f *minerFixture) []byte { return cborOf(f.t, &actors.ChangeMultiaddrsParams{NewMultiaddrs: as}) }
	}
	runMinerCases(t, base, 0, actors.MinerChangeMultiaddrs, []minerCase{
		{name: "changed", caller: byOwner, params: addrs([]byte{4, 1, 2, 3, 4}), check: func(t *testing.T, f *minerFixture, _ []byte) {
			mi, _ := f.s.MinerInfo(f.minerAddr)
			if len(mi.Multiaddrs) != 1 || len(mi.Multiaddrs[0]) != 5 {
				t.Fatalf("%v", mi.Multiaddrs)
			}
		}},
		{name: "cleared", params: addrs()},
		{name: "caller not controlling", caller: byOther, params: addrs([]byte{1}), code: ExitForbidden},
		{name: "empty multiaddr", params: addrs([]byte{}), code: ExitIllegalArgument},
		{name: "too large", params: addrs(make([]byte, 1025)), code: ExitIllegalArgument},
		{name: "garbage", params: rawParams([]byte{0x81}), code: ExitSerialization},
	})
}

func TestMiner_IsControllingAddress(t *testing.T) {
	base := newMinerFixture(t)
	base.createMiner()
	is := func(a func(f *minerFixture) address.Address, want bool) minerCase {
		return minerCase{name: "", caller: byOther,
			params: func(f *minerFixture) []byte { return cborOf(f.t, &actors.IsControllingAddressParams{Address: a(f)}) },
			check: func(t *testing.T, f *minerFixture, ret []byte) {
				var r actors.IsControllingAddressReturn
				if err := actors.DecodeReturn(ret, &r); err != nil || r.IsControlling != want {
					t.Fatalf("%+v %v, want %v", r, err, want)
				}
			}}
	}
	unknown, _ := address.NewSecp256k1Address([]byte("nobody"))
	cases := []minerCase{
		is(func(f *minerFixture) address.Address { return f.ownerAddr }, true),
		is(func(f *minerFixture) address.Address { return IDAddress(f.control) }, true),
		is(func(f *minerFixture) address.Address { return f.otherAddr }, false),
		is(func(*minerFixture) address.Address { return unknown }, false),
		{caller: byOther, params: rawParams([]byte{0x01}), code: ExitSerialization},
	}
	for i, n := range []string{"owner", "control", "outsider", "unknown", "garbage"} {
		cases[i].name = n
	}
	runMinerCases(t, base, 0, actors.MinerIsControllingAddressExported, cases)
}

func TestMiner_WithdrawBalance(t *testing.T) {
	base := newMinerFixture(t)
	base.createMiner()
	base.preCommit(1)
	amount := func(a big.TokenAmount) func(f *minerFixture) []byte {
		return func(f *minerFixture) []byte {
			return cborOf(f.t, &actors.MinerWithdrawBalanceParams{AmountRequested: a})
		}
	}
	withdrew := func(want func(f *minerFixture) big.TokenAmount) func(t *testing.T, f *minerFixture, ret []byte) {
		return func(t *testing.T, f *minerFixture, ret []byte) {
			var r actors.WithdrawBalanceReturn
			if err := actors.DecodeReturn(ret, &r); err != nil {
				t.Fatal(err)
			}
			if w := want(f); !r.AmountWithdrawn.Equals(w.Int) {
				t.Fatalf("withdrew %s, want %s", r.AmountWithdrawn, w)
			}
		}
	}
	all := func(f *minerFixture) big.TokenAmount {
		return big.FromFIL(100).Sub(f.m().PreCommitDeposits)
	}
	cases := []minerCase{
		{name: "more than available", caller: byOwner, params: amount(big.FromFIL(1000)), check: func(t *testing.T, f *minerFixture, ret []byte) {
			withdrew(all)(t, f, ret)
			if !f.s.Actors[f.miner].Balance.Equals(f.m().PreCommitDeposits.Int) {
				t.Fatalf("miner balance %s", f.s.Actors[f.miner].Balance)
			}
		}},
		{name: "part", caller: byOwner, params: amount(big.FromFIL(1)), check: withdrew(func(*minerFixture) big.TokenAmount { return big.FromFIL(1) })},
		{name: "zero", caller: byOwner, params: amount(big.TokenAmount{}), check: withdrew(func(*minerFixture) big.TokenAmount { return big.TokenAmount{} })},
		{name: "negative", caller: byOwner, params: amount(big.FromFIL(-1)), code: ExitIllegalArgument},
		{name: "caller not the owner", params: amount(big.FromFIL(1)), code: ExitForbidden},
		{name: "no params", caller: byOwner, params: rawParams(nil), code: ExitIllegalArgument},
		{name: "garbage", caller: byOwner, params: rawParams([]byte{0x81, 0x01}), code: ExitSerialization},
	}
	runMinerCases(t, base, 0, actors.MinerWithdrawBalance, cases)
	runMinerCases(t, base, 0, actors.MinerWithdrawBalanceExported, cases[:1])
}

// drainMiner moves the miner's available balance to its owner.
func drainMiner(f *minerFixture) {
	f.s.transfer(f.miner, f.owner, f.m().available(f.s.Actors[f.miner].Balance))
}
