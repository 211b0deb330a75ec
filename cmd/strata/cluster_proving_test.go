package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof"
)

// TestCluster_Proving is issue 8's acceptance run, all separate
// processes: a devnet with 0.5 s blocks (a proving period of 4 deadlines
// of 15 epochs lasts 30 s), a wallet whose token allows the miners'
// sealing and proving messages only, a hub, and two workers that seal
// 1,000 2 KiB sectors for two miners into the store the hub chooses. Then
//   - every deadline with sectors of either miner is proven in three
//     consecutive proving periods, with no fault, and the miners have the
//     power of all their sectors;
//   - a deleted sealed file (one miner) and a corrupted one (the other)
//     are found by the check: declared faulty before their deadline, no
//     WindowPoSt fails on chain; restored, they are declared recovered
//     and proven again;
//   - the hub stopped for a whole deadline: its sectors go faulty on
//     chain; the hub restarted recovers them without the operator;
//   - a read-only store and a full one, both attached to the workers,
//     never get a sector.
func TestCluster_Proving(t *testing.T) {
	const (
		perMiner  = 500
		threads   = 125 // per worker
		blockTime = 500 * time.Millisecond
	)
	start := time.Now()
	b := startChainAndWallet(t, []string{"PreCommitSectorBatch2", "ProveCommitSectors3", "SubmitWindowedPoSt", "DeclareFaults",
		"DeclareFaultsRecovered"}, "--chain-block-time", blockTime.String())
	defer b.stopDevnet(t)
	ctx := context.Background()
	dir, fullnode, node, owner, miners, wInfo, wLogs, devLogs, cliJSON := b.dir, b.fullnode, b.node, b.owner, b.miners, b.wInfo, b.wLogs, b.devLogs, b.cliJSON
	cli := func(args ...string) {
		t.Helper()
		if code, _, errs := runCLI(t, nil, args...); code != 0 {
			t.Fatalf("%s: %d %q", strings.Join(args, " "), code, errs)
		}
	}
	var maddrs [2]address.Address
	for i := range miners {
		maddrs[i], _ = address.NewFromString(miners[i].IDAddress)
	}

	hHome := filepath.Join(dir, "hub")
	hubStarts := 0
	hubAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	startHub := func() (*hubProcess, *logBuffer) {
		_ = os.Remove(filepath.Join(hHome, "api"))
		env := []string{fullnode}
		hubStarts++
		if p := os.Getenv("STRATA_TEST_HUB_CPUPROFILE"); p != "" {
			env = append(env, fmt.Sprintf("STRATA_CPUPROFILE=%s.%d", p, hubStarts)) // each hub's profile, written as it stops
		}
		cmd, logs := startProcess(t, hHome, env, "hub", "run", "--home", hHome, "--api-listen-address", hubAddr,
			"--hub-ticket-lookback", "2", "--hub-pre-commit-challenge-delay", "10", "--hub-sector-lifetime", "20000",
			"--hub-batch-wait", "2s", "--hub-batch-max", "256", "--proving-interval", "100ms")
		return &hubProcess{cmd}, logs
	}
	hubProc, hLogs := startHub()
	for _, m := range miners {
		cli("hub", "miners", "add", "--home", hHome, "--actor", m.IDAddress, "--worker", owner,
			"--numbers", fmt.Sprintf("0-%d", perMiner-1), "--wallet-api", wInfo.String())
	}
	// Three stores: the one that takes sectors, a read-only one and a full
	// one, all attached to both workers.
	stores := map[string]string{}
	for _, s := range []string{"store-a", "store-ro", "store-full"} {
		stores[s] = filepath.Join(dir, s)
		if err := os.MkdirAll(stores[s], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cli("hub", "storage", "attach", "store-a", "--path", stores["store-a"], "--home", hHome)
	cli("hub", "storage", "attach", "store-ro", "--path", stores["store-ro"], "--read-only", "--weight", "1000", "--home", hHome)
	cli("hub", "storage", "attach", "store-full", "--path", stores["store-full"], "--capacity", "1KiB", "--weight", "1000", "--home", hHome)

	workerConfig := func(name string) string {
		code, api, errs := runCLI(t, nil, "hub", "workers", "token", name, "--api-info", "--home", hHome)
		if code != 0 {
			t.Fatalf("hub workers token %s: %d %q", name, code, errs)
		}
		var b strings.Builder
		fmt.Fprintf(&b, `[worker]
name = %q
parent_cache = %q
[sector_manager]
api = %q
[sealing]
seal_interval = "5s"
rpc_polling_interval = "500ms"
recover_interval = "500ms"
ping_interval = "2s"
`, name, filepath.Join(dir, "parents"), strings.TrimSpace(api))
		for i := range threads {
			fmt.Fprintf(&b, "[[sealing_thread]]\nlocation = \"t%d\"\n", i)
		}
		for _, s := range []string{"store-ro", "store-full", "store-a"} {
			fmt.Fprintf(&b, "[[attached]]\nname = %q\nlocation = %q\n", s, stores[s])
		}
		path := filepath.Join(dir, name, "worker.toml")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	w1, w1Logs := startProcess(t, "", nil, "worker", "run", "--config", workerConfig("w1"))
	w2, w2Logs := startProcess(t, "", nil, "worker", "run", "--config", workerConfig("w2"))
	allLogs := func() []fmt.Stringer { return []fmt.Stringer{hLogs, w1Logs, w2Logs, wLogs, devLogs} }

	for n := 0; n < 2*perMiner; {
		time.Sleep(2 * time.Second)
		if time.Since(start) > 15*time.Minute {
			poll(t, 0, "1,000 sectors finalized", func() bool { return false }, allLogs()...)
		}
		var all []hub.SectorInfo
		cliJSON(&all, "hub", "sectors", "list", "--home", hHome, "--limit", "10000")
		byState := map[hub.State]int{}
		for _, s := range all {
			byState[s.State]++
		}
		n = byState[hub.StateFinalized]
		if testing.Verbose() {
			t.Logf("%s: sectors by state %v", time.Since(start).Round(time.Second), byState)
		}
	}
	t.Logf("1,000 sectors sealed and on chain in %s", time.Since(start).Round(time.Second))

	// The workers have nothing left to seal: stopped, so that the hub's
	// CPU below is its proving, not 250 idle threads asking for work.
	for _, w := range []*exec.Cmd{w1, w2} {
		_ = w.Process.Signal(syscall.SIGTERM)
		waitExit(t, w, 30*time.Second)
	}

	var storesNow []hub.StoreInfo
	cliJSON(&storesNow, "hub", "storage", "list", "--home", hHome)
	for _, s := range storesNow {
		want := 0
		if s.Name == "store-a" {
			want = 2 * perMiner
		}
		if s.Sectors != want {
			t.Errorf("store %s holds %d sectors, want %d", s.Name, s.Sectors, want)
		}
	}

	head := func() int64 {
		ts, err := node.ChainHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ts.Height()
	}
	faults := func(i int) (faulty, recovering map[uint64]bool) {
		f, err := node.StateMinerFaults(ctx, maddrs[i], types.TipSetKey{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := node.StateMinerRecoveries(ctx, maddrs[i], types.TipSetKey{})
		if err != nil {
			t.Fatal(err)
		}
		faulty, recovering = map[uint64]bool{}, map[uint64]bool{}
		_ = f.ForEach(func(n uint64) error { faulty[n] = true; return nil })
		_ = r.ForEach(func(n uint64) error { recovering[n] = true; return nil })
		return faulty, recovering
	}
	deadline := func(i int) *types.DeadlineInfo {
		di, err := node.StateMinerProvingDeadline(ctx, maddrs[i], types.TipSetKey{})
		if err != nil {
			t.Fatal(err)
		}
		return di
	}
	// postedAt returns, for miner i, the deadlines with live sectors and
	// whether each was proven in its current window.
	proven := func(i int, dl uint64) bool {
		dls, err := node.StateMinerDeadlines(ctx, maddrs[i], types.TipSetKey{})
		if err != nil {
			t.Fatal(err)
		}
		return !dls[dl].PostSubmissions.IsEmpty()
	}
	withSectors := func(i int) map[uint64]bool {
		out := map[uint64]bool{}
		for dl := range deadline(i).WPoStPeriodDeadlines {
			parts, err := node.StateMinerPartitions(ctx, maddrs[i], dl, types.TipSetKey{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range parts {
				if !p.LiveSectors.IsEmpty() {
					out[dl] = true
				}
			}
		}
		return out
	}

	// Three consecutive proving periods of each miner, from its next
	// period start: no fault at any time, and every deadline with sectors
	// proven by a WindowPoSt that landed on chain.
	type window struct{ from, until int64 }
	var windows [2]window
	var last int64
	for i := range miners {
		d := deadline(i)
		windows[i] = window{d.NextPeriodStart(), d.NextPeriodStart() + 3*d.WPoStProvingPeriod}
		last = max(last, windows[i].until+d.WPoStChallengeWindow)
	}
	proveStart := time.Now()
	var hubCPU0 time.Duration
	if cpu, err := processCPU(hubProc.cmd.Process.Pid); err == nil {
		hubCPU0 = cpu
	}
	work0, head0 := provingWork(t, hubAddr), head()
	for head() < last {
		for i := range miners {
			if f, _ := faults(i); len(f) > 0 {
				t.Fatalf("miner %s has faulty sectors %v during the three periods", miners[i].IDAddress, f)
			}
		}
		time.Sleep(blockTime)
	}
	var msgs []hub.MessageInfo
	cliJSON(&msgs, "hub", "messages", "--home", hHome, "--limit", "10000")
	provenAt := map[string]bool{} // miner/open of a landed WindowPoSt
	for _, m := range msgs {
		var dl uint64
		var open int64
		if m.Kind != "windowpost" || m.State != "landed" {
			continue
		}
		if _, err := fmt.Sscanf(m.Subject, "deadline %d (opens %d)", &dl, &open); err != nil {
			t.Fatalf("windowpost subject %q: %v", m.Subject, err)
		}
		c, err := cid.Decode(m.CID)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := node.ChainGetMessage(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		var p actors.SubmitWindowedPoStParams
		if err := actors.DecodeParams(msg.Params, &p); err != nil || p.Deadline != dl {
			t.Fatalf("windowpost %s on chain: deadline %d, %v; the hub says %d", m.CID, p.Deadline, err, dl)
		}
		provenAt[fmt.Sprintf("f0%d/%d", m.Miner, open)] = true
	}
	for i := range miners {
		d := deadline(i)
		has := withSectors(i)
		for open := windows[i].from; open < windows[i].until; open += d.WPoStChallengeWindow {
			idx := uint64((open-windows[i].from)/d.WPoStChallengeWindow) % d.WPoStPeriodDeadlines
			if has[idx] && !provenAt[fmt.Sprintf("%s/%d", miners[i].IDAddress, open)] {
				t.Errorf("miner %s deadline %d opening at %d: no WindowPoSt landed", miners[i].IDAddress, idx, open)
			}
		}
		pow, err := node.StateMinerPower(ctx, maddrs[i], types.TipSetKey{})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := pow.MinerPower.RawBytePower.Int64(); got != perMiner*int64(proof.Size2KiB) {
			t.Errorf("miner %s raw power %d, want %d sectors' worth", miners[i].IDAddress, got, perMiner)
		}
	}
	if cpu, err := processCPU(hubProc.cmd.Process.Pid); err == nil {
		wall, used, work := time.Since(proveStart), cpu-hubCPU0, provingWork(t, hubAddr)-work0
		epochs := head() - head0
		t.Logf("hub CPU while proving 1,000 sectors for three periods: %.1f s over %.1f s (%.1f%% of one core); generating WindowPoSts "+
			"and checking sectors took %.1f s of it; the rest (following the chain, sending and following the messages) %.1f%% of one core, "+
			"%.0f ms per epoch over %d epochs", used.Seconds(), wall.Seconds(), 100*used.Seconds()/wall.Seconds(), work.Seconds(),
			100*max(used-work, 0).Seconds()/wall.Seconds(), float64(max(used-work, 0).Milliseconds())/float64(epochs), epochs)
	}
	if t.Failed() {
		return
	}

	// A deleted sealed file (miner 0) and a corrupted one (miner 1), each
	// damaged once its deadline's proof is in: the check before that
	// deadline's next window declares them faulty.
	type damaged struct {
		miner  int
		number uint64
		dl     uint64
		path   string
		saved  []byte
	}
	var dmg []*damaged
	for i := range miners {
		id, _ := parseActor(miners[i].IDAddress)
		d := &damaged{miner: i, number: 7}
		d.path = filepath.Join(stores["store-a"], "sealed", hub.PersistedName(hub.SectorID{Miner: id, Number: d.number}))
		var err error
		if d.saved, err = os.ReadFile(d.path); err != nil {
			t.Fatal(err)
		}
		for dl := range withSectors(i) {
			parts, _ := node.StateMinerPartitions(ctx, maddrs[i], dl, types.TipSetKey{})
			for _, p := range parts {
				if p.AllSectors.IsSet(d.number) {
					d.dl = dl
				}
			}
		}
		poll(t, time.Minute, "the damaged sector's deadline proven", func() bool {
			cur := deadline(i)
			return cur.Index == d.dl && cur.IsOpen() && proven(i, d.dl)
		}, allLogs()...)
		if i == 0 {
			if err := os.Remove(d.path); err != nil {
				t.Fatal(err)
			}
		} else {
			junk := make([]byte, len(d.saved))
			rand.Read(junk)
			if err := os.WriteFile(d.path, junk, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		dmg = append(dmg, d)
	}
	for _, d := range dmg {
		poll(t, time.Minute, "the damaged sector faulty on chain", func() bool {
			f, _ := faults(d.miner)
			if !f[d.number] {
				return false
			}
			cur := deadline(d.miner)
			if cur.Index == d.dl && cur.IsOpen() {
				t.Errorf("miner %d sector %d became faulty in its deadline: not declared ahead", d.miner, d.number)
			}
			return true
		}, allLogs()...)
		if err := os.WriteFile(d.path, d.saved, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range dmg {
		poll(t, 2*time.Minute, "the restored sector recovered", func() bool {
			f, r := faults(d.miner)
			return !f[d.number] && !r[d.number]
		}, allLogs()...)
	}
	var check []hub.SectorCheck
	cliJSON(&check, "hub", "sectors", "check", miners[0].IDAddress, "--home", hHome)
	if len(check) != perMiner {
		t.Errorf("hub sectors check: %d sectors, want %d", len(check), perMiner)
	}
	for _, c := range check {
		if !c.OK {
			t.Errorf("hub sectors check after the restore: %+v", c)
		}
	}

	// The hub stopped for a whole deadline with sectors of miner 0.
	var missed uint64
	poll(t, time.Minute, "a deadline with sectors proven", func() bool {
		cur := deadline(0)
		missed = (cur.Index + 1) % cur.WPoStPeriodDeadlines
		return cur.IsOpen() && proven(0, cur.Index) && withSectors(0)[missed]
	}, allLogs()...)
	hubProc.stop(t)
	poll(t, time.Minute, "the missed deadline's sectors faulty", func() bool {
		f, _ := faults(0)
		return len(f) > 0
	}, allLogs()...)
	hubProc, hLogs = startHub()
	poll(t, 2*time.Minute, "the missed deadline recovered", func() bool {
		f0, r0 := faults(0)
		f1, r1 := faults(1)
		return len(f0)+len(r0)+len(f1)+len(r1) == 0
	}, allLogs()...)

	// No WindowPoSt failed on chain; the faults were declared, not found
	// by a failed proof.
	msgs = nil
	cliJSON(&msgs, "hub", "messages", "--home", hHome, "--limit", "10000")
	kinds := map[string]int{}
	for _, m := range msgs {
		if m.State == "failed" {
			var lines []string
			for _, l := range strings.Split(hLogs.String()+devLogs.String(), "\n") {
				if strings.Contains(l, m.CID) || strings.Contains(l, "exit") {
					lines = append(lines, l)
				}
			}
			t.Errorf("message %s (%s: %s) failed with exit code %d at %d; logs:\n%s", m.CID, m.Kind, m.Subject, m.ExitCode, m.Height,
				strings.Join(lines[max(0, len(lines)-30):], "\n"))
		}
		if m.State == "landed" {
			kinds[m.Kind]++
		}
	}
	if kinds["faults"] < 2 || kinds["recoveries"] < 2 {
		t.Errorf("landed messages by kind: %v, want fault and recovery declarations", kinds)
	}
	var status []hub.ProvingStatus
	cliJSON(&status, "hub", "proving", "--home", hHome)
	if len(status) != 2 || status[0].LastPoSt == nil || status[0].Sectors != perMiner {
		t.Errorf("hub proving: %+v", status)
	}
	if code, out, _ := runCLI(t, nil, "hub", "proving", "--home", hHome); code != 0 || !strings.Contains(out, "Last PoSt") {
		t.Errorf("hub proving: %d %q", code, out)
	}
	var winning hub.WinningCheck
	cliJSON(&winning, "hub", "proving", "winning", miners[1].IDAddress, "--home", hHome)
	if !winning.Verified || winning.Eligible != perMiner || len(winning.Sectors) != 1 {
		t.Errorf("hub proving winning: %+v", winning)
	}
	t.Logf("proving acceptance took %s", time.Since(start).Round(time.Second))
	hubProc.stop(t)
}

// hubProcess is a running hub.
type hubProcess struct{ cmd *exec.Cmd }

// stop stops the hub as an operator would, with SIGTERM.
func (h *hubProcess) stop(t *testing.T) {
	t.Helper()
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, h.cmd, 30*time.Second)
}

// provingWork reads from the hub's /metrics the time it spent generating
// WindowPoSts and checking sectors, over all miners.
func provingWork(t *testing.T, addr string) time.Duration {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "strata_hub_window_post_generate_seconds_sum") || strings.HasPrefix(l, "strata_hub_sector_check_seconds_sum") {
			var v float64
			if _, err := fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &v); err != nil {
				t.Fatalf("metrics line %q: %v", l, err)
			}
			sum += v
		}
	}
	return time.Duration(sum * float64(time.Second))
}
