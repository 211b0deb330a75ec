package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/strata-sp/strata/chain"
	"github.com/strata-sp/strata/config"
	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/wallet"
	"github.com/strata-sp/strata/wallet/keystore"
	"github.com/strata-sp/strata/wallet/service"
)

// walletPort is the wallet's default port (lotus-wallet's).
const walletPort = 1777

// envWalletPassphrase holds the keystore passphrase when no file is given.
const envWalletPassphrase = "STRATA_WALLET_PASSPHRASE"

// walletConfig is the wallet's config.toml.
type walletConfig struct {
	API    config.API    `toml:"API" comment:"The JSON-RPC listener (also /healthz, /readyz, /metrics)."`
	Log    config.Log    `toml:"Log" comment:"Logging."`
	Store  config.Store  `toml:"Store" comment:"The SQL database: scoped tokens and the audit log."`
	Wallet walletSection `toml:"Wallet" comment:"Keys."`
	Chain  walletChain   `toml:"Chain" comment:"The chain node Wallet.Balance asks."`
}

type walletSection struct {
	PassphraseFile string `toml:"PassphraseFile" comment:"file holding the keystore passphrase (else $STRATA_WALLET_PASSPHRASE, else a prompt on the terminal)"`
}

type walletChain struct {
	APIInfo string `toml:"APIInfo" comment:"TOKEN:MULTIADDR of a Lotus-API node (empty: $FULLNODE_API_INFO, else no balances)"`
}

func defaultWalletConfig() *walletConfig {
	return &walletConfig{API: config.DefaultAPI(walletPort), Log: config.DefaultLog(), Store: config.DefaultStore()}
}

// Validate implements config.Validator.
func (c *walletConfig) Validate() error {
	errs := []error{c.API.Validate("API"), c.Log.Validate("Log"), c.Store.Validate("Store")}
	if c.Chain.APIInfo != "" {
		if _, err := rpc.ParseAPIInfo(c.Chain.APIInfo); err != nil {
			errs = append(errs, fmt.Errorf("Chain.APIInfo: %w", err))
		}
	}
	return errors.Join(errs...)
}

func walletCommand() *command {
	return &command{
		name:    "wallet",
		summary: "keys kept at home, signing by token policy, and the audit log",
		subs: []*command{
			{name: "run", summary: "serve the Wallet API (sign, list, has, balance) until interrupted",
				usage: "[--home DIR] [--config FILE] [--passphrase-file FILE] [config flags]", run: runWalletRun},
			{name: "new", summary: "generate a key", usage: "[secp256k1|bls]", run: runWalletNew},
			{name: "list", summary: "list the keys", usage: "[--json]", run: runWalletList},
			{name: "import", summary: "import a key in `lotus wallet export` form (or the devnet's genesis keys)",
				usage: "[FILE|-] | --devnet-keys [DIR]", run: runWalletImport},
			{name: "export", summary: "print a key in `lotus wallet export` form", usage: "ADDR", run: runWalletExport},
			{name: "default", summary: "show or set the default key", usage: "[ADDR]", run: runWalletDefault},
			{name: "delete", summary: "delete a key (export it first: a deleted key is gone)", usage: "ADDR --yes", run: runWalletDelete},
			{name: "balance", summary: "a key's balance on chain", usage: "ADDR", run: runWalletBalance},
			{name: "token", summary: "scoped tokens: token create|list|revoke", subs: []*command{
				{name: "create", summary: "print a token limited by a policy file", usage: "--policy FILE [--name NAME] [--json]", run: runWalletTokenCreate},
				{name: "list", summary: "list tokens", usage: "[--json]", run: runWalletTokenList},
				{name: "revoke", summary: "revoke a token: its next request is refused", usage: "ID", run: runWalletTokenRevoke},
			}},
			{name: "audit", summary: "show the audit log, newest first",
				usage: "[--token ID] [--address ADDR] [--denied] [--since DURATION] [--limit N] [--json]", run: runWalletAudit},
			configCommand("wallet", func() any { return defaultWalletConfig() }),
		},
	}
}

// walletFlags are the client commands' flags.
type walletFlags struct {
	home, config, passFile string
	asJSON                 bool
}

