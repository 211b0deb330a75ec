package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/wallet"
)

// benchWalletResult is what `strata bench wallet` reports.
type benchWalletResult struct {
	Callers        int
	Transport      string
	Signs          int64
	Seconds        float64
	SignsPerSecond float64
	P50, P99       time.Duration
	// BareSignsPerSecond is secp256k1 signing of message CIDs in this
	// process on every core, measured in the same run: the ceiling.
	BareSignsPerSecond float64
}

// runBenchWallet measures the wallet service the way the hub uses it: a
// scoped token (created for the run and revoked after it) limited to one
// miner's proving messages, wallet.Remote callers signing
// SubmitWindowedPoSt messages from a new secp256k1 key, each signature
// checked by policy and committed to the audit log before it returns.
func runBenchWallet(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("bench wallet", e, &f)
	dur := fs.Duration("duration", 10*time.Second, "how long to sign")
	callers := fs.Int("callers", 16, "concurrent callers")
	useHTTP := fs.Bool("http", false, "one HTTP POST per call instead of a WebSocket")
	if err := parse(fs, interleave(args, "json", "http")); err != nil {
		return err
	}
	if *callers < 1 || *dur <= 0 {
		return usagef("bench wallet: --callers and --duration must be positive")
	}
	home, err := resolveHome(e, "wallet", f.home)
	if err != nil {
		return err
	}
	info, err := home.APIInfo()
	if err != nil {
		return fmt.Errorf("bench wallet: is `strata wallet run` running on %s? %w", home.Dir, err)
	}
	tok, err := os.ReadFile(home.Path("token"))
	if err != nil {
		return err
	}
	url, err := info.URL()
	if err != nil {
		return err
	}
	transport := "ws"
	if *useHTTP {
		transport = "http"
	} else {
		url = "ws" + strings.TrimPrefix(url, "http")
	}
	var admin wallet.WalletStruct
	closeAdmin, err := rpc.NewClient(ctx, url, wallet.Namespace, &admin.Internal, rpc.ClientOptions{Token: strings.TrimSpace(string(tok))})
	if err != nil {
		return err
	}
	defer closeAdmin()
	from, err := admin.New(ctx, "secp256k1")
	if err != nil {
		return fmt.Errorf("bench wallet: new key: %w", err)
	}
	defer func() {
		if err := admin.Delete(context.Background(), from); err != nil {
			fmt.Fprintf(e.stderr, "bench wallet: delete bench key %s: %v\n", from, err)
		}
	}()
	miner := address.MustParse("f01000")
	pol := fmt.Sprintf("addresses = [%q]\n[messages]\nto = [%q]\nmethods = [\"SubmitWindowedPoSt\"]\nmax_fee_cap = \"1 nanoFIL\"\nmax_premium = \"1 nanoFIL\"\n", from, miner)
	t, err := admin.TokenCreate(ctx, "bench wallet", pol)
	if err != nil {
		return err
	}
	defer func() { _ = admin.TokenRevoke(context.Background(), t.ID) }()

	var nonce atomic.Uint64
	var count atomic.Int64
	lat := make([][]time.Duration, *callers)
	var wg sync.WaitGroup
	errc := make(chan error, *callers)
	signers := make([]wallet.Signer, *callers)
	for i := range signers {
		var c wallet.WalletStruct
		closer, err := rpc.NewClient(ctx, url, wallet.Namespace, &c.Internal, rpc.ClientOptions{Token: t.Token})
		if err != nil {
			return err
		}
		defer closer()
		signers[i] = wallet.Remote{API: &c}
	}
	fmt.Fprintf(e.stderr, "bench wallet: signing for %s with temporary key %s and token %s (both removed after; their audit entries stay)\n", *dur, from, t.ID)
	start := time.Now()
	stop := start.Add(*dur)
	for i, s := range signers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) && ctx.Err() == nil {
				m := &ftypes.Message{From: from, To: miner, Nonce: nonce.Add(1), Method: uint64(actors.MinerSubmitWindowedPoSt),
					Value: big.TokenAmount{Int: big.NewInt(0)}, GasLimit: 50_000_000,
					GasFeeCap: big.TokenAmount{Int: big.NewInt(1000)}, GasPremium: big.TokenAmount{Int: big.NewInt(100)}, Params: []byte{0x80}}
				t0 := time.Now()
				if _, err := wallet.SignMessage(ctx, s, m); err != nil {
					errc <- err
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	close(errc)
	if err := <-errc; err != nil {
		return fmt.Errorf("bench wallet: %w", err)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return errors.New("bench wallet: nothing signed")
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := benchWalletResult{Callers: *callers, Transport: transport, Signs: count.Load(), Seconds: el.Seconds(),
		SignsPerSecond: float64(count.Load()) / el.Seconds(),
		P50:            all[len(all)/2], P99: all[len(all)*99/100]}
	r.BareSignsPerSecond, err = bareSignRate(*callers, 2*time.Second)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "%d signs in %.1f s through the wallet (%s, %d callers, scoped token, audit on): %.0f signs/s, p50 %s, p99 %s\n",
		r.Signs, r.Seconds, r.Transport, r.Callers, r.SignsPerSecond, r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond))
	fmt.Fprintf(e.stdout, "bare secp256k1 signing in this process, same run: %.0f signs/s (the wallet reaches %.0f%% of it)\n",
		r.BareSignsPerSecond, 100*r.SignsPerSecond/r.BareSignsPerSecond)
	return nil
}

// bareSignRate signs 38-byte CIDs with a fresh secp256k1 key on n
// goroutines for d and returns signatures per second.
func bareSignRate(n int, d time.Duration) (float64, error) {
	k, err := sig.GenerateKey(sig.Secp256k1, rand.Reader)
	if err != nil {
		return 0, err
	}
	c := ftypes.CID([]byte("strata bench wallet reference"))
	msg := c.Bytes()
	var count atomic.Int64
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if _, err := k.Sign(msg); err == nil {
					count.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(count.Load()) / time.Since(start).Seconds(), nil
}
