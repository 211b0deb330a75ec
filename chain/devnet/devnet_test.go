package devnet_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain"
	"github.com/strata-sp/strata/chain/devnet"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/internal/testvectors"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/sqlite"
)

func openDB(t testing.TB, path string) *store.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// newNode opens a manual-clock devnet on a fresh SQLite file, with extra
// genesis accounts.
func newNode(t testing.TB, path string) (*devnet.Node, *store.DB) {
	t.Helper()
	db := openDB(t, path)
	n, err := devnet.Open(context.Background(), db, devnet.Config{Genesis: devnet.DefaultGenesis(), SnapshotEvery: 5})
	if err != nil {
		t.Fatal(err)
	}
	n.Start()
	return n, db
}

// keyOf returns the genesis key of a, from the node's exported keys.
func keyOf(t testing.TB, n *devnet.Node, a address.Address) sig.PrivateKey {
	t.Helper()
	raw, err := hex.DecodeString(n.Keys()[a])
	if err != nil {
		t.Fatal(err)
	}
	var ki struct {
		Type       string
		PrivateKey []byte
	}
	if err := json.Unmarshal(raw, &ki); err != nil {
		t.Fatal(err)
	}
	typ := sig.Secp256k1
	if ki.Type == "bls" {
		typ = sig.BLS
	}
	k, err := sig.NewPrivateKey(typ, ki.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func send(t *testing.T, api chain.API, k sig.PrivateKey, to address.Address, value big.TokenAmount, nonce uint64) (cid.Cid, error) {
	t.Helper()
	from, _ := k.Address()
	m := &ftypes.Message{From: from, To: to, Value: value, Nonce: nonce}
	est, err := api.GasEstimateMessageGas(context.Background(), m, nil, types.EmptyTSK)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := ftypes.SignMessage(est, k)
	if err != nil {
		t.Fatal(err)
	}
	return api.MpoolPush(context.Background(), sm)
}

func TestDevnet_TransfersAndRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chain.db")
	n, db := newNode(t, path)
	api := n.API()
	accts := n.Accounts()
	if len(accts) != 4 {
		t.Fatalf("%d genesis accounts", len(accts))
	}
	alice := keyOf(t, n, accts[0])
	blsKey := keyOf(t, n, accts[3])
	if blsKey.Type() != sig.BLS {
		t.Fatalf("the last genesis key is %v", blsKey.Type())
	}
	bob, _ := sig.GenerateKey(sig.Secp256k1, rand.Reader)
	bobAddr, _ := bob.Address()
	amount := big.MustParseTokenAmount("12.5 FIL")
	c1, err := send(t, api, alice, bobAddr, amount, 0)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := send(t, api, blsKey, bobAddr, amount, 0)
	if err != nil {
		t.Fatal(err)
	}

	// Refusals, each with Lotus's words.
	for name, tc := range map[string]struct {
		nonce uint64
		key   sig.PrivateKey
		value big.TokenAmount
		want  string
	}{
		"nonce too low": {nonce: 0, key: alice, value: big.FromAttoFIL(1), want: "replace by fee has too low GasPremium"},
		"nonce gap":     {nonce: 5, key: alice, value: big.FromAttoFIL(1), want: "unfulfilled nonce gap"},
		"unfunded":      {nonce: 1, key: alice, value: big.MustParseTokenAmount("2000000 FIL"), want: "not enough funds"},
		"unknown":       {nonce: 0, key: bob, value: big.FromAttoFIL(1), want: "actor not found"},
	} {
		if _, err := send(t, api, tc.key, bobAddr, tc.value, tc.nonce); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A signature by another key.
	m := &ftypes.Message{From: accts[1], To: bobAddr, Value: big.FromAttoFIL(1), GasLimit: 100_000, GasFeeCap: big.FromAttoFIL(10), GasPremium: big.FromAttoFIL(1)}
	forged, _ := ftypes.SignMessage(m, alice)
	if _, err := api.MpoolPush(ctx, forged); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("forged signature: %v", err)
	}

	if err := n.Advance(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for _, c := range []cid.Cid{c1, c2} {
		l, err := api.StateWaitMsg(ctx, c, 0, -1, false)
		if err != nil || l.Receipt.ExitCode != 0 || l.Height != 2 {
			t.Fatalf("lookup %s: %+v %v", c, l, err)
		}
	}
	bal, _ := api.WalletBalance(ctx, bobAddr)
	if want := amount.Add(amount); !bal.Equals(want.Int) {
		t.Errorf("bob has %s, want %s", bal, want)
	}
	before, _ := api.WalletBalance(ctx, accts[0])
	nonce, _ := api.MpoolGetNonce(ctx, accts[0])
	if nonce != 1 {
		t.Errorf("alice's next nonce %d", nonce)
	}
	if err := n.Advance(ctx, 7); err != nil {
		t.Fatal(err)
	}
	head, _ := api.ChainHead(ctx)

	// Restart: the same head, balances and receipts.
	n.Close()
	db.Close()
	n2, db2 := newNode(t, path)
	defer db2.Close()
	defer n2.Close()
	api2 := n2.API()
	head2, _ := api2.ChainHead(ctx)
	if !head2.Equals(head) {
		t.Fatalf("head after restart %s, before %s", head2, head)
	}
	if b, _ := api2.WalletBalance(ctx, accts[0]); !b.Equals(before.Int) {
		t.Errorf("alice has %s after restart, %s before", b, before)
	}
	if l, err := api2.StateSearchMsg(ctx, types.EmptyTSK, c1, -1, false); err != nil || l == nil || l.Receipt.ExitCode != 0 {
		t.Errorf("lookup after restart: %+v %v", l, err)
	}
	if _, err := send(t, api2, alice, bobAddr, big.FromAttoFIL(1), 1); err != nil {
		t.Errorf("next message after restart: %v", err)
	}
	if err := n2.Advance(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if h, _ := api2.ChainHead(ctx); h.Height() != head.Height()+2 {
		t.Errorf("head %d", h.Height())
	}
}

// TestDevnet_MessageVectors pushes the published signed messages, byte for
// byte, after bringing each sender to the vector's nonce.
func TestDevnet_MessageVectors(t *testing.T) {
	ctx := context.Background()
	var v struct {
		BLS []struct {
			Message      json.RawMessage `json:"message"`
			PrivateKeyLE string          `json:"private_key_le_hex"`
			SignatureHex string          `json:"signature_hex"`
		} `json:"bls"`
		Secp []struct {
			Message      json.RawMessage `json:"message"`
			PrivateKey   string          `json:"private_key_hex"`
			SignatureHex string          `json:"signature_hex"`
			SignatureB64 []byte          `json:"signature_base64"`
		} `json:"secp256k1"`
	}
	b, err := os.ReadFile(testvectors.Path(t, "messages.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	type vec struct {
		msg ftypes.Message
		key sig.PrivateKey
		sig sig.Signature
	}
	var vecs []vec
	for _, x := range v.BLS {
		kb, _ := hex.DecodeString(x.PrivateKeyLE)
		k, err := sig.NewPrivateKey(sig.BLS, kb)
		if err != nil {
			t.Fatal(err)
		}
		sb, _ := hex.DecodeString(x.SignatureHex)
		var m ftypes.Message
		if err := json.Unmarshal(x.Message, &m); err != nil {
			t.Fatal(err)
		}
		vecs = append(vecs, vec{m, k, sig.Signature{Type: sig.BLS, Data: sb}})
	}
	for _, x := range v.Secp {
		kb, _ := hex.DecodeString(x.PrivateKey)
		k, err := sig.NewPrivateKey(sig.Secp256k1, kb)
		if err != nil {
			t.Fatal(err)
		}
		sb, _ := hex.DecodeString(x.SignatureHex)
		if len(sb) == 0 {
			sb = x.SignatureB64
		}
		var m ftypes.Message
		if err := json.Unmarshal(x.Message, &m); err != nil {
			t.Fatal(err)
		}
		vecs = append(vecs, vec{m, k, sig.Signature{Type: sig.Secp256k1, Data: sb}})
	}
	if len(vecs) < 4 {
		t.Fatalf("%d vectors", len(vecs))
	}
	// Each vector on a devnet of its own (two share a sender and a nonce):
	// fund the sender, bring it to the vector's nonce with messages it
	// signs itself, then push the vector's exact signed message.
	for i, x := range vecs {
		n, db := newNode(t, filepath.Join(t.TempDir(), "chain.db"))
		api := n.API()
		funder := keyOf(t, n, n.Accounts()[0])
		funderAddr, _ := funder.Address()
		if _, err := send(t, api, funder, x.msg.From, big.MustParseTokenAmount("10 FIL"), 0); err != nil {
			t.Fatal(err)
		}
		if err := n.Advance(ctx, 2); err != nil {
			t.Fatal(err)
		}
		for nonce := range x.msg.Nonce {
			if _, err := send(t, api, x.key, funderAddr, big.FromAttoFIL(1), nonce); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.Advance(ctx, 2); err != nil {
			t.Fatal(err)
		}
		// A flipped signature byte is refused.
		bad := &ftypes.SignedMessage{Message: x.msg, Signature: sig.Signature{Type: x.sig.Type, Data: append([]byte(nil), x.sig.Data...)}}
		bad.Signature.Data[3] ^= 1
		if _, err := api.MpoolPush(ctx, bad); err == nil || !strings.Contains(err.Error(), "signature") {
			t.Errorf("vector %d with a flipped signature byte: %v", i, err)
		}
		sm := &ftypes.SignedMessage{Message: x.msg, Signature: x.sig}
		c, err := api.MpoolPush(ctx, sm)
		if err != nil {
			t.Errorf("vector %d from %s: %v", i, x.msg.From, err)
		} else if err := n.Advance(ctx, 2); err != nil {
			t.Fatal(err)
		} else if l, err := api.StateWaitMsg(ctx, c, 0, -1, false); err != nil || l == nil {
			t.Errorf("vector %d not executed: %v", i, err)
		}
		n.Close()
		db.Close()
	}
}

// TestDevnet_MpoolPushMessageConcurrent pushes messages from one sender
// concurrently: each gets its own nonce and all execute.
func TestDevnet_MpoolPushMessageConcurrent(t *testing.T) {
	ctx := context.Background()
	n, db := newNode(t, filepath.Join(t.TempDir(), "chain.db"))
	defer db.Close()
	defer n.Close()
	api := n.API()
	from, to := n.Accounts()[0], n.Accounts()[1]
	const count = 32
	var wg sync.WaitGroup
	msgs := make([]*ftypes.SignedMessage, count)
	errs := make([]error, count)
	for i := range count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msgs[i], errs[i] = api.MpoolPushMessage(ctx, &ftypes.Message{From: from, To: to, Value: big.FromAttoFIL(1)}, nil)
		}()
	}
	wg.Wait()
	nonces := map[uint64]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		nonces[msgs[i].Message.Nonce] = true
	}
	if len(nonces) != count {
		t.Fatalf("%d distinct nonces for %d messages", len(nonces), count)
	}
	if err := n.Advance(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		c, _ := m.Cid()
		if l, err := api.StateSearchMsg(ctx, types.EmptyTSK, c, -1, false); err != nil || l == nil || l.Receipt.ExitCode != 0 {
			t.Fatalf("message of nonce %d: %+v %v", m.Message.Nonce, l, err)
		}
	}
}

// TestDevnet_ReplaceByFee replaces a pending message with the same nonce
// and a premium 1.25 times higher: the replacement executes, the original
// does not.
func TestDevnet_ReplaceByFee(t *testing.T) {
	ctx := context.Background()
	n, db := newNode(t, filepath.Join(t.TempDir(), "chain.db"))
	defer db.Close()
	defer n.Close()
	api := n.API()
	k := keyOf(t, n, n.Accounts()[0])
	from, _ := k.Address()
	to := n.Accounts()[1]
	msg := func(premium int64) *ftypes.SignedMessage {
		m := &ftypes.Message{From: from, To: to, Value: big.FromAttoFIL(7), GasLimit: 20_000, GasFeeCap: big.FromAttoFIL(1000), GasPremium: big.FromAttoFIL(premium)}
		sm, err := ftypes.SignMessage(m, k)
		if err != nil {
			t.Fatal(err)
		}
		return sm
	}
	orig, err := api.MpoolPush(ctx, msg(100))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.MpoolPush(ctx, msg(124)); err == nil || !strings.Contains(err.Error(), "replace by fee has too low GasPremium") {
		t.Fatalf("premium 1.24x: %v", err)
	}
	repl, err := api.MpoolPush(ctx, msg(125))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Advance(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if l, err := api.StateWaitMsg(ctx, repl, 0, -1, false); err != nil || l.Receipt.ExitCode != 0 {
		t.Fatalf("replacement: %+v %v", l, err)
	}
	if l, err := api.StateSearchMsg(ctx, types.EmptyTSK, orig, -1, false); err != nil || l != nil {
		t.Fatalf("the replaced message executed: %+v %v", l, err)
	}
	// Allowing replacement, a wait for the original finds the replacement.
	if l, err := api.StateWaitMsg(ctx, orig, 0, -1, true); err != nil || !l.Message.Equals(repl) {
		t.Fatalf("wait allowing replacement: %+v %v", l, err)
	}
}
