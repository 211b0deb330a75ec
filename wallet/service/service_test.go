package service_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/enginetest"
	"github.com/strata-sp/strata/wallet"
	"github.com/strata-sp/strata/wallet/keystore"
	"github.com/strata-sp/strata/wallet/service"
)

// harness is a wallet service behind a real JSON-RPC server on loopback.
type harness struct {
	svc    *service.Service
	db     *store.DB
	keys   *keystore.Store
	auth   *rpc.Authority
	url    string
	owner  address.Address // secp256k1: the miner's worker
	other  address.Address // secp256k1: a key the scoped token may not use
	blsKey address.Address
}

func newHarness(t testing.TB, db *store.DB, opts ...func(*service.Options)) *harness {
	t.Helper()
	ctx := context.Background()
	keys, err := keystore.OpenOptions(filepath.Join(t.TempDir(), "keystore"), []byte("test passphrase"), keystore.Options{ScryptN: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{db: db, keys: keys}
	if h.owner, err = keys.New(sig.Secp256k1); err != nil {
		t.Fatal(err)
	}
	if h.other, err = keys.New(sig.Secp256k1); err != nil {
		t.Fatal(err)
	}
	if h.blsKey, err = keys.New(sig.BLS); err != nil {
		t.Fatal(err)
	}
	secret, err := rpc.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	h.auth, err = rpc.NewAuthority(secret)
	if err != nil {
		t.Fatal(err)
	}
	o := service.Options{Keys: keys, DB: db, Issuer: h.auth}
	for _, f := range opts {
		f(&o)
	}
	h.svc, err = service.New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.svc.Close)
	h.url = serve(t, h.auth, h.svc)
	return h
}

func serve(t testing.TB, auth *rpc.Authority, svc *service.Service) string {
	t.Helper()
	srv, err := rpc.NewServer(rpc.ServerOptions{Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(wallet.Namespace, svc, &(&wallet.WalletStruct{}).Internal); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(rpc.Path, srv)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs.URL + rpc.Path
}

func (h *harness) client(t testing.TB, token string) *wallet.WalletStruct {
	t.Helper()
	var c wallet.WalletStruct
	closer, err := rpc.NewClient(context.Background(), h.url, wallet.Namespace, &c.Internal, rpc.ClientOptions{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closer)
	return &c
}

func (h *harness) adminToken(t testing.TB) string {
	t.Helper()
	tok, err := h.auth.NewToken(rpc.AllPerms(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var (
	minerA = mustAddr("f01000")
	minerB = mustAddr("f01001")
)

func mustAddr(s string) address.Address {
	a, err := address.NewFromString(s)
	if err != nil {
		panic(err)
	}
	return a
}

// sealingPolicy is the acceptance's token: one miner's sealing and proving
// messages from its worker key.
func sealingPolicy(worker address.Address) string {
	return fmt.Sprintf(`addresses = [%q]
[messages]
to = [%q]
methods = ["PreCommitSectorBatch2", "ProveCommitSectors3", "SubmitWindowedPoSt"]
max_fee_cap = "2 nanoFIL"
max_premium = "1 nanoFIL"
`, worker, minerA)
}

func msg(from, to address.Address, method actors.MethodNum, nonce uint64) *types.Message {
	return &types.Message{
		Version: 0, From: from, To: to, Nonce: nonce, Method: uint64(method),
		Value:      big.TokenAmount{Int: big.NewInt(0)},
		GasLimit:   50_000_000,
		GasFeeCap:  big.TokenAmount{Int: big.NewInt(1_000_000_000)},
		GasPremium: big.TokenAmount{Int: big.NewInt(100_000)},
		Params:     []byte{0x81, 0x80},
	}
}

func TestSign_ScopedTokenAcceptance(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHarness(t, db)
		admin := h.client(t, h.adminToken(t))
		tok, err := admin.TokenCreate(ctx, "sealing f01000", sealingPolicy(h.owner))
		if err != nil {
			t.Fatal(err)
		}
		scoped := wallet.Remote{API: h.client(t, tok.Token)}

		// The three methods the token exists for are signed, and verify.
		for i, m := range []actors.MethodNum{actors.MinerPreCommitSectorBatch2, actors.MinerProveCommitSectors3, actors.MinerSubmitWindowedPoSt} {
			sm, err := wallet.SignMessage(ctx, scoped, msg(h.owner, minerA, m, uint64(i)))
			if err != nil {
				t.Fatalf("method %d: %v", m, err)
			}
			c, _ := sm.Message.Cid()
			if err := sig.Verify(sm.Signature, h.owner, c.Bytes()); err != nil {
				t.Fatalf("method %d: signature does not verify: %v", m, err)
			}
		}

		refusals := []struct {
			name string
			sign func() error
			want string
		}{
			{"value transfer", func() error {
				m := msg(h.owner, minerA, 0, 10)
				m.Value = big.FromFIL(1)
				_, err := wallet.SignMessage(ctx, scoped, m)
				return err
			}, "method 0 is not allowed"},
			{"transfer to another address", func() error {
				m := msg(h.owner, h.other, 0, 10)
				m.Value = big.FromFIL(1)
				_, err := wallet.SignMessage(ctx, scoped, m)
				return err
			}, "messages to " + h.other.String()},
			{"another miner", func() error {
				_, err := wallet.SignMessage(ctx, scoped, msg(h.owner, minerB, actors.MinerPreCommitSectorBatch2, 11))
				return err
			}, "messages to f01001 are not allowed"},
			{"fee cap above the limit", func() error {
				m := msg(h.owner, minerA, actors.MinerProveCommitSectors3, 12)
				m.GasFeeCap = big.TokenAmount{Int: big.NewInt(2_000_000_001)}
				_, err := wallet.SignMessage(ctx, scoped, m)
				return err
			}, "gas fee cap 2000000001 attoFIL is above the limit 2000000000"},
			{"raw bytes", func() error {
				_, err := scoped.Sign(ctx, h.owner, []byte("please sign this"), wallet.MsgMeta{Type: wallet.MTUnknown})
				return err
			}, "raw bytes"},
			{"a key not in the policy", func() error {
				_, err := wallet.SignMessage(ctx, scoped, msg(h.other, minerA, actors.MinerSubmitWindowedPoSt, 0))
				return err
			}, "address " + h.other.String() + " is not one this token may use"},
		}
		for _, r := range refusals {
			err := r.sign()
			if !errors.Is(err, rpc.ErrPermission) || !strings.Contains(err.Error(), r.want) {
				t.Errorf("%s: got %v, want a permission error containing %q", r.name, err, r.want)
			}
		}

		// Every request is in the audit log, newest first, with the reason.
		log, err := admin.Audit(ctx, wallet.AuditQuery{TokenID: tok.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 3+len(refusals) {
			t.Fatalf("audit has %d entries for the token, want %d", len(log), 3+len(refusals))
		}
		for i, r := range refusals {
			e := log[len(refusals)-1-i]
			if e.Decision != wallet.Denied || !strings.Contains(e.Reason, r.want) {
				t.Errorf("audit entry for %q: %+v", r.name, e)
			}
		}
		first := log[len(log)-1]
		if first.Decision != wallet.Allowed || first.Method != uint64(actors.MinerPreCommitSectorBatch2) ||
			first.To != minerA.String() || first.Address != h.owner.String() || first.Kind != wallet.MTChainMsg || first.MessageCID == "" {
			t.Errorf("first audit entry: %+v", first)
		}
		denied, err := admin.Audit(ctx, wallet.AuditQuery{Decision: wallet.Denied})
		if err != nil || len(denied) != len(refusals) {
			t.Errorf("denied entries: %d, %v", len(denied), err)
		}

		// An admin token may do all of it.
		adm := wallet.Remote{API: admin}
		m := msg(h.owner, minerB, 0, 20)
		m.Value = big.FromFIL(5)
		if _, err := wallet.SignMessage(ctx, adm, m); err != nil {
			t.Errorf("admin transfer: %v", err)
		}
		if s, err := adm.Sign(ctx, h.blsKey, []byte("raw"), wallet.MsgMeta{Type: wallet.MTUnknown}); err != nil {
			t.Errorf("admin raw bytes: %v", err)
		} else if err := sig.Verify(*s, h.blsKey, []byte("raw")); err != nil {
			t.Errorf("admin BLS signature: %v", err)
		}
		adminLog, err := admin.Audit(ctx, wallet.AuditQuery{TokenID: service.CallerAdmin})
		if err != nil || len(adminLog) != 2 || adminLog[0].Decision != wallet.Allowed {
			t.Errorf("admin audit: %+v, %v", adminLog, err)
		}

		// The scoped token only sees its own key.
		list, err := h.client(t, tok.Token).List(ctx)
		if err != nil || len(list) != 1 || list[0] != h.owner {
			t.Errorf("scoped List = %v, %v", list, err)
		}
		if has, err := scoped.Has(ctx, h.other); err != nil || has {
			t.Errorf("scoped Has(other) = %v, %v", has, err)
		}
		// and cannot administer.
		if _, err := h.client(t, tok.Token).Export(ctx, h.owner); !errors.Is(err, rpc.ErrPermission) {
			t.Errorf("scoped Export: %v", err)
		}
		if _, err := h.client(t, tok.Token).TokenCreate(ctx, "x", sealingPolicy(h.other)); !errors.Is(err, rpc.ErrPermission) {
			t.Errorf("scoped TokenCreate: %v", err)
		}
	})
}

func TestSign_BytesMustBeTheMessageCID(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHarness(t, db)
		admin := h.client(t, h.adminToken(t))
		m := msg(h.owner, minerA, actors.MinerSubmitWindowedPoSt, 1)
		cb, _ := m.Serialize()
		other := msg(h.owner, h.other, 0, 1)
		other.Value = big.FromFIL(1000)
		oc, _ := other.Cid()
		cases := map[string]struct {
			toSign []byte
			meta   wallet.MsgMeta
		}{
			"the CID of another message": {oc.Bytes(), wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: cb}},
			"the message CBOR itself":    {cb, wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: cb}},
			"no message":                 {oc.Bytes(), wallet.MsgMeta{Type: wallet.MTChainMsg}},
			"garbage message":            {oc.Bytes(), wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: []byte{0x8a, 0x00}}},
		}
		for name, c := range cases {
			// Even an admin token cannot get opaque bytes signed as a message.
			_, err := admin.Sign(ctx, h.owner, c.toSign, c.meta)
			if !errors.Is(err, rpc.ErrInvalid) {
				t.Errorf("%s: got %v, want an invalid-request error", name, err)
			}
		}
		log, err := admin.Audit(ctx, wallet.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != len(cases) {
			t.Fatalf("audit has %d entries, want %d", len(log), len(cases))
		}
		for _, e := range log {
			if e.Decision != wallet.Denied || !strings.Contains(e.Reason, "bad sign request") {
				t.Errorf("audit entry %+v", e)
			}
		}
	})
}

func TestToken_RevokedIsRefusedImmediately(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHarness(t, db)
		admin := h.client(t, h.adminToken(t))
		tok, err := admin.TokenCreate(ctx, "to revoke", sealingPolicy(h.owner))
		if err != nil {
			t.Fatal(err)
		}
		scoped := h.client(t, tok.Token)
		m := msg(h.owner, minerA, actors.MinerSubmitWindowedPoSt, 1)
		if _, err := wallet.SignMessage(ctx, wallet.Remote{API: scoped}, m); err != nil {
			t.Fatal(err)
		}
		// A second wallet process on the same database, with the same
		// secret, knows the token too.
		svc2, err := service.New(ctx, service.Options{Keys: h.keys, DB: db, Issuer: h.auth, Refresh: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer svc2.Close()
		url2 := serve(t, h.auth, svc2)
		var scoped2 wallet.WalletStruct
		closer, err := rpc.NewClient(ctx, url2, wallet.Namespace, &scoped2.Internal, rpc.ClientOptions{Token: tok.Token})
		if err != nil {
			t.Fatal(err)
		}
		defer closer()
		if _, err := wallet.SignMessage(ctx, wallet.Remote{API: &scoped2}, m); err != nil {
			t.Fatalf("second wallet: %v", err)
		}

		if err := admin.TokenRevoke(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = wallet.SignMessage(ctx, wallet.Remote{API: scoped}, m)
		if !errors.Is(err, rpc.ErrPermission) || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("sign right after revocation: %v", err)
		}
		if _, err := scoped.List(ctx); !errors.Is(err, rpc.ErrPermission) {
			t.Errorf("List after revocation: %v", err)
		}
		// The other process refuses it after its next refresh.
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, err := wallet.SignMessage(ctx, wallet.Remote{API: &scoped2}, m)
			if errors.Is(err, rpc.ErrPermission) && strings.Contains(err.Error(), "revoked") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("second wallet still accepts a revoked token: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		list, err := admin.TokenList(ctx)
		if err != nil || len(list) != 1 || list[0].Revoked.IsZero() || list[0].Token != "" || list[0].Policy != sealingPolicy(h.owner) {
			t.Errorf("TokenList = %+v, %v", list, err)
		}
		if err := admin.TokenRevoke(ctx, "nope"); !errors.Is(err, rpc.ErrNotFound) {
			t.Errorf("revoke unknown token: %v", err)
		}
		// A restarted wallet keeps refusing it.
		svc3, err := service.New(ctx, service.Options{Keys: h.keys, DB: db, Issuer: h.auth})
		if err != nil {
			t.Fatal(err)
		}
		defer svc3.Close()
		c3 := wallet.WalletStruct{}
		closer3, err := rpc.NewClient(ctx, serve(t, h.auth, svc3), wallet.Namespace, &c3.Internal, rpc.ClientOptions{Token: tok.Token})
		if err != nil {
			t.Fatal(err)
		}
		defer closer3()
		if _, err := wallet.SignMessage(ctx, wallet.Remote{API: &c3}, m); !errors.Is(err, rpc.ErrPermission) {
			t.Errorf("restarted wallet: %v", err)
		}
	})
}

func TestSign_TokensWithoutPolicy(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, enginetest.SQLite(t))
	m := msg(h.owner, minerA, actors.MinerSubmitWindowedPoSt, 1)
	signTok, err := h.auth.NewToken([]rpc.Perm{rpc.PermRead, rpc.PermWrite, rpc.PermSign}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = wallet.SignMessage(ctx, wallet.Remote{API: h.client(t, signTok)}, m)
	if !errors.Is(err, rpc.ErrPermission) || !strings.Contains(err.Error(), "no wallet policy") {
		t.Errorf("unscoped sign token: %v", err)
	}
	// A token naming a wallet token that does not exist.
	forged, err := h.auth.NewToken([]rpc.Perm{rpc.PermRead, rpc.PermWrite, rpc.PermSign}, map[string]any{service.TokenClaim: "0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wallet.SignMessage(ctx, wallet.Remote{API: h.client(t, forged)}, m); !errors.Is(err, rpc.ErrPermission) || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("unknown wallet token: %v", err)
	}
	// A read token cannot reach Sign at all.
	readTok, _ := h.auth.NewToken([]rpc.Perm{rpc.PermRead}, nil)
	if _, err := wallet.SignMessage(ctx, wallet.Remote{API: h.client(t, readTok)}, m); !errors.Is(err, rpc.ErrPermission) {
		t.Errorf("read token: %v", err)
	}
	// In process (no RPC claims) is the keystore's owner.
	if _, err := wallet.SignMessage(ctx, h.svc, m); err != nil {
		t.Errorf("in process: %v", err)
	}
	log, _ := h.svc.Audit(ctx, wallet.AuditQuery{TokenID: service.CallerLocal})
	if len(log) != 1 || log[0].Decision != wallet.Allowed {
		t.Errorf("local audit %+v", log)
	}
}

func TestTokenCreate_BadPolicy(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, enginetest.SQLite(t))
	admin := h.client(t, h.adminToken(t))
	for _, p := range []string{
		``,
		`addresses = ["f01000"]`,
		`addresses = ["*"]` + "\n[messages]\nto=[\"*\"]\nmethods=[\"*\"]\n",
		`addresses = ["*"]` + "\nmax_fee = 1\n",
	} {
		if _, err := admin.TokenCreate(ctx, "bad", p); !errors.Is(err, rpc.ErrInvalid) || !strings.Contains(err.Error(), "invalid policy") {
			t.Errorf("policy %q: %v", p, err)
		}
	}
	list, _ := admin.TokenList(ctx)
	if len(list) != 0 {
		t.Errorf("bad policies left tokens: %+v", list)
	}
}

func TestRateLimit(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, enginetest.SQLite(t))
	admin := h.client(t, h.adminToken(t))
	// rate_limit is a top-level key: it goes before the first table.
	pol := "rate_limit = \"2/1h\"\n" + sealingPolicy(h.owner)
	tok, err := admin.TokenCreate(ctx, "slow", pol)
	if err != nil {
		t.Fatal(err)
	}
	scoped := wallet.Remote{API: h.client(t, tok.Token)}
	for i := range 2 {
		if _, err := wallet.SignMessage(ctx, scoped, msg(h.owner, minerA, actors.MinerSubmitWindowedPoSt, uint64(i))); err != nil {
			t.Fatal(err)
		}
	}
	_, err = wallet.SignMessage(ctx, scoped, msg(h.owner, minerA, actors.MinerSubmitWindowedPoSt, 3))
	if !errors.Is(err, rpc.ErrTransient) || !strings.Contains(err.Error(), "rate limit") {
		t.Errorf("third sign: %v", err)
	}
}

func TestAudit_AppendOnly(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHarness(t, db)
		if _, err := wallet.SignMessage(ctx, h.svc, msg(h.owner, minerA, 5, 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE wallet_audit SET decision = 'denied'`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("UPDATE: %v", err)
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM wallet_audit`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("DELETE: %v", err)
		}
		log, err := h.svc.Audit(ctx, wallet.AuditQuery{})
		if err != nil || len(log) != 1 || log[0].Decision != wallet.Allowed {
			t.Errorf("audit after tampering attempts: %+v, %v", log, err)
		}
	})
}

// When the audit log cannot be written nothing is signed.
func TestSign_NoAuditNoSignature(t *testing.T) {
	ctx := context.Background()
	db := enginetest.SQLite(t)
	h := newHarness(t, db)
	if _, err := db.ExecContext(ctx, `ALTER TABLE wallet_audit RENAME TO wallet_audit_gone`); err != nil {
		t.Fatal(err)
	}
	s, err := h.svc.Sign(ctx, h.owner, []byte("x"), wallet.MsgMeta{Type: wallet.MTUnknown})
	if err == nil || s != nil || !strings.Contains(err.Error(), "audit log unavailable") {
		t.Errorf("Sign with a broken audit log = %v, %v", s, err)
	}
}

func TestSign_Concurrent(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHarness(t, db)
		admin := h.client(t, h.adminToken(t))
		tok, err := admin.TokenCreate(ctx, "busy", sealingPolicy(h.owner))
		if err != nil {
			t.Fatal(err)
		}
		scoped := wallet.Remote{API: h.client(t, tok.Token)}
		const workers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					method := actors.MinerSubmitWindowedPoSt
					to := minerA
					if i%5 == 4 {
						to = minerB // refused
					}
					_, err := wallet.SignMessage(ctx, scoped, msg(h.owner, to, method, uint64(w*each+i)))
					if (to == minerA) != (err == nil) {
						errs <- fmt.Errorf("worker %d sign %d: %v", w, i, err)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		all, err := admin.Audit(ctx, wallet.AuditQuery{Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		var allowed, denied int
		seqs := map[int64]bool{}
		for _, e := range all {
			seqs[e.Seq] = true
			switch e.Decision {
			case wallet.Allowed:
				allowed++
			case wallet.Denied:
				denied++
			}
		}
		if allowed != workers*each*4/5 || denied != workers*each/5 || len(seqs) != len(all) {
			t.Errorf("audit: %d allowed, %d denied, %d distinct of %d", allowed, denied, len(seqs), len(all))
		}
	})
}

func TestKeys_ThroughRPC(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, enginetest.SQLite(t))
	admin := h.client(t, h.adminToken(t))
	a, err := admin.New(ctx, "bls")
	if err != nil || a.Protocol() != address.BLS {
		t.Fatalf("New bls = %v, %v", a, err)
	}
	ki, err := admin.Export(ctx, a)
	if err != nil || ki.Type != "bls" || len(ki.PrivateKey) != 32 {
		t.Fatalf("Export = %v, %v", ki, err)
	}
	if err := admin.Delete(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Export(ctx, a); !errors.Is(err, rpc.ErrNotFound) {
		t.Errorf("Export after Delete: %v", err)
	}
	back, err := admin.Import(ctx, ki)
	if err != nil || back != a {
		t.Fatalf("Import = %v, %v", back, err)
	}
	if _, err := admin.Import(ctx, ki); !errors.Is(err, rpc.ErrConflict) {
		t.Errorf("second Import: %v", err)
	}
	if _, err := admin.Import(ctx, wallet.KeyInfo{Type: "ed25519", PrivateKey: ki.PrivateKey}); !errors.Is(err, rpc.ErrInvalid) {
		t.Errorf("Import of an unknown type: %v", err)
	}
	if _, err := admin.New(ctx, "rsa"); !errors.Is(err, rpc.ErrInvalid) {
		t.Errorf("New rsa: %v", err)
	}
	if err := admin.SetDefault(ctx, h.owner); err != nil {
		t.Fatal(err)
	}
	if d, err := admin.Default(ctx); err != nil || d != h.owner {
		t.Errorf("Default = %v, %v", d, err)
	}
	list, err := admin.List(ctx)
	if err != nil || len(list) != 4 {
		t.Errorf("List = %v, %v", list, err)
	}
	if _, err := admin.Balance(ctx, h.owner); !errors.Is(err, rpc.ErrTransient) || !strings.Contains(err.Error(), "no chain") {
		t.Errorf("Balance without a chain: %v", err)
	}
	if _, err := admin.Sign(ctx, mustAddr("f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za"), []byte("x"), wallet.MsgMeta{Type: wallet.MTUnknown}); !errors.Is(err, rpc.ErrNotFound) {
		t.Errorf("Sign with a key the wallet lacks: %v", err)
	}
}

// A kind with a NUL byte and a multibyte character cut in the middle (what
// a hostile caller can send) is refused and recorded, and the requests
// written in the same batch are not lost with it.
func TestAudit_HostileKind(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHarness(t, db)
		kind := wallet.MsgType("\x00" + strings.Repeat("é", 40))
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					if _, err := h.svc.Sign(ctx, h.owner, []byte("x"), wallet.MsgMeta{Type: kind}); !errors.Is(err, rpc.ErrInvalid) {
						errs <- fmt.Errorf("hostile kind: %v", err)
					}
					return
				}
				if _, err := wallet.SignMessage(ctx, h.svc, msg(h.owner, minerA, 5, uint64(i))); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		log, err := h.svc.Audit(ctx, wallet.AuditQuery{Limit: 100})
		if err != nil || len(log) != 40 {
			t.Fatalf("audit: %d entries, %v", len(log), err)
		}
		for _, e := range log {
			if e.Decision == wallet.Denied && (strings.ContainsRune(string(e.Kind), 0) || len(e.Kind) > 32) {
				t.Errorf("stored kind %q", e.Kind)
			}
		}
	})
}