func newWalletFlags(name string, e *env, f *walletFlags) *flag.FlagSet {
	fs := newFlags(name, e)
	fs.StringVar(&f.home, "home", "", "the wallet's home (default: $WALLET_API_INFO, else $STRATA_HOME/wallet or ~/.strata/wallet)")
	fs.StringVar(&f.config, "config", "", "config file when no wallet runs (default config.toml in the home)")
	fs.StringVar(&f.passFile, "passphrase-file", "", "file holding the keystore passphrase, when no wallet runs")
	fs.BoolVar(&f.asJSON, "json", false, "print JSON")
	return fs
}

// loadWalletConfig reads the config of the wallet in home.
func loadWalletConfig(home daemon.Home, file string, flags *config.Flags) (*walletConfig, error) {
	cfg := defaultWalletConfig()
	var err error
	if file != "" {
		err = config.Load(cfg, file, flags)
	} else {
		err = config.LoadOptional(cfg, home.ConfigPath(), flags)
	}
	return cfg, err
}

// readPassphrase finds the keystore passphrase: a file, the environment, or
// a prompt on the terminal (twice when confirm is set).
func readPassphrase(e *env, file string, confirm bool) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("passphrase file: %w", err)
		}
		p := []byte(strings.TrimRight(string(b), "\r\n"))
		if len(p) == 0 {
			return nil, fmt.Errorf("passphrase file %s is empty", file)
		}
		return p, nil
	}
	if p := e.getenv(envWalletPassphrase); p != "" {
		return []byte(p), nil
	}
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, fmt.Errorf("the keystore passphrase is needed: use --passphrase-file FILE, [Wallet] PassphraseFile or $%s (no terminal to prompt on)", envWalletPassphrase)
	}
	fmt.Fprint(e.stderr, "Keystore passphrase: ")
	p, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	if len(p) == 0 {
		return nil, errors.New("empty passphrase")
	}
	if confirm {
		fmt.Fprint(e.stderr, "Again: ")
		q, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		if string(p) != string(q) {
			return nil, errors.New("the passphrases differ")
		}
	}
	return p, nil
}

// unlockKeys decrypts every key, so a wrong passphrase fails here rather
// than at the first signature, and a new key is never written under a
// passphrase the others do not share. Damaged files are reported and
// skipped; if no key decrypts, the passphrase is wrong.
func unlockKeys(e *env, keys *keystore.Store) (int, error) {
	list, err := keys.List()
	if err != nil {
		return 0, err
	}
	var ok int
	var errs []error
	for _, a := range list {
		if _, err := keys.Key(a); err != nil {
			errs = append(errs, err)
			continue
		}
		ok++
	}
	if len(list) > 0 && ok == 0 {
		if errors.Is(errs[0], keystore.ErrWrongPassphrase) {
			return 0, fmt.Errorf("no key in %s opens with this passphrase: %w", keys.Dir(), errs[0])
		}
		return 0, errors.Join(errs...)
	}
	for _, err := range errs {
		fmt.Fprintf(e.stderr, "warning: %v\n", err)
	}
	return ok, nil
}

// openWallet returns the Wallet API: a running wallet's ($WALLET_API_INFO,
// or the one holding the home's lock), or, when none runs, the wallet
// opened in this process on the home's keystore and store. needPass says
// whether the command decrypts or writes keys.
func openWallet(ctx context.Context, e *env, f *walletFlags, needPass, confirmNew bool) (wallet.API, func(), error) {
	if f.home == "" {
		if info, ok, err := rpc.APIInfoFromEnv(rpc.EnvWallet); err != nil {
			return nil, nil, err
		} else if ok {
			var w wallet.WalletStruct
			closer, err := rpc.DialAPIInfo(ctx, info, wallet.Namespace, &w.Internal)
			return &w, closer, err
		}
	}
	home, err := resolveHome(e, "wallet", f.home)
	if err != nil {
		return nil, nil, err
	}
	unlock, err := home.Lock()
	if errors.Is(err, daemon.ErrLocked) {
		info, err := home.APIInfo()
		if err != nil {
			return nil, nil, fmt.Errorf("%s is locked by another strata process (a `wallet run` still starting, or another wallet command); retry shortly: %w", home.Dir, err)
		}
		var w wallet.WalletStruct
		closer, err := rpc.DialAPIInfo(ctx, info, wallet.Namespace, &w.Internal)
		return &w, closer, err
	} else if err != nil {
		return nil, nil, err
	}
	svc, closeSvc, err := openLocalWallet(ctx, e, home, f.config, f.passFile, nil, needPass, confirmNew)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return svc, func() { closeSvc(); unlock() }, nil
}

