package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/strata-sp/strata/config"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/worker"
)

func workerCommand() *command {
	return &command{
		name:    "worker",
		summary: "sealing threads that pull sectors from a hub: worker run|list|resume",
		subs: []*command{
			{name: "run", summary: "run the sealing threads of a worker config until interrupted",
				usage: "--config worker.toml [--log-level info]", run: runWorkerRun},
			{name: "list", summary: "the threads and their sectors", usage: "--config worker.toml [--json]", run: runWorkerList},
			{name: "resume", summary: "resume a paused thread (optionally from another state)",
				usage: "--config worker.toml --thread N [--state STATE]", run: runWorkerResume},
		},
	}
}

func loadWorkerConfig(path string) (*worker.Config, error) {
	if path == "" {
		return nil, usagef("want --config worker.toml")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return worker.ParseConfig(b, filepath.Dir(abs))
}

func runWorkerRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags("worker run", e)
	cfgPath := fs.String("config", "", "the worker's TOML config")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadWorkerConfig(*cfgPath)
	if err != nil {
		return err
	}
	info, ok, err := rpc.APIInfoFromEnv(rpc.EnvHub)
	if err != nil {
		return err
	}
	if cfg.SectorManager.API != "" {
		if info, err = rpc.ParseAPIInfo(cfg.SectorManager.API); err != nil {
			return fmt.Errorf("sector_manager.api: %w", err)
		}
	} else if !ok {
		return fmt.Errorf("no hub: set sector_manager.api in the config or %s", rpc.EnvHub)
	}
	// One WebSocket to the hub carries all the threads' calls (as Lotus's
	// workers do): no connection per call, and the hub answers a report in
	// a quarter of the p99 time it takes over HTTP POSTs under load (see
	// `strata bench hub`). It is redialled after a failure.
	hubURL, err := info.WebSocketURL()
	if err != nil {
		return fmt.Errorf("hub API info: %w", err)
	}
	var s hub.SealerStruct
	closer, err := rpc.NewClient(ctx, hubURL, hub.Namespace, &s.Internal, rpc.ClientOptions{Token: info.Token})
	if err != nil {
		return err
	}
	defer closer()
	log := newLogger(e.stderr, config.Log{Level: *level, Format: "text"}).With("process", "worker", "worker", cfg.Worker.Name)
	// The stages run through [processors]: its processors start now, so a
	// wrong bin fails here, and stop when the threads have.
	eng, err := worker.NewProcessors(ctx, cfg.Processors, engine.Local{}, log)
	if err != nil {
		return fmt.Errorf("worker config: %w", err)
	}
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		if err := eng.Close(cctx); err != nil {
			log.Warn("stop the processors", "err", err)
		}
	}()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ping := cfg.Sealing.PingInterval.Duration
		if ping <= 0 {
			ping = 10 * time.Second
		}
		worker.Run(runCtx, cfg, worker.Client{S: &s}, eng, log, ping)
	}()
	fmt.Fprintf(e.stderr, "strata worker %s: %d sealing threads pulling from %s\n", cfg.Worker.Name, len(cfg.Threads), hubURL)
	sigs, stop := e.signals()
	defer stop()
	select {
	case <-sigs:
		log.Info("signal received: stopping the threads (their state is saved at every step)")
	case <-ctx.Done():
	}
	cancel()
	select {
	case <-done:
	case <-sigs:
		e.exitNow(exitError)
		return errExitedNow
	}
	return nil
}

func threadsOf(cfg *worker.Config) []*worker.Thread {
	var out []*worker.Thread
	for _, tc := range cfg.ThreadConfigs() {
		out = append(out, worker.NewThread(tc, nil, nil, nil))
	}
	return out
}

func runWorkerList(_ context.Context, e *env, args []string) error {
	fs := newFlags("worker list", e)
	cfgPath := fs.String("config", "", "the worker's TOML config")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadWorkerConfig(*cfgPath)
	if err != nil {
		return err
	}
	type row struct {
		Thread   int
		Location string
		worker.Sector
	}
	var rows []row
	for i, th := range threadsOf(cfg) {
		s, err := th.Load()
		if err != nil {
			return err
		}
		rows = append(rows, row{Thread: i, Location: cfg.Threads[i].Location, Sector: s})
	}
	if *asJSON {
		return printJSON(e.stdout, rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "THREAD\tLOCATION\tSECTOR\tSTATE\tPAUSED")
	for _, r := range rows {
		sector, paused := "-", ""
		if r.State != worker.Empty {
			sector = r.ID.String()
		}
		if r.Paused {
			paused = r.Failure
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.Thread, r.Location, sector, r.State, paused)
	}
	return tw.Flush()
}

func runWorkerResume(_ context.Context, e *env, args []string) error {
	fs := newFlags("worker resume", e)
	cfgPath := fs.String("config", "", "the worker's TOML config")
	n := fs.Int("thread", -1, "the thread's index (strata worker list)")
	state := fs.String("state", "", "the state to resume from (default: where it paused)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadWorkerConfig(*cfgPath)
	if err != nil {
		return err
	}
	threads := threadsOf(cfg)
	if *n < 0 || *n >= len(threads) {
		return usagef("worker resume: --thread must be 0..%d", len(threads)-1)
	}
	if err := threads[*n].Resume(worker.State(*state)); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "thread %d resumed; a running worker restarts it within a second\n", *n)
	return nil
}
