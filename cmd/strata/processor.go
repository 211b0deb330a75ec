package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-sp/strata/config"
	"github.com/strata-sp/strata/proof/processor"
	"github.com/strata-sp/strata/proof/stage"
)

func processorCommand() *command {
	return &command{
		name:    "processor",
		summary: "serve one sealing stage as an external processor on stdin/stdout",
		usage:   "STAGE [--concurrency N] [--log-level LEVEL]",
		run:     runProcessor,
	}
}

// runProcessor speaks the processor protocol: "<stage> processor ready" on
// stdout, then one JSON request per line on stdin and one reply per line on
// stdout; logs go to stderr only.
func runProcessor(ctx context.Context, e *env, args []string) error {
	fs := newFlags("processor", e)
	concurrency := fs.Int("concurrency", 1, "requests served at once")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	handlers := stage.Handlers()
	names := make([]string, 0, len(handlers))
	for n := range handlers {
		names = append(names, n)
	}
	slices.Sort(names)
	if err := parse(fs, interleave(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("processor: want one STAGE (%s)", strings.Join(names, ", "))
	}
	h, ok := handlers[fs.Arg(0)]
	if !ok {
		return usagef("processor: unknown stage %q (this binary serves %s)", fs.Arg(0), strings.Join(names, ", "))
	}
	lc := config.Log{Level: *level, Format: "text"}
	if err := lc.Validate("log"); err != nil {
		return usagef("processor: %v", err)
	}
	log := newLogger(e.stderr, lc).With("stage", fs.Arg(0))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if e.signals != nil {
		sigs, stop := e.signals()
		defer stop()
		go func() {
			select {
			case s := <-sigs:
				log.Info("signal received: stopping", "signal", s.String())
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	if err := processor.Serve(ctx, fs.Arg(0), e.stdin, e.stdout, h, processor.ServeOptions{MaxConcurrent: *concurrency, Logger: log}); err != nil {
		return fmt.Errorf("processor %s: %w", fs.Arg(0), err)
	}
	return nil
}