// openLocalWallet builds the wallet service on home (already locked).
func openLocalWallet(ctx context.Context, e *env, home daemon.Home, cfgFile, passFile string, flags *config.Flags, needPass, confirmNew bool) (*service.Service, func(), error) {
	cfg, err := loadWalletConfig(home, cfgFile, flags)
	if err != nil {
		return nil, nil, err
	}
	if passFile == "" {
		passFile = cfg.Wallet.PassphraseFile
	}
	keys, err := openKeys(e, home, passFile, needPass, confirmNew)
	if err != nil {
		return nil, nil, err
	}
	secret, err := home.Secret(true)
	if err != nil {
		return nil, nil, err
	}
	auth, err := rpc.NewAuthority(secret)
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(io.Discard, cfg.Log)
	chainAPI, closeChain, err := dialWalletChain(ctx, cfg, e.getenv)
	if err != nil {
		return nil, nil, err
	}
	db, err := openStore(ctx, home, cfg.Store, log)
	if err != nil {
		closeChain()
		return nil, nil, err
	}
	svc, err := service.New(ctx, service.Options{Keys: keys, DB: db, Issuer: auth, Chain: chainAPI, Logger: log})
	if err != nil {
		_ = db.Close()
		closeChain()
		return nil, nil, err
	}
	return svc, func() { svc.Close(); _ = db.Close(); closeChain() }, nil
}

