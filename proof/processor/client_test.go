package processor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-sp/strata/proof/processor"
)

func TestClient_EchoRoundTrip(t *testing.T) {
	c := startClient(t, testConfig(t, "pc1", newLogSink()))
	out, err := call(t.Context(), c, testTask{Op: "echo", Payload: json.RawMessage(`{"sector":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Payload) != `{"sector":7}` {
		t.Errorf("payload = %s", out.Payload)
	}
	if out.PID != c.PID() || out.PID == 0 {
		t.Errorf("output pid %d, client pid %d", out.PID, c.PID())
	}
	// A nil out skips decoding.
	if err := c.Call(t.Context(), testTask{Op: "echo"}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestClient_OutOfOrderReplies proves that replies are matched by id: a request
// answered after later ones still reaches its own caller.
func TestClient_OutOfOrderReplies(t *testing.T) {
	sink := newLogSink()
	cfg := testConfig(t, "pc2", sink)
	cfg.Concurrency = 8
	c := startClient(t, cfg)

	first := make(chan error, 1)
	go func() {
		out, err := call(t.Context(), c, testTask{Op: "hold", Key: "a", Payload: json.RawMessage(`"first"`)})
		if err == nil && string(out.Payload) != `"first"` {
			err = fmt.Errorf("first caller got payload %s", out.Payload)
		}
		first <- err
	}()
	sink.waitFor(t, "holding a")

	// Sent after the held request, answered before it.
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			want := fmt.Sprintf(`{"n":%d}`, i)
			out, err := call(t.Context(), c, testTask{Op: "echo", Payload: json.RawMessage(want)})
			if err == nil && string(out.Payload) != want {
				err = fmt.Errorf("caller %d got payload %s", i, out.Payload)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	select {
	case err := <-first:
		t.Fatalf("held request returned before its release: %v", err)
	default:
	}
	if _, err := call(t.Context(), c, testTask{Op: "release", Key: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}

func TestClient_RemoteError(t *testing.T) {
	c := startClient(t, testConfig(t, "c2", newLogSink()))
	_, err := call(t.Context(), c, testTask{Op: "fail", Msg: "no GPU found"})
	if !errors.Is(err, processor.ErrRemote) || !strings.Contains(err.Error(), "no GPU found") {
		t.Fatalf("err = %v, want ErrRemote with the message", err)
	}
}

func TestClient_HandlerPanicKeepsServing(t *testing.T) {
	c := startClient(t, testConfig(t, "c2", newLogSink()))
	pid := c.PID()
	_, err := call(t.Context(), c, testTask{Op: "panic", Msg: "index out of range"})
	if !errors.Is(err, processor.ErrRemote) || !strings.Contains(err.Error(), "panic: index out of range") {
		t.Fatalf("err = %v, want ErrRemote with the panic", err)
	}
	out, err := call(t.Context(), c, testTask{Op: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	if out.PID != pid {
		t.Errorf("served by pid %d after the panic, want the same process %d", out.PID, pid)
	}
}

// TestClient_KilledProcessorRestarts kills the processor with a request in
// flight: that request fails with ErrProcessorExited, the Client starts a new
// process and a retry succeeds there.
func TestClient_KilledProcessorRestarts(t *testing.T) {
	sink := newLogSink()
	cfg := testConfig(t, "pc1", sink)
	cfg.Concurrency = 2
	c := startClient(t, cfg)
	oldPID := c.PID()

	held := make(chan error, 1)
	go func() {
		_, err := call(t.Context(), c, testTask{Op: "hold", Key: "forever"})
		held <- err
	}()
	sink.waitFor(t, "holding forever")
	proc, err := os.FindProcess(oldPID)
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}

	err = <-held
	if !errors.Is(err, processor.ErrProcessorExited) {
		t.Fatalf("in-flight call: err = %v, want ErrProcessorExited", err)
	}
	var ee *processor.ExitError
	if !errors.As(err, &ee) || ee.PID != oldPID || ee.Stage != "pc1" {
		t.Fatalf("in-flight call: err = %#v, want an ExitError for pid %d", err, oldPID)
	}

	// The retry waits for the restart.
	out, err := call(t.Context(), c, testTask{Op: "echo", Payload: json.RawMessage(`"again"`)})
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if out.PID == oldPID || string(out.Payload) != `"again"` {
		t.Errorf("retry served by pid %d (old %d), payload %s", out.PID, oldPID, out.Payload)
	}
	if !sink.has("restarting processor") {
		t.Error("no restart logged")
	}
}

// TestClient_ExitMidRequest: the processor exits by itself mid-request; the
// error carries its exit status and the stderr line it wrote before dying.
func TestClient_ExitMidRequest(t *testing.T) {
	c := startClient(t, testConfig(t, "tree_d", newLogSink()))
	_, err := call(t.Context(), c, testTask{Op: "exit", Code: 7, Msg: "out of memory mapping layer 3"})
	var ee *processor.ExitError
	var xe *exec.ExitError
	switch {
	case !errors.Is(err, processor.ErrProcessorExited) || !errors.As(err, &ee):
		t.Fatalf("err = %v, want an ExitError", err)
	case !errors.As(err, &xe) || xe.ExitCode() != 7:
		t.Errorf("err = %v, want exit status 7", err)
	case !strings.Contains(ee.StderrTail, "out of memory mapping layer 3"):
		t.Errorf("stderr tail %q lacks the processor's last words", ee.StderrTail)
	}
	if _, err := call(t.Context(), c, testTask{Op: "echo"}); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
}

func TestClient_GarbageOnStdoutIgnored(t *testing.T) {
	sink := newLogSink()
	c := startClient(t, testConfig(t, "transfer", sink))
	out, err := call(t.Context(), c, testTask{Op: "garbage", Payload: json.RawMessage(`1`)})
	if err != nil || string(out.Payload) != "1" {
		t.Fatalf("out = %+v, err = %v", out, err)
	}
	// The stray lines come before the reply on the same pipe, so they are
	// already logged.
	for _, want := range []string{"not a reply", "unknown id"} {
		if !sink.has(want) {
			t.Errorf("no log record with %q", want)
		}
	}
	if _, err := call(t.Context(), c, testTask{Op: "echo"}); err != nil {
		t.Fatal(err)
	}
}

func TestClient_ReadyTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		bin  string
		args []string
		want []string
	}{
		{name: "cat", bin: "/bin/cat", want: []string{`"pc1 processor ready"`, "within 300ms"}},
		{name: "stderr tail", bin: "/bin/sh", args: []string{"-c", "echo waiting for a GPU >&2; exec sleep 30"},
			want: []string{"waiting for a GPU"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.bin); err != nil {
				t.Fatalf("this test runs %s: %v", tc.bin, err)
			}
			start := time.Now()
			_, err := processor.Start(t.Context(), processor.Config{
				Stage: "pc1", Bin: tc.bin, Args: tc.args, ReadyTimeout: 300 * time.Millisecond,
			})
			if !errors.Is(err, processor.ErrNotReady) {
				t.Fatalf("err = %v, want ErrNotReady", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Start took %s", d)
			}
		})
	}
}

func TestClient_ExitBeforeReady(t *testing.T) {
	_, err := processor.Start(t.Context(), processor.Config{
		Stage: "pc1", Bin: "/bin/sh", Args: []string{"-c", "echo unknown flag --gpu >&2; exit 2"},
	})
	if !errors.Is(err, processor.ErrNotReady) || !errors.Is(err, processor.ErrProcessorExited) {
		t.Fatalf("err = %v, want ErrNotReady and ErrProcessorExited", err)
	}
	if !strings.Contains(err.Error(), "unknown flag --gpu") {
		t.Errorf("error %q lacks the stderr tail", err)
	}
	_, err = processor.Start(t.Context(), processor.Config{Stage: "pc1", Bin: "/nonexistent/processor"})
	if !errors.Is(err, processor.ErrNotReady) {
		t.Errorf("missing executable: err = %v, want ErrNotReady", err)
	}
}

// shellProcessor is a processor in POSIX sh: it proves the protocol carries no
// Go assumptions. It answers each request with its task as output, or with an
// err_msg for a task that contains "fail"; requests are served one at a time.
const shellProcessor = `#!/bin/sh
echo "starting $1 processor, pid $$" >&2
echo "$1 processor ready"
while IFS= read -r line; do
  id=${line#'{"id":'}
  id=${id%%,*}
  task=${line#*'"task":'}
  task=${task%'}'}
  case $task in
    *fail*) printf '{"id":%s,"err_msg":"shell says no","output":null}\n' "$id" ;;
    *)      printf '{"id":%s,"err_msg":null,"output":{"task":%s,"by":"sh"}}\n' "$id" "$task" ;;
  esac
done
echo "stdin closed, bye" >&2
`

func TestClient_ShellScriptProcessor(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Fatalf("this test runs /bin/sh: %v", err)
	}
	script := filepath.Join(t.TempDir(), "processor.sh")
	if err := os.WriteFile(script, []byte(shellProcessor), 0o755); err != nil {
		t.Fatal(err)
	}
	sink := newLogSink()
	c := startClient(t, processor.Config{
		Stage: "transfer", Bin: script, Args: []string{"transfer"},
		Concurrency: 4, Logger: sink.logger(), ReadyTimeout: 10 * time.Second,
	})
	type route struct {
		Src  string `json:"src"`
		Dest string `json:"dest"`
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			want := route{Src: fmt.Sprintf("/cache/s-%d", i), Dest: "/store/a"}
			var out struct {
				Task route  `json:"task"`
				By   string `json:"by"`
			}
			if err := c.Call(t.Context(), want, &out); err != nil {
				t.Error(err)
				return
			}
			if out.Task != want || out.By != "sh" {
				t.Errorf("call %d: out = %+v", i, out)
			}
		})
	}
	wg.Wait()
	err := c.Call(t.Context(), map[string]string{"mode": "fail"}, nil)
	if !errors.Is(err, processor.ErrRemote) || !strings.Contains(err.Error(), "shell says no") {
		t.Errorf("err = %v, want ErrRemote from the script", err)
	}
	if err := c.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Closing stdin ended the script's loop: it exited on its own.
	if !sink.has("stdin closed, bye") {
		t.Error("the script did not see its stdin close")
	}
}

// TestClient_CallCanceled abandons a request: Call returns at once, the late
// reply is discarded, and the slot it held comes back when that reply arrives.
func TestClient_CallCanceled(t *testing.T) {
	sink := newLogSink()
	cfg := testConfig(t, "pc1", sink)
	cfg.Concurrency = 2
	c := startClient(t, cfg)

	ctx, cancel := context.WithCancel(t.Context())
	held := make(chan error, 1)
	go func() {
		_, err := call(ctx, c, testTask{Op: "hold", Key: "k1"})
		held <- err
	}()
	sink.waitFor(t, "holding k1")
	cancel()
	if err := <-held; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := call(t.Context(), c, testTask{Op: "release", Key: "k1"}); err != nil {
		t.Fatal(err)
	}
	sink.waitFor(t, "discarded reply to an abandoned request")

	// Both slots are free again: one request holds, another gets through.
	held2 := make(chan error, 1)
	go func() {
		_, err := call(t.Context(), c, testTask{Op: "hold", Key: "k2"})
		held2 <- err
	}()
	sink.waitFor(t, "holding k2")
	if _, err := call(t.Context(), c, testTask{Op: "release", Key: "k2"}); err != nil {
		t.Fatal(err)
	}
	if err := <-held2; err != nil {
		t.Fatal(err)
	}
}

func TestClient_ConcurrencyLimit(t *testing.T) {
	cfg := testConfig(t, "pc1", newLogSink())
	cfg.Concurrency = 2
	c := startClient(t, cfg)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var peak int64
	for range 6 {
		wg.Go(func() {
			out, err := call(t.Context(), c, testTask{Op: "sleep", MS: 20})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			peak = max(peak, out.Peak)
			mu.Unlock()
		})
	}
	wg.Wait()
	if peak > 2 {
		t.Fatalf("processor saw %d requests at once, limit 2", peak)
	}
	t.Logf("peak in flight: %d", peak)
}

func TestClient_Close(t *testing.T) {
	t.Run("drains", func(t *testing.T) {
		sink := newLogSink()
		c, err := processor.Start(t.Context(), testConfig(t, "pc1", sink))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := call(t.Context(), c, testTask{Op: "echo"}); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(t.Context()); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := c.Close(t.Context()); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := call(t.Context(), c, testTask{Op: "echo"}); !errors.Is(err, processor.ErrClosed) {
			t.Fatalf("call after Close: err = %v, want ErrClosed", err)
		}
		if c.PID() != 0 {
			t.Errorf("PID after Close = %d", c.PID())
		}
		if sink.has("restarting processor") {
			t.Error("Close restarted the processor")
		}
	})
	t.Run("kills a stuck processor", func(t *testing.T) {
		sink := newLogSink()
		cfg := testConfig(t, "pc1", sink)
		cfg.StopTimeout = 200 * time.Millisecond
		c, err := processor.Start(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		held := make(chan error, 1)
		go func() {
			_, err := call(t.Context(), c, testTask{Op: "hold", Key: "never"})
			held <- err
		}()
		sink.waitFor(t, "holding never")
		start := time.Now()
		if err := c.Close(t.Context()); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Errorf("Close = %v, want a report of the kill", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Close took %s", d)
		}
		if err := <-held; !errors.Is(err, processor.ErrClosed) || !errors.Is(err, processor.ErrProcessorExited) {
			t.Errorf("in-flight call: err = %v, want ErrClosed", err)
		}
	})
}

// TestClient_GivesUp: a processor that dies right after its ready line, every
// time, is restarted MaxRestarts times, then calls fail with ErrNotReady.
func TestClient_GivesUp(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Fatalf("this test runs /bin/sh: %v", err)
	}
	sink := newLogSink()
	c := startClient(t, processor.Config{
		Stage: "c2", Bin: "/bin/sh", Args: []string{"-c", `echo "c2 processor ready"; echo "license expired" >&2; exit 3`},
		MaxRestarts: 2, RestartBackoff: time.Millisecond, Logger: sink.logger(),
	})
	sink.waitFor(t, "not restarting")
	err := c.Call(t.Context(), testTask{Op: "echo"}, nil)
	if !errors.Is(err, processor.ErrNotReady) || !strings.Contains(err.Error(), "license expired") {
		t.Fatalf("err = %v, want ErrNotReady with the stderr tail", err)
	}
	if !strings.Contains(err.Error(), "gave up after 2 restarts") {
		t.Errorf("err = %v, want the restart count", err)
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  processor.Config
		want string
	}{
		{"ok", processor.Config{Stage: "pc1", Bin: "x"}, ""},
		{"no stage", processor.Config{Bin: "x"}, "stage"},
		{"stage with newline", processor.Config{Stage: "pc1\n", Bin: "x"}, "stage"},
		{"no bin", processor.Config{Stage: "pc1"}, "bin"},
		{"bad env", processor.Config{Stage: "pc1", Bin: "x", Env: []string{"CUDA"}}, "KEY=VALUE"},
		{"negative concurrency", processor.Config{Stage: "pc1", Bin: "x", Concurrency: -1}, "concurrency"},
		{"negative timeout", processor.Config{Stage: "pc1", Bin: "x", ReadyTimeout: -time.Second}, "ready timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one about %q", err, tc.want)
			}
		})
	}
}
