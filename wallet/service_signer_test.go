package wallet_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store/enginetest"
	"github.com/strata-sp/strata/wallet"
	"github.com/strata-sp/strata/wallet/service"
)

// remoteWith returns a wallet.Remote signing through a wallet service
// (keys imported through its admin API) behind a real JSON-RPC server,
// with a scoped token allowing the keys' messages to anyone.
func remoteWith(t testing.TB, keys ...sig.PrivateKey) wallet.Remote {
	t.Helper()
	ctx := context.Background()
	db := enginetest.SQLite(t)
	secret, _ := rpc.NewSecret()
	auth, err := rpc.NewAuthority(secret)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, service.Options{Keys: openStore(t, filepath.Join(t.TempDir(), "keys")), DB: db, Issuer: auth})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
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
	dial := func(tok string) *wallet.WalletStruct {
		var c wallet.WalletStruct
		closer, err := rpc.NewClient(ctx, hs.URL+rpc.Path, wallet.Namespace, &c.Internal, rpc.ClientOptions{Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closer)
		return &c
	}
	adminTok, _ := auth.NewToken(rpc.AllPerms(), nil)
	admin := dial(adminTok)
	policy := "addresses = ["
	for i, k := range keys {
		ki, err := wallet.KeyInfoOf(k)
		if err != nil {
			t.Fatal(err)
		}
		a, err := admin.Import(ctx, ki)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			policy += ", "
		}
		policy += `"` + a.String() + `"`
	}
	policy += "]\n[messages]\nto = [\"*\"]\nmethods = [\"*\"]\nmax_value = \"1000 FIL\"\nmax_fee_cap = \"unlimited\"\nmax_premium = \"unlimited\"\n"
	tok, err := admin.TokenCreate(ctx, "vectors", policy)
	if err != nil {
		t.Fatal(err)
	}
	return wallet.Remote{API: dial(tok.Token)}
}