// openKeys opens the keystore in home. With needPass it reads the
// passphrase (asking twice at a prompt when confirm is set and the
// keystore is empty, since that passphrase will lock every key) and checks
// it against the existing keys.
func openKeys(e *env, home daemon.Home, passFile string, needPass, confirm bool) (*keystore.Store, error) {
	dir := home.Path("keys")
	if !needPass {
		return keystore.Open(dir, nil)
	}
	probe, err := keystore.Open(dir, nil)
	if err != nil {
		return nil, err
	}
	existing, err := probe.List()
	if err != nil {
		return nil, err
	}
	pass, err := readPassphrase(e, passFile, confirm && len(existing) == 0)
	if err != nil {
		return nil, err
	}
	keys, err := keystore.Open(dir, pass)
	if err != nil {
		return nil, err
	}
	if _, err := unlockKeys(e, keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// dialWalletChain connects to the chain node for balances, if one is
// configured; the closer is never nil.
func dialWalletChain(ctx context.Context, cfg *walletConfig, getenv func(string) string) (chain.API, func(), error) {
	info, ok, err := chainInfo(cfg.Chain.APIInfo, getenv)
	if err != nil || !ok {
		return nil, func() {}, err
	}
	api, closer, err := chain.NewClient(ctx, info)
	if err != nil {
		return nil, func() {}, err
	}
	return api, closer, nil
}

func runWalletRun(ctx context.Context, e *env, args []string) error {
	cfg := defaultWalletConfig()
	var passFile *string
	home, err := loadProcess(e, "wallet", cfg, args, func(fs *flag.FlagSet) {
		passFile = fs.String("passphrase-file", "", "file holding the keystore passphrase (overrides [Wallet] PassphraseFile)")
	})
	if err != nil {
		return err
	}
	if *passFile == "" {
		*passFile = cfg.Wallet.PassphraseFile
	}
	log := newLogger(e.stderr, cfg.Log).With("process", "wallet")
	d, err := daemon.New(daemon.Options{Process: "wallet", Namespace: wallet.Namespace, Home: home, API: cfg.API, Logger: log})
	if err != nil {
		return err
	}
	fail := func(err error) error { _ = d.Close(ctx); return err }
	keys, err := openKeys(e, home, *passFile, true, true)
	if err != nil {
		return fail(err)
	}
	n, err := keys.List()
	if err != nil {
		return fail(err)
	}
	db, err := openStore(ctx, home, cfg.Store, log)
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	chainAPI, closeChain, err := dialWalletChain(ctx, cfg, e.getenv)
	if err != nil {
		return fail(err)
	}
	defer closeChain()
	svc, err := service.New(ctx, service.Options{Keys: keys, DB: db, Issuer: d.Authority(), Chain: chainAPI, Logger: log})
	if err != nil {
		return fail(err)
	}
	defer svc.Close()
	if err := d.RPC().Register(wallet.Namespace, svc, &(&wallet.WalletStruct{}).Internal); err != nil {
		return fail(err)
	}
	d.AddReadyCheck("store", db.Ping)
	if err := d.Start(ctx); err != nil {
		return fail(err)
	}
	api, err := home.APIInfo()
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(e.stderr, `strata wallet: serving %d keys from %s
  JSON-RPC    %s   (Wallet.Sign, List, Has, Balance; admin: New, Import, Export, Token*, Audit)
  store       %s (scoped tokens, audit log)
  home        %s (admin token in %s)
Scoped tokens: strata wallet token create --policy FILE     Audit: strata wallet audit
Press Ctrl-C to stop (twice to stop at once).
`, len(n), keys.Dir(), addrURL(api.Addr), describeStore(home, cfg.Store), home.Dir, home.Path("token"))
	return serve(ctx, e, d, cfg.API.DrainTimeout.Std(), log)
}

// chainInfo is the chain node to use: the configured API info, else
// $FULLNODE_API_INFO.
func chainInfo(configured string, getenv func(string) string) (rpc.APIInfo, bool, error) {
	if configured != "" {
		info, err := rpc.ParseAPIInfo(configured)
		return info, err == nil, err
	}
	if v := getenv(rpc.EnvFullNode); v != "" {
		info, err := rpc.ParseAPIInfo(v)
		if err != nil {
			return rpc.APIInfo{}, false, fmt.Errorf("%s: %w", rpc.EnvFullNode, err)
		}
		return info, true, nil
	}
	return rpc.APIInfo{}, false, nil
}

func parseAddrArg(cmd, s string) (address.Address, error) {
	a, err := address.NewFromString(s)
	if err != nil {
		return address.Undef, usagef("%s: %v", cmd, err)
	}
	return a, nil
}

func runWalletNew(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("wallet new", e, &f)
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	typ := "secp256k1"
	switch fs.NArg() {
	case 0:
	case 1:
		typ = fs.Arg(0)
	default:
		return usagef("wallet new: want at most one argument, secp256k1 or bls")
	}
	if typ != "secp256k1" && typ != "bls" {
		return usagef("wallet new: key type %q: want secp256k1 or bls", typ)
	}
	w, closer, err := openWallet(ctx, e, &f, true, true)
	if err != nil {
		return err
	}
	defer closer()
	a, err := w.New(ctx, typ)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(e.stdout, map[string]any{"Address": a})
	}
	fmt.Fprintln(e.stdout, a)
	return nil
}

func runWalletList(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("wallet list", e, &f)
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	w, closer, err := openWallet(ctx, e, &f, false, false)
	if err != nil {
		return err
	}
	defer closer()
	list, err := w.List(ctx)
	if err != nil {
		return err
	}
	def, err := w.Default(ctx)
	if err != nil && !errors.Is(err, rpc.ErrNotFound) && !errors.Is(err, keystore.ErrNotFound) {
		return err
	}
	type row struct {
		Address address.Address
		Type    string
		Default bool
		Balance *big.TokenAmount `json:",omitempty"`
	}
	rows := make([]row, 0, len(list))
	for _, a := range list {
		r := row{Address: a, Type: keyTypeName(a), Default: a == def}
		if b, err := w.Balance(ctx, a); err == nil {
			r.Balance = &b
		}
		rows = append(rows, r)
	}
	if f.asJSON {
		return printJSON(e.stdout, rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tTYPE\tDEFAULT\tBALANCE")
	for _, r := range rows {
		d, b := "", "-"
		if r.Default {
			d = "X"
		}
		if r.Balance != nil {
			b = r.Balance.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Address, r.Type, d, b)
	}
	return tw.Flush()
}

func keyTypeName(a address.Address) string {
	switch a.Protocol() {
	case address.SECP256K1:
		return "secp256k1"
	case address.BLS:
		return "bls"
	}
	return "?"
}

func runWalletImport(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("wallet import", e, &f)
	devnet := fs.Bool("devnet-keys", false, "import every key the devnet wrote to its home's keys/ (or to DIR)")
	if err := parse(fs, interleave(args, "json", "devnet-keys")); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usagef("wallet import: want at most one FILE (or DIR with --devnet-keys)")
	}
	var files []string
	if *devnet {
		dir := fs.Arg(0)
		if dir == "" {
			h, err := daemon.DefaultHome("devnet", e.getenv)
			if err != nil {
				return err
			}
			dir = h.Path("keys")
		}
		m, err := filepath.Glob(filepath.Join(dir, "*.key"))
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return fmt.Errorf("wallet import: no *.key files in %s (has the devnet run?)", dir)
		}
		sort.Strings(m)
		files = m
	} else {
		files = []string{fs.Arg(0)}
	}
	w, closer, err := openWallet(ctx, e, &f, true, true)
	if err != nil {
		return err
	}
	defer closer()
	var imported []address.Address
	for _, file := range files {
		var data []byte
		if file == "" || file == "-" {
			if data, err = io.ReadAll(io.LimitReader(bufio.NewReader(e.stdin), keystore.MaxFileSize+1)); err != nil {
				return err
			}
		} else if data, err = os.ReadFile(file); err != nil {
			return err
		}
		k, err := keystore.ParseLotus(string(data))
		if err != nil {
			return fmt.Errorf("wallet import %s: %w", displayName(file), err)
		}
		ki, err := wallet.KeyInfoOf(k)
		if err != nil {
			return err
		}
		a, err := w.Import(ctx, ki)
		if errors.Is(err, rpc.ErrConflict) || errors.Is(err, keystore.ErrExists) {
			ka, _ := k.Address()
			fmt.Fprintf(e.stderr, "%s is already in the wallet\n", ka)
			continue
		} else if err != nil {
			return fmt.Errorf("wallet import %s: %w", displayName(file), err)
		}
		imported = append(imported, a)
	}
	if f.asJSON {
		return printJSON(e.stdout, imported)
	}
	for _, a := range imported {
		fmt.Fprintf(e.stdout, "imported %s\n", a)
	}
	return nil
}

func displayName(file string) string {
	if file == "" || file == "-" {
		return "(stdin)"
	}
	return file
}

func runWalletExport(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("wallet export", e, &f)
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("wallet export: want ADDR")
	}
	a, err := parseAddrArg("wallet export", fs.Arg(0))
	if err != nil {
		return err
	}
	w, closer, err := openWallet(ctx, e, &f, true, false)
	if err != nil {
		return err
	}
	defer closer()
	ki, err := w.Export(ctx, a)
	if err != nil {
		return err
	}
	k, err := ki.Key()
	if err != nil {
		return err
	}
	s, err := keystore.FormatLotus(k)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, s)
	return nil
}

