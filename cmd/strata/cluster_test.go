package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-sp/strata/daemon"
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

// TestCluster_SealsOnDevnet runs the stack as separate processes: a
// devnet, a wallet holding the miner's key with a token scoped to the
// miner's sealing messages, a hub signing through that wallet, and a
// worker with two sealing threads. Four committed-capacity 2 KiB sectors
// are sealed and land on chain.
func TestCluster_SealsOnDevnet(t *testing.T) {
	const sectors = 4
	devnetCmd, devHome, devLogs := startDevnet(t, "--chain-block-time", "100ms")
	defer func() { _ = devnetCmd.Process.Signal(syscall.SIGTERM); waitExit(t, devnetCmd, 10*time.Second) }()
	dir := t.TempDir()
	dh := []string{"--home", devHome.Dir}
	devInfo, _ := devHome.APIInfo()
	devTok, _ := os.ReadFile(devHome.Path("token"))
	devInfo.Token = strings.TrimSpace(string(devTok))
	fullnode := rpc.EnvFullNode + "=" + devInfo.String()

	code, out, errs := runCLI(t, nil, append([]string{"chain", "keys", "--json"}, dh...)...)
	var keys []struct{ Address string }
	if code != 0 || json.Unmarshal([]byte(out), &keys) != nil {
		t.Fatalf("chain keys: %d %q %q", code, out, errs)
	}
	owner := keys[0].Address
	code, out, errs = runCLI(t, nil, append([]string{"chain", "miner", "create", "--owner", owner, "--json"}, dh...)...)
	var m struct{ IDAddress string }
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil {
		t.Fatalf("miner create: %d %q %q", code, out, errs)
	}

	// The wallet, with the devnet's keys and a token for the miner.
	wHome := filepath.Join(dir, "wallet")
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs = runCLI(t, nil, "wallet", "import", "--devnet-keys", devHome.Path("keys"), "--home", wHome, "--passphrase-file", pass); code != 0 {
		t.Fatalf("wallet import: %d %q", code, errs)
	}
	_, wLogs := startProcess(t, wHome, []string{fullnode}, "wallet", "run", "--home", wHome, "--passphrase-file", pass, "--api-listen-address", "127.0.0.1:0")
	pol := filepath.Join(dir, "policy.toml")
	if err := os.WriteFile(pol, []byte(fmt.Sprintf(`addresses = [%q]
[messages]
to = [%q]
methods = ["PreCommitSectorBatch2", "ProveCommitSectors3"]
max_value = "10 FIL"
max_fee_cap = "unlimited"
max_premium = "unlimited"
`, owner, m.IDAddress)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, tok, errs := runCLI(t, nil, "wallet", "token", "create", "--policy", pol, "--home", wHome)
	if code != 0 {
		t.Fatalf("token create: %d %q", code, errs)
	}
	wInfo, _ := (daemon.Home{Dir: wHome}).APIInfo()
	wInfo.Token = strings.TrimSpace(tok)

	// The hub.
	hHome := filepath.Join(dir, "hub")
	_, hLogs := startProcess(t, hHome, []string{fullnode}, "hub", "run", "--home", hHome, "--api-listen-address", "127.0.0.1:0",
		"--hub-ticket-lookback", "2", "--hub-pre-commit-challenge-delay", "10", "--hub-sector-lifetime", "2000",
		"--hub-batch-wait", "1s", "--hub-batch-max", "4")
	if code, _, errs = runCLI(t, nil, "hub", "miners", "add", "--home", hHome, "--actor", m.IDAddress, "--worker", owner,
		"--numbers", "0-"+fmt.Sprint(sectors-1), "--wallet-api", wInfo.String()); code != 0 {
		t.Fatalf("miners add: %d %q", code, errs)
	}
	code, wtok, errs := runCLI(t, nil, "auth", "create-token", "--service", "hub", "--perm", "write", "--home", hHome)
	if code != 0 {
		t.Fatalf("worker token: %d %q", code, errs)
	}
	hInfo, _ := (daemon.Home{Dir: hHome}).APIInfo()
	hInfo.Token = strings.TrimSpace(wtok)

	// The worker, two threads.
	wcfg := filepath.Join(dir, "worker.toml")
	if err := os.WriteFile(wcfg, []byte(fmt.Sprintf(`[worker]
name = "w1"
parent_cache = "parents"
[sector_manager]
api = %q
[sealing]
seal_interval = "200ms"
rpc_polling_interval = "200ms"
recover_interval = "200ms"
[[sealing_thread]]
location = "t0"
[[sealing_thread]]
location = "t1"
[[attached]]
name = "store-a"
location = "store-a"
`, hInfo.String())), 0o600); err != nil {
		t.Fatal(err)
	}
	workerCmd, workerLogs := startProcess(t, "", nil, "worker", "run", "--config", wcfg)

	deadline := time.Now().Add(90 * time.Second)
	for n := 0; n < sectors; {
		code, out, _ := runCLI(t, nil, "hub", "sectors", "status", "--home", hHome, m.IDAddress, fmt.Sprint(n), "--json")
		var si hub.SectorInfo
		if code == 0 && json.Unmarshal([]byte(out), &si) == nil && si.State == hub.StateFinalized {
			n++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("sector %d: %q\nworker:\n%s\nhub:\n%s\nwallet:\n%s\ndevnet:\n%s", n, out, workerLogs, hLogs, wLogs, devLogs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// On chain: every sector, with power.
	code, out, errs = runCLI(t, nil, append([]string{"chain", "sectors", m.IDAddress, "--json"}, dh...)...)
	var onChain []struct{ SectorNumber uint64 }
	if code != 0 || json.Unmarshal([]byte(out), &onChain) != nil || len(onChain) != sectors {
		t.Fatalf("chain sectors: %d %q %q", code, out, errs)
	}
	// The wallet's audit log shows the hub's signatures, all allowed.
	code, out, _ = runCLI(t, nil, "wallet", "audit", "--home", wHome, "--json")
	var audit []struct{ Decision string }
	if code != 0 || json.Unmarshal([]byte(out), &audit) != nil || len(audit) < 2 {
		t.Errorf("wallet audit: %d %q", code, out)
	}
	for _, a := range audit {
		if a.Decision != "allowed" {
			t.Errorf("audit entry %+v", a)
		}
	}
	code, out, _ = runCLI(t, nil, "worker", "list", "--config", wcfg, "--json")
	if code != 0 || !strings.Contains(out, `"State": "Empty"`) {
		t.Errorf("worker list: %d %q", code, out)
	}
	_ = workerCmd.Process.Signal(syscall.SIGTERM)
	if code, _ := waitExit(t, workerCmd, 10*time.Second); code != 0 {
		t.Errorf("worker exit %d\n%s", code, workerLogs)
	}
}
