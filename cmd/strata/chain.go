package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/strata-sp/strata/chain"
	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/devnet"
	"github.com/strata-sp/strata/chain/state"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/config"
	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/internal/atomicfile"
	"github.com/strata-sp/strata/rpc"
)

// chainConfig is the [Chain] section: block time and genesis.
type chainConfig struct {
	BlockTime      config.Duration `toml:"BlockTime" comment:"time between tipsets"`
	NetworkName    string          `toml:"NetworkName" comment:"network name (genesis)"`
	Accounts       int             `toml:"Accounts" comment:"funded keys made at genesis, written to keys/ in the home (the last is BLS)"`
	AccountBalance string          `toml:"AccountBalance" comment:"balance of each genesis account, in FIL"`
	// The proving schedule, scaled down from the network's (48 deadlines of
	// 60 epochs, seed delay 150, fault max age 42 days).
	Deadlines               uint64 `toml:"Deadlines" comment:"deadlines per proving period (network: 48)"`
	ChallengeWindow         int64  `toml:"ChallengeWindow" comment:"epochs per deadline (network: 60)"`
	PreCommitChallengeDelay int64  `toml:"PreCommitChallengeDelay" comment:"epochs between pre-commit and the seed (network: 150)"`
	FaultMaxAge             int64  `toml:"FaultMaxAge" comment:"epochs a sector may stay faulty before it is terminated (network: 120960)"`
	PartitionSectors        uint64 `toml:"PartitionSectors" comment:"sectors per partition (network: 2349 for 32 GiB; the devnet's 128 keeps a partition's vanilla WindowPoSt of 2 KiB sectors, ~5.3 KB each, within one message)"`
}

func defaultChainConfig() chainConfig {
	p := state.DevnetPolicy()
	g := devnet.DefaultGenesis()
	return chainConfig{
		BlockTime:               config.Duration(time.Second),
		NetworkName:             g.NetworkName,
		Accounts:                g.Accounts,
		AccountBalance:          "1000000",
		Deadlines:               p.WPoStPeriodDeadlines,
		ChallengeWindow:         p.WPoStChallengeWindow,
		PreCommitChallengeDelay: p.PreCommitChallengeDelay,
		FaultMaxAge:             p.FaultMaxAge,
		PartitionSectors:        p.WindowPoStPartitionSectors,
	}
}

// genesis turns the section into a genesis config.
func (c chainConfig) genesis() (devnet.GenesisConfig, error) {
	bal, err := big.ParseTokenAmount(c.AccountBalance)
	if err != nil {
		return devnet.GenesisConfig{}, config.Errorf("Chain.AccountBalance", "%v", err)
	}
	p := state.DevnetPolicy()
	p.WPoStPeriodDeadlines = c.Deadlines
	p.WPoStChallengeWindow = c.ChallengeWindow
	p.PreCommitChallengeDelay = c.PreCommitChallengeDelay
	p.FaultMaxAge = c.FaultMaxAge
	p.WindowPoStPartitionSectors = c.PartitionSectors
	if err := p.Validate(); err != nil {
		return devnet.GenesisConfig{}, config.Errorf("Chain", "%v", err)
	}
	return devnet.GenesisConfig{NetworkName: c.NetworkName, Policy: p, Accounts: c.Accounts, AccountBalance: bal}, nil
}

// Validate checks the section.
func (c chainConfig) Validate(prefix string) error {
	if c.BlockTime.Std() < 10*time.Millisecond {
		return config.Errorf(prefix+".BlockTime", "%s is below 10ms", c.BlockTime.Std())
	}
	if c.NetworkName == "" {
		return config.Errorf(prefix+".NetworkName", "empty")
	}
	if c.Accounts < 1 || c.Accounts > 100 {
		return config.Errorf(prefix+".Accounts", "%d, want 1..100", c.Accounts)
	}
	_, err := c.genesis()
	return err
}

func chainCommand() *command {
	return &command{
		name:    "chain",
		summary: "the embedded devnet chain, and a client for any Lotus-API node",
		subs: []*command{
			{name: "run", summary: "run the devnet chain alone (strata devnet runs it with everything else)",
				usage: "[--home DIR] [--config FILE] [config flags]", run: runChain},
			{name: "head", summary: "print the chain head", usage: "[--json]", run: runChainHead},
			{name: "send", summary: "send FIL (or call a method) from a key the node holds, and wait for the receipt",
				usage: "--from ADDR TO AMOUNT [--method N] [--params HEX] [--json]", run: runChainSend},
			{name: "keys", summary: "list the devnet's funded genesis keys and balances", usage: "[--json]", run: runChainKeys},
			{name: "miner", summary: "miners: miner create", subs: []*command{{
				name: "create", summary: "create a miner actor (power CreateMiner) from a key the node holds",
				usage: "--owner ADDR [--worker ADDR] [--sector-size 2KiB] [--json]", run: runChainMinerCreate}}},
			{name: "deals", summary: "list the market's deals", usage: "[--json]", run: runChainDeals},
			{name: "sectors", summary: "list a miner's sectors", usage: "MINER [--json]", run: runChainSectors},
			configCommand("chain", func() any { return defaultDevnetConfig() }),
		},
	}
}

