package processor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// drainTimeout is how long, after the process exits, its stdout and stderr
	// are read for what it wrote just before exiting. Pipes stay open longer
	// only if the process left a child of its own holding them.
	drainTimeout = time.Second
	// stderrTailBytes is how much of stderr an ExitError keeps.
	stderrTailBytes = 4 << 10
	// maxStderrLine bounds one stderr line copied into a log record.
	maxStderrLine = 64 << 10
)

// proc is one run of the processor executable. It is never restarted: the
// Client replaces it.
type proc struct {
	stage   string
	pid     int
	log     *slog.Logger
	cmd     *exec.Cmd
	stdin   *os.File // write end of the child's stdin
	stdout  *os.File // read end of the child's stdout
	stderr  *os.File // read end of the child's stderr
	maxLine int

	ready  chan struct{} // closed when the ready line is read
	reqs   chan []byte   // request lines for writeLoop
	exited chan struct{} // closed when Wait returns
	done   chan struct{} // closed after every pending call has been failed
	// replied is set once the process answers any request: it works, so the
	// Client's count of restarts in a row starts again.
	replied atomic.Bool
	tail    tailBuffer

	mu      sync.Mutex
	pending map[uint64]*pendingCall
	gone    bool // pending is closed to new calls
	closing bool // Close closed stdin: write errors are expected, exit errors wrap ErrClosed
	exitErr *ExitError
}

// pendingCall is a request sent (or about to be sent) to the process. Whoever
// removes it from proc.pending releases its concurrency slot and, unless the
// caller abandoned it, hands it its result.
type pendingCall struct {
	res       chan callResult // buffered: a send never blocks
	release   func()
	abandoned bool // guarded by proc.mu
}

type callResult struct {
	reply Reply
	err   error
}

// spawn starts the executable and waits for its ready line, at most
// cfg.ReadyTimeout and as long as ctx allows.
func spawn(ctx context.Context, cfg Config, log *slog.Logger) (*proc, error) {
	cmd := exec.Command(cfg.Bin, cfg.Args...)
	if cfg.ClearEnv {
		cmd.Env = append([]string{}, cfg.Env...)
	} else if len(cfg.Env) > 0 {
		cmd.Env = append(cmd.Environ(), cfg.Env...)
	}
	cmd.Dir = cfg.Dir

	// Own pipes, not cmd.StdoutPipe: exec then neither copies nor closes them,
	// so Wait can return while the last replies are still being read.
	var files []*os.File
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	inR, inW, err := pipe()
	if err != nil {
		return nil, fmt.Errorf("start %s processor: %w", cfg.Stage, err)
	}
	outR, outW, err := pipe()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("start %s processor: %w", cfg.Stage, err)
	}
	errR, errW, err := pipe()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("start %s processor: %w", cfg.Stage, err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	err = cmd.Start()
	// The child has its copies; ours of its ends must go, or we never see EOF.
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("start %s processor %q: %w: %w", cfg.Stage, cfg.Bin, ErrNotReady, err)
	}

	p := &proc{
		stage:   cfg.Stage,
		pid:     cmd.Process.Pid,
		cmd:     cmd,
		stdin:   inW,
		stdout:  outR,
		stderr:  errR,
		maxLine: cfg.MaxLineBytes,
		ready:   make(chan struct{}),
		reqs:    make(chan []byte),
		exited:  make(chan struct{}),
		done:    make(chan struct{}),
		pending: make(map[uint64]*pendingCall),
	}
	p.log = log.With("pid", p.pid)
	p.log.Debug("processor started", "bin", cfg.Bin)
	stdoutDone := make(chan struct{})
	stderrDone := make(chan struct{})
	go p.readStdout(cfg.Stage, stdoutDone)
	go p.readStderr(stderrDone)
	go p.writeLoop()
	go p.wait(stdoutDone, stderrDone)

	timer := time.NewTimer(cfg.ReadyTimeout)
	defer timer.Stop()
	select {
	case <-p.ready:
		p.log.Info("processor ready")
		return p, nil
	case <-p.done:
		select {
		case <-p.ready:
			// Ready, then dead at once: the caller's restart logic owns that.
			return p, nil
		default:
		}
		return nil, fmt.Errorf("start %s processor %q: %w: exited before its ready line: %w", cfg.Stage, cfg.Bin, ErrNotReady, p.exitErr)
	case <-timer.C:
		p.kill()
		<-p.done
		return nil, fmt.Errorf("start %s processor %q: %w: no %q line on stdout within %s (killed); stderr tail: %q",
			cfg.Stage, cfg.Bin, ErrNotReady, ReadyLine(cfg.Stage), cfg.ReadyTimeout, p.exitErr.StderrTail)
	case <-ctx.Done():
		p.kill()
		<-p.done
		return nil, fmt.Errorf("start %s processor %q: %w: %w", cfg.Stage, cfg.Bin, ErrNotReady, context.Cause(ctx))
	}
}

