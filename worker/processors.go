package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/processor"
	"github.com/strata-sp/strata/proof/stage"
)

var (
	// ErrTransfer reports a transfer executable that could not be run or
	// exited with a non-zero status; the error holds its stderr tail.
	ErrTransfer = errors.New("transfer failed")
	// ErrTransferIncomplete reports a transfer executable that exited 0
	// without leaving every file whole at its destination.
	ErrTransferIncomplete = errors.New("transfer incomplete")
)

// Processors is the worker's engine.Sealer under [processors]
// (ProcessorsConfig). Each task of a stage
//
//  1. waits for a unit of processors.limitation.concurrent.STAGE, if the
//     stage has one: at most that many tasks of the stage run at once in
//     the worker, over all its threads;
//  2. if the stage has [[processors.STAGE]] entries, waits for a slot on
//     one of them (each runs at most its `concurrent` tasks), preferring
//     the least busy one whose ext_locks are free at that moment, then
//     takes one unit of each of that processor's ext_locks, and sends the
//     task to it; otherwise runs in the fallback Sealer.
//
// Every resource is taken in that order (limitation, processor slot,
// ext_locks by name) and released when the task returns, so tasks of
// different stages sharing locks cannot deadlock. Each wait honours ctx:
// a task whose ctx ends while waiting returns an error wrapping
// context.Cause(ctx) and holds nothing.
//
// The processors are started by NewProcessors, so that a wrong bin or a
// processor that never prints its ready line fails `worker run` at once
// rather than at the first sector hours later. A processor that dies is
// restarted by its processor.Client; a task in flight on it fails with
// processor.ErrProcessorExited, which the thread retries.
//
// A Processors is safe for concurrent use. After Close, stages with
// processors fail with processor.ErrClosed; the others still run in the
// fallback.
type Processors struct {
	fallback engine.Sealer
	limits   map[string]*semaphore
	pools    map[string]*pool[*processor.Client]
	clients  []*processor.Client

	closeOnce sync.Once
	closeErr  error
}

var _ engine.Sealer = (*Processors)(nil)

