package processor

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets drive the server's line handling synchronously (the same
// lineReader, decode and run that Serve uses, without its goroutines) so that
// coverage does not depend on scheduling and guides the fuzzer.

const fuzzLimit = 64

// serveSync handles in as Serve would, one request at a time, and returns
// for each line read its reply line, or "" if it got none.
func serveSync(t *testing.T, in []byte, limit int) []string {
	t.Helper()
	var out bytes.Buffer
	echo := HandlerFunc(func(_ context.Context, task json.RawMessage) (any, error) { return task, nil })
	s := &server{h: echo, maxLine: limit, out: &out, log: slog.New(slog.DiscardHandler), cancel: func(error) {}}
	lr := newLineReader(bytes.NewReader(in), limit)
	var replies []string
	for {
		b, over, err := lr.next()
		if err != nil {
			break
		}
		if over && len(b) > overPrefixBytes {
			t.Fatalf("kept %d bytes of an oversized line", len(b))
		}
		out.Reset()
		if req, ok := s.decode(inLine{b: append([]byte(nil), b...), over: over}); ok {
			s.run(t.Context(), req)
		}
		reply, more := strings.CutSuffix(out.String(), "\n")
		if strings.Contains(reply, "\n") || (!more && reply != "") {
			t.Fatalf("line %q: output %q, want at most one whole line", b, out.String())
		}
		replies = append(replies, reply)
	}
	return replies
}

// checkReply checks that line is a reply as vc-processors writes it: valid
// UTF-8, a JSON object with exactly the keys id (a u64), err_msg (a string or
// null) and output (null when err_msg is set), which ParseReply accepts.
func checkReply(t *testing.T, line string) Reply {
	t.Helper()
	if !utf8.ValidString(line) {
		t.Fatalf("reply %q is not valid UTF-8", line)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("reply %q is not a JSON object: %v", line, err)
	}
	if len(m) != 3 || m["id"] == nil || m["err_msg"] == nil || m["output"] == nil {
		t.Fatalf("reply %q: want exactly the keys id, err_msg, output", line)
	}
	var id uint64
	if err := json.Unmarshal(m["id"], &id); err != nil {
		t.Fatalf("reply %q: id: %v", line, err)
	}
	var msg *string
	if err := json.Unmarshal(m["err_msg"], &msg); err != nil {
		t.Fatalf("reply %q: err_msg: %v", line, err)
	}
	if msg != nil && string(m["output"]) != "null" {
		t.Fatalf("reply %q: output beside an err_msg", line)
	}
	r, err := ParseReply([]byte(line))
	if err != nil || r.ID != id {
		t.Fatalf("ParseReply(%q) = %+v, %v", line, r, err)
	}
	return r
}

// splitLines splits as the protocol does: on "\n", dropping a "\r" before it,
// with a last line that may lack its newline.
func splitLines(b []byte) [][]byte {
	var lines [][]byte
	for len(b) > 0 {
		l, rest, found := bytes.Cut(b, []byte("\n"))
		if !found {
			rest = nil
		}
		lines = append(lines, bytes.TrimSuffix(l, []byte("\r")))
		b = rest
	}
	return lines
}

// FuzzServe feeds arbitrary bytes to the server as its stdin. It must not
// panic; it must split lines as the protocol says, write only well-formed
// reply lines, at most one per line read, and answer every well-formed request
// under the size limit with the task echoed, under its id.
func FuzzServe(f *testing.F) {
	for _, seed := range []string{
		`{"id":1,"task":{"a":1}}` + "\n",
		`{"id":1,"task":1}` + "\r\n" + `{"id":2,"task":2}`,
		`{"id":18446744073709551615,"task":null}` + "\n",
		`{"id":18446744073709551616,"task":1}` + "\n",
		`{"id":3,"task":{` + "\n" + `{"id":4}` + "\n",
		`{"id":5,"task":"` + strings.Repeat("x", 80) + `"}` + "\n",
		`{"task":"` + strings.Repeat("x", 80) + `","id":6}` + "\n",
		"{\"id\":7,\"task\":\"\xff\"}\n",
		"\n\n[1]\nnull\n{}\n\"id\"\n{\"id\":-1,\"task\":0}\n{\"id\":1.5,\"task\":0}\n{\"id\":1e2,\"task\":0}\n",
		`{"ID":8,"Task":8}` + "\n" + `{"id":9,"id":10,"task":0}` + "\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		replies := serveSync(t, in, fuzzLimit)
		lines := splitLines(in)
		if len(replies) != len(lines) {
			t.Fatalf("read %d lines, want %d", len(replies), len(lines))
		}
		for i, l := range lines {
			if replies[i] == "" {
				if req, err := ParseRequest(l); err == nil && len(l) <= fuzzLimit {
					t.Fatalf("no reply to the request %q (%+v)", l, req)
				}
				continue
			}
			r := checkReply(t, replies[i])
			req, err := ParseRequest(l)
			if err != nil || len(l) > fuzzLimit {
				if r.ErrMsg == nil {
					t.Fatalf("line %q: reply %q without an err_msg", l, replies[i])
				}
				continue
			}
			if r.ID != req.ID || r.ErrMsg != nil {
				t.Fatalf("request %q: reply %q", l, replies[i])
			}
			if !bytes.Equal(compact(t, r.Output), compact(t, req.Task)) && !(r.Output == nil && string(req.Task) == "null") {
				t.Fatalf("request %q: output %s, want the task echoed", l, r.Output)
			}
		}
	})
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) == 0 {
		return nil
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("compact %q: %v", b, err)
	}
	// json.Marshal escapes <, > and & in a RawMessage; compare unescaped.
	var v any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(enc.Bytes(), []byte("\n"))
}

