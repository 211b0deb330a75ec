// Package devnettest gives tests an in-process devnet on a manual clock,
// with a funded genesis key in a wallet keystore and a miner created on
// chain from it.
package devnettest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/devnet"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/store/sqlite"
	"github.com/strata-sp/strata/wallet"
	"github.com/strata-sp/strata/wallet/keystore"
)

// Chain is a devnet with a key and a 2 KiB miner.
type Chain struct {
	Node   *devnet.Node
	API    *devnet.API
	Worker address.Address // owner and worker of Miner
	Miner  uint64
	Signer wallet.Signer // holds Worker's key
}

// New opens the devnet (manual clock: Advance makes tipsets), imports a
// secp256k1 genesis key into a keystore and creates a miner with it.
func New(t testing.TB) *Chain {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "chain.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	node, err := devnet.Open(ctx, db, devnet.Config{Genesis: devnet.DefaultGenesis()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Close)
	node.Start()
	c := &Chain{Node: node, API: node.API()}
	keys, err := keystore.OpenOptions(filepath.Join(t.TempDir(), "keys"), []byte("p"), keystore.Options{ScryptN: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for a, k := range node.Keys() {
		if a.Protocol() != address.SECP256K1 || c.Worker != address.Undef {
			continue
		}
		if c.Worker, err = keys.ImportLotus(k); err != nil {
			t.Fatal(err)
		}
	}
	c.Signer = wallet.Local{Keys: keys}
	post, err := proof.StackedDrg2KiBV1_1.WindowPoSt()
	if err != nil {
		t.Fatal(err)
	}
	params, err := actors.EncodeParams(&actors.CreateMinerParams{Owner: c.Worker, Worker: c.Worker, WindowPoStProofType: post})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := c.API.MpoolPushMessage(ctx, &ftypes.Message{From: c.Worker, To: actors.PowerAddr, Method: uint64(actors.PowerCreateMiner), Params: params}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := sm.Cid()
	if err != nil {
		t.Fatal(err)
	}
	l := c.Wait(t, mc)
	var ret actors.CreateMinerReturn
	if err := actors.DecodeReturn(l.Receipt.Return, &ret); err != nil {
		t.Fatal(err)
	}
	if c.Miner, err = ret.IDAddress.ID(); err != nil {
		t.Fatal(err)
	}
	return c
}

// Advance makes n tipsets.
func (c *Chain) Advance(t testing.TB, n int) {
	t.Helper()
	if err := c.Node.Advance(context.Background(), n); err != nil {
		t.Fatal(err)
	}
}

// Wait advances until message m executes, and fails unless it succeeded.
func (c *Chain) Wait(t testing.TB, m cid.Cid) *types.MsgLookup {
	t.Helper()
	for range 10 {
		c.Advance(t, 1)
		l, err := c.API.StateSearchMsg(context.Background(), types.TipSetKey{}, m, -1, true)
		if err != nil {
			t.Fatal(err)
		}
		if l != nil {
			if l.Receipt.ExitCode != 0 {
				t.Fatalf("message %s failed: exit %d", m, l.Receipt.ExitCode)
			}
			return l
		}
	}
	t.Fatalf("message %s not executed within 10 epochs", m)
	return nil
}