func runWalletDefault(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("wallet default", e, &f)
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usagef("wallet default: want at most ADDR")
	}
	w, closer, err := openWallet(ctx, e, &f, false, false)
	if err != nil {
		return err
	}
	defer closer()
	if fs.NArg() == 1 {
		a, err := parseAddrArg("wallet default", fs.Arg(0))
		if err != nil {
			return err
		}
		return w.SetDefault(ctx, a)
	}
	a, err := w.Default(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, a)
	return nil
}

func runWalletDelete(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("wallet delete", e, &f)
	yes := fs.Bool("yes", false, "really delete (funds of a key with no copy are lost)")
	if err := parse(fs, interleave(args, "yes", "json")); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("wallet delete: want ADDR --yes")
	}
	a, err := parseAddrArg("wallet delete", fs.Arg(0))
	if err != nil {
		return err
	}
	if !*yes {
		return usagef("wallet delete: deleting %s cannot be undone; export it first (strata wallet export %s), then re-run with --yes", a, a)
	}
	w, closer, err := openWallet(ctx, e, &f, false, false)
	if err != nil {
		return err
	}
	defer closer()
	if err := w.Delete(ctx, a); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "deleted %s\n", a)
	return nil
}

func runWalletBalance(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("wallet balance", e, &f)
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("wallet balance: want ADDR")
	}
	a, err := parseAddrArg("wallet balance", fs.Arg(0))
	if err != nil {
		return err
	}
	w, closer, err := openWallet(ctx, e, &f, false, false)
	if err != nil {
		return err
	}
	defer closer()
	b, err := w.Balance(ctx, a)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(e.stdout, map[string]any{"Address": a, "Balance": b.Int})
	}
	fmt.Fprintln(e.stdout, b)
	return nil
}