func runChain(ctx context.Context, e *env, args []string) error {
	return runChainNode(ctx, e, "chain", args)
}

// runChainNode runs a process serving the devnet chain: `strata chain run`
// and, for now, `strata devnet`.
func runChainNode(ctx context.Context, e *env, process string, args []string) error {
	cfg := defaultDevnetConfig()
	home, err := loadProcess(e, process, cfg, args, nil)
	if err != nil {
		return err
	}
	gen, err := cfg.Chain.genesis()
	if err != nil {
		return err
	}
	log := newLogger(e.stderr, cfg.Log).With("process", process)

	blockTime := cfg.Chain.BlockTime.Std()
	d, err := daemon.New(daemon.Options{Process: process, Namespace: chain.Namespace, Home: home, API: cfg.API, Logger: log,
		BlockDelay: uint64(max(blockTime/time.Second, 1))})
	if err != nil {
		return err
	}
	db, err := openStore(ctx, home, cfg.Store, log)
	if err != nil {
		_ = d.Close(ctx)
		return err
	}
	defer db.Close()
	node, err := devnet.Open(ctx, db, devnet.Config{Genesis: gen, BlockTime: blockTime, Logger: log})
	if err != nil {
		_ = d.Close(ctx)
		return err
	}
	defer node.Close()
	if err := writeGenesisKeys(home, node); err != nil {
		_ = d.Close(ctx)
		return err
	}
	if err := d.RPC().Register(chain.Namespace, node.API(), &(&chain.FullNodeStruct{}).Internal); err != nil {
		_ = d.Close(ctx)
		return err
	}
	d.AddReadyCheck("store", db.Ping)
	d.AddReadyCheck("chain", func(context.Context) error { return node.Err() })
	if e.extend != nil {
		if err := e.extend(d); err != nil {
			_ = d.Close(ctx)
			return err
		}
	}
	if err := d.Start(ctx); err != nil {
		_ = d.Close(ctx)
		return err
	}
	node.Start()
	info, err := home.APIInfo()
	if err != nil {
		_ = d.Close(ctx)
		return err
	}
	head, _ := node.API().ChainHead(ctx)
	fmt.Fprintf(e.stderr, `strata %s: the devnet chain is running (a tipset every %s, head at %d)
  JSON-RPC    %s   (Lotus's Filecoin.* API: ChainHead, MpoolPush, StateWaitMsg, StateMinerInfo, ...)
  health      /healthz  /readyz  /metrics on the same port
  store       %s
  home        %s (admin token in %s; funded keys in %s)
Point any Lotus-API client here: FULLNODE_API_INFO=$(strata auth api-info --service %s --perm admin)
Try:  strata chain head --home %s     strata chain keys --home %s
Press Ctrl-C to stop (twice to stop at once).
`, process, blockTime, head.Height(), addrURL(info.Addr), describeStore(home, cfg.Store), home.Dir, home.Path("token"), home.Path("keys"),
		process, home.Dir, home.Dir)
	return serve(ctx, e, d, cfg.API.DrainTimeout.Std(), log)
}

// writeGenesisKeys writes each funded genesis key into keys/ADDRESS.key in
// the home, in the form `lotus wallet export` prints (hex of the KeyInfo
// JSON), for the wallet to import.
func writeGenesisKeys(home daemon.Home, n *devnet.Node) error {
	dir := home.Path("keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for a, k := range n.Keys() {
		p := filepath.Join(dir, a.String()+".key")
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if err := atomicfile.WriteFile(p, []byte(k+"\n"), 0o600); err != nil {
			return fmt.Errorf("write genesis key: %w", err)
		}
	}
	return nil
}

// chainFlags are the client commands' flags.
type chainFlags struct {
	home    string
	service string
	asJSON  bool
}

func addChainFlags(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
}, f *chainFlags) {
	fs.StringVar(&f.home, "home", "", "home of a local devnet or chain process (default: FULLNODE_API_INFO, else the devnet's home, else the chain's)")
	fs.BoolVar(&f.asJSON, "json", false, "print JSON")
}