// readStdout waits for the ready line, then routes every reply line to its
// caller.
func (p *proc) readStdout(stage string, done chan<- struct{}) {
	defer close(done)
	want := ReadyLine(stage)
	ready := false
	lr := newLineReader(p.stdout, p.maxLine)
	for {
		line, over, err := lr.next()
		if err != nil {
			if !errors.Is(err, fs.ErrClosed) && !errors.Is(err, io.EOF) {
				p.log.Warn("read processor stdout", "err", err)
			}
			break
		}
		if !ready {
			// vc-processors skips (and logs) whatever comes before the ready
			// line, compared after trimming whitespace.
			if !over && strings.TrimSpace(string(line)) == want {
				ready = true
				close(p.ready)
			} else {
				p.log.Info("processor stdout before ready line", "line", truncateForLog(line))
			}
			continue
		}
		p.route(line, over)
	}
	// Stdout is closed: a live process can no longer answer. Give it a moment
	// to exit on its own (it normally just did), then kill it.
	t := time.NewTimer(drainTimeout)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		p.log.Warn("processor closed stdout but is still running; killing it")
		p.kill()
	}
}

// route hands one reply line to its caller.
func (p *proc) route(line []byte, over bool) {
	if over {
		if id, ok := peekID(line); ok {
			p.deliver(id, callResult{err: fmt.Errorf("%s processor reply line exceeds %d bytes", p.stage, p.maxLine)})
		} else {
			p.log.Warn("processor stdout line over the size limit, without a readable id; ignored", "prefix", truncateForLog(line))
		}
		return
	}
	if len(strings.TrimSpace(string(line))) == 0 {
		return
	}
	r, err := ParseReply(line)
	if err != nil {
		// The usual cause: the processor logs to stdout instead of stderr.
		p.log.Warn("processor stdout line is not a reply; ignored", "err", err, "line", truncateForLog(line))
		return
	}
	p.deliver(r.ID, callResult{reply: r})
}

func (p *proc) deliver(id uint64, res callResult) {
	p.mu.Lock()
	c, ok := p.pending[id]
	abandoned := ok && c.abandoned
	if ok {
		delete(p.pending, id)
	}
	p.mu.Unlock()
	if !ok {
		p.log.Warn("processor reply with unknown id; ignored", "id", id)
		return
	}
	p.replied.Store(true)
	c.release()
	if abandoned {
		p.log.Debug("discarded reply to an abandoned request", "id", id)
		return
	}
	c.res <- res
}

// readStderr copies the processor's stderr into the log, line by line, and
// keeps its tail for ExitError.
func (p *proc) readStderr(done chan<- struct{}) {
	defer close(done)
	lr := newLineReader(p.stderr, maxStderrLine)
	for {
		line, over, err := lr.next()
		if err != nil {
			return
		}
		p.tail.add(line)
		if over {
			p.log.Info("processor stderr", "line", string(line), "truncated", true)
		} else {
			p.log.Info("processor stderr", "line", string(line))
		}
	}
}