func runWalletTokenCreate(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("wallet token create", e, &f)
	pol := fs.String("policy", "", "the policy file (TOML; see the README)")
	name := fs.String("name", "", "a name to recognise the token by")
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	if *pol == "" || fs.NArg() > 0 {
		return usagef("wallet token create: want --policy FILE")
	}
	text, err := os.ReadFile(*pol)
	if err != nil {
		return err
	}
	if *name == "" {
		*name = filepath.Base(*pol)
	}
	w, closer, err := openWallet(ctx, e, &f, false, false)
	if err != nil {
		return err
	}
	defer closer()
	t, err := w.TokenCreate(ctx, *name, string(text))
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(e.stdout, t)
	}
	fmt.Fprintf(e.stderr, "token %s (%s) created; give it to the service that signs through this wallet\n", t.ID, t.Name)
	fmt.Fprintln(e.stdout, t.Token)
	return nil
}

func runWalletTokenList(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("wallet token list", e, &f)
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	w, closer, err := openWallet(ctx, e, &f, false, false)
	if err != nil {
		return err
	}
	defer closer()
	list, err := w.TokenList(ctx)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(e.stdout, list)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED\tSTATE")
	for _, t := range list {
		st := "valid"
		if !t.Revoked.IsZero() {
			st = "revoked " + t.Revoked.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Created.Format(time.RFC3339), st)
	}
	return tw.Flush()
}

func runWalletTokenRevoke(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("wallet token revoke", e, &f)
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("wallet token revoke: want ID")
	}
	w, closer, err := openWallet(ctx, e, &f, false, false)
	if err != nil {
		return err
	}
	defer closer()
	if err := w.TokenRevoke(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "token %s revoked\n", fs.Arg(0))
	return nil
}

func runWalletAudit(ctx context.Context, e *env, args []string) error {
	var f walletFlags
	fs := newWalletFlags("wallet audit", e, &f)
	var q wallet.AuditQuery
	fs.StringVar(&q.TokenID, "token", "", "only this token's requests (admin, local, or a token id)")
	fs.StringVar(&q.Address, "address", "", "only requests to sign with this address")
	denied := fs.Bool("denied", false, "only refused requests")
	since := fs.Duration("since", 0, "only requests in this past duration (e.g. 1h)")
	fs.IntVar(&q.Limit, "limit", 50, "at most this many entries (max 10000)")
	if err := parse(fs, interleave(args, "json", "denied")); err != nil {
		return err
	}
	if *denied {
		q.Decision = wallet.Denied
	}
	if *since > 0 {
		q.Since = time.Now().Add(-*since)
	}
	w, closer, err := openWallet(ctx, e, &f, false, false)
	if err != nil {
		return err
	}
	defer closer()
	list, err := w.Audit(ctx, q)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(e.stdout, list)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tTOKEN\tADDRESS\tKIND\tWHAT\tDECISION\tREASON")
	for _, a := range list {
		what := a.Subject
		if a.Kind == wallet.MTChainMsg && a.MessageCID != "" {
			what = fmt.Sprintf("to %s method %d value %s nonce %d", a.To, a.Method, a.Value, a.Nonce)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Seq, a.Time.Format(time.RFC3339), a.TokenID, a.Address, a.Kind, what, a.Decision, a.Reason)
	}
	return tw.Flush()
}
