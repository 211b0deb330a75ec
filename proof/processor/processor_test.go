package processor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-sp/strata/proof/processor"
)

// stageEnv, when set, makes the test binary a processor for that stage
// instead of running tests: the end-to-end tests start it as a child process.
// maxLineEnv optionally sets its ServeOptions.MaxLineBytes.
const (
	stageEnv   = "STRATA_PROCESSOR_TEST_STAGE"
	maxLineEnv = "STRATA_PROCESSOR_TEST_MAX_LINE"
)

func TestMain(m *testing.M) {
	if stage := os.Getenv(stageEnv); stage != "" {
		os.Exit(runTestProcessor(stage))
	}
	os.Exit(m.Run())
}

// testTask is the task of the test processor; Op selects the behaviour.
type testTask struct {
	Op      string          `json:"op"`
	Payload json.RawMessage `json:"payload,omitempty"`
	Msg     string          `json:"msg,omitempty"`
	Key     string          `json:"key,omitempty"`
	MS      int             `json:"ms,omitempty"`
	Code    int             `json:"code,omitempty"`
}

type testOutput struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	PID     int             `json:"pid"`
	Peak    int64           `json:"peak,omitempty"`
}

// runTestProcessor serves the test handlers on stdin/stdout, logging to
// stderr, and returns the exit code.
func runTestProcessor(stage string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	h := newTestHandler(os.Stdout)
	opts := processor.ServeOptions{Logger: log}
	if v := os.Getenv(maxLineEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			log.Error("bad "+maxLineEnv, "err", err)
			return 2
		}
		opts.MaxLineBytes = n
	}
	err := processor.Serve(context.Background(), stage, os.Stdin, os.Stdout, processor.Typed(h.handle), opts)
	if err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

// testHandler implements the ops:
//
//	echo     returns the payload and the pid
//	fail     returns an error with Msg
//	panic    panics with Msg
//	exit     writes Msg to stderr and exits with Code, mid-request
//	garbage  writes a non-JSON line and a reply with an unknown id to stdout, then echoes
//	hold     logs "holding <Key>" to stderr, then waits for a release of Key
//	release  releases Key
//	sleep    works for MS milliseconds, returns the peak of sleeps in flight
type testHandler struct {
	stdout *os.File

	mu    sync.Mutex
	gates map[string]chan struct{}

	inFlight, peak atomic.Int64
}

func newTestHandler(stdout *os.File) *testHandler {
	return &testHandler{stdout: stdout, gates: make(map[string]chan struct{})}
}

func (h *testHandler) gate(key string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	g, ok := h.gates[key]
	if !ok {
		g = make(chan struct{})
		h.gates[key] = g
	}
	return g
}

func (h *testHandler) handle(ctx context.Context, t testTask) (testOutput, error) {
	out := testOutput{PID: os.Getpid(), Payload: t.Payload}
	switch t.Op {
	case "echo":
		return out, nil
	case "fail":
		return testOutput{}, errors.New(t.Msg)
	case "panic":
		panic(t.Msg)
	case "exit":
		fmt.Fprintln(os.Stderr, t.Msg)
		os.Exit(t.Code)
	case "garbage":
		// Whole lines, each one Write of less than PIPE_BUF: they cannot
		// interleave with a reply.
		fmt.Fprintln(h.stdout, "this is a log line on stdout, not a reply")
		fmt.Fprintln(h.stdout, `{"id":18446744073709551615,"err_msg":null,"output":{"stray":true}}`)
		return out, nil
	case "hold":
		fmt.Fprintf(os.Stderr, "holding %s\n", t.Key)
		// The timer only keeps the runtime from declaring a deadlock when
		// stdin is closed and this is the last goroutine left.
		idle := time.NewTimer(time.Hour)
		defer idle.Stop()
		select {
		case <-h.gate(t.Key):
			return out, nil
		case <-ctx.Done():
			return testOutput{}, ctx.Err()
		case <-idle.C:
			return testOutput{}, errors.New("held for an hour")
		}
	case "release":
		g := h.gate(t.Key)
		h.mu.Lock()
		select {
		case <-g:
		default:
			close(g)
		}
		h.mu.Unlock()
		return out, nil
	case "sleep":
		n := h.inFlight.Add(1)
		for {
			p := h.peak.Load()
			if n <= p || h.peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(time.Duration(t.MS) * time.Millisecond) // simulated work, not synchronization
		h.inFlight.Add(-1)
		out.Peak = h.peak.Load()
		return out, nil
	}
	return testOutput{}, fmt.Errorf("unknown op %q", t.Op)
}

// logSink is a slog.Handler that keeps every record as text, so that tests
// can wait for a line the processor wrote on stderr.
type logSink struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
}

func newLogSink() *logSink { return &logSink{changed: make(chan struct{})} }

func (s *logSink) logger() *slog.Logger { return slog.New(&sinkHandler{sink: s}) }

func (s *logSink) add(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, line)
	close(s.changed)
	s.changed = make(chan struct{})
}

// has reports whether a record contains substr.
func (s *logSink) has(substr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if strings.Contains(l, substr) {
			return true
		}
	}
	return false
}

// waitFor blocks until a record contains substr.
func (s *logSink) waitFor(t *testing.T, substr string) {
	t.Helper()
	timeout := time.After(10 * time.Second) // a test failure bound, not synchronization
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if s.has(substr) {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			s.mu.Lock()
			defer s.mu.Unlock()
			t.Fatalf("no log record contains %q; records:\n%s", substr, strings.Join(s.lines, "\n"))
		}
	}
}

type sinkHandler struct {
	sink  *logSink
	attrs []slog.Attr
}

func (h *sinkHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *sinkHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.sink.add(b.String())
	return nil
}

func (h *sinkHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &sinkHandler{sink: h.sink, attrs: append(append([]slog.Attr{}, h.attrs...), attrs...)}
}

func (h *sinkHandler) WithGroup(string) slog.Handler { return h }

// testConfig returns a Config that runs this test binary as the processor,
// logging to sink unless it is nil.
func testConfig(t testing.TB, stage string, sink *logSink) processor.Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := processor.Config{
		Stage:          stage,
		Bin:            exe,
		Env:            []string{stageEnv + "=" + stage, "GORACE=atexit_sleep_ms=0"}, // else a race-enabled child sleeps 1s on exit
		ReadyTimeout:   20 * time.Second,
		StopTimeout:    5 * time.Second,
		RestartBackoff: 10 * time.Millisecond,
	}
	if sink != nil {
		cfg.Logger = sink.logger()
	}
	return cfg
}

// startClient starts a Client and closes it at the end of the test.
func startClient(t testing.TB, cfg processor.Config) *processor.Client {
	t.Helper()
	c, err := processor.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func call(ctx context.Context, c *processor.Client, task testTask) (testOutput, error) {
	var out testOutput
	err := c.Call(ctx, task, &out)
	return out, err
}
