package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCLI_ChainAgainstRunningDevnet drives a devnet process with the chain
// commands: head, keys, send, miner create, sectors, deals.
func TestCLI_ChainAgainstRunningDevnet(t *testing.T) {
	cmd, home, logs := startDevnet(t, "--chain-block-time", "50ms")
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); waitExit(t, cmd, 10*time.Second) }()
	h := []string{"--home", home.Dir}
	code, out, errs := runCLI(t, nil, append([]string{"chain", "head"}, h...)...)
	if code != 0 || !strings.HasPrefix(out, "height ") {
		t.Fatalf("chain head: %d %q %q\n%s", code, out, errs, logs)
	}
	code, out, errs = runCLI(t, nil, append([]string{"chain", "keys", "--json"}, h...)...)
	var keys []struct{ Address, Balance, KeyFile string }
	if code != 0 || json.Unmarshal([]byte(out), &keys) != nil || len(keys) != 4 || keys[0].Balance != "1000000000000000000000000" {
		t.Fatalf("chain keys: %d %q %q", code, out, errs)
	}
	owner := keys[0].Address
	code, out, errs = runCLI(t, nil, append([]string{"chain", "send", "--from", owner, keys[1].Address, "2.5", "--json"}, h...)...)
	if code != 0 || !strings.Contains(out, `"ExitCode": 0`) {
		t.Fatalf("chain send: %d %q %q", code, out, errs)
	}
	code, out, errs = runCLI(t, nil, append([]string{"chain", "miner", "create", "--owner", owner, "--json"}, h...)...)
	var m struct{ IDAddress, RobustAddress string }
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil || !strings.HasPrefix(m.IDAddress, "f0") || !strings.HasPrefix(m.RobustAddress, "f2") {
		t.Fatalf("chain miner create: %d %q %q", code, out, errs)
	}
	if code, out, errs = runCLI(t, nil, append([]string{"chain", "sectors", m.IDAddress, "--json"}, h...)...); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("chain sectors of a new miner: %d %q %q", code, out, errs)
	}
	if code, _, errs = runCLI(t, nil, append([]string{"chain", "sectors", owner}, h...)...); code != 1 || !strings.Contains(errs, "not a miner") {
		t.Errorf("chain sectors of an account: %d %q", code, errs)
	}
	if code, out, errs = runCLI(t, nil, append([]string{"chain", "deals", "--json"}, h...)...); code != 0 || strings.TrimSpace(out) != "{}" {
		t.Errorf("chain deals: %d %q %q", code, out, errs)
	}
	if code, _, errs = runCLI(t, nil, append([]string{"chain", "send", "--from", owner, "f01234567", "1"}, h...)...); code != 1 {
		t.Errorf("send to a missing ID address: %d %q", code, errs)
	}

	// Kill the process (no draining) and start it again on the same home:
	// the chain goes on from its height with the same balances and miner.
	var before struct{ Height int64 }
	if code, out, _ = runCLI(t, nil, append([]string{"chain", "head", "--json"}, h...)...); code != 0 || json.Unmarshal([]byte(out), &before) != nil {
		t.Fatalf("chain head: %d %q", code, out)
	}
	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()
	_ = os.Remove(home.Path("api"))
	exe, _ := os.Executable()
	cmd = exec.Command(exe, "devnet", "--home", home.Dir, "--api-listen-address", "127.0.0.1:0", "--chain-block-time", "50ms")
	cmd.Env = append(os.Environ(), envReexec+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := home.APIInfo(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the restarted devnet did not come up")
		}
	}
	var after struct{ Height int64 }
	if code, out, errs = runCLI(t, nil, append([]string{"chain", "head", "--json"}, h...)...); code != 0 || json.Unmarshal([]byte(out), &after) != nil || after.Height < before.Height {
		t.Fatalf("head after the restart: %d %q %q (before: %d)", code, out, errs, before.Height)
	}
	code, out, errs = runCLI(t, nil, append([]string{"chain", "keys", "--json"}, h...)...)
	if code != 0 || json.Unmarshal([]byte(out), &keys) != nil || keys[1].Balance != "1000002500000000000000000" {
		t.Fatalf("balances after the restart: %d %q %q", code, out, errs)
	}
	if code, out, errs = runCLI(t, nil, append([]string{"chain", "sectors", m.IDAddress, "--json"}, h...)...); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("the miner after the restart: %d %q %q", code, out, errs)
	}
}