// writeLoop writes request lines to stdin, one Write each, in the order the
// callers hand them over.
func (p *proc) writeLoop() {
	for {
		select {
		case b := <-p.reqs:
			if _, err := p.stdin.Write(b); err != nil {
				p.mu.Lock()
				closing := p.closing
				p.mu.Unlock()
				if !closing {
					// Its stdin is gone, so it is dead or broken: make sure
					// it is dead, and the exit path fails the pending calls.
					p.log.Warn("write processor stdin; killing it", "err", err)
					p.kill()
				}
			}
		case <-p.done:
			return
		}
	}
}

// wait reaps the process, then fails every call still pending.
func (p *proc) wait(stdoutDone, stderrDone <-chan struct{}) {
	werr := p.cmd.Wait()
	close(p.exited)
	drained := make(chan struct{})
	t := time.AfterFunc(drainTimeout, func() { close(drained) })
	select {
	case <-stdoutDone:
	case <-drained:
		// A grandchild holds the pipe open: stop reading.
		p.stdout.Close()
		<-stdoutDone
	}
	select {
	case <-stderrDone:
	case <-drained:
		p.stderr.Close()
		<-stderrDone
	}
	t.Stop()
	p.stdin.Close()
	p.stdout.Close()
	p.stderr.Close()

	exitErr := &ExitError{Stage: p.stage, PID: p.pid, Err: werr, StderrTail: p.tail.String()}
	p.mu.Lock()
	p.exitErr = exitErr
	p.gone = true
	calls := p.pending
	p.pending = nil
	closing := p.closing
	abandoned := make(map[uint64]bool, len(calls))
	for id, c := range calls {
		abandoned[id] = c.abandoned
	}
	p.mu.Unlock()

	var err error = exitErr
	if closing {
		err = fmt.Errorf("%w: %w", ErrClosed, exitErr)
		p.log.Debug("processor exited", "status", werr)
	} else {
		p.log.Warn("processor exited", "status", werr, "pending", len(calls))
	}
	for id, c := range calls {
		c.release()
		if !abandoned[id] {
			c.res <- callResult{err: err}
		}
	}
	close(p.done)
}

// register adds a call to the pending set; false if the process is gone.
func (p *proc) register(id uint64, c *pendingCall) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone {
		return false
	}
	p.pending[id] = c
	return true
}

// unregister removes a call that was never sent; false if the reader or the
// exit path took it first (and so released its slot).
func (p *proc) unregister(id uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pending[id]; !ok {
		return false
	}
	delete(p.pending, id)
	return true
}

// abandon marks a sent call whose caller stopped waiting. It stays pending, so
// it keeps its concurrency slot until the processor answers or exits: the
// processor is still working on it.
func (p *proc) abandon(id uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.pending[id]; ok {
		c.abandoned = true
	}
}

func (p *proc) kill() {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.log.Warn("kill processor", "err", err)
	}
}

// stop closes stdin, which asks the processor to finish its requests and exit,
// waits up to timeout or ctx, then kills it. It returns when the process is
// gone.
func (p *proc) stop(ctx context.Context, timeout time.Duration) error {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	p.stdin.Close()
	t := time.NewTimer(timeout)
	defer t.Stop()
	var why error
	select {
	case <-p.done:
		return nil
	case <-t.C:
		why = fmt.Errorf("still running %s after stdin was closed", timeout)
	case <-ctx.Done():
		why = context.Cause(ctx)
	}
	p.kill()
	<-p.done
	return fmt.Errorf("stop %s processor (pid %d): killed: %w", p.stage, p.pid, why)
}

// tailBuffer keeps the last stderrTailBytes of the lines added.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) add(line []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, line...)
	t.b = append(t.b, '\n')
	if len(t.b) > 2*stderrTailBytes {
		t.b = append(t.b[:0], t.b[len(t.b)-stderrTailBytes:]...)
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.b
	if len(b) > stderrTailBytes {
		b = b[len(b)-stderrTailBytes:]
	}
	return strings.TrimRight(string(b), "\n")
}
