package processor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"unicode/utf8"
)

// DefaultMaxConcurrent is the default limit on requests a processor handles at
// once. The worker's own limit (Config.Concurrency) is normally the lower one.
const DefaultMaxConcurrent = 64

// ServeOptions configure Serve. The zero value selects every default.
type ServeOptions struct {
	// MaxConcurrent bounds the requests handled at once; further requests
	// wait, unread, on stdin. Default DefaultMaxConcurrent.
	MaxConcurrent int
	// MaxLineBytes bounds one request line. Default DefaultMaxLineBytes.
	MaxLineBytes int
	// Logger receives the processor's own records. In a processor process it
	// must write to stderr, never stdout. Default: records are discarded.
	Logger *slog.Logger
}

func (o ServeOptions) withDefaults() ServeOptions {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Serve runs the processor side of the protocol for stage: it writes the ready
// line to out, then reads requests from in, one per line, and hands each to h
// in its own goroutine, up to opts.MaxConcurrent at once. Each reply is written
// to out as one line with one Write call under a lock, so replies never
// interleave.
//
// A line that is not a valid request never stops Serve. If an id can be read
// from it (also from the start of a line over opts.MaxLineBytes), the reply for
// that id carries an err_msg; otherwise the line is logged and skipped.
//
// Serve returns nil when in reaches end of file and every request in flight has
// been answered: that is how a worker stops a processor. It returns the error
// if reading in or writing out fails, and context.Cause(ctx) if ctx is
// cancelled, in both cases after the handlers in flight return (they see a
// cancelled context). A Read of in that is blocked when Serve returns is left to
// finish in the background; in a processor process, in is stdin and the
// process exits.
func Serve(ctx context.Context, stage string, in io.Reader, out io.Writer, h Handler, opts ServeOptions) error {
	if stage == "" || strings.ContainsAny(stage, "\r\n") {
		return fmt.Errorf("serve processor: invalid stage name %q", stage)
	}
	if h == nil {
		return errors.New("serve processor: nil handler")
	}
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s := &server{
		h:       h,
		maxLine: opts.MaxLineBytes,
		out:     out,
		log:     opts.Logger.With("stage", stage),
		cancel:  cancel,
	}
	if err := s.write([]byte(ReadyLine(stage) + "\n")); err != nil {
		return fmt.Errorf("serve %s processor: write ready line: %w", stage, err)
	}

	lines := make(chan inLine)
	readErr := make(chan error, 1)
	go func() {
		readErr <- readLines(ctx, in, opts.MaxLineBytes, lines)
	}()

	var wg sync.WaitGroup
	slots := make(chan struct{}, opts.MaxConcurrent)
	err := func() error {
		for {
			var l inLine
			select {
			case l = <-lines:
			case err := <-readErr:
				return err
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			req, ok := s.decode(l)
			if !ok {
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			wg.Go(func() {
				defer func() { <-slots }()
				s.run(ctx, req)
			})
		}
	}()
	wg.Wait()
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if werr := s.writeErr(); werr != nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("serve %s processor: %w", stage, err)
	}
	return nil
}

// inLine is one line read from stdin, copied.
type inLine struct {
	b    []byte
	over bool
}

// readLines sends the lines of in to lines until in fails or ctx is done, and
// returns the error (io.EOF at the end of in).
func readLines(ctx context.Context, in io.Reader, max int, lines chan<- inLine) error {
	lr := newLineReader(in, max)
	for {
		b, over, err := lr.next()
		if err != nil {
			return err
		}
		select {
		case lines <- inLine{b: append([]byte(nil), b...), over: over}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

type server struct {
	h       Handler
	maxLine int
	log     *slog.Logger
	cancel  context.CancelCauseFunc

	mu   sync.Mutex // serializes writes to out: one reply per Write
	out  io.Writer
	werr error // first write error; every later write is skipped
}

// decode turns a line into a request to run, or answers or logs it.
func (s *server) decode(l inLine) (Request, bool) {
	if l.over {
		if id, ok := peekID(l.b); ok {
			s.log.Warn("request line over the size limit", "id", id)
			s.replyErr(id, fmt.Sprintf("request line exceeds the size limit of %d bytes", s.maxLine))
		} else {
			s.log.Warn("request line over the size limit and without a readable id; skipped", "prefix", truncateForLog(l.b))
		}
		return Request{}, false
	}
	if len(strings.TrimSpace(string(l.b))) == 0 {
		return Request{}, false
	}
	req, err := ParseRequest(l.b)
	if err == nil {
		return req, true
	}
	if id, ok := peekID(l.b); ok {
		s.log.Warn("bad request", "id", id, "err", err)
		s.replyErr(id, err.Error())
	} else {
		s.log.Warn("bad request without a readable id; skipped", "err", err, "line", truncateForLog(l.b))
	}
	return Request{}, false
}

// run handles one request and writes its reply.
func (s *server) run(ctx context.Context, req Request) {
	s.log.Debug("request", "id", req.ID, "bytes", len(req.Task))
	out, err := s.call(ctx, req)
	if err != nil {
		s.log.Debug("request failed", "id", req.ID, "err", err)
		s.replyErr(req.ID, err.Error())
		return
	}
	s.send(Reply{ID: req.ID, Output: out})
}

// call runs the handler and encodes its output, turning a panic into an error.
func (s *server) call(ctx context.Context, req Request) (out json.RawMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("handler panic", "id", req.ID, "panic", r, "stack", string(debug.Stack()))
			out, err = nil, fmt.Errorf("panic: %v", r)
		}
	}()
	v, err := s.h.Handle(ctx, req.Task)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode output: %w", err)
	}
	return b, nil
}

func (s *server) replyErr(id uint64, msg string) {
	s.send(Reply{ID: id, ErrMsg: &msg})
}

func (s *server) send(r Reply) {
	b, err := json.Marshal(r)
	if err == nil && !utf8.Valid(b) {
		// A json.RawMessage output passes through json.Marshal unchecked, and
		// a reader in Rust fails on the whole line.
		err = errors.New("output is not valid UTF-8")
	}
	if err != nil {
		msg := fmt.Sprintf("encode reply: %v", err)
		b, _ = json.Marshal(Reply{ID: r.ID, ErrMsg: &msg}) // a string err_msg always encodes
	}
	if err := s.write(append(b, '\n')); err != nil {
		s.log.Error("write reply", "id", r.ID, "err", err)
	}
}

// write writes b with one Write call. After a failure it writes nothing more
// and cancels Serve: a processor whose stdout is gone cannot answer anyone.
func (s *server) write(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.werr != nil {
		return s.werr
	}
	if _, err := s.out.Write(b); err != nil {
		s.werr = fmt.Errorf("write stdout: %w", err)
		s.cancel(s.werr)
		return s.werr
	}
	return nil
}

func (s *server) writeErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.werr
}