// NewProcessors validates cfg and starts its processors; fallback
// (normally engine.Local{}) runs the stages without any. ctx bounds only
// the start. On error, the processors already started are stopped.
func NewProcessors(ctx context.Context, cfg ProcessorsConfig, fallback engine.Sealer, log *slog.Logger) (*Processors, error) {
	if fallback == nil {
		return nil, errors.New("processors: nil fallback engine")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Processors{fallback: fallback, limits: map[string]*semaphore{}, pools: map[string]*pool[*processor.Client]{}}
	for name, n := range cfg.Limitation.Concurrent {
		p.limits[name] = newSemaphore("limitation.concurrent."+name, n)
	}
	locks := map[string]*semaphore{}
	for name, n := range cfg.ExtLocks {
		locks[name] = newSemaphore("ext_locks."+name, n)
	}
	self := ""
	stages := cfg.Stages()
	for _, st := range sealerStages {
		entries := stages[st]
		if len(entries) == 0 {
			continue
		}
		pl := &pool[*processor.Client]{changed: make(chan struct{})}
		for i, e := range entries {
			name := fmt.Sprintf("processors.%s[%d]", st, i)
			n := concurrency(e.Concurrent)
			bin := e.Bin
			if bin == "" {
				if self == "" {
					exe, err := os.Executable()
					if err != nil {
						p.Close(context.Background())
						return nil, fmt.Errorf("%s: no bin and this executable is unknown: %w", name, err)
					}
					self = exe
				}
				bin = self
			}
			args := e.Args
			if args == nil {
				args = []string{"processor", st}
				if n > 1 {
					args = append(args, "--concurrency", strconv.Itoa(n))
				}
			}
			c, err := processor.Start(ctx, processor.Config{Stage: st, Bin: bin, Args: args, Env: envList(e.Envs),
				Concurrency: n, Logger: log.With("processor", name)})
			if err != nil {
				p.Close(context.Background())
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			p.clients = append(p.clients, c)
			m := &member[*processor.Client]{name: name, v: c, cap: n}
			for _, l := range slices.Sorted(slices.Values(e.Locks)) {
				m.locks = append(m.locks, locks[l])
			}
			pl.members = append(pl.members, m)
		}
		p.pools[st] = pl
	}
	return p, nil
}

// Close stops every processor (see processor.Client.Close: each finishes
// its tasks in flight until ctx ends or its stop timeout, then is killed).
// It is idempotent and returns the processors' errors joined.
func (p *Processors) Close(ctx context.Context) error {
	p.closeOnce.Do(func() {
		errs := make([]error, len(p.clients))
		var wg sync.WaitGroup
		for i, c := range p.clients {
			wg.Go(func() { errs[i] = c.Close(ctx) })
		}
		wg.Wait()
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}

// run runs one task of stage name as the type comment says.
func run[T, O any](ctx context.Context, p *Processors, name string, task T, local func(context.Context, T) (O, error)) (O, error) {
	var out O
	if s := p.limits[name]; s != nil {
		if err := s.acquire(ctx); err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		defer s.release()
	}
	pl := p.pools[name]
	if pl == nil {
		return local(ctx, task)
	}
	err := pl.run(ctx, func(c *processor.Client) error { return c.Call(ctx, task, &out) })
	if err != nil {
		return out, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// AddPieces implements engine.Sealer.
func (p *Processors) AddPieces(ctx context.Context, t stage.AddPiecesTask) (stage.AddPiecesOutput, error) {
	return run(ctx, p, stage.AddPieces, t, p.fallback.AddPieces)
}

// TreeD implements engine.Sealer.
func (p *Processors) TreeD(ctx context.Context, t stage.TreeDTask) (stage.TreeDOutput, error) {
	return run(ctx, p, stage.TreeD, t, p.fallback.TreeD)
}

// PC1 implements engine.Sealer.
func (p *Processors) PC1(ctx context.Context, t stage.PC1Task) (stage.PC1Output, error) {
	return run(ctx, p, stage.PC1, t, p.fallback.PC1)
}

// PC2 implements engine.Sealer.
func (p *Processors) PC2(ctx context.Context, t stage.SealTask) (stage.PC2Output, error) {
	return run(ctx, p, stage.PC2, t, p.fallback.PC2)
}

// C1 implements engine.Sealer.
func (p *Processors) C1(ctx context.Context, t stage.C1Task) (stage.ProofOutput, error) {
	return run(ctx, p, stage.C1, t, p.fallback.C1)
}

// C2 implements engine.Sealer.
func (p *Processors) C2(ctx context.Context, c1 stage.ProofOutput) (stage.ProofOutput, error) {
	return run(ctx, p, stage.C2, c1, p.fallback.C2)
}

// Finalize implements engine.Sealer.
func (p *Processors) Finalize(ctx context.Context, t stage.FinalizeTask) (stage.Done, error) {
	return run(ctx, p, stage.Finalize, t, p.fallback.Finalize)
}

// Unseal implements engine.Sealer.
func (p *Processors) Unseal(ctx context.Context, t stage.UnsealTask) (stage.Done, error) {
	return run(ctx, p, stage.Unseal, t, p.fallback.Unseal)
}

func concurrency(n *int) int {
	if n == nil || *n < 1 {
		return 1
	}
	return *n
}

// envList turns envs into sorted KEY=VALUE entries.
func envList(envs map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(envs)) {
		out = append(out, k+"="+envs[k])
	}
	return out
}

// semaphore is a counting semaphore whose waits honour a context.
type semaphore struct {
	name string
	ch   chan struct{}
}

func newSemaphore(name string, n int) *semaphore {
	return &semaphore{name: name, ch: make(chan struct{}, n)}
}

func (s *semaphore) acquire(ctx context.Context) error {
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("wait for %s: %w", s.name, err)
	}
	select {
	case s.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for %s (%d): %w", s.name, cap(s.ch), context.Cause(ctx))
	}
}

func (s *semaphore) tryAcquire() bool {
	select {
	case s.ch <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *semaphore) release() { <-s.ch }

// acquireAll takes one unit of each lock, in order; on failure it
// releases what it took.
func acquireAll(ctx context.Context, locks []*semaphore) error {
	for i, l := range locks {
		if err := l.acquire(ctx); err != nil {
			releaseAll(locks[:i])
			return err
		}
	}
	return nil
}

// tryAcquireAll takes one unit of each lock without waiting, or none.
func tryAcquireAll(locks []*semaphore) bool {
	for i, l := range locks {
		if !l.tryAcquire() {
			releaseAll(locks[:i])
			return false
		}
	}
	return true
}

func releaseAll(locks []*semaphore) {
	for _, l := range locks {
		l.release()
	}
}

// pool is a set of executors of one stage, each running at most cap tasks
// at once and holding its locks (sorted by name) while a task runs.
type pool[T any] struct {
	mu      sync.Mutex
	members []*member[T]
	changed chan struct{} // closed and replaced when a slot frees
}

type member[T any] struct {
	name  string
	v     T
	cap   int
	busy  int          // guarded by pool.mu
	locks []*semaphore // sorted by name
}

// run takes a slot and the locks of a member, calls f with it, and
// releases them. Errors of f are wrapped with the member's name.
func (p *pool[T]) run(ctx context.Context, f func(T) error) error {
	m, locked, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	if !locked {
		if err := acquireAll(ctx, m.locks); err != nil {
			p.release(m)
			return fmt.Errorf("%s: %w", m.name, err)
		}
	}
	err = f(m.v)
	releaseAll(m.locks)
	p.release(m)
	if err != nil {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	return nil
}

// acquire waits for a member with a free slot and takes it. Among the
// members with a free slot, by increasing load (busy/cap, then order), it
// takes the first whose locks are all free now, with its locks (locked is
// then true); if none has them free, the least loaded one without its
// locks.
func (p *pool[T]) acquire(ctx context.Context) (m *member[T], locked bool, err error) {
	for {
		p.mu.Lock()
		var free []*member[T]
		for _, m := range p.members {
			if m.busy < m.cap {
				free = append(free, m)
			}
		}
		slices.SortStableFunc(free, func(a, b *member[T]) int { return a.busy*b.cap - b.busy*a.cap })
		for _, m := range free {
			if tryAcquireAll(m.locks) {
				m.busy++
				p.mu.Unlock()
				return m, true, nil
			}
		}
		if len(free) > 0 {
			free[0].busy++
			p.mu.Unlock()
			return free[0], false, nil
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, false, fmt.Errorf("wait for a free processor: %w", context.Cause(ctx))
		}
	}
}

func (p *pool[T]) release(m *member[T]) {
	p.mu.Lock()
	m.busy--
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// ExternalTransfer is the Transferer of [[processors.transfer]]: a pool of
// executables, each running at most its `concurrent` transfers at once.
// A persist runs one of them once, as
//
//	BIN ARGS...
//
// with the files to move described twice: as one JSON object on stdin
// (TransferRequest) and in the environment (STRATA_SECTOR_MINER,
// STRATA_SECTOR_NUMBER, STRATA_SEALED, STRATA_CACHE, STRATA_STORE,
// STRATA_STORE_DIR, STRATA_SEALED_DEST, STRATA_CACHE_DEST, besides the
// entry's envs and the worker's environment). Before running it, the
// parent directory of SealedDest and the directory CacheDest are created.
//
// The executable must copy the sealed file to SealedDest and every regular
// file of Cache into CacheDest, leave the sources in place (C1 reads them
// after the persist), and never leave a partial file under a final name:
// write each file to a temporary name in the destination directory and
// rename it. It may be run again for the same sector after a crash and
// must then succeed again. Exit status 0 means done; anything else is an
// error wrapping ErrTransfer with the tail of its stderr. Its stdout is
// ignored. It is killed when the persist's ctx ends.
//
// After exit status 0 the Transferer checks that SealedDest is a regular
// file of the sealed file's size and that each cache file is at
// CacheDest with its size, as they were before the run; otherwise the
// error wraps ErrTransferIncomplete.
//
// An ExternalTransfer is safe for concurrent use.
type ExternalTransfer struct {
	pool *pool[TransferConfig]
}

var _ Transferer = (*ExternalTransfer)(nil)

// TransferRequest is the JSON an ExternalTransfer writes on the
// executable's stdin.
type TransferRequest struct {
	Miner      uint64   `json:"miner"`
	Number     uint64   `json:"number"`
	Sealed     string   `json:"sealed"`      // the thread's sealed file
	Cache      string   `json:"cache"`       // the thread's cache directory
	CacheFiles []string `json:"cache_files"` // the names of Cache's regular files
	Store      string   `json:"store"`       // the persist store's name
	StoreDir   string   `json:"store_dir"`   // and its directory
	SealedDest string   `json:"sealed_dest"` // <store_dir>/sealed/s-t0M-N
	CacheDest  string   `json:"cache_dest"`  // <store_dir>/cache/s-t0M-N
}

// NewExternalTransfer returns the Transferer of entries, which must be
// valid (ProcessorsConfig.Validate) and not empty.
func NewExternalTransfer(entries []TransferConfig) *ExternalTransfer {
	pl := &pool[TransferConfig]{changed: make(chan struct{})}
	for i, e := range entries {
		pl.members = append(pl.members, &member[TransferConfig]{name: fmt.Sprintf("processors.transfer[%d]", i), v: e, cap: concurrency(e.Concurrent)})
	}
	return &ExternalTransfer{pool: pl}
}

// transferWaitDelay bounds the wait for the executable's stderr after it
// exits or is killed, in case a child of its own still holds it.
const transferWaitDelay = 2 * time.Second

// stderrTail is how much of the executable's stderr an error keeps.
const stderrTail = 4 << 10

// Transfer implements Transferer.
func (x *ExternalTransfer) Transfer(ctx context.Context, f PersistFiles) error {
	src, err := os.Stat(f.Sealed)
	if err != nil {
		return fmt.Errorf("transfer sector %s: %w", f.Sector, err)
	}
	ents, err := os.ReadDir(f.Cache)
	if err != nil {
		return fmt.Errorf("transfer sector %s: %w", f.Sector, err)
	}
	sizes := map[string]int64{}
	req := TransferRequest{Miner: f.Sector.Miner, Number: f.Sector.Number, Sealed: f.Sealed, Cache: f.Cache,
		CacheFiles: []string{}, Store: f.Store.Name, StoreDir: f.Store.Dir, SealedDest: f.SealedDest, CacheDest: f.CacheDest}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return fmt.Errorf("transfer sector %s: %w", f.Sector, err)
		}
		sizes[e.Name()] = fi.Size()
		req.CacheFiles = append(req.CacheFiles, e.Name())
	}
	if err := os.MkdirAll(filepath.Dir(f.SealedDest), 0o755); err != nil {
		return fmt.Errorf("transfer sector %s: %w", f.Sector, err)
	}
	if err := os.MkdirAll(f.CacheDest, 0o755); err != nil {
		return fmt.Errorf("transfer sector %s: %w", f.Sector, err)
	}
	err = x.pool.run(ctx, func(e TransferConfig) error { return runTransfer(ctx, e, req) })
	if err != nil {
		return fmt.Errorf("transfer sector %s: %w", f.Sector, err)
	}
	if err := checkDest(f.SealedDest, src.Size()); err != nil {
		return fmt.Errorf("transfer sector %s: %w", f.Sector, err)
	}
	for _, name := range req.CacheFiles {
		if err := checkDest(filepath.Join(f.CacheDest, name), sizes[name]); err != nil {
			return fmt.Errorf("transfer sector %s: %w", f.Sector, err)
		}
	}
	return nil
}

func runTransfer(ctx context.Context, e TransferConfig, req TransferRequest) error {
	in, err := json.Marshal(req)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, e.Bin, e.Args...)
	cmd.Env = append(cmd.Environ(), envList(e.Envs)...)
	cmd.Env = append(cmd.Env,
		"STRATA_SECTOR_MINER="+strconv.FormatUint(req.Miner, 10),
		"STRATA_SECTOR_NUMBER="+strconv.FormatUint(req.Number, 10),
		"STRATA_SEALED="+req.Sealed, "STRATA_CACHE="+req.Cache,
		"STRATA_STORE="+req.Store, "STRATA_STORE_DIR="+req.StoreDir,
		"STRATA_SEALED_DEST="+req.SealedDest, "STRATA_CACHE_DEST="+req.CacheDest)
	cmd.Stdin = bytes.NewReader(append(in, '\n'))
	var tail tailWriter
	cmd.Stderr = &tail
	cmd.WaitDelay = transferWaitDelay
	if err := cmd.Run(); err != nil {
		if cerr := context.Cause(ctx); cerr != nil {
			return fmt.Errorf("%w: %s: %w; stderr tail: %q", ErrTransfer, e.Bin, cerr, tail.String())
		}
		return fmt.Errorf("%w: %s: %w; stderr tail: %q", ErrTransfer, e.Bin, err, tail.String())
	}
	return nil
}

// checkDest checks that path is a regular file of size bytes.
func checkDest(path string, size int64) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s is missing", ErrTransferIncomplete, path)
	case err != nil:
		return fmt.Errorf("%w: %w", ErrTransferIncomplete, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%w: %s is not a regular file", ErrTransferIncomplete, path)
	case fi.Size() != size:
		return fmt.Errorf("%w: %s has %d bytes, want %d", ErrTransferIncomplete, path, fi.Size(), size)
	}
	return nil
}

// tailWriter keeps the last stderrTail bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	buf []byte
}

func (w *tailWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	if len(w.buf) > stderrTail {
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-stderrTail:]...)
	}
	return len(b), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
