package devnet_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/strata-sp/strata/chain/devnet"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// signedTransfers makes count signed transfers from the node's secp256k1
// genesis accounts (round robin, consecutive nonces from next), to fresh
// key addresses.
func signedTransfers(t testing.TB, n *devnet.Node, count int, next map[address.Address]uint64) []*ftypes.SignedMessage {
	t.Helper()
	var keys []sig.PrivateKey
	for _, a := range n.Accounts() {
		if k := keyOf(t, n, a); k.Type() == sig.Secp256k1 {
			keys = append(keys, k)
		}
	}
	to, _ := sig.GenerateKey(sig.Secp256k1, rand.Reader)
	toAddr, _ := to.Address()
	out := make([]*ftypes.SignedMessage, count)
	for i := range out {
		k := keys[i%len(keys)]
		from, _ := k.Address()
		m := &ftypes.Message{From: from, To: toAddr, Value: big.FromAttoFIL(1), Nonce: next[from],
			GasLimit: 20_000, GasFeeCap: big.FromAttoFIL(10), GasPremium: big.FromAttoFIL(1)}
		next[from]++
		sm, err := ftypes.SignMessage(m, k)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = sm
	}
	return out
}

// BenchmarkDevnet_Apply reports how many simple transfers per second the
// devnet includes and executes: b.N messages (signed and pushed outside the
// timer) go through two tipsets, which select, execute and write them to
// SQLite.
//
//	go test -run='^$' -bench=Devnet_Apply -benchtime=20000x ./chain/devnet
func BenchmarkDevnet_Apply(b *testing.B) {
	ctx := context.Background()
	n, db := newNode(b, filepath.Join(b.TempDir(), "chain.db"))
	defer db.Close()
	defer n.Close()
	api := n.API()
	next := map[address.Address]uint64{}
	// Blocks take at most MaxBlockMessages each.
	msgs := signedTransfers(b, n, b.N, next)
	for _, m := range msgs {
		if _, err := api.MpoolPush(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	blocks := 1 + (b.N+devnet.MaxBlockMessages-1)/devnet.MaxBlockMessages
	if err := n.Advance(ctx, blocks); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	c, _ := msgs[len(msgs)-1].Cid()
	if l, err := api.StateSearchMsg(ctx, types.EmptyTSK, c, -1, false); err != nil || l == nil || l.Receipt.ExitCode != 0 {
		b.Fatalf("last message: %+v %v", l, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkDevnet_BlockTime500Pending runs the devnet at a 100 ms block
// time while a pusher keeps about 500 messages pending, and reports the
// mean and worst interval between tipsets and the messages executed per
// second.
//
//	go test -run='^$' -bench=Devnet_BlockTime500Pending -benchtime=3s ./chain/devnet
func BenchmarkDevnet_BlockTime500Pending(b *testing.B) {
	ctx := context.Background()
	db := openDB(b, filepath.Join(b.TempDir(), "chain.db"))
	defer db.Close()
	n, err := devnet.Open(ctx, db, devnet.Config{Genesis: devnet.DefaultGenesis(), BlockTime: 100 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	api := n.API()
	next := map[address.Address]uint64{}
	const batch = 500
	ready := make(chan []*ftypes.SignedMessage, 1)
	stop := make(chan struct{})
	go func() { // sign ahead
		for {
			ms := signedTransfers(b, n, batch, next)
			select {
			case ready <- ms:
			case <-stop:
				return
			}
		}
	}()
	defer close(stop)
	sub, err := api.ChainNotify(ctx)
	if err != nil {
		b.Fatal(err)
	}
	<-sub // current
	n.Start()
	var intervals []time.Duration
	pushedc := make(chan int, 1)
	end := time.Now().Add(3 * time.Second)
	go func() { // push, keeping about 500 pending
		pushed := 0
		for time.Now().Before(end) {
			select {
			case ms := <-ready:
				for _, m := range ms {
					if _, err := api.MpoolPush(ctx, m); err != nil {
						panic(err)
					}
				}
				pushed += len(ms)
			case <-time.After(10 * time.Millisecond):
			}
		}
		pushedc <- pushed
	}()
	last := time.Now()
	b.ResetTimer()
	for time.Now().Before(end) {
		if _, ok := <-sub; !ok {
			b.Fatal("subscription closed")
		}
		now := time.Now()
		intervals = append(intervals, now.Sub(last))
		last = now
	}
	pushed := <-pushedc
	b.StopTimer()
	if len(intervals) < 2 {
		b.Fatal("no tipsets")
	}
	intervals = intervals[1:]
	var sum time.Duration
	for _, iv := range intervals {
		sum += iv
	}
	b.ReportMetric(float64(sum.Milliseconds())/float64(len(intervals)), "ms/tipset")
	b.ReportMetric(float64(slices.Max(intervals).Milliseconds()), "max-ms/tipset")
	b.ReportMetric(float64(pushed)/3, "msgs/s")
}