// FuzzOversizedRequestID: a request line over the size limit, whatever its
// task and wherever the limit cuts it after the id, gets an error reply with
// that id; the whole line parses back to the request it encodes.
func FuzzOversizedRequestID(f *testing.F) {
	f.Add(uint64(1), []byte(`{"sector":7}`), 3)
	f.Add(uint64(18446744073709551615), []byte(`"x"`), 0)
	f.Add(uint64(0), []byte("\xff\n"), -1)
	f.Fuzz(func(t *testing.T, id uint64, task []byte, cut int) {
		if !utf8.Valid(task) || !json.Valid(task) {
			task, _ = json.Marshal(string(task))
		}
		line, err := json.Marshal(Request{ID: id, Task: task})
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseRequest(line)
		if err != nil || r.ID != id {
			t.Fatalf("ParseRequest(%q) = %+v, %v", line, r, err)
		}
		if again, err := json.Marshal(r); err != nil || !bytes.Equal(again, line) {
			t.Fatalf("ParseRequest(%q) re-encodes as %q, %v", line, again, err)
		}

		// Keep the line through the comma after the id, and any part of the rest.
		head := len(`{"id":`) + len(strconv.FormatUint(id, 10)) + 1
		if cut < 0 {
			cut = -(cut + 1)
		}
		cut = head + cut%(len(line)-head+1)
		in := append(line[:cut:cut], '\n')
		replies := serveSync(t, in, cut-1)
		if len(replies) != 1 || replies[0] == "" {
			t.Fatalf("line %q over the limit: replies %q, want one", in, replies)
		}
		if r := checkReply(t, replies[0]); r.ID != id || r.ErrMsg == nil || !strings.Contains(*r.ErrMsg, "size limit") {
			t.Fatalf("line %q over the limit: reply %q, want an error for id %d", in, replies[0], id)
		}
	})
}

// FuzzParseReply checks the worker's parsing of a processor's stdout line: no
// panic; what it accepts is valid JSON with a null output normalized to nil;
// encoding the parsed reply and parsing it again gives the same reply; and when
// the line is a well-formed reply, peekID reads the same id from its start.
func FuzzParseReply(f *testing.F) {
	for _, seed := range []string{
		`{"id":1,"err_msg":null,"output":{"comm_r":[1,2,3]}}`,
		`{"id":2,"err_msg":"no space left","output":null}`,
		`{"id":18446744073709551615}`,
		`{"id":3,"err_msg":5}`,
		`{"id":-3}`,
		`{"err_msg":null}`,
		`2022-06-01T08:57:22Z INFO processor ready`,
		`{"id":4,"output":"\u00e9\ud800"}`,
		`null`,
		`{"id":5,"err_msg":null,"output":null,"extra":[]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseReply(line)
		if err != nil {
			return
		}
		if !json.Valid(line) {
			t.Fatalf("accepted invalid JSON %q", line)
		}
		if bytes.Equal(r.Output, []byte("null")) {
			t.Fatalf("null output not normalized to nil: %q", line)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", r, err)
		}
		r2, err := ParseReply(b)
		if err != nil {
			t.Fatalf("re-parse %q: %v", b, err)
		}
		sameMsg := (r.ErrMsg == nil) == (r2.ErrMsg == nil) &&
			(r.ErrMsg == nil || *r.ErrMsg == *r2.ErrMsg || !utf8.ValidString(*r.ErrMsg))
		if r2.ID != r.ID || !sameMsg || !bytes.Equal(compact(t, r.Output), compact(t, r2.Output)) {
			t.Fatalf("round trip changed the reply: %q -> %+v -> %q -> %+v", line, r, b, r2)
		}
		if id, ok := peekID(b); !ok || id != r.ID {
			t.Fatalf("peekID(%q) = %d, %v; want %d", b, id, ok, r.ID)
		}
	})
}
