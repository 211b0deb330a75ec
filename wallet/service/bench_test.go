package service_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/enginetest"
	"github.com/strata-sp/strata/wallet"
)

// BenchmarkSign_RPC signs secp256k1 chain messages through the JSON-RPC
// service with a scoped token: request decoding and CID check, policy,
// rate limiter, signature and the committed audit entry, over loopback
// HTTP and WebSocket, 16 callers at once. "remote" goes through
// wallet.Remote, which also verifies each signature on the client side.
//
//	go test -run='^$' -bench=Sign_RPC -benchtime=3s ./wallet/service
func BenchmarkSign_RPC(b *testing.B) {
	for _, e := range enginetest.All() {
		for _, transport := range []string{"http", "ws"} {
			for _, via := range []string{"api", "remote"} {
				b.Run(e.Name+"/"+transport+"/"+via, func(b *testing.B) { benchSign(b, e.Open, transport, via) })
			}
		}
	}
}

func benchSign(b *testing.B, open func(testing.TB) *store.DB, transport, via string) {
	ctx := context.Background()
	h := newHarness(b, open(b))
	admin := h.client(b, h.adminToken(b))
	tok, err := admin.TokenCreate(ctx, "bench", sealingPolicy(h.owner))
	if err != nil {
		b.Fatal(err)
	}
	url := h.url
	if transport == "ws" {
		url = "ws" + strings.TrimPrefix(url, "http")
	}
	var c wallet.WalletStruct
	closer, err := rpc.NewClient(ctx, url, wallet.Namespace, &c.Internal, rpc.ClientOptions{Token: tok.Token})
	if err != nil {
		b.Fatal(err)
	}
	defer closer()
	var signer wallet.Signer = wallet.Remote{API: &c}
	if via == "api" {
		signer = apiSigner{&c}
	}
	var nonce atomic.Uint64
	b.SetParallelism(8) // 16 callers on 2 cores
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := msg(h.owner, minerA, actors.MinerSubmitWindowedPoSt, nonce.Add(1))
			if _, err := wallet.SignMessage(ctx, signer, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "signs/s")
	b.StopTimer()
	n, err := admin.Audit(ctx, wallet.AuditQuery{TokenID: tok.ID, Limit: 10000})
	if err != nil || (b.N <= 10000 && len(n) != b.N) {
		b.Fatalf("audit has %d entries for %d signs: %v", len(n), b.N, err)
	}
}

// apiSigner calls the API without wallet.Remote's client-side checks.
type apiSigner struct{ api wallet.API }

func (a apiSigner) Sign(ctx context.Context, addr address.Address, toSign []byte, meta wallet.MsgMeta) (*sig.Signature, error) {
	return a.api.Sign(ctx, addr, toSign, meta)
}

func (a apiSigner) Has(ctx context.Context, addr address.Address) (bool, error) {
	return a.api.Has(ctx, addr)
}
