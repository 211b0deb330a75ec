package processor_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strata-sp/strata/proof/processor"
)

// lockedBuffer is an io.Writer safe for the concurrent replies of Serve, which
// serializes them itself; the lock only keeps the race detector's view honest
// when the test reads while Serve may still write.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// echo is a Handler that returns its task.
func echo() processor.Handler {
	return processor.HandlerFunc(func(_ context.Context, task json.RawMessage) (any, error) {
		return task, nil
	})
}

// serveAll runs Serve over input and returns its replies by id, after checking
// the ready line and that each line is a well-formed reply.
func serveAll(t *testing.T, stage, input string, h processor.Handler, opts processor.ServeOptions) map[uint64]processor.Reply {
	t.Helper()
	var out lockedBuffer
	if err := processor.Serve(t.Context(), stage, strings.NewReader(input), &out, h, opts); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	lines := strings.Split(out.String(), "\n")
	if lines[0] != stage+" processor ready" {
		t.Fatalf("first line %q, want the ready line", lines[0])
	}
	if last := lines[len(lines)-1]; last != "" {
		t.Fatalf("output does not end with a newline: %q", last)
	}
	replies := make(map[uint64]processor.Reply)
	for _, l := range lines[1 : len(lines)-1] {
		r := checkReplyLine(t, []byte(l))
		if _, dup := replies[r.ID]; dup {
			t.Fatalf("two replies for id %d", r.ID)
		}
		replies[r.ID] = r
	}
	return replies
}

// checkReplyLine checks that line is a reply as vc-processors writes it: a
// JSON object with exactly the keys id (a u64), err_msg (string or null) and
// output (null when err_msg is set).
func checkReplyLine(t testing.TB, line []byte) processor.Reply {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("reply line %q is not a JSON object: %v", line, err)
	}
	if len(m) != 3 || m["id"] == nil || m["err_msg"] == nil || m["output"] == nil {
		t.Fatalf("reply line %q: want exactly the keys id, err_msg, output", line)
	}
	var id uint64
	if err := json.Unmarshal(m["id"], &id); err != nil {
		t.Fatalf("reply line %q: id: %v", line, err)
	}
	var msg *string
	if err := json.Unmarshal(m["err_msg"], &msg); err != nil {
		t.Fatalf("reply line %q: err_msg: %v", line, err)
	}
	if msg != nil && string(m["output"]) != "null" {
		t.Fatalf("reply line %q: output with an err_msg", line)
	}
	r, err := processor.ParseReply(line)
	if err != nil || r.ID != id {
		t.Fatalf("ParseReply(%q) = %+v, %v", line, r, err)
	}
	return r
}

