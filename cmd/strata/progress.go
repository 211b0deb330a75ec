package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/strata-sp/strata/internal/bytesize"
)

// progressMin is the input size from which a progress bar is worth showing.
const progressMin = 8 << 20

// isTerminal reports whether w is a terminal (a progress bar would be read).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress returns a progress callback drawing one updating line on the
// env's stderr, or nil when stderr is not a terminal or the input is small.
func newProgress(e *env, size int64) func(phase string, done, total int64) {
	if size < progressMin || !e.terminal(e.stderr) {
		return nil
	}
	start := time.Now()
	var last time.Time
	cur := ""
	return func(phase string, done, total int64) {
		now := time.Now()
		if phase != cur {
			if cur != "" {
				fmt.Fprintln(e.stderr)
			}
			cur, start = phase, now
		}
		if now.Sub(last) < 200*time.Millisecond && done != total {
			return
		}
		last = now
		rate := float64(done) / max(now.Sub(start).Seconds(), 1e-3)
		if total > 0 {
			fmt.Fprintf(e.stderr, "\r%-7s %5.1f%%  %s / %s  %s/s   ", phase, 100*float64(done)/float64(total), bytesIEC(done), bytesIEC(total), bytesIEC(int64(rate)))
		} else {
			fmt.Fprintf(e.stderr, "\r%-7s %s  %s/s   ", phase, bytesIEC(done), bytesIEC(int64(rate)))
		}
		if done == total {
			fmt.Fprintln(e.stderr)
			cur = ""
		}
	}
}

// bytesIEC formats n as "1.5 GiB" (0 for a negative n).
func bytesIEC(n int64) string { return bytesize.IEC(uint64(max(n, 0))) }
