package worker_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/devnet"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/internal/devnettest"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/stage"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/enginetest"
	"github.com/strata-sp/strata/wallet"
	"github.com/strata-sp/strata/worker"
)

// cluster is a devnet on a manual clock that ticks in the background, a
// hub with its messenger behind a real JSON-RPC server, and a worker
// token's client.
type cluster struct {
	chain *devnettest.Chain
	hub   *hub.Hub
	api   worker.Hub
	ms    *hub.Messenger
	db    *store.DB
	dir   string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &cluster{chain: devnettest.New(t), dir: t.TempDir()}
	db := enginetest.SQLite(t)
	c.db = db
	pol := devnet.DefaultGenesis().Policy
	var err error
	c.hub, err = hub.New(ctx, hub.Options{DB: db, Tickets: hub.ChainTickets{API: c.chain.API, Lookback: 2}, Lease: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.hub.Close)
	if err := c.hub.AddMiner(ctx, hub.Miner{Actor: c.chain.Miner, ProofType: proof.StackedDrg2KiBV1_1, Worker: c.chain.Worker}); err != nil {
		t.Fatal(err)
	}
	// The persist store the threads attach (threadConfig), attached to the
	// hub under the same name and directory.
	storeA := filepath.Join(c.dir, "store-a")
	if err := os.MkdirAll(storeA, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.hub.AttachStore(ctx, hub.StoreSpec{Name: "store-a", Path: storeA}); err != nil {
		t.Fatal(err)
	}
	ms, err := c.hub.NewMessenger(hub.MessageOptions{Chain: c.chain.API,
		Signer:   func(context.Context, hub.Miner) (wallet.Signer, error) { return c.chain.Signer, nil },
		BatchMax: 4, BatchWait: 200 * time.Millisecond, Interval: 50 * time.Millisecond,
		SectorLifetime: pol.MaxProveCommitDuration + pol.MinSectorExpiration + 100, PreCommitChallengeDelay: pol.PreCommitChallengeDelay})
	if err != nil {
		t.Fatal(err)
	}
	c.ms = ms
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Add(2)
	go func() { defer wg.Done(); ms.Run(ctx) }()
	// The chain: a tipset every 50 ms.
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_ = c.chain.Node.Advance(ctx, 1)
			}
		}
	}()
	secret, _ := rpc.NewSecret()
	auth, _ := rpc.NewAuthority(secret)
	srv, err := rpc.NewServer(rpc.ServerOptions{Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(hub.Namespace, c.hub.SealerAPI(ms), &(&hub.SealerStruct{}).Internal); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(rpc.Path, srv)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	perms, _ := rpc.PermsUpTo(rpc.PermWrite)
	tok, _ := auth.NewToken(perms, nil)
	var s hub.SealerStruct
	closer, err := rpc.NewClient(ctx, hs.URL+rpc.Path, hub.Namespace, &s.Internal, rpc.ClientOptions{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closer)
	c.api = worker.Client{S: &s}
	return c
}

func (c *cluster) thread(i int, name string) *worker.Thread {
	return worker.NewThread(c.threadConfig(i, name), c.api, engine.Local{}, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

func (c *cluster) threadConfig(i int, name string) worker.ThreadConfig {
	return worker.ThreadConfig{Index: i, Location: filepath.Join(c.dir, name, "t"+string(rune('0'+i))), Worker: name,
		Spec:        hub.AllocateSectorSpec{Worker: name, AllowedMiners: []uint64{c.chain.Miner}},
		Stores:      []worker.PersistStore{{Name: "store-a", Dir: filepath.Join(c.dir, "store-a")}},
		ParentCache: filepath.Join(c.dir, "parents"), Idle: 100 * time.Millisecond, Poll: 50 * time.Millisecond, Retry: 50 * time.Millisecond}
}

// waitProving waits until the hub has n finalized sectors and returns
// them checked against the chain.
func (c *cluster) waitProving(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	maddr, _ := address.NewIDAddress(c.chain.Miner)
	deadline := time.Now().Add(40 * time.Second)
	for {
		done := 0
		for num := range uint64(n) {
			si, err := c.hub.Sector(ctx, hub.SectorID{Miner: c.chain.Miner, Number: num})
			if err == nil && si.State == hub.StateFinalized {
				var r [32]byte
				copy(r[:], si.CommR)
				on, err := c.chain.API.StateSectorGetInfo(ctx, maddr, num, types.TipSetKey{})
				if err != nil || on == nil || !on.SealedCID.Equals(piece.SealedCID(r)) {
					t.Fatalf("sector %d finalized on the hub but on chain: %+v %v", num, on, err)
				}
				done++
			}
		}
		if done == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sectors finalized: %s", done, n, c.ms.Debug(ctx))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestThreads_SealCommittedCapacity: two threads seal three sectors end to
// end against a devnet, through the hub's JSON-RPC API.
func TestThreads_SealCommittedCapacity(t *testing.T) {
	c := newCluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range 2 {
		th := c.thread(i, "w1")
		wg.Add(1)
		go func() { defer wg.Done(); _ = th.Run(ctx) }()
	}
	c.waitProving(t, 3)
	cancel()
	wg.Wait()
	// The persisted copies exist in the store.
	for n := range 3 {
		if _, err := os.Stat(filepath.Join(c.dir, "store-a", "sealed", "s-t0"+itoa(c.chain.Miner)+"-"+itoa(uint64(n)))); err != nil {
			t.Errorf("sector %d: %v", n, err)
		}
	}
}

// killer stops its thread (cancels the context) the first time the
// thread reaches a given call, as a kill at that point would.
type killer struct {
	worker.Hub
	engine.Local
	at     string
	cancel context.CancelFunc
	once   sync.Once
}

func (k *killer) hit(ctx context.Context, at string) error {
	if k.at != at {
		return nil
	}
	k.once.Do(k.cancel)
	return ctx.Err()
}

func (k *killer) PC2(ctx context.Context, t stage.SealTask) (stage.PC2Output, error) {
	if err := k.hit(ctx, "pc2"); err != nil {
		return stage.PC2Output{}, err
	}
	return k.Local.PC2(ctx, t)
}

func (k *killer) PollPreCommitState(ctx context.Context, id hub.SectorID) (hub.PollResp, error) {
	if err := k.hit(ctx, "poll"); err != nil {
		return hub.PollResp{}, err
	}
	return k.Hub.PollPreCommitState(ctx, id)
}

func (k *killer) WaitSeed(ctx context.Context, w string, id hub.SectorID) (hub.SeedResp, error) {
	if err := k.hit(ctx, "waitseed"); err != nil {
		return hub.SeedResp{}, err
	}
	return k.Hub.WaitSeed(ctx, w, id)
}

func (k *killer) SubmitPersisted(ctx context.Context, w string, id hub.SectorID, st string) (hub.SubmitResp, error) {
	if err := k.hit(ctx, "persisted"); err != nil {
		return hub.SubmitResp{}, err
	}
	return k.Hub.SubmitPersisted(ctx, w, id, st)
}

// TestThread_ResumesAfterKill stops a thread during PC2, while it polls its
// pre-commit and as it submits the persisted copy, each time starting a new
// thread on the same directory: each goes on from the saved state, and the
// sector is sealed once, with one pre-commit and one prove-commit.
func TestThread_ResumesAfterKill(t *testing.T) {
	c := newCluster(t)
	for _, step := range []struct {
		at   string
		want worker.State
	}{{"pc2", worker.PC1Done}, {"poll", worker.PCSubmitted}, {"persisted", worker.Persisted}} {
		ctx, cancel := context.WithCancel(context.Background())
		k := &killer{Hub: c.api, at: step.at, cancel: cancel}
		th := worker.NewThread(c.threadConfig(0, "w1"), k, k, nil)
		if err := th.Run(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := th.Load()
		if err != nil {
			t.Fatal(err)
		}
		if st.State != step.want {
			t.Fatalf("killed at %s: saved state %s, want %s", step.at, st.State, step.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	th := worker.NewThread(c.threadConfig(0, "w1"), c.api, engine.Local{}, nil)
	go func() { _ = th.Run(ctx) }()
	c.waitProving(t, 1)
	si, _ := c.hub.Sector(context.Background(), hub.SectorID{Miner: c.chain.Miner, Number: 0})
	if si.Takeovers != 0 {
		t.Errorf("sector taken over %d times", si.Takeovers)
	}
	var msgs int
	if err := c.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM hub_messages`).Scan(&msgs); err != nil || msgs != 2 {
		t.Errorf("%d messages, want one pre-commit and one prove-commit (%v)", msgs, err)
	}
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// TestThreads_SealPieces: pieces added to the hub, one read from a file
// and one over HTTP, are sealed into a sector whose pre-commit on chain
// declares the CommD the primitives compute from those pieces, and the
// prove-commit that activates them lands (the miner actor checks the
// pieces against that CommD). The next sector, with no pieces left, is
// committed capacity and declares none.
func TestThreads_SealPieces(t *testing.T) {
	c := newCluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fileData, httpData := make([]byte, 1000), make([]byte, 400)
	rand.Read(fileData)
	rand.Read(httpData)
	file := filepath.Join(c.dir, "piece-a")
	if err := os.WriteFile(file, fileData, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(httpData) }))
	defer srv.Close()
	var infos []piece.Info
	for _, p := range []struct {
		data   []byte
		source string
	}{{fileData, file}, {httpData, srv.URL + "/piece-b"}} {
		h := commp.New(commp.Options{})
		h.Write(p.data)
		pc, size, err := h.Sum()
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, piece.Info{CID: pc, Size: piece.PaddedSize(size)})
		if _, err := c.hub.AddPiece(ctx, hub.PieceSpec{CID: pc, Size: piece.PaddedSize(size), PayloadSize: uint64(len(p.data)), Source: p.source}); err != nil {
			t.Fatal(err)
		}
	}
	want, err := commp.UnsealedCID(2048, infos)
	if err != nil {
		t.Fatal(err)
	}
	th := c.thread(0, "w1")
	done := make(chan struct{})
	go func() { defer close(done); _ = th.Run(ctx) }()
	c.waitProving(t, 2)
	cancel()
	<-done

	// The pre-commits on chain.
	unsealed := map[uint64]*cid.Cid{}
	msgs, err := c.hub.Messages(context.Background(), hub.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Kind != "precommit" || m.State != "landed" {
			continue
		}
		mc, err := cid.Decode(m.CID)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := c.chain.API.ChainGetMessage(context.Background(), mc)
		if err != nil {
			t.Fatal(err)
		}
		var p actors.PreCommitSectorBatch2Params
		if err := actors.DecodeParams(msg.Params, &p); err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Sectors {
			unsealed[s.SectorNumber] = s.UnsealedCid
		}
	}
	if got := unsealed[0]; got == nil || !got.Equals(want) {
		t.Errorf("sector 0's unsealed CID on chain = %v, want the pieces' CommD %s", got, want)
	}
	if got, ok := unsealed[1]; !ok || got != nil {
		t.Errorf("sector 1 (committed capacity) declared %v (pre-committed: %v)", got, ok)
	}
	ps, err := c.hub.Pieces(context.Background(), hub.PieceFilter{})
	if err != nil || len(ps) != 2 {
		t.Fatal(ps, err)
	}
	for _, p := range ps {
		if p.State != hub.PieceSealed || p.Sector == nil || p.Sector.Number != 0 {
			t.Errorf("piece %s: %s in %v, want sealed in sector 0", p.CID, p.State, p.Sector)
		}
	}
}

// countingEngine records the sectors it runs PC1 for.
type countingEngine struct {
	engine.Local
	mu  sync.Mutex
	pc1 []uint64
}

func (c *countingEngine) PC1(ctx context.Context, t stage.PC1Task) (stage.PC1Output, error) {
	c.mu.Lock()
	c.pc1 = append(c.pc1, t.Sector.Number)
	c.mu.Unlock()
	return c.Local.PC1(ctx, t)
}

// TestThread_TakeoverFromPersistedCopy: a worker stops for good after
// its sector was persisted; once the lease lapses, a thread of another
// worker that has the same store attached takes the sector over and
// proves it from the persisted copy, without sealing it again.
func TestThread_TakeoverFromPersistedCopy(t *testing.T) {
	c := newCluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	k := &killer{Hub: c.api, at: "waitseed", cancel: cancel}
	a := worker.NewThread(c.threadConfig(0, "w1"), k, k, nil)
	if err := a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := a.Load(); st.State != worker.PersistSubmitted {
		t.Fatalf("w1 stopped in %s, want %s", st.State, worker.PersistSubmitted)
	}
	// w1 is gone: its lease lapses.
	if _, err := c.db.ExecContext(context.Background(), `UPDATE hub_sectors SET lease_until = 1 WHERE worker = 'w1'`); err != nil {
		t.Fatal(err)
	}
	eng := &countingEngine{}
	cfg := c.threadConfig(0, "w2")
	b := worker.NewThread(cfg, c.api, eng, nil)
	bctx, bcancel := context.WithCancel(context.Background())
	defer bcancel()
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(bctx) }()
	c.waitProving(t, 1)
	bcancel()
	<-done
	si, err := c.hub.Sector(context.Background(), hub.SectorID{Miner: c.chain.Miner, Number: 0})
	if err != nil || si.Worker != "w2" || si.Takeovers != 1 {
		t.Errorf("sector after the takeover: %+v, %v", si, err)
	}
	eng.mu.Lock()
	defer eng.mu.Unlock()
	if slices.Contains(eng.pc1, 0) {
		t.Errorf("w2 ran PC1 for sector 0 (PC1 runs: %v); it should be proven from its persisted copy", eng.pc1)
	}
}

// TestThread_PersistsWhereTheHubChooses: the hub chooses the persist
// store among the thread's. While none it may use has room (both are
// read-only on the hub), the thread retries at PCLanded, neither dropping
// nor pausing the sector; once one is writable the sector goes there, and
// never to the read-only one.
func TestThread_PersistsWhereTheHubChooses(t *testing.T) {
	c := newCluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	storeRO := filepath.Join(c.dir, "store-ro")
	for _, s := range []hub.StoreSpec{
		{Name: "store-ro", Path: storeRO, Weight: 1000, ReadOnly: true},
		{Name: "store-a", Path: filepath.Join(c.dir, "store-a"), ReadOnly: true},
	} {
		if err := os.MkdirAll(s.Path, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := c.hub.AttachStore(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	cfg := c.threadConfig(0, "w1")
	cfg.Stores = append([]worker.PersistStore{{Name: "store-ro", Dir: storeRO}}, cfg.Stores...)
	cfg.MaxRetries = 50
	th := worker.NewThread(cfg, c.api, engine.Local{}, nil)
	done := make(chan struct{})
	go func() { defer close(done); _ = th.Run(ctx) }()
	deadline := time.Now().Add(40 * time.Second)
	for st := th.Status(); st.State != worker.PCLanded || st.Retries < 2; st = th.Status() {
		if st.Paused || time.Now().After(deadline) {
			t.Fatalf("waiting for retries at PCLanded: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.hub.AttachStore(ctx, hub.StoreSpec{Name: "store-a", Path: filepath.Join(c.dir, "store-a")}); err != nil {
		t.Fatal(err)
	}
	c.waitProving(t, 1)
	cancel()
	<-done
	si, err := c.hub.Sector(context.Background(), hub.SectorID{Miner: c.chain.Miner, Number: 0})
	if err != nil || si.PersistedTo != "store-a" || si.Takeovers != 0 {
		t.Errorf("sector %+v, %v", si, err)
	}
	if ents, _ := os.ReadDir(filepath.Join(storeRO, "sealed")); len(ents) != 0 {
		t.Errorf("the read-only store got %d sealed files", len(ents))
	}
}