func TestServe_Lines(t *testing.T) {
	const limit = 256
	big := strings.Repeat("x", 2*limit)
	huge := strings.Repeat("x", 8<<10) // pushes the id past the prefix kept of an oversized line
	for _, tc := range []struct {
		name  string
		input string
		// ok maps ids to their echoed output; errs to a fragment of err_msg.
		ok      map[uint64]string
		errs    map[uint64]string
		skipped string // logged for a line that gets no reply
	}{
		{name: "one", input: `{"id":1,"task":{"a":1}}` + "\n", ok: map[uint64]string{1: `{"a":1}`}},
		{name: "crlf and no final newline", input: "{\"id\":1,\"task\":1}\r\n{\"id\":2,\"task\":2}",
			ok: map[uint64]string{1: "1", 2: "2"}},
		{name: "blank lines", input: "\n\n  \n" + `{"id":3,"task":"x"}` + "\n\n", ok: map[uint64]string{3: `"x"`}},
		{name: "max u64 id, spaces, unknown field", input: `{ "id" : 18446744073709551615, "task" : [1, 2], "extra": true }` + "\n",
			ok: map[uint64]string{18446744073709551615: "[1,2]"}},
		{name: "null task", input: `{"id":4,"task":null}` + "\n", ok: map[uint64]string{4: ""}}, // null output parses as nil
		{name: "oversized with id", input: `{"id":5,"task":"` + big + `"}` + "\n" + `{"id":6,"task":6}` + "\n",
			ok: map[uint64]string{6: "6"}, errs: map[uint64]string{5: "size limit"}},
		{name: "oversized without id", input: `{"task":"` + huge + `","id":7}` + "\n" + `{"id":8,"task":8}` + "\n",
			ok: map[uint64]string{8: "8"}, skipped: "without a readable id"},
		{name: "oversized garbage", input: big + "\n" + `{"id":9,"task":9}`,
			ok: map[uint64]string{9: "9"}, skipped: "without a readable id"},
		{name: "malformed with id", input: `{"id":10,"task":{` + "\n" + `{"id":11,"task":11}` + "\n",
			ok: map[uint64]string{11: "11"}, errs: map[uint64]string{10: "malformed request"}},
		{name: "missing task", input: `{"id":12}` + "\n", errs: map[uint64]string{12: "no task"}},
		{name: "malformed without id", input: "hello\n{\"id\":-1,\"task\":1}\n{\"id\":\"13\",\"task\":1}\n[1]\nnull\n{\"id\":14,\"task\":14}\n",
			ok: map[uint64]string{14: "14"}, skipped: "without a readable id"},
		{name: "invalid utf8", input: "{\"id\":15,\"task\":\"\xff\xfe\"}\n", errs: map[uint64]string{15: "UTF-8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := newLogSink()
			replies := serveAll(t, "pc1", tc.input, echo(), processor.ServeOptions{MaxLineBytes: limit, Logger: sink.logger()})
			if len(replies) != len(tc.ok)+len(tc.errs) {
				t.Errorf("got %d replies, want %d: %+v", len(replies), len(tc.ok)+len(tc.errs), replies)
			}
			for id, want := range tc.ok {
				r, found := replies[id]
				if !found || r.ErrMsg != nil || string(r.Output) != want {
					t.Errorf("id %d: reply %+v (err_msg %v), want output %s", id, r, deref(r.ErrMsg), want)
				}
			}
			for id, want := range tc.errs {
				r, found := replies[id]
				if !found || r.ErrMsg == nil || !strings.Contains(*r.ErrMsg, want) {
					t.Errorf("id %d: reply %+v (err_msg %v), want err_msg with %q", id, r, deref(r.ErrMsg), want)
				}
			}
			if tc.skipped != "" && !sink.has(tc.skipped) {
				t.Errorf("no log record with %q", tc.skipped)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestServe_HandlerErrorsAndPanics(t *testing.T) {
	h := processor.HandlerFunc(func(_ context.Context, task json.RawMessage) (any, error) {
		switch string(task) {
		case `"fail"`:
			return nil, errors.New("sector 12: no space left")
		case `"panic"`:
			panic("nil map")
		case `"unencodable"`:
			return func() {}, nil
		}
		return task, nil
	})
	sink := newLogSink()
	replies := serveAll(t, "pc2", `{"id":1,"task":"fail"}
{"id":2,"task":"panic"}
{"id":3,"task":"unencodable"}
{"id":4,"task":"fine"}
`, h, processor.ServeOptions{Logger: sink.logger()})
	for id, want := range map[uint64]string{1: "sector 12: no space left", 2: "panic: nil map", 3: "encode output"} {
		if msg := deref(replies[id].ErrMsg); !strings.Contains(msg, want) {
			t.Errorf("id %d: err_msg %q, want %q", id, msg, want)
		}
	}
	if r := replies[4]; r.ErrMsg != nil || string(r.Output) != `"fine"` {
		t.Errorf("id 4 after a panic: %+v", r)
	}
	if !sink.has("handler panic") {
		t.Error("panic not logged")
	}
}

func TestServe_Typed(t *testing.T) {
	type pc2Task struct {
		SectorID uint64 `json:"sector_id"`
	}
	h := processor.Typed(func(_ context.Context, task pc2Task) (map[string]uint64, error) {
		return map[string]uint64{"done": task.SectorID}, nil
	})
	replies := serveAll(t, "pc2", `{"id":1,"task":{"sector_id":9}}
{"id":2,"task":{"sector_id":"nine"}}
`, h, processor.ServeOptions{})
	if r := replies[1]; string(r.Output) != `{"done":9}` {
		t.Errorf("id 1: %+v", r)
	}
	if msg := deref(replies[2].ErrMsg); !strings.Contains(msg, "decode task") {
		t.Errorf("id 2: err_msg %q", msg)
	}
}

func TestServe_ConcurrencyLimit(t *testing.T) {
	var inFlight, peak atomic.Int64
	h := processor.HandlerFunc(func(_ context.Context, task json.RawMessage) (any, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(2 * time.Millisecond) // simulated work, not synchronization
		return task, nil
	})
	var input strings.Builder
	for i := range 20 {
		input.WriteString(`{"id":` + strconv.Itoa(i) + `,"task":0}` + "\n")
	}
	replies := serveAll(t, "pc1", input.String(), h, processor.ServeOptions{MaxConcurrent: 3})
	if len(replies) != 20 {
		t.Fatalf("%d replies, want 20", len(replies))
	}
	if p := peak.Load(); p > 3 {
		t.Fatalf("peak %d handlers at once, limit 3", p)
	}
}

// TestServe_EOFWaitsForInFlight: stdin ends while a request runs; Serve returns
// only after that request's reply is written.
func TestServe_EOFWaitsForInFlight(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	h := processor.HandlerFunc(func(_ context.Context, task json.RawMessage) (any, error) {
		close(started)
		<-release
		return task, nil
	})
	inR, inW := io.Pipe()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() { done <- processor.Serve(t.Context(), "c2", inR, &out, h, processor.ServeOptions{}) }()
	if _, err := io.WriteString(inW, `{"id":1,"task":"proof"}`+"\n"); err != nil {
		t.Fatal(err)
	}
	<-started
	inW.Close()
	go close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if want := "c2 processor ready\n" + `{"id":1,"err_msg":null,"output":"proof"}` + "\n"; out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
}

func TestServe_ContextCancel(t *testing.T) {
	started := make(chan struct{})
	h := processor.HandlerFunc(func(ctx context.Context, _ json.RawMessage) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	inR, inW := io.Pipe()
	defer inW.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var out lockedBuffer
	go func() { done <- processor.Serve(ctx, "c2", inR, &out, h, processor.ServeOptions{}) }()
	if _, err := io.WriteString(inW, `{"id":1,"task":0}`+"\n"); err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !strings.Contains(out.String(), `"err_msg":"context canceled"`) {
		t.Errorf("the cancelled request got no reply: %q", out.String())
	}
}

type failWriter struct{ n atomic.Int64 }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n.Add(1) > 1 { // the ready line passes
		return 0, errors.New("broken pipe")
	}
	return len(p), nil
}

func TestServe_WriteErrorStops(t *testing.T) {
	inR, inW := io.Pipe()
	defer inW.Close()
	done := make(chan error, 1)
	go func() {
		done <- processor.Serve(t.Context(), "pc1", inR, &failWriter{}, echo(), processor.ServeOptions{})
	}()
	if _, err := io.WriteString(inW, `{"id":1,"task":0}`+"\n"); err != nil {
		t.Fatal(err)
	}
	// stdin stays open: the write error alone must stop Serve.
	if err := <-done; err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Fatalf("err = %v, want the write error", err)
	}
}

func TestServe_BadArguments(t *testing.T) {
	for _, stage := range []string{"", "pc1\nfake"} {
		if err := processor.Serve(t.Context(), stage, strings.NewReader(""), io.Discard, echo(), processor.ServeOptions{}); err == nil {
			t.Errorf("stage %q accepted", stage)
		}
	}
	if err := processor.Serve(t.Context(), "pc1", strings.NewReader(""), io.Discard, nil, processor.ServeOptions{}); err == nil {
		t.Error("nil handler accepted")
	}
}

// TestServe_RepliesAreWholeLines runs many concurrent requests with large
// outputs through a pipe and checks that no two replies interleave.
func TestServe_RepliesAreWholeLines(t *testing.T) {
	var input strings.Builder
	payload := `"` + strings.Repeat("p", 64<<10) + `"`
	for i := range 30 {
		input.WriteString(`{"id":` + strconv.Itoa(i) + `,"task":` + payload + "}\n")
	}
	outR, outW := io.Pipe()
	go func() {
		err := processor.Serve(t.Context(), "pc1", strings.NewReader(input.String()), outW, echo(), processor.ServeOptions{MaxConcurrent: 16})
		outW.CloseWithError(err)
	}()
	data, err := io.ReadAll(outR)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")[1:]
	var ids []int
	for _, l := range lines {
		r := checkReplyLine(t, []byte(l))
		if string(r.Output) != payload {
			t.Fatalf("reply %d: output of %d bytes, want the payload", r.ID, len(r.Output))
		}
		ids = append(ids, int(r.ID))
	}
	sort.Ints(ids)
	for i, id := range ids {
		if id != i {
			t.Fatalf("ids %v, want 0..29", ids)
		}
	}
}

// TestServe_ProcessSurvivesBadLines writes bad lines straight to the stdin of
// a real processor process (no Client in between) and checks that it answers
// what it can, keeps serving, and exits with status 0 when stdin closes.
func TestServe_ProcessSurvivesBadLines(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(cmd.Environ(), stageEnv+"=pc1", maxLineEnv+"=1024", "GORACE=atexit_sleep_ms=0")
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	input := strings.Join([]string{
		`{"id":1,"task":{"op":"echo","payload":"` + strings.Repeat("x", 4096) + `"}}`, // over the limit, id readable
		`{"task":{"op":"echo","payload":"` + strings.Repeat("x", 8192) + `"},"id":2}`, // over the limit, id not in the kept prefix
		strings.Repeat("\x00\xff garbage ", 1000),                                     // over the limit, no JSON at all
		`{"id":3,"task":{"op":"echo"`,                                                 // truncated
		`not json at all`,
		`{"id":4,"task":{"op":"nope"}}`, // a handler error
		`{"id":5,"task":{"op":"echo","payload":5}}`,
	}, "\n") + "\n"
	go func() {
		io.WriteString(stdin, input)
		stdin.Close()
	}()
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != "pc1 processor ready" {
		t.Fatalf("first line %q, want the ready line", sc.Text())
	}
	replies := make(map[uint64]processor.Reply)
	for sc.Scan() {
		r := checkReplyLine(t, sc.Bytes())
		replies[r.ID] = r
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("processor: %v; stderr:\n%s", err, stderr.String())
	}
	for id, want := range map[uint64]string{1: "size limit", 3: "malformed request", 4: "unknown op"} {
		if msg := deref(replies[id].ErrMsg); !strings.Contains(msg, want) {
			t.Errorf("id %d: err_msg %q, want %q", id, msg, want)
		}
	}
	if r, ok := replies[5]; !ok || r.ErrMsg != nil || !strings.Contains(string(r.Output), `"payload":5`) {
		t.Errorf("id 5: %+v", r)
	}
	if len(replies) != 4 {
		t.Errorf("%d replies, want 4 (ids 1, 3, 4, 5)", len(replies))
	}
	if !strings.Contains(stderr.String(), "without a readable id") {
		t.Errorf("skipped lines not logged on stderr:\n%s", stderr.String())
	}
}
