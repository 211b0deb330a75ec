package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain"
	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/rpc"
)

// startProcess starts the test binary as strata with args and env, and
// waits until home has written its api file (when home is not empty).
func startProcess(t *testing.T, home string, env []string, args ...string) (*exec.Cmd, *logBuffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(append(os.Environ(), envReexec+"=1"), env...)
	logs := &logBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	if home != "" {
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, err := (daemon.Home{Dir: home}).APIInfo(); err == nil {
				break
			}
			if time.Now().After(deadline) || cmd.ProcessState != nil {
				t.Fatalf("%s did not start:\n%s", args[0], logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return cmd, logs
}

// freePort returns a loopback port that was free a moment ago: the hub
// keeps its address across restarts, as a real one does.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// processCPU returns the user and system CPU time a running process used
// (Linux /proc).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// killNow kills a process with SIGKILL, as a crash or an OOM kill would.
func killNow(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()
}

// poll calls f every 200 ms until it returns true or d passes.
func poll(t *testing.T, d time.Duration, what string, f func() bool, logs ...fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, l := range logs {
				fmt.Fprintf(&b, "\n---\n%s", l)
			}
			t.Fatalf("timed out waiting for %s%s", what, b.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// clusterBase is what the multi-process tests start first: a devnet with
// two miners and a wallet holding the devnet's keys, with a token scoped
// to the two miners and some methods.
type clusterBase struct {
	dir       string // the test's directory
	devnetCmd *exec.Cmd
	devHome   daemon.Home
	dh        []string // --home of the devnet, for chain commands
	fullnode  string   // FULLNODE_API_INFO=... for the processes
	node      chain.API
	owner     string // the miners' owner and worker key
	miners    [2]struct{ IDAddress string }
	wHome     string
	wInfo     rpc.APIInfo // the wallet, with the scoped token
	devLogs   *logBuffer
	wLogs     *logBuffer
	t         *testing.T
}

// startChainAndWallet starts a devnet (with extra flags), creates two
// miners and starts a wallet whose token allows methods to the miners.
func startChainAndWallet(t *testing.T, methods []string, devnetArgs ...string) *clusterBase {
	t.Helper()
	ctx := context.Background()
	b := &clusterBase{dir: t.TempDir(), t: t}
	b.devnetCmd, b.devHome, b.devLogs = startDevnet(t, devnetArgs...)
	b.dh = []string{"--home", b.devHome.Dir}
	devInfo, _ := b.devHome.APIInfo()
	devTok, _ := os.ReadFile(b.devHome.Path("token"))
	devInfo.Token = strings.TrimSpace(string(devTok))
	b.fullnode = rpc.EnvFullNode + "=" + devInfo.String()
	node, closeNode, err := chain.NewClient(ctx, devInfo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeNode)
	b.node = node
	var keys []struct{ Address string }
	b.cliJSON(&keys, append([]string{"chain", "keys"}, b.dh...)...)
	b.owner = keys[0].Address
	for i := range b.miners {
		b.cliJSON(&b.miners[i], append([]string{"chain", "miner", "create", "--owner", b.owner}, b.dh...)...)
	}
	wHome := filepath.Join(b.dir, "wallet")
	b.wHome = wHome
	pass := filepath.Join(b.dir, "pass")
	if err := os.WriteFile(pass, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, nil, "wallet", "import", "--devnet-keys", b.devHome.Path("keys"), "--home", wHome, "--passphrase-file", pass); code != 0 {
		t.Fatalf("wallet import: %d %q", code, errs)
	}
	_, b.wLogs = startProcess(t, wHome, []string{b.fullnode}, "wallet", "run", "--home", wHome, "--passphrase-file", pass, "--api-listen-address", "127.0.0.1:0")
	quoted := make([]string, len(methods))
	for i, m := range methods {
		quoted[i] = strconv.Quote(m)
	}
	pol := filepath.Join(b.dir, "policy.toml")
	if err := os.WriteFile(pol, []byte(fmt.Sprintf(`addresses = [%q]
[messages]
to = [%q, %q]
methods = [%s]
max_value = "100 FIL"
max_fee_cap = "unlimited"
max_premium = "unlimited"
`, b.owner, b.miners[0].IDAddress, b.miners[1].IDAddress, strings.Join(quoted, ", "))), 0o600); err != nil {
		t.Fatal(err)
	}
	code, tok, errs := runCLI(t, nil, "wallet", "token", "create", "--policy", pol, "--home", wHome)
	if code != 0 {
		t.Fatalf("token create: %d %q", code, errs)
	}
	b.wInfo, _ = (daemon.Home{Dir: wHome}).APIInfo()
	b.wInfo.Token = strings.TrimSpace(tok)
	return b
}

// cliJSON runs a strata command with --json and decodes its output.
func (b *clusterBase) cliJSON(v any, args ...string) {
	b.t.Helper()
	code, out, errs := runCLI(b.t, nil, append(args, "--json")...)
	if code != 0 || json.Unmarshal([]byte(out), v) != nil {
		b.t.Fatalf("%s: %d %q %q", strings.Join(args, " "), code, out, errs)
	}
}

// stopDevnet stops the devnet as an operator would.
func (b *clusterBase) stopDevnet(t *testing.T) {
	_ = b.devnetCmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, b.devnetCmd, 10*time.Second)
}

// TestCluster_Acceptance runs the stack as separate processes: a devnet
// with two miners, a wallet holding their key with a token scoped to the
// miners' sealing messages, a hub signing through that wallet, and two
// workers of two sealing threads each (w2 allowed only the first miner).
// Twenty 2 KiB sectors, three of them with pieces added through the hub,
// are sealed while
//   - worker w1 is killed with SIGKILL during PC1 and during persist, and
//     restarted;
//   - the hub is killed between a pre-commit's submission and its landing,
//     and restarted;
//   - worker w2 is killed and stays away longer than its lease, so its
//     sectors are taken over by w1, and then comes back.
//
// All twenty end proving on chain with the hub's CommR and a pledge, every sector was pre-committed and prove-committed exactly once
// on chain with no failed message, no sector but the ones taken over was
// sealed twice, and each sector with pieces declared on chain the CommD
// the primitives compute from those pieces. w2 was never given a sector
// of the second miner, a worker token cannot operate the hub, and a
// pre-commit submitted again with another CommR gets MismatchedSubmission.
func TestCluster_Acceptance(t *testing.T) {
	const perMiner = 10
	// No WindowPoSt is sent here (TestCluster_Proving proves): unproven
	// sectors must not be terminated as long-faulty while the test runs.
	b := startChainAndWallet(t, []string{"PreCommitSectorBatch2", "ProveCommitSectors3"}, "--chain-block-time", "100ms",
		"--chain-fault-max-age", "100000")
	defer b.stopDevnet(t)
	ctx := context.Background()
	dir, dh, fullnode, node, owner, wLogs, devLogs, cliJSON := b.dir, b.dh, b.fullnode, b.node, b.owner, b.wLogs, b.devLogs, b.cliJSON
	miners := b.miners
	wInfo := b.wInfo
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	// The hub, on a fixed port so that workers find it again after a
	// restart, with a 4 s lease.
	hHome := filepath.Join(dir, "hub")
	hubAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	startHub := func() (*exec.Cmd, *logBuffer) {
		_ = os.Remove(filepath.Join(hHome, "api")) // a killed hub leaves it
		env := []string{fullnode}
		if p := os.Getenv("STRATA_TEST_HUB_CPUPROFILE"); p != "" {
			env = append(env, "STRATA_CPUPROFILE="+p) // the last hub's profile
		}
		return startProcess(t, hHome, env, "hub", "run", "--home", hHome, "--api-listen-address", hubAddr,
			"--hub-lease", "4s", "--hub-ticket-lookback", "2", "--hub-pre-commit-challenge-delay", "10", "--hub-sector-lifetime", "2000",
			"--hub-batch-wait", "1s", "--hub-batch-max", "4",
			// Proving is TestCluster_Proving's: with 100 ms blocks a
			// deadline lasts 1.5 s.
			"--proving-enabled=false")
	}
	hubCmd, hLogs := startHub()
	for _, m := range miners {
		if code, _, errs := runCLI(t, nil, "hub", "miners", "add", "--home", hHome, "--actor", m.IDAddress, "--worker", owner,
			"--numbers", fmt.Sprintf("0-%d", perMiner-1), "--wallet-api", wInfo.String()); code != 0 {
			t.Fatalf("miners add: %d %q", code, errs)
		}
	}
	// The persist store the workers attach ([[attached]] store-a), attached
	// to the hub under the same name and directory.
	storeA := filepath.Join(dir, "store-a")
	if err := os.MkdirAll(storeA, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, nil, "hub", "storage", "attach", "store-a", "--path", storeA, "--home", hHome); code != 0 {
		t.Fatalf("storage attach: %d %q", code, errs)
	}
	code, wtok, errs := runCLI(t, nil, "auth", "create-token", "--service", "hub", "--perm", "write", "--home", hHome)
	if code != 0 {
		t.Fatalf("worker token: %d %q", code, errs)
	}
	hInfo, _ := (daemon.Home{Dir: hHome}).APIInfo()
	hInfo.Token = strings.TrimSpace(wtok)
	// A worker token cannot operate the hub.
	os.Setenv(rpc.EnvHub, hInfo.String())
	code, _, errs = runCLI(t, nil, "hub", "sectors", "list")
	os.Unsetenv(rpc.EnvHub)
	if code == 0 || !strings.Contains(errs, "permission") {
		t.Errorf("hub sectors list with a worker token: %d %q", code, errs)
	}

	// Pieces: one for the first miner, one for either, a full one for the
	// second; their commitments computed here from the data.
	type pieceFile struct {
		path  string
		miner string
		info  piece.Info
	}
	var pieces []pieceFile
	for i, p := range []struct {
		size  int
		miner string
	}{{1000, miners[0].IDAddress}, {400, ""}, {2032, miners[1].IDAddress}} {
		data := make([]byte, p.size)
		rand.Read(data)
		path := filepath.Join(dir, fmt.Sprintf("piece-%d", i))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		h := commp.New(commp.Options{})
		h.Write(data)
		c, size, err := h.Sum()
		if err != nil {
			t.Fatal(err)
		}
		pieces = append(pieces, pieceFile{path, p.miner, piece.Info{CID: c, Size: piece.PaddedSize(size)}})
		args := []string{"hub", "pieces", "add", path, "--home", hHome}
		if p.miner != "" {
			args = append(args, "--miner", p.miner)
		}
		var added hub.Piece
		cliJSON(&added, args...)
		if !added.CID.Equals(c) || added.Size != piece.PaddedSize(size) || added.PayloadSize != uint64(p.size) {
			t.Fatalf("pieces add %s: %+v, want %s of %d bytes", path, added, c, size)
		}
	}

	// The workers. w1 runs PC1 through a processor that holds each task
	// for a second and persists through a transfer script that takes a
	// second, so that it can be killed in the middle of either.
	transfer := filepath.Join(dir, "transfer.sh")
	if err := os.WriteFile(transfer, []byte(`#!/bin/sh
set -e
sleep 1
cp "$STRATA_SEALED" "$STRATA_SEALED_DEST.part"
mv "$STRATA_SEALED_DEST.part" "$STRATA_SEALED_DEST"
for f in "$STRATA_CACHE"/*; do
  [ -f "$f" ] || continue
  n=$(basename "$f")
  cp "$f" "$STRATA_CACHE_DEST/.$n.part"
  mv "$STRATA_CACHE_DEST/.$n.part" "$STRATA_CACHE_DEST/$n"
done
`), 0o755); err != nil {
		t.Fatal(err)
	}
	slowPC1 := `while IFS= read -r l; do sleep 1; printf '%s\n' "$l"; done | exec "$0" processor pc1`
	// Each worker's token is bound to its name. sealing is added to the
	// [sealing] section, extra at the end.
	workerAPI := map[string]string{}
	workerConfig := func(name, sealing, extra string) string {
		code, api, errs := runCLI(t, nil, "hub", "workers", "token", name, "--api-info", "--home", hHome)
		if code != 0 {
			t.Fatalf("hub workers token %s: %d %q", name, code, errs)
		}
		workerAPI[name] = strings.TrimSpace(api)
		path := filepath.Join(dir, name, "worker.toml")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(fmt.Sprintf(`[worker]
name = %q
parent_cache = %q
[sector_manager]
api = %q
[sealing]
seal_interval = "200ms"
rpc_polling_interval = "200ms"
recover_interval = "200ms"
ping_interval = "500ms"
%s
[[sealing_thread]]
location = "t0"
[[sealing_thread]]
location = "t1"
[[attached]]
name = "store-a"
location = %q
%s`, name, filepath.Join(dir, "parents"), strings.TrimSpace(api), sealing, filepath.Join(dir, "store-a"), extra)), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	w1cfg := workerConfig("w1", "", fmt.Sprintf(`[[processors.pc1]]
bin = "/bin/sh"
args = ["-c", %q, %q]
[[processors.transfer]]
bin = %q
`, slowPC1, exe, transfer))
	// w2 may seal for the first miner only.
	minerA, err := parseActor(miners[0].IDAddress)
	if err != nil {
		t.Fatal(err)
	}
	w2cfg := workerConfig("w2", fmt.Sprintf("allowed_miners = [%d]", minerA), "")
	startWorker := func(cfg string) (*exec.Cmd, *logBuffer) {
		return startProcess(t, "", nil, "worker", "run", "--config", cfg)
	}
	w1, w1Logs := startWorker(w1cfg)
	w2, w2Logs := startWorker(w2cfg)
	allLogs := func() []fmt.Stringer { return []fmt.Stringer{hLogs, w1Logs, w2Logs, wLogs, devLogs} }

	threadIn := func(cfg string, states ...string) bool {
		var threads []struct{ State string }
		cliJSON(&threads, "worker", "list", "--config", cfg)
		for _, th := range threads {
			if slices.Contains(states, th.State) {
				return true
			}
		}
		return false
	}
	sectors := func(args ...string) []hub.SectorInfo {
		var ss []hub.SectorInfo
		cliJSON(&ss, append([]string{"hub", "sectors", "list", "--home", hHome}, args...)...)
		return ss
	}

	// w1 killed during PC1, then during persist; restarted each time.
	poll(t, time.Minute, "w1 in PC1", func() bool { return threadIn(w1cfg, "TicketAssigned") }, allLogs()...)
	killNow(t, w1)
	w1, w1Logs = startWorker(w1cfg)
	poll(t, time.Minute, "w1 persisting", func() bool { return threadIn(w1cfg, "PCLanded") }, allLogs()...)
	killNow(t, w1)
	w1, w1Logs = startWorker(w1cfg)

	// The hub killed between a pre-commit's submission and its landing.
	poll(t, time.Minute, "a pre-commit submitted, not landed", func() bool {
		return len(sectors("--state", string(hub.StatePreCommitSubmitted))) > 0
	}, allLogs()...)
	killNow(t, hubCmd)
	firstHubLogs := hLogs
	hubCmd, hLogs = startHub()
	hubStart := time.Now()

	// w2 killed while it holds a sector, and away for longer than its
	// lease: its sectors are taken over; then it comes back.
	var held []hub.SectorInfo
	poll(t, time.Minute, "w2 holding a sector", func() bool {
		held = sectors("--worker", "w2", "--active")
		return len(held) > 0
	}, allLogs()...)
	killNow(t, w2)
	held = sectors("--worker", "w2", "--active")
	poll(t, 2*time.Minute, "w2's sectors taken over", func() bool {
		for _, s := range sectors("--active") {
			if s.Worker == "w2" {
				return false
			}
		}
		return true
	}, allLogs()...)
	w2, w2Logs = startWorker(w2cfg)

	// All twenty proving.
	poll(t, 4*time.Minute, "20 sectors finalized", func() bool {
		return len(sectors("--state", string(hub.StateFinalized))) == 2*perMiner
	}, allLogs()...)

	// The hub's own CPU while the sectors sealed, from its restart.
	if cpu, err := processCPU(hubCmd.Process.Pid); err == nil {
		wall := time.Since(hubStart)
		t.Logf("hub CPU while sealing: %.2f s over %.1f s, %.1f%% of one core", cpu.Seconds(), wall.Seconds(), 100*cpu.Seconds()/wall.Seconds())
	}

	// On chain: each miner's sectors with the hub's CommR, and its power.
	final := sectors()
	commR := map[string][]byte{}
	takenOver := 0
	for _, s := range final {
		takenOver += s.Takeovers
		commR[s.ID.String()] = s.CommR
		tookOver := slices.ContainsFunc(held, func(h hub.SectorInfo) bool { return h.ID == s.ID })
		if s.Takeovers > 0 && !tookOver {
			t.Errorf("sector %s was taken over %d times but its worker was not away", s.ID, s.Takeovers)
		}
	}
	if takenOver == 0 {
		t.Errorf("no sector was taken over from w2 (it held %d)", len(held))
	}
	// w2, allowed only the first miner, was never given a sector of the
	// other: every allocation the hub logged, before and after its restart.
	allocated := regexp.MustCompile(`msg="sector allocated" [^\n]*?sector=f0(\d+)/(\d+) worker=(\S+)`)
	byWorker := map[string]int{}
	for _, l := range []*logBuffer{firstHubLogs, hLogs} {
		for _, m := range allocated.FindAllStringSubmatch(l.String(), -1) {
			byWorker[m[3]]++
			if m[3] == "w2" && m[1] != strconv.FormatUint(minerA, 10) {
				t.Errorf("w2, allowed only f0%d, was given sector f0%s/%s", minerA, m[1], m[2])
			}
		}
	}
	if byWorker["w1"] == 0 || byWorker["w2"] == 0 {
		t.Errorf("sectors allocated by worker, from the hub's logs: %v", byWorker)
	}

	// A submission that differs from an earlier one, through the running
	// hub with the worker's own token: MismatchedSubmission; the same one
	// again: accepted (idempotent).
	{
		s := final[0]
		info, err := rpc.ParseAPIInfo(workerAPI[s.Worker])
		if err != nil {
			t.Fatal(err)
		}
		u, err := info.WebSocketURL()
		if err != nil {
			t.Fatal(err)
		}
		var sealer hub.SealerStruct
		closer, err := rpc.NewClient(ctx, u, hub.Namespace, &sealer.Internal, rpc.ClientOptions{Token: info.Token})
		if err != nil {
			t.Fatal(err)
		}
		pc := hub.PreCommitInfo{Ticket: s.Ticket}
		copy(pc.CommR[:], s.CommR)
		copy(pc.CommD[:], s.CommD)
		if r, err := sealer.Internal.SubmitPreCommit(ctx, s.Worker, s.ID, pc); err != nil || r.Res != hub.Accepted {
			t.Errorf("sector %s's pre-commit submitted again: %+v, %v", s.ID, r, err)
		}
		pc.CommR[0] ^= 1
		if r, err := sealer.Internal.SubmitPreCommit(ctx, s.Worker, s.ID, pc); err != nil || r.Res != hub.MismatchedSubmission {
			t.Errorf("sector %s's pre-commit with another CommR: %+v, %v", s.ID, r, err)
		}
		closer()
	}
	for _, m := range miners {
		var onChain []struct {
			SectorNumber uint64
			SealedCID    cid.Cid
		}
		cliJSON(&onChain, append([]string{"chain", "sectors", m.IDAddress}, dh...)...)
		if len(onChain) != perMiner {
			t.Errorf("miner %s has %d sectors on chain, want %d", m.IDAddress, len(onChain), perMiner)
		}
		id, _ := parseActor(m.IDAddress)
		for _, s := range onChain {
			r := commR[hub.SectorID{Miner: id, Number: s.SectorNumber}.String()]
			var r32 [32]byte
			copy(r32[:], r)
			if !s.SealedCID.Equals(piece.SealedCID(r32)) {
				t.Errorf("miner %s sector %d: CommR on chain %s, the hub's %x", m.IDAddress, s.SectorNumber, s.SealedCID, r)
			}
		}
		// Power counts from a sector's first WindowPoSt (the network's
		// rule since actors v3, which the devnet follows), which
		// TestCluster_Proving checks. Here: every sector is live, none
		// terminated.
		maddr, _ := address.NewFromString(m.IDAddress)
		for _, s := range onChain {
			if on, err := node.StateSectorGetInfo(ctx, maddr, s.SectorNumber, types.TipSetKey{}); err != nil || on == nil || on.InitialPledge.Sign() <= 0 {
				t.Errorf("miner %s sector %d on chain: %+v, %v", m.IDAddress, s.SectorNumber, on, err)
			}
		}
	}

	// Every sector pre-committed and prove-committed exactly once on
	// chain, no message failed; and the pre-commits of sectors with
	// pieces declare the pieces' CommD.
	var msgs []hub.MessageInfo
	cliJSON(&msgs, "hub", "messages", "--home", hHome, "--limit", "1000")
	seen := map[string]int{}
	unsealed := map[string]*cid.Cid{}
	for _, m := range msgs {
		switch m.State {
		case "landed":
		case "failed":
			t.Errorf("message %s (%s) failed with exit code %d", m.CID, m.Kind, m.ExitCode)
			continue
		default:
			continue // replaced or dropped: not executed
		}
		c, err := cid.Decode(m.CID)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := node.ChainGetMessage(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind == "precommit" {
			var p actors.PreCommitSectorBatch2Params
			if err := actors.DecodeParams(msg.Params, &p); err != nil {
				t.Fatal(err)
			}
			for _, s := range p.Sectors {
				k := hub.SectorID{Miner: m.Miner, Number: s.SectorNumber}.String()
				seen["precommit "+k]++
				unsealed[k] = s.UnsealedCid
			}
		} else if m.Kind == "provecommit" {
			var p actors.ProveCommitSectors3Params
			if err := actors.DecodeParams(msg.Params, &p); err != nil {
				t.Fatal(err)
			}
			for _, a := range p.SectorActivations {
				seen["provecommit "+hub.SectorID{Miner: m.Miner, Number: a.SectorNumber}.String()]++
			}
		}
	}
	for _, s := range final {
		for _, kind := range []string{"precommit", "provecommit"} {
			if n := seen[kind+" "+s.ID.String()]; n != 1 {
				t.Errorf("sector %s: %d %s messages executed on chain, want 1", s.ID, n, kind)
			}
		}
	}
	var listed []hub.Piece
	cliJSON(&listed, "hub", "pieces", "list", "--home", hHome)
	bySector := map[string][]piece.Info{}
	for _, p := range listed {
		if p.State != hub.PieceSealed || p.Sector == nil {
			t.Errorf("piece %s is %s in %v, want sealed", p.CID, p.State, p.Sector)
			continue
		}
		bySector[p.Sector.String()] = append(bySector[p.Sector.String()], piece.Info{CID: p.CID, Size: p.Size})
	}
	if len(listed) != len(pieces) {
		t.Errorf("%d pieces listed, want %d", len(listed), len(pieces))
	}
	for _, s := range final {
		got := unsealed[s.ID.String()]
		infos := bySector[s.ID.String()]
		if len(infos) == 0 {
			if got != nil {
				t.Errorf("committed-capacity sector %s declared unsealed CID %s", s.ID, got)
			}
			continue
		}
		want, err := commp.UnsealedCID(2048, infos)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || !got.Equals(want) {
			t.Errorf("sector %s with %d pieces: unsealed CID on chain %v, the pieces' CommD %s", s.ID, len(infos), got, want)
		}
	}

	// The wallet signed every message, all allowed by the token.
	var audit []struct{ Decision string }
	cliJSON(&audit, "wallet", "audit", "--home", b.wHome)
	for _, a := range audit {
		if a.Decision != "allowed" {
			t.Errorf("audit entry %+v", a)
		}
	}
	// Both workers end idle, and stop cleanly.
	for _, w := range []struct {
		cmd *exec.Cmd
		cfg string
	}{{w1, w1cfg}, {w2, w2cfg}} {
		poll(t, 30*time.Second, "idle threads", func() bool {
			var threads []struct{ State string }
			cliJSON(&threads, "worker", "list", "--config", w.cfg)
			for _, th := range threads {
				if th.State != "Empty" {
					return false
				}
			}
			return true
		}, allLogs()...)
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		if code, _ := waitExit(t, w.cmd, 30*time.Second); code != 0 {
			t.Errorf("worker exit %d", code)
		}
	}
	var ws []hub.WorkerStatus
	cliJSON(&ws, "hub", "workers", "list", "--home", hHome)
	if len(ws) != 2 {
		t.Errorf("hub workers: %+v", ws)
	}
	// Every sector was persisted to the store the hub chose, which counts
	// them.
	var stores []hub.StoreInfo
	cliJSON(&stores, "hub", "storage", "list", "--home", hHome)
	if len(stores) != 1 || stores[0].Sectors != 2*perMiner || stores[0].Reserved != 2*perMiner*hub.SectorSpace(2048) {
		t.Errorf("hub storage list: %+v", stores)
	}
	for _, s := range final {
		if s.PersistedTo != "store-a" {
			t.Errorf("sector %s persisted to %q", s.ID, s.PersistedTo)
		}
	}
	_ = hubCmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, hubCmd, 10*time.Second)
}
