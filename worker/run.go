package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof/engine"
)

// Run runs every thread of cfg until ctx ends: it pings the hub (which
// renews the leases of the worker's sectors) every ping interval, and
// restarts a paused thread once `strata worker resume` has cleared its
// pause. eng runs the stages, normally a *Processors built from
// cfg.Processors (NewProcessors), which the caller closes after Run
// returns; persists go through each thread's Transferer
// (Config.ThreadConfigs).
func Run(ctx context.Context, cfg *Config, h Hub, eng engine.Sealer, log *slog.Logger, ping time.Duration) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if ping <= 0 {
		ping = 30 * time.Second
	}
	threads := make([]*Thread, 0, len(cfg.Threads))
	for _, tc := range cfg.ThreadConfigs() {
		threads = append(threads, NewThread(tc, h, eng, log))
	}
	var wg sync.WaitGroup
	for _, th := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := th.Run(ctx); err != nil && ctx.Err() == nil {
					log.Warn("thread stopped; waiting for `strata worker resume`", "thread", th.cfg.Index, "err", err)
				}
				// Paused: wait until the state file says otherwise.
				for ctx.Err() == nil {
					select {
					case <-ctx.Done():
					case <-time.After(time.Second):
					}
					if s, err := th.Load(); err == nil && !s.Paused {
						break
					}
				}
			}
		}()
	}
	t := time.NewTicker(ping)
	defer t.Stop()
	for {
		info := hub.WorkerInfo{Name: cfg.Worker.Name, Threads: len(threads), Summary: map[string]int{}}
		for _, th := range threads {
			s := th.Status()
			switch {
			case s.Paused:
				info.Summary["paused"]++
			case s.State == Empty || s.State == "":
				info.Summary["empty"]++
			default:
				info.Summary["running"]++
			}
		}
		if err := h.Ping(ctx, info); err != nil && ctx.Err() == nil {
			log.Warn("ping the hub", "err", err)
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
	}
}
