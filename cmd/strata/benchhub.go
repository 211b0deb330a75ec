package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/postgres"
	"github.com/strata-sp/strata/store/sqlite"
)

// benchHubResult is what `strata bench hub` reports.
type benchHubResult struct {
	Store          string
	Workers        int
	Threads        int
	Sectors        int
	SetupSeconds   float64
	OfferedRate    float64
	Calls          int64
	Errors         int64
	Seconds        float64
	CallsPerSecond float64
	P50, P99, Max  time.Duration
}

// runBenchHub measures the hub's Sealer API the way a large cluster uses
// it: a hub holding --sectors sectors (allocated through the hub before
// the clock starts) answers --workers simulated workers with --threads
// sealing threads each, over JSON-RPC on loopback. Each thread holds a
// sector and repeats what a sealing thread does while it works: a state
// report, and every fourth call a pre-commit poll; each worker pings every
// second.
func runBenchHub(ctx context.Context, e *env, args []string) error {
	fs := newFlags("bench hub", e)
	workers := fs.Int("workers", 500, "simulated workers")
	threads := fs.Int("threads", 4, "sealing threads per worker")
	sectors := fs.Int("sectors", 100_000, "sectors the hub holds")
	dur := fs.Duration("duration", 10*time.Second, "how long to call")
	pgURL := fs.String("postgres", "", "a PostgreSQL URL to use instead of SQLite (an empty database)")
	rate := fs.Float64("rate", 5000, "calls per second offered by all threads together, each on its own schedule (0: every thread calls back to back, for the most the hub can answer)")
	asJSON := fs.Bool("json", false, "print JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the calling phase to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *workers < 1 || *threads < 1 || *sectors < *workers**threads || *dur <= 0 {
		return usagef("bench hub: want positive --workers, --threads and --duration, and --sectors >= workers×threads")
	}
	log := slog.New(slog.DiscardHandler)
	var db *store.DB
	var err error
	name := "sqlite"
	if *pgURL != "" {
		name = "postgres"
		db, err = postgres.Open(ctx, postgres.Options{URL: *pgURL, MaxOpenConns: 32})
	} else {
		dir, derr := os.MkdirTemp("", "strata-bench-hub-")
		if derr != nil {
			return derr
		}
		defer os.RemoveAll(dir)
		db, err = sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(dir, "hub.db")})
	}
	if err != nil {
		return err
	}
	defer db.Close()
	h, err := hub.New(ctx, hub.Options{DB: db, Lease: time.Hour, Logger: log})
	if err != nil {
		return err
	}
	defer h.Close()
	w, _ := address.NewFromString("f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za")
	for m := range uint64(4) {
		if err := h.AddMiner(ctx, hub.Miner{Actor: 1000 + m, ProofType: proof.StackedDrg32GiBV1_1, Worker: w}); err != nil {
			return err
		}
	}

	// The sectors: the threads' own (held by the simulated workers) and
	// the rest, held by other workers.
	setup := time.Now()
	own := *workers * *threads
	fmt.Fprintf(e.stderr, "bench hub: allocating %d sectors on %s...\n", *sectors, name)
	held := make([][]hub.SectorID, *workers)
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *sectors {
					return
				}
				wname := fmt.Sprintf("filler-%d", i%1000)
				if i < own {
					wname = fmt.Sprintf("w%d", i / *threads)
				}
				s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: wname})
				if err != nil || s == nil {
					errc <- fmt.Errorf("allocate: %v %v", s, err)
					return
				}
				if i < own {
					mu.Lock()
					held[i / *threads] = append(held[i / *threads], s.ID)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	setupTime := time.Since(setup)

	// Serve the API on loopback, as `strata hub run` does.
	secret, err := rpc.NewSecret()
	if err != nil {
		return err
	}
	auth, err := rpc.NewAuthority(secret)
	if err != nil {
		return err
	}
	srv, err := rpc.NewServer(rpc.ServerOptions{Auth: auth, Logger: log})
	if err != nil {
		return err
	}
	if err := srv.Register(hub.Namespace, h.SealerAPI(nil), &(&hub.SealerStruct{}).Internal); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(rpc.Path, srv)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	perms, _ := rpc.PermsUpTo(rpc.PermWrite)
	tok, err := auth.NewToken(perms, nil)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String() + rpc.Path

	fmt.Fprintf(e.stderr, "bench hub: %d workers × %d threads calling for %s...\n", *workers, *threads, *dur)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var calls, fails atomic.Int64
	lat := make([][]time.Duration, *workers)
	start := time.Now()
	stop := start.Add(*dur)
	var cw sync.WaitGroup
	for wi := range *workers {
		var c hub.SealerStruct
		closer, err := rpc.NewClient(ctx, url, hub.Namespace, &c.Internal, rpc.ClientOptions{Token: tok})
		if err != nil {
			return err
		}
		defer closer()
		wname := fmt.Sprintf("w%d", wi)
		var lmu sync.Mutex
		record := func(t0 time.Time, err error) {
			d := time.Since(t0)
			calls.Add(1)
			if err != nil {
				fails.Add(1)
			}
			lmu.Lock()
			lat[wi] = append(lat[wi], d)
			lmu.Unlock()
		}
		cw.Add(1)
		go func() { // the worker's heartbeat, each worker at its own phase
			defer cw.Done()
			time.Sleep(time.Duration(wi) * time.Second / time.Duration(*workers))
			for time.Now().Before(stop) {
				t0 := time.Now()
				record(t0, c.Internal.Ping(ctx, hub.WorkerInfo{Name: wname, Threads: *threads}))
				time.Sleep(time.Second)
			}
		}()
		for ti, id := range held[wi] {
			cw.Add(1)
			go func() {
				defer cw.Done()
				// Open loop: each thread calls on its own schedule, spread
				// over the period, whether or not earlier calls were slow.
				var period time.Duration
				next := time.Now()
				if *rate > 0 {
					period = time.Duration(float64(own) / *rate * float64(time.Second))
					next = next.Add(period * time.Duration(wi**threads+ti) / time.Duration(own))
				}
				for i := 0; ; i++ {
					if period > 0 {
						time.Sleep(time.Until(next))
						next = next.Add(period)
					}
					if !time.Now().Before(stop) {
						return
					}
					t0 := time.Now()
					var err error
					if i%4 == 3 {
						_, err = c.Internal.PollPreCommitState(ctx, id)
					} else {
						_, err = c.Internal.ReportState(ctx, id, hub.StateReport{Worker: wname, Location: "/t",
							Change: hub.StateChange{Prev: "PC1Done", Next: "PC1Done", Event: "Progress"}})
					}
					record(t0, err)
				}
			}()
		}
	}
	cw.Wait()
	el := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return errors.New("bench hub: no call completed")
	}
	slices.Sort(all)
	r := benchHubResult{OfferedRate: *rate, Store: name, Workers: *workers, Threads: *threads, Sectors: *sectors, SetupSeconds: setupTime.Seconds(),
		Calls: calls.Load(), Errors: fails.Load(), Seconds: el.Seconds(), CallsPerSecond: float64(calls.Load()) / el.Seconds(),
		P50: all[len(all)/2], P99: all[len(all)*99/100], Max: all[len(all)-1]}
	if *asJSON {
		return printJSON(e.stdout, r)
	}
	offered := "back to back"
	if r.OfferedRate > 0 {
		offered = fmt.Sprintf("%.0f calls/s offered", r.OfferedRate)
	}
	fmt.Fprintf(e.stdout, "%s, %d sectors (allocated in %.1f s), %d workers × %d threads, %s: %d calls in %.1f s = %.0f calls/s, p50 %s, p99 %s, max %s, %d errors\n",
		r.Store, r.Sectors, r.SetupSeconds, r.Workers, r.Threads, offered, r.Calls, r.Seconds, r.CallsPerSecond,
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond), r.Errors)
	if r.Errors > 0 {
		return fmt.Errorf("bench hub: %d calls failed", r.Errors)
	}
	return nil
}
