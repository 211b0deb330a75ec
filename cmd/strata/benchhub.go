package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
	Transport      string
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
	// CPUPerCall is the hub's process's CPU time (user and system) over
	// the calling phase, per call: the figure to compare between runs on a
	// machine whose other load varies. With --same-process it includes the
	// simulated workers'.
	CPUPerCall time.Duration
	// WorkersCPUPerCall is the simulated workers' process's, in the same
	// way (zero with --same-process).
	WorkersCPUPerCall time.Duration
	// SameProcess says the simulated workers ran in the hub's process.
	SameProcess bool
	// Retries counts the store's transactions run again after a conflict
	// (PostgreSQL serialization failures, SQLite busy) while calling.
	Retries int64
	// ByCall breaks the calls down by method.
	ByCall map[string]benchCallStats
	// Warmup sums up the calls due in the warm-up, left out of the rest.
	WarmupSeconds float64
	Warmup        benchCallStats
}

type benchCallStats struct {
	Calls, Errors int64
	P50, P99, Max time.Duration
}

// The calls a simulated thread makes.
type benchCall uint8

const (
	callReport benchCall = iota
	callPoll
	callPing
	callAbort
	callAllocate
	callTicket
	numBenchCalls
)

var benchCallNames = [numBenchCalls]string{"ReportState", "PollPreCommitState", "Ping", "ReportAborted", "AllocateSector", "AssignTicket"}

// benchSample is one call's outcome.
type benchSample struct {
	lat  time.Duration
	at   time.Duration // when it was due, from the start
	call benchCall
	err  bool
}

// benchTickets draws a fixed ticket: the bench has no chain.
type benchTickets struct{}

func (benchTickets) Ticket(context.Context, uint64) (hub.Ticket, error) {
	return hub.Ticket{Ticket: make([]byte, 32), Epoch: 1}, nil
}

