package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
	"github.com/strata-sp/strata/worker"
)

// parseConfig parses a worker config made of one thread and extra.
func parseConfig(t *testing.T, extra string) *worker.Config {
	t.Helper()
	c, err := worker.ParseConfig([]byte(threadTOML+extra), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newProcessors builds the Processors of c and closes them at the end of
// the test.
func newProcessors(t *testing.T, c *worker.Config, fallback engine.Sealer, log *slog.Logger) *worker.Processors {
	t.Helper()
	p, err := worker.NewProcessors(context.Background(), c.Processors, fallback, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("close processors: %v", err)
		}
	})
	return p
}

// writeScript writes an executable /bin/sh script into dir.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// buildStrata builds the strata binary into a temporary directory.
func buildStrata(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(t.TempDir(), "strata")
	cmd := exec.Command(goBin, "build", "-o", out, "github.com/strata-sp/strata/cmd/strata")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/strata: %v\n%s", err, b)
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sealWith seals an all-zero 2 KiB sector in dir through eng and returns
// its CommR and proof.
func sealWith(t *testing.T, eng engine.Sealer, dir, parents string) (stage.Bytes32, []byte) {
	t.Helper()
	ctx := context.Background()
	s := seal.Sector{Proof: proof.StackedDrg2KiBV1_1, Miner: 1000, Number: 7,
		Staged: filepath.Join(dir, "staged"), Cache: filepath.Join(dir, "cache"), Sealed: filepath.Join(dir, "sealed")}
	if err := os.MkdirAll(s.Cache, 0o755); err != nil {
		t.Fatal(err)
	}
	st := stage.SealTask{Sector: s, ParentCache: parents}
	if _, err := eng.AddPieces(ctx, stage.AddPiecesTask{Staged: s.Staged, SectorSize: 2048}); err != nil {
		t.Fatal(err)
	}
	td, err := eng.TreeD(ctx, stage.TreeDTask{Staged: s.Staged, Tree: filepath.Join(s.Cache, seal.TreeDFile)})
	if err != nil {
		t.Fatal(err)
	}
	commD, err := piece.DecodeV1(td.CommD)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.PC1(ctx, stage.PC1Task{SealTask: st, Ticket: stage.Bytes32{1}, CommD: commD}); err != nil {
		t.Fatal(err)
	}
	pc2, err := eng.PC2(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	c1, err := eng.C1(ctx, stage.C1Task{SealTask: st, Ticket: stage.Bytes32{1}, Seed: stage.Bytes32{2}, CommD: commD})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := eng.C2(ctx, c1)
	if err != nil {
		t.Fatal(err)
	}
	return pc2.CommR, c2.Proof
}

// TestProcessors_StrataProcessor seals through `strata processor` for
// pc1 (explicit args) and pc2 (default args) and checks that the result
// is the in-process engine's.
func TestProcessors_StrataProcessor(t *testing.T) {
	bin := buildStrata(t)
	c := parseConfig(t, fmt.Sprintf(`
[processors.limitation.concurrent]
pc1 = 1

[[processors.pc1]]
bin = %q
args = ["processor", "pc1", "--log-level", "debug"]

[[processors.pc2]]
bin = %q
concurrent = 2
`, bin, bin))
	logs := &syncBuffer{}
	p := newProcessors(t, c, engine.Local{}, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	dir := t.TempDir()
	parents := filepath.Join(dir, "parents")
	commR, pr := sealWith(t, p, filepath.Join(dir, "ext"), parents)
	wantR, wantPr := sealWith(t, engine.Local{}, filepath.Join(dir, "local"), parents)
	if commR != wantR {
		t.Errorf("CommR through the processors %x, in process %x", commR, wantR)
	}
	if !bytes.Equal(pr, wantPr) {
		t.Error("the proofs differ")
	}
	// The pc1 processor logged the request it served (at debug, on its
	// stderr, which the Client logs).
	if l := logs.String(); !strings.Contains(l, "processors.pc1[0]") || !strings.Contains(l, "msg=request") {
		t.Errorf("no request in the pc1 processor's log:\n%s", l)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Closed: the processors' stages fail, the others still run.
	if _, err := p.PC1(context.Background(), stage.PC1Task{}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("PC1 after Close: %v", err)
	}
}

// gauge counts the calls inside a stage.
type gauge struct {
	mu       sync.Mutex
	cur, max int
	entered  int
}

func (g *gauge) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cur++
	g.entered++
	g.max = max(g.max, g.cur)
}

func (g *gauge) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cur--
}

func (g *gauge) get() (cur, maxSeen, entered int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cur, g.max, g.entered
}

// recordingSealer is the fallback engine under observation: its PC1 and
// PC2 record how many calls are inside them, and block until hold
// returns.
type recordingSealer struct {
	engine.Local
	pc1, pc2 *gauge
	hold     func(ctx context.Context, g *gauge)
}

func (r recordingSealer) PC1(ctx context.Context, _ stage.PC1Task) (stage.PC1Output, error) {
	r.pc1.enter()
	defer r.pc1.leave()
	r.hold(ctx, r.pc1)
	return stage.PC1Output{}, ctx.Err()
}

func (r recordingSealer) PC2(ctx context.Context, _ stage.SealTask) (stage.PC2Output, error) {
	r.pc2.enter()
	defer r.pc2.leave()
	r.hold(ctx, r.pc2)
	return stage.PC2Output{}, ctx.Err()
}

func TestProcessors_LimitConcurrent(t *testing.T) {
	c := parseConfig(t, "[processors.limitation.concurrent]\npc1 = 1\n")
	rec := recordingSealer{pc1: &gauge{}, pc2: &gauge{}}
	// Each call waits until two calls are inside its stage, or 300 ms:
	// unlimited stages overlap at once, a limit of 1 makes each wait.
	rec.hold = func(ctx context.Context, g *gauge) {
		deadline := time.Now().Add(300 * time.Millisecond)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if cur, _, _ := g.get(); cur >= 2 {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	p := newProcessors(t, c, rec, nil)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := p.PC1(context.Background(), stage.PC1Task{}); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := p.PC2(context.Background(), stage.SealTask{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, m, n := rec.pc1.get(); m != 1 || n != 3 {
		t.Errorf("pc1 (limit 1): %d calls, %d at once at most", n, m)
	}
	if _, m, _ := rec.pc2.get(); m < 2 {
		t.Errorf("pc2 (no limit): at most %d at once", m)
	}
}

func TestProcessors_LimitWaitCancelled(t *testing.T) {
	c := parseConfig(t, "[processors.limitation.concurrent]\npc1 = 1\n")
	release := make(chan struct{})
	rec := recordingSealer{pc1: &gauge{}, pc2: &gauge{}, hold: func(ctx context.Context, _ *gauge) {
		select {
		case <-release:
		case <-ctx.Done():
		}
	}}
	p := newProcessors(t, c, rec, nil)
	first := make(chan error, 1)
	go func() {
		_, err := p.PC1(context.Background(), stage.PC1Task{})
		first <- err
	}()
	for {
		if cur, _, _ := rec.pc1.get(); cur == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := p.PC1(ctx, stage.PC1Task{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait returned %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a cancelled wait took %s", d)
	}
	if _, _, n := rec.pc1.get(); n != 1 {
		t.Errorf("%d calls entered pc1, want 1", n)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	// The cancelled wait left nothing held: the next call runs.
	if _, err := p.PC1(context.Background(), stage.PC1Task{}); err != nil {
		t.Fatal(err)
	}
}

// lockProcessorScript is a pc1 processor in sh: each task takes the
// directory $DIR/running (mkdir is atomic), noting an overlap if another
// task holds it, logs $NAME, and sleeps (2 s if the task mentions
// "slow") before answering with a null output.
const lockProcessorScript = `echo "pc1 processor ready"
while IFS= read -r line; do
	id=${line#'{"id":'}
	id=${id%%,*}
	mkdir "$DIR/running" 2>/dev/null || touch "$DIR/overlap"
	echo "$NAME" >> "$DIR/log"
	case "$line" in
	*slow*) sleep 2 ;;
	*) sleep $PAUSE ;;
	esac
	rmdir "$DIR/running" 2>/dev/null
	printf '{"id":%s,"err_msg":null,"output":null}\n' "$id"
done
`

func lockConfig(t *testing.T, script, dir, pause, locks string) *worker.Config {
	t.Helper()
	entry := func(name string) string {
		return fmt.Sprintf("[[processors.pc1]]\nbin = %q\nenvs = { DIR = %q, NAME = %q, PAUSE = %q }\n%s\n", script, dir, name, pause, locks)
	}
	return parseConfig(t, "[processors.ext_locks]\ngpu = 1\n"+entry("p0")+entry("p1"))
}

func TestProcessors_ExtLocks(t *testing.T) {
	script := writeScript(t, t.TempDir(), "pc1.sh", lockProcessorScript)
	calls := func(p *worker.Processors, n int) {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if _, err := p.PC1(context.Background(), stage.PC1Task{}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}

	// Control: without the lock, the two processors run at once and the
	// script sees it.
	free := t.TempDir()
	calls(newProcessors(t, lockConfig(t, script, free, "0.5", ""), engine.Local{}, nil), 2)
	if _, err := os.Stat(filepath.Join(free, "overlap")); err != nil {
		t.Fatalf("two processors without a lock never overlapped: %v", err)
	}

	dir := t.TempDir()
	p := newProcessors(t, lockConfig(t, script, dir, "0.2", `locks = ["gpu"]`), engine.Local{}, nil)
	calls(p, 4)
	if _, err := os.Stat(filepath.Join(dir, "overlap")); err == nil {
		t.Error("two processors sharing gpu = 1 ran at once")
	}
	b, err := os.ReadFile(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	if runs := strings.Fields(string(b)); len(runs) != 4 || !strings.Contains(string(b), "p0") || !strings.Contains(string(b), "p1") {
		t.Errorf("runs %q: want 4, on both processors", runs)
	}

	// A wait for the lock ends with its ctx.
	slow := make(chan error, 1)
	go func() {
		_, err := p.PC1(context.Background(), stage.PC1Task{SealTask: stage.SealTask{ParentCache: "slow"}})
		slow <- err
	}()
	for {
		if _, err := os.Stat(filepath.Join(dir, "running")); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := p.PC1(ctx, stage.PC1Task{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a wait for the lock past its deadline returned %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a wait for the lock past its deadline took %s", d)
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
}

// persistFiles makes a sealed file and a cache directory of two files
// (and a subdirectory, which is not transferred).
func persistFiles(t *testing.T) worker.PersistFiles {
	t.Helper()
	dir := t.TempDir()
	f := worker.PersistFiles{Sector: hub.SectorID{Miner: 1000, Number: 3},
		Sealed: filepath.Join(dir, "sealed"), Cache: filepath.Join(dir, "cache"),
		Store: worker.PersistStore{Name: "store-a", Dir: filepath.Join(dir, "store-a")}}
	f.SealedDest = filepath.Join(f.Store.Dir, "sealed", "s-t01000-3")
	f.CacheDest = filepath.Join(f.Store.Dir, "cache", "s-t01000-3")
	if err := os.MkdirAll(filepath.Join(f.Cache, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for path, n := range map[string]int{f.Sealed: 2048, filepath.Join(f.Cache, "p_aux"): 64, filepath.Join(f.Cache, "t_aux"): 100} {
		if err := os.WriteFile(path, bytes.Repeat([]byte{byte(n)}, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// transferFor returns the Transferer the config gives a thread for a
// [[processors.transfer]] running script.
func transferFor(t *testing.T, script string) worker.Transferer {
	t.Helper()
	c := parseConfig(t, fmt.Sprintf("[[processors.transfer]]\nbin = %q\n", script))
	tr := c.ThreadConfigs()[0].Transfer
	if tr == nil {
		t.Fatal("no Transferer")
	}
	return tr
}

// copyScript copies as the contract says (to a temporary name, then
// renamed), and saves its stdin in the store.
const copyScript = `set -e
cat > "$STRATA_STORE_DIR/request.json"
cp "$STRATA_SEALED" "$STRATA_SEALED_DEST.tmp"
mv "$STRATA_SEALED_DEST.tmp" "$STRATA_SEALED_DEST"
for f in "$STRATA_CACHE"/*; do
	[ -f "$f" ] || continue
	n=$(basename "$f")
	cp "$f" "$STRATA_CACHE_DEST/$n.tmp"
	mv "$STRATA_CACHE_DEST/$n.tmp" "$STRATA_CACHE_DEST/$n"
done
`

func TestExternalTransfer_Copies(t *testing.T) {
	f := persistFiles(t)
	tr := transferFor(t, writeScript(t, t.TempDir(), "transfer.sh", copyScript))
	if err := tr.Transfer(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{f.Sealed: f.SealedDest,
		filepath.Join(f.Cache, "p_aux"): filepath.Join(f.CacheDest, "p_aux"),
		filepath.Join(f.Cache, "t_aux"): filepath.Join(f.CacheDest, "t_aux")} {
		a, _ := os.ReadFile(src)
		b, err := os.ReadFile(dst)
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: %v", dst, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(f.Store.Dir, "request.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req worker.TransferRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	want := worker.TransferRequest{Miner: 1000, Number: 3, Sealed: f.Sealed, Cache: f.Cache, CacheFiles: []string{"p_aux", "t_aux"},
		Store: "store-a", StoreDir: f.Store.Dir, SealedDest: f.SealedDest, CacheDest: f.CacheDest}
	if fmt.Sprint(req) != fmt.Sprint(want) {
		t.Errorf("stdin %+v\nwant %+v", req, want)
	}
	// Again, as after a crash: it succeeds again.
	if err := tr.Transfer(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

func TestExternalTransfer_Failures(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		is           error
		want         string
	}{
		{"exit status", "echo 'copying s-t01000-3' >&2\necho 'disk on fire' >&2\nexit 3\n", worker.ErrTransfer, "disk on fire"},
		{"exit 0 without the sealed file", "exit 0\n", worker.ErrTransferIncomplete, "sealed/s-t01000-3 is missing"},
		{"a short sealed file", "head -c 100 \"$STRATA_SEALED\" > \"$STRATA_SEALED_DEST\"\n", worker.ErrTransferIncomplete, "has 100 bytes, want 2048"},
		{"a cache file missing", "cp \"$STRATA_SEALED\" \"$STRATA_SEALED_DEST\"\ncp \"$STRATA_CACHE/p_aux\" \"$STRATA_CACHE_DEST/\"\n",
			worker.ErrTransferIncomplete, "t_aux is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := persistFiles(t)
			err := transferFor(t, writeScript(t, t.TempDir(), "transfer.sh", tc.script)).Transfer(context.Background(), f)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %v with %q", err, tc.is, tc.want)
			}
		})
	}
	t.Run("ctx ends", func(t *testing.T) {
		f := persistFiles(t)
		tr := transferFor(t, writeScript(t, t.TempDir(), "transfer.sh", "exec sleep 30\n"))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := tr.Transfer(ctx, f)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %s", d)
		}
	})
}
