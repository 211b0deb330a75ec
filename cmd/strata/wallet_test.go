package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-sp/strata/chain"
	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/wallet"
)

// dirDigest hashes every file in dir (names and contents), to show that a
// failed command changed nothing.
func dirDigest(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d %x\n", n, len(b), sha256.Sum256(b))
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestCLI_WalletAgainstDevnet runs a devnet and a wallet as separate
// processes: the devnet's genesis keys are imported, a transfer signed
// through the wallet lands on chain, a scoped token is refused what its
// policy does not allow (and the audit log says so), and a revoked token
// is refused at once.
func TestCLI_WalletAgainstDevnet(t *testing.T) {
	ctx := context.Background()
	devnetCmd, devHome, devLogs := startDevnet(t, "--chain-block-time", "50ms")
	defer func() { _ = devnetCmd.Process.Signal(syscall.SIGTERM); waitExit(t, devnetCmd, 10*time.Second) }()

	dir := t.TempDir()
	wHome := daemon.Home{Dir: filepath.Join(dir, "wallet")}
	passFile := filepath.Join(dir, "pass")
	if err := os.WriteFile(passFile, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := []string{"--home", wHome.Dir}

	// Offline: import the devnet's genesis keys.
	code, out, errs := runCLI(t, nil, append([]string{"wallet", "import", "--devnet-keys", devHome.Path("keys"), "--passphrase-file", passFile, "--json"}, w...)...)
	var imported []address.Address
	if code != 0 || json.Unmarshal([]byte(out), &imported) != nil || len(imported) != 4 {
		t.Fatalf("wallet import --devnet-keys: %d %q %q", code, out, errs)
	}
	// Again: nothing new, no error.
	if code, _, errs = runCLI(t, nil, append([]string{"wallet", "import", "--devnet-keys", devHome.Path("keys"), "--passphrase-file", passFile}, w...)...); code != 0 || strings.Count(errs, "already in the wallet") != 4 {
		t.Fatalf("second import: %d %q", code, errs)
	}
	before := dirDigest(t, wHome.Path("keys"))
	// A wrong passphrase: a clear error, nothing written.
	code, _, errs = runCLI(t, map[string]string{envWalletPassphrase: "wrong"}, append([]string{"wallet", "new"}, w...)...)
	if code != 1 || !strings.Contains(errs, "opens with this passphrase") {
		t.Errorf("wallet new with a wrong passphrase: %d %q", code, errs)
	}
	code, _, errs = runCLI(t, map[string]string{envWalletPassphrase: "wrong"}, append([]string{"wallet", "export", imported[0].String()}, w...)...)
	if code != 1 || !strings.Contains(errs, "wrong passphrase") {
		t.Errorf("wallet export with a wrong passphrase: %d %q", code, errs)
	}
	if code, _, errs = runCLI(t, nil, append([]string{"wallet", "new"}, w...)...); code != 1 || !strings.Contains(errs, "passphrase is needed") {
		t.Errorf("wallet new without a passphrase: %d %q", code, errs)
	}
	if after := dirDigest(t, wHome.Path("keys")); after != before {
		t.Error("failed commands changed the keystore")
	}
	// The exported key is the devnet's file.
	code, out, errs = runCLI(t, nil, append([]string{"wallet", "export", imported[0].String(), "--passphrase-file", passFile}, w...)...)
	orig, _ := os.ReadFile(devHome.Path(filepath.Join("keys", imported[0].String()+".key")))
	if code != 0 || strings.TrimSpace(out) != strings.TrimSpace(string(orig)) {
		t.Errorf("wallet export: %d %q %q", code, out, errs)
	}

	devInfo, err := devHome.APIInfo()
	if err != nil {
		t.Fatal(err)
	}
	devTok, _ := os.ReadFile(devHome.Path("token"))
	devInfo.Token = strings.TrimSpace(string(devTok))
	// Balances without a running wallet, through FULLNODE_API_INFO.
	code, out, errs = runCLI(t, map[string]string{rpc.EnvFullNode: devInfo.String()}, append([]string{"wallet", "balance", imported[0].String()}, w...)...)
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(out), "FIL") {
		t.Errorf("wallet balance (offline): %d %q %q", code, out, errs)
	}

	// Run the wallet, connected to the devnet for balances.
	exe, _ := os.Executable()
	wcmd := exec.Command(exe, "wallet", "run", "--home", wHome.Dir, "--passphrase-file", passFile, "--api-listen-address", "127.0.0.1:0")
	wcmd.Env = append(os.Environ(), envReexec+"=1", rpc.EnvFullNode+"="+devInfo.String())
	wlogs := &logBuffer{}
	wcmd.Stderr = wlogs
	if err := wcmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wcmd.Process.Kill(); _, _ = wcmd.Process.Wait() })
	waitFor(t, func() bool { _, err := wHome.APIInfo(); return err == nil })

	// Commands now go through the running wallet.
	code, out, errs = runCLI(t, nil, append([]string{"wallet", "list", "--json"}, w...)...)
	var rows []struct {
		Address address.Address
		Balance *big.Int
	}
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 4 || rows[0].Balance == nil || rows[0].Balance.IsZero() {
		t.Fatalf("wallet list: %d %q %q\n%s", code, out, errs, wlogs)
	}

	node, closeNode, err := chain.NewClient(ctx, devInfo)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNode()
	wInfo, err := wHome.APIInfo()
	if err != nil {
		t.Fatal(err)
	}
	adminTok, _ := os.ReadFile(wHome.Path("token"))
	dialWallet := func(tok string) wallet.Signer {
		var c wallet.WalletStruct
		info := wInfo
		info.Token = tok
		closer, err := rpc.DialAPIInfo(ctx, info, wallet.Namespace, &c.Internal)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closer)
		return wallet.Remote{API: &c}
	}
	from, to := imported[0], imported[1]
	send := func(s wallet.Signer, value big.TokenAmount) (*ftypes.SignedMessage, error) {
		nonce, err := node.MpoolGetNonce(ctx, from)
		if err != nil {
			t.Fatal(err)
		}
		m := &ftypes.Message{From: from, To: to, Nonce: nonce, Value: value, GasLimit: 1_000_000,
			GasFeeCap: big.TokenAmount{Int: big.NewInt(100)}, GasPremium: big.TokenAmount{Int: big.NewInt(1)}}
		return wallet.SignMessage(ctx, s, m)
	}

	// An admin token signs a transfer, and the chain accepts it.
	toBefore, err := node.WalletBalance(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := send(dialWallet(strings.TrimSpace(string(adminTok))), big.FromFIL(3))
	if err != nil {
		t.Fatalf("admin sign: %v\n%s", err, wlogs)
	}
	c, err := node.MpoolPush(ctx, sm)
	if err != nil {
		t.Fatalf("push: %v\n%s", err, devLogs)
	}
	l, err := node.StateWaitMsg(ctx, c, 0, -1, true)
	if err != nil || l.Receipt.ExitCode != 0 {
		t.Fatalf("transfer: %+v %v", l, err)
	}
	toAfter, _ := node.WalletBalance(ctx, to)
	if got := toAfter.Int.Sub(toBefore.Int); !got.Equals(big.FromFIL(3).Int) {
		t.Errorf("recipient gained %s, want 3 FIL", got)
	}

	// A token for one miner's sealing messages: the transfer is refused.
	pol := filepath.Join(dir, "sealing.toml")
	if err := os.WriteFile(pol, []byte(fmt.Sprintf(`addresses = [%q]
[messages]
to = ["f01000"]
methods = ["PreCommitSectorBatch2", "ProveCommitSectors3", "SubmitWindowedPoSt"]
max_fee_cap = "1 nanoFIL"
max_premium = "1 nanoFIL"
`, from)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, nil, append([]string{"wallet", "token", "create", "--policy", pol, "--json"}, w...)...)
	var tok wallet.Token
	if code != 0 || json.Unmarshal([]byte(out), &tok) != nil || tok.Token == "" {
		t.Fatalf("token create: %d %q %q", code, out, errs)
	}
	scoped := dialWallet(tok.Token)
	if _, err := send(scoped, big.FromFIL(1)); err == nil || !strings.Contains(err.Error(), "messages to "+to.String()+" are not allowed") {
		t.Errorf("scoped transfer: %v", err)
	}
	nonce, _ := node.MpoolGetNonce(ctx, from)
	post := &ftypes.Message{From: from, To: address.MustParse("f01000"), Nonce: nonce, Method: uint64(actors.MinerSubmitWindowedPoSt),
		Value: big.TokenAmount{Int: big.NewInt(0)}, GasLimit: 1_000_000, GasFeeCap: big.TokenAmount{Int: big.NewInt(100)}, GasPremium: big.TokenAmount{Int: big.NewInt(1)}}
	if _, err := wallet.SignMessage(ctx, scoped, post); err != nil {
		t.Errorf("scoped SubmitWindowedPoSt: %v", err)
	}
	code, out, errs = runCLI(t, nil, append([]string{"wallet", "audit", "--token", tok.ID, "--json"}, w...)...)
	var audit []wallet.AuditEntry
	if code != 0 || json.Unmarshal([]byte(out), &audit) != nil || len(audit) != 2 ||
		audit[0].Decision != wallet.Allowed || audit[1].Decision != wallet.Denied || !strings.Contains(audit[1].Reason, "not allowed") || audit[1].Value != "1000000000000000000" {
		t.Errorf("wallet audit: %d %q %q", code, out, errs)
	}
	if code, out, _ = runCLI(t, nil, append([]string{"wallet", "audit"}, w...)...); code != 0 || !strings.Contains(out, "denied") || !strings.Contains(out, "admin") {
		t.Errorf("wallet audit table: %d %q", code, out)
	}

	// Revoked: refused at once.
	if code, _, errs = runCLI(t, nil, append([]string{"wallet", "token", "revoke", tok.ID}, w...)...); code != 0 {
		t.Fatalf("token revoke: %d %q", code, errs)
	}
	if _, err := wallet.SignMessage(ctx, scoped, post); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked token: %v", err)
	}
	if code, out, _ = runCLI(t, nil, append([]string{"wallet", "token", "list"}, w...)...); code != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("token list: %d %q", code, out)
	}
	// The benchmark command, briefly.
	code, out, errs = runCLI(t, nil, append([]string{"bench", "wallet", "--duration", "500ms", "--callers", "4", "--json"}, w...)...)
	var br benchWalletResult
	if code != 0 || json.Unmarshal([]byte(out), &br) != nil || br.Signs == 0 || br.SignsPerSecond <= 0 || br.BareSignsPerSecond <= 0 {
		t.Errorf("bench wallet: %d %q %q", code, out, errs)
	}
	// Deleting needs --yes.
	if code, _, errs = runCLI(t, nil, append([]string{"wallet", "delete", to.String()}, w...)...); code != 2 || !strings.Contains(errs, "--yes") {
		t.Errorf("delete without --yes: %d %q", code, errs)
	}
	_ = wcmd.Process.Signal(syscall.SIGTERM)
	if code, _ := waitExit(t, wcmd, 10*time.Second); code != 0 {
		t.Errorf("wallet exit code %d\n%s", code, wlogs)
	}
}