// runBenchHub measures the hub's Sealer API the way a large cluster uses
// it: a hub holding --sectors sectors (allocated through the hub before
// the clock starts) answers --workers simulated workers with --threads
// sealing threads each, over JSON-RPC on loopback (a WebSocket per worker,
// as `strata worker` calls, or with --http a POST per call), served as `strata hub
// run` serves it (metrics included). Each thread holds a sector and makes
// the calls a sealing thread makes while it works: state reports, and every
// fourth call a pre-commit poll; every --cycle calls it ends its sector
// (ReportAborted stands in for the finalization, which needs a chain),
// allocates the next and draws its ticket. Each worker pings every second
// (real workers ping every 30 s).
//
// With --rate, every thread calls on a fixed schedule, whatever the
// answers (an open loop), and a call's latency counts from when it was
// due, not from when it was sent: a slow answer that holds up the thread's
// next calls counts against those too (no coordinated omission).
func runBenchHub(ctx context.Context, e *env, args []string) error {
	fs := newFlags("bench hub", e)
	workers := fs.Int("workers", 500, "simulated workers")
	threads := fs.Int("threads", 4, "sealing threads per worker")
	sectors := fs.Int("sectors", 100_000, "sectors the hub holds")
	dur := fs.Duration("duration", 10*time.Second, "how long to call, after the warm-up")
	warmup := fs.Duration("warmup", 3*time.Second, "how long the threads call, at the same rate, before the calls count: the workers connect (2,500 connections at once) and the hub's caches fill")
	pgURL := fs.String("postgres", "", "a PostgreSQL URL to use instead of SQLite (an empty database)")
	rate := fs.Float64("rate", 5000, "calls per second offered by all threads together, each on its own schedule (0: every thread calls back to back, for the most the hub can answer); pings come on top")
	cycle := fs.Int("cycle", 100, "calls a thread makes per sector before it moves to a new one (0: never)")
	sameProcess := fs.Bool("same-process", false, "run the simulated workers in the hub's process rather than in a process of their own")
	posts := fs.Bool("http", false, "workers call with one HTTP POST per call rather than over one WebSocket each (as `strata worker` does)")
	asJSON := fs.Bool("json", false, "print JSON")
	timeline := fs.Bool("timeline", false, "print each second's latencies to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the calling phase to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file at the end (alloc_space counts the preload too; the rpc and net/http frames are the calling phase's)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *workers < 1 || *threads < 1 || *sectors < *workers**threads || *dur <= 0 || *warmup < 0 || *cycle < 0 || (*cycle > 0 && *cycle < 4) {
		return usagef("bench hub: want positive --workers, --threads and --duration, --sectors >= workers×threads, and --cycle 0 or at least 4")
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
	h, err := hub.New(ctx, hub.Options{DB: db, Tickets: benchTickets{}, Lease: time.Hour, Logger: log})
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
	var stored int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_sectors`).Scan(&stored); err != nil {
		return err
	}
	if stored != int64(*sectors) {
		return fmt.Errorf("bench hub: the hub holds %d sectors, not %d", stored, *sectors)
	}

	// Serve the API on loopback, as `strata hub run` does.
	secret, err := rpc.NewSecret()
	if err != nil {
		return err
	}
	auth, err := rpc.NewAuthority(secret)
	if err != nil {
		return err
	}
	srv, err := rpc.NewServer(rpc.ServerOptions{Auth: auth, Logger: log, Metrics: prometheus.NewRegistry()})
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
	url := "ws://" + ln.Addr().String() + rpc.Path
	if *posts {
		url = "http://" + ln.Addr().String() + rpc.Path
	}

	fmt.Fprintf(e.stderr, "bench hub: %d workers × %d threads calling for %s after a warm-up of %s...\n", *workers, *threads, *dur, *warmup)
	var prof *os.File
	if *cpuProfile != "" {
		if prof, err = os.Create(*cpuProfile); err != nil {
			return err
		}
		defer prof.Close()
	}
	wl := benchWorkload{URL: url, Token: tok, Threads: *threads, Rate: *rate, Cycle: *cycle,
		Warmup: *warmup, Duration: *dur, Held: held}
	// The workers' process needs a moment to start and read its workload;
	// in process, the schedule starts now.
	start := time.Now()
	if !*sameProcess {
		start = start.Add(benchWorkersStartup)
	}
	wl.Start = start.UnixNano()
	measured := start.Add(*warmup)
	// The measured phase's CPU time, retries and profile start when the
	// warm-up ends.
	var cpu0 time.Duration
	var retries0 int64
	began := make(chan error, 1)
	go func() {
		time.Sleep(time.Until(measured))
		cpu0, retries0 = cpuTime(), db.Retries()
		if prof != nil {
			began <- pprof.StartCPUProfile(prof)
			return
		}
		began <- nil
	}()
	var samples [][]benchSample
	var workersCPU time.Duration
	if *sameProcess {
		samples, err = simulateWorkers(ctx, wl, start)
	} else {
		samples, workersCPU, err = runBenchWorkers(ctx, e, wl)
	}
	if berr := <-began; err == nil {
		err = berr
	}
	if err != nil {
		return err
	}
	if prof != nil {
		pprof.StopCPUProfile()
	}
	cpu, retries := cpuTime()-cpu0, db.Retries()-retries0
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}
	var all, warm []benchSample
	last := *warmup // when the last measured call was answered
	for _, l := range samples {
		for _, s := range l {
			if s.at < *warmup {
				warm = append(warm, s)
				continue
			}
			all = append(all, s)
			last = max(last, s.at+s.lat)
		}
	}
	if *timeline {
		printTimeline(e, append(slices.Clone(warm), all...))
	}
	if len(all) == 0 {
		return errors.New("bench hub: no call completed")
	}
	// The rate counts the calls due in the measured phase, over the time
	// from its start until the last of them was answered.
	el := last - *warmup
	r := benchHubResult{OfferedRate: *rate, Store: name, Workers: *workers, Threads: *threads, Sectors: *sectors, SetupSeconds: setupTime.Seconds(), Transport: "ws",
		Seconds: el.Seconds(), Retries: retries, ByCall: map[string]benchCallStats{}, WarmupSeconds: warmup.Seconds(), Warmup: benchStats(warm)}
	if *posts {
		r.Transport = "http"
	}
	total := benchStats(all)
	r.Calls, r.Errors, r.P50, r.P99, r.Max = total.Calls, total.Errors, total.P50, total.P99, total.Max
	r.CallsPerSecond = float64(r.Calls) / el.Seconds()
	r.CPUPerCall = cpu / time.Duration(r.Calls)
	r.WorkersCPUPerCall = workersCPU / time.Duration(r.Calls)
	r.SameProcess = *sameProcess
	var byCall strings.Builder
	for call := range numBenchCalls {
		st := benchStats(slices.DeleteFunc(slices.Clone(all), func(s benchSample) bool { return s.call != call }))
		if st.Calls == 0 {
			continue
		}
		r.ByCall[benchCallNames[call]] = st
		fmt.Fprintf(&byCall, "\n  %-18s %6d calls, p50 %s, p99 %s, max %s", benchCallNames[call], st.Calls,
			st.P50.Round(time.Microsecond), st.P99.Round(time.Microsecond), st.Max.Round(time.Microsecond))
		if st.Errors > 0 {
			fmt.Fprintf(&byCall, ", %d errors", st.Errors)
		}
	}
	if *asJSON {
		if err := printJSON(e.stdout, r); err != nil {
			return err
		}
	} else {
		offered := "back to back"
		if r.OfferedRate > 0 {
			offered = fmt.Sprintf("%.0f calls/s offered", r.OfferedRate)
		}
		cpu := fmt.Sprintf("hub %s + workers %s CPU per call", r.CPUPerCall.Round(time.Microsecond), r.WorkersCPUPerCall.Round(time.Microsecond))
		if r.SameProcess {
			cpu = fmt.Sprintf("%s CPU per call (hub and workers in one process)", r.CPUPerCall.Round(time.Microsecond))
		}
		fmt.Fprintf(e.stdout, "%s over %s, %d sectors (allocated in %.1f s), %d workers × %d threads, %s: %d calls in %.1f s = %.0f calls/s, p50 %s, p99 %s, max %s, %s, %d retries, %d errors%s\n",
			r.Store, r.Transport, r.Sectors, r.SetupSeconds, r.Workers, r.Threads, offered, r.Calls, r.Seconds, r.CallsPerSecond,
			r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond), cpu, r.Retries, r.Errors,
			byCall.String())
		if r.Warmup.Calls > 0 {
			fmt.Fprintf(e.stdout, "  warm-up (%s, not counted above): %d calls, p50 %s, p99 %s, max %s, %d errors\n", *warmup, r.Warmup.Calls,
				r.Warmup.P50.Round(time.Microsecond), r.Warmup.P99.Round(time.Microsecond), r.Warmup.Max.Round(time.Microsecond), r.Warmup.Errors)
		}
	}
	if r.Errors+r.Warmup.Errors > 0 {
		return fmt.Errorf("bench hub: %d calls failed", r.Errors+r.Warmup.Errors)
	}
	return nil
}

// benchStats sorts samples by latency and sums them up.
func benchStats(samples []benchSample) benchCallStats {
	if len(samples) == 0 {
		return benchCallStats{}
	}
	slices.SortFunc(samples, func(a, b benchSample) int { return cmp.Compare(a.lat, b.lat) })
	st := benchCallStats{Calls: int64(len(samples)), P50: samples[len(samples)/2].lat,
		P99: samples[len(samples)*99/100].lat, Max: samples[len(samples)-1].lat}
	for _, s := range samples {
		if s.err {
			st.Errors++
		}
	}
	return st
}

// printTimeline prints each second's latencies, by when the calls were due.
func printTimeline(e *env, all []benchSample) {
	var secs [][]benchSample
	for _, s := range all {
		i := int(s.at / time.Second)
		for len(secs) <= i {
			secs = append(secs, nil)
		}
		secs[i] = append(secs[i], s)
	}
	for i, l := range secs {
		if st := benchStats(l); st.Calls > 0 {
			fmt.Fprintf(e.stderr, "bench hub: second %d: %d calls, p50 %s, p99 %s, max %s\n", i, st.Calls,
				st.P50.Round(time.Microsecond), st.P99.Round(time.Microsecond), st.Max.Round(time.Microsecond))
		}
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchWorkload is what the simulated workers of `bench hub` do, sent to
// the `bench hub-workers` process on its standard input.
type benchWorkload struct {
	URL, Token string
	Threads    int
	Rate       float64
	Cycle      int
	// Start is when the threads' schedule begins, in Unix nanoseconds.
	Start            int64
	Warmup, Duration time.Duration
	// Held is each worker's sectors, one per thread.
	Held [][]hub.SectorID
}

// benchWorkersOutput is what the `bench hub-workers` process writes on its
// standard output.
type benchWorkersOutput struct {
	// Samples holds each call as [latency ns, due ns from the start, call,
	// 1 if it failed].
	Samples [][4]int64
	// CPU is the process's CPU time over the measured phase.
	CPU time.Duration
}

// benchWorkersStartup is how long the hub gives the workers' process to
// start before their schedule begins.
const benchWorkersStartup = 300 * time.Millisecond

// maxBenchWorkload bounds the workload `bench hub-workers` reads.
const maxBenchWorkload = 64 << 20

// runBenchWorkers runs the simulated workers in a process of their own
// (this binary's `bench hub-workers`), as real workers are, so that the
// hub's process is measured apart; they still share the machine's cores.
func runBenchWorkers(ctx context.Context, e *env, wl benchWorkload) ([][]benchSample, time.Duration, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, 0, fmt.Errorf("bench hub: the workers' process: %w", err)
	}
	in, err := json.Marshal(wl)
	if err != nil {
		return nil, 0, err
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, "bench", "hub-workers")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &out, e.stderr
	if err := cmd.Run(); err != nil {
		return nil, 0, fmt.Errorf("bench hub: the workers' process: %w", err)
	}
	var res benchWorkersOutput
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, 0, fmt.Errorf("bench hub: the workers' output: %w", err)
	}
	samples := make([][]benchSample, 1)
	for _, s := range res.Samples {
		if s[2] < 0 || s[2] >= int64(numBenchCalls) {
			return nil, 0, fmt.Errorf("bench hub: the workers' output: unknown call %d", s[2])
		}
		samples[0] = append(samples[0], benchSample{lat: time.Duration(s[0]), at: time.Duration(s[1]), call: benchCall(s[2]), err: s[3] != 0})
	}
	return samples, res.CPU, nil
}

// runBenchHubWorkers is `strata bench hub-workers`: the simulated workers
// of `bench hub`, which starts it with their workload on standard input.
func runBenchHubWorkers(ctx context.Context, e *env, args []string) error {
	fs := newFlags("bench hub-workers", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	in, err := io.ReadAll(io.LimitReader(os.Stdin, maxBenchWorkload+1))
	if err != nil {
		return err
	}
	if len(in) > maxBenchWorkload {
		return fmt.Errorf("bench hub-workers: the workload is over %d bytes", maxBenchWorkload)
	}
	var wl benchWorkload
	if err := json.Unmarshal(in, &wl); err != nil {
		return fmt.Errorf("bench hub-workers: reading the workload from standard input (this command is run by bench hub): %w", err)
	}
	if wl.Threads < 1 || len(wl.Held) == 0 || wl.Duration <= 0 || wl.Warmup < 0 {
		return usagef("bench hub-workers: the workload needs threads, held sectors and a duration")
	}
	start := time.Unix(0, wl.Start)
	measured := start.Add(wl.Warmup)
	cpu0 := make(chan time.Duration, 1)
	go func() {
		time.Sleep(time.Until(measured))
		cpu0 <- cpuTime()
	}()
	samples, err := simulateWorkers(ctx, wl, start)
	if err != nil {
		return err
	}
	out := benchWorkersOutput{CPU: cpuTime() - <-cpu0}
	for _, l := range samples {
		for _, s := range l {
			var failed int64
			if s.err {
				failed = 1
			}
			out.Samples = append(out.Samples, [4]int64{int64(s.lat), int64(s.at), int64(s.call), failed})
		}
	}
	return json.NewEncoder(e.stdout).Encode(out)
}

// simulateWorkers runs the workers of wl, each with its threads and its
// heartbeat, until the measured phase ends, and returns each worker's
// calls.
func simulateWorkers(ctx context.Context, wl benchWorkload, start time.Time) ([][]benchSample, error) {
	workers := len(wl.Held)
	own := 0
	for _, h := range wl.Held {
		own += len(h)
	}
	stop := start.Add(wl.Warmup + wl.Duration)
	samples := make([][]benchSample, workers)
	// Each worker's connection, dialled before any thread calls.
	clients := make([]hub.SealerStruct, workers)
	for wi := range workers {
		closer, err := rpc.NewClient(ctx, wl.URL, hub.Namespace, &clients[wi].Internal, rpc.ClientOptions{Token: wl.Token})
		if err != nil {
			return nil, fmt.Errorf("worker %d: %w", wi, err)
		}
		defer closer()
	}
	var cw sync.WaitGroup
	for wi := range workers {
		c := &clients[wi]
		wname := fmt.Sprintf("w%d", wi)
		var lmu sync.Mutex
		record := func(due time.Time, call benchCall, err error) {
			d := time.Since(due)
			lmu.Lock()
			samples[wi] = append(samples[wi], benchSample{lat: d, at: due.Sub(start), call: call, err: err != nil})
			lmu.Unlock()
		}
		cw.Add(1)
		go func() { // the worker's heartbeat, each worker at its own phase
			defer cw.Done()
			due := start.Add(time.Duration(wi) * time.Second / time.Duration(workers))
			for ; due.Before(stop); due = due.Add(time.Second) {
				time.Sleep(time.Until(due))
				record(due, callPing, c.Internal.Ping(ctx, hub.WorkerInfo{Name: wname, Threads: wl.Threads}))
			}
		}()
		for ti, id := range wl.Held[wi] {
			cw.Add(1)
			go func() {
				defer cw.Done()
				// Open loop: each thread calls on its own schedule, spread
				// over the period, whether or not earlier calls were slow.
				var period time.Duration
				due := start
				n := wi*wl.Threads + ti
				if wl.Rate > 0 {
					period = time.Duration(float64(own) / wl.Rate * float64(time.Second))
					due = due.Add(period * time.Duration(n) / time.Duration(own))
				}
				for i := 0; ; i++ {
					if period > 0 {
						time.Sleep(time.Until(due))
					} else {
						due = time.Now()
					}
					if !due.Before(stop) {
						return
					}
					// Threads move to their next sector at different calls.
					step := -1
					if wl.Cycle > 0 {
						step = (i + n) % wl.Cycle
					}
					var call benchCall
					var err error
					switch {
					case step == wl.Cycle-3:
						call, err = callAbort, c.Internal.ReportAborted(ctx, wname, id, "bench: next sector")
					case step == wl.Cycle-2:
						var s *hub.AllocatedSector
						call = callAllocate
						if s, err = c.Internal.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: wname, Locations: []string{"/t"}}); err == nil && s == nil {
							err = errors.New("no sector to allocate")
						} else if err == nil {
							id = s.ID
						}
					case step == wl.Cycle-1:
						call = callTicket
						_, err = c.Internal.AssignTicket(ctx, wname, id)
					case i%4 == 3:
						call = callPoll
						_, err = c.Internal.PollPreCommitState(ctx, id)
					default:
						call = callReport
						var r hub.SectorStateResp
						r, err = c.Internal.ReportState(ctx, id, hub.StateReport{Worker: wname, Location: "/t",
							Change: hub.StateChange{Prev: "PC1Done", Next: "PC1Done", Event: "Progress"}})
						if err == nil && r.AbortReason != "" {
							err = errors.New(r.AbortReason)
						}
					}
					record(due, call, err)
					due = due.Add(period)
				}
			}()
		}
	}
	cw.Wait()
	return samples, nil
}