// dialChain connects to FULLNODE_API_INFO, or to a local devnet/chain
// process through its home's api and token files.
func dialChain(ctx context.Context, e *env, f *chainFlags) (chain.API, func(), error) {
	if f.home == "" {
		if info, ok, err := rpc.APIInfoFromEnv(rpc.EnvFullNode); err != nil {
			return nil, nil, err
		} else if ok {
			return chain.NewClient(ctx, info)
		}
	}
	var homes []daemon.Home
	if f.home != "" {
		h, err := resolveHome(e, "devnet", f.home)
		if err != nil {
			return nil, nil, err
		}
		homes = append(homes, h)
	} else {
		for _, p := range []string{"devnet", "chain"} {
			h, err := daemon.DefaultHome(p, e.getenv)
			if err != nil {
				return nil, nil, err
			}
			homes = append(homes, h)
		}
	}
	var errs []error
	for _, h := range homes {
		info, err := h.APIInfo()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		tok, err := os.ReadFile(h.Path("token"))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		info.Token = string(tok)
		return chain.NewClient(ctx, info)
	}
	return nil, nil, fmt.Errorf("no chain node: set %s or start `strata devnet`: %w", rpc.EnvFullNode, errors.Join(errs...))
}

func runChainHead(ctx context.Context, e *env, args []string) error {
	fs := newFlags("chain head", e)
	var f chainFlags
	addChainFlags(fs, &f)
	if err := parse(fs, args); err != nil {
		return err
	}
	api, closer, err := dialChain(ctx, e, &f)
	if err != nil {
		return err
	}
	defer closer()
	ts, err := api.ChainHead(ctx)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(e.stdout, ts)
	}
	blk := ts.Blocks()[0]
	fmt.Fprintf(e.stdout, "height %d  %s  %s\n", ts.Height(), ts.Cids()[0], time.Unix(int64(blk.Timestamp), 0).UTC().Format(time.RFC3339))
	return nil
}

func runChainKeys(ctx context.Context, e *env, args []string) error {
	fs := newFlags("chain keys", e)
	var f chainFlags
	addChainFlags(fs, &f)
	if err := parse(fs, args); err != nil {
		return err
	}
	home, err := resolveHome(e, "devnet", f.home)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(home.Path("keys"), "*.key"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	api, closer, err := dialChain(ctx, e, &f)
	if err != nil {
		return err
	}
	defer closer()
	type row struct {
		Address string
		Balance big.TokenAmount
		KeyFile string
	}
	var rows []row
	for _, p := range files {
		a, err := address.NewFromString(filepath.Base(p[:len(p)-len(".key")]))
		if err != nil {
			continue
		}
		bal, err := api.WalletBalance(ctx, a)
		if err != nil {
			return err
		}
		rows = append(rows, row{a.String(), bal, p})
	}
	if f.asJSON {
		return printJSON(e.stdout, rows)
	}
	for _, r := range rows {
		fmt.Fprintf(e.stdout, "%s  %s  %s\n", r.Address, r.Balance, r.KeyFile)
	}
	return nil
}

func runChainSend(ctx context.Context, e *env, args []string) error {
	fs := newFlags("chain send", e)
	var f chainFlags
	addChainFlags(fs, &f)
	from := fs.String("from", "", "sender: an address whose key the node holds (a devnet genesis key)")
	method := fs.Uint64("method", 0, "method number (0: a plain transfer)")
	params := fs.String("params", "", "method parameters, hex of their CBOR")
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	if fs.NArg() != 2 || *from == "" {
		return usagef("chain send: want --from ADDR TO AMOUNT")
	}
	fromAddr, err := address.NewFromString(*from)
	if err != nil {
		return usagef("chain send: --from: %v", err)
	}
	to, err := address.NewFromString(fs.Arg(0))
	if err != nil {
		return usagef("chain send: TO: %v", err)
	}
	amount, err := big.ParseTokenAmount(fs.Arg(1))
	if err != nil {
		return usagef("chain send: AMOUNT: %v", err)
	}
	p, err := hex.DecodeString(*params)
	if err != nil {
		return usagef("chain send: --params: %v", err)
	}
	api, closer, err := dialChain(ctx, e, &f)
	if err != nil {
		return err
	}
	defer closer()
	sm, err := api.MpoolPushMessage(ctx, &ftypes.Message{From: fromAddr, To: to, Value: amount, Method: *method, Params: p}, nil)
	if err != nil {
		return err
	}
	c, err := sm.Cid()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "pushed %s (nonce %d); waiting for execution\n", c, sm.Message.Nonce)
	l, err := api.StateWaitMsg(ctx, c, 0, -1, true)
	if err != nil {
		return err
	}
	if f.asJSON {
		err = printJSON(e.stdout, l)
	} else {
		fmt.Fprintf(e.stdout, "%s executed at %d: exit %d, gas %d, return %x\n", l.Message, l.Height, l.Receipt.ExitCode, l.Receipt.GasUsed, l.Receipt.Return)
	}
	if err == nil && l.Receipt.ExitCode != 0 {
		err = fmt.Errorf("message failed with exit code %d", l.Receipt.ExitCode)
	}
	return err
}

func runChainMinerCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlags("chain miner create", e)
	var f chainFlags
	addChainFlags(fs, &f)
	owner := fs.String("owner", "", "owner: an address whose key the node holds; it sends the message")
	worker := fs.String("worker", "", "worker address (default: the owner)")
	size := fs.String("sector-size", "2KiB", "sector size: 2KiB, 8MiB, 512MiB, 32GiB or 64GiB")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *owner == "" {
		return usagef("chain miner create: want --owner ADDR")
	}
	ownerAddr, err := address.NewFromString(*owner)
	if err != nil {
		return usagef("chain miner create: --owner: %v", err)
	}
	workerAddr := ownerAddr
	if *worker != "" {
		if workerAddr, err = address.NewFromString(*worker); err != nil {
			return usagef("chain miner create: --worker: %v", err)
		}
	}
	sp, err := sealProofFor(*size, "1.1")
	if err != nil {
		return usagef("chain miner create: %v", err)
	}
	post, err := sp.WindowPoSt()
	if err != nil {
		return err
	}
	params, err := actors.EncodeParams(&actors.CreateMinerParams{Owner: ownerAddr, Worker: workerAddr, WindowPoStProofType: post})
	if err != nil {
		return err
	}
	api, closer, err := dialChain(ctx, e, &f)
	if err != nil {
		return err
	}
	defer closer()
	sm, err := api.MpoolPushMessage(ctx, &ftypes.Message{From: ownerAddr, To: actors.PowerAddr, Method: uint64(actors.PowerCreateMiner), Params: params}, nil)
	if err != nil {
		return err
	}
	c, err := sm.Cid()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "pushed %s; waiting for execution\n", c)
	l, err := api.StateWaitMsg(ctx, c, 0, -1, true)
	if err != nil {
		return err
	}
	if l.Receipt.ExitCode != 0 {
		return fmt.Errorf("CreateMiner failed: exit %d", l.Receipt.ExitCode)
	}
	var ret actors.CreateMinerReturn
	if err := actors.DecodeReturn(l.Receipt.Return, &ret); err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(e.stdout, map[string]any{"IDAddress": ret.IDAddress, "RobustAddress": ret.RobustAddress, "Message": l.Message, "Height": l.Height})
	}
	fmt.Fprintf(e.stdout, "miner %s (%s) created at %d, %s sectors\n", ret.IDAddress, ret.RobustAddress, l.Height, sp)
	return nil
}

func runChainDeals(ctx context.Context, e *env, args []string) error {
	fs := newFlags("chain deals", e)
	var f chainFlags
	addChainFlags(fs, &f)
	if err := parse(fs, args); err != nil {
		return err
	}
	api, closer, err := dialChain(ctx, e, &f)
	if err != nil {
		return err
	}
	defer closer()
	deals, err := api.StateMarketDeals(ctx, types.EmptyTSK)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(e.stdout, deals)
	}
	ids := make([]string, 0, len(deals))
	for id := range deals {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return len(ids[i]) < len(ids[j]) || len(ids[i]) == len(ids[j]) && ids[i] < ids[j] })
	for _, id := range ids {
		d := deals[id]
		state := "published"
		if d.State.SectorStartEpoch >= 0 {
			state = fmt.Sprintf("active in sector %d since %d", d.State.SectorNumber, d.State.SectorStartEpoch)
		}
		fmt.Fprintf(e.stdout, "%s  %s -> %s  %s  %d bytes  epochs %d..%d  %s\n", id, d.Proposal.Client, d.Proposal.Provider,
			d.Proposal.PieceCID, d.Proposal.PieceSize, d.Proposal.StartEpoch, d.Proposal.EndEpoch, state)
	}
	return nil
}

func runChainSectors(ctx context.Context, e *env, args []string) error {
	fs := newFlags("chain sectors", e)
	var f chainFlags
	addChainFlags(fs, &f)
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("chain sectors: want MINER")
	}
	m, err := address.NewFromString(fs.Arg(0))
	if err != nil {
		return usagef("chain sectors: %v", err)
	}
	api, closer, err := dialChain(ctx, e, &f)
	if err != nil {
		return err
	}
	defer closer()
	secs, err := api.StateMinerSectors(ctx, m, nil, types.EmptyTSK)
	if err != nil {
		return err
	}
	faults, err := api.StateMinerFaults(ctx, m, types.EmptyTSK)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(e.stdout, secs)
	}
	for _, s := range secs {
		st := "active"
		if faults.IsSet(s.SectorNumber) {
			st = "faulty"
		}
		fmt.Fprintf(e.stdout, "%d  %s  %s  activated %d, expires %d  %s\n", s.SectorNumber, s.SealProof, s.SealedCID, s.Activation, s.Expiration, st)
	}
	return nil
}
