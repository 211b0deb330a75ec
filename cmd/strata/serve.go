package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/strata-sp/strata/daemon"
)

// errExitedNow is returned when a second signal ended the process at once.
var errExitedNow = errors.New("exited on a second signal without draining")

// serve runs a started daemon until a signal or a failure. The first
// SIGINT/SIGTERM drains: the daemon stops taking calls and those in flight
// finish, for at most drain. A second signal exits at once.
func serve(ctx context.Context, e *env, d *daemon.Daemon, drain time.Duration, log *slog.Logger) error {
	sigs, stop := e.signals()
	defer stop()
	select {
	case s := <-sigs:
		log.Info("signal received: draining; send it again to exit at once", "signal", s.String(), "timeout", drain)
	case <-d.Stopped():
		_ = d.Close(context.Background())
		return fmt.Errorf("server stopped: %w", d.Err())
	case <-ctx.Done():
	}
	done := make(chan error, 1)
	go func() {
		cctx, cancel := context.WithTimeout(context.Background(), drain)
		defer cancel()
		done <- d.Close(cctx)
	}()
	select {
	case err := <-done:
		return err
	case s := <-sigs:
		log.Warn("second signal: exiting now", "signal", s.String())
		e.exitNow(exitError)
		return errExitedNow
	}
}
