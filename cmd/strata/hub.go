package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/strata-sp/strata/chain"
	"github.com/strata-sp/strata/config"
	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/processor"
	"github.com/strata-sp/strata/proof/stage"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/wallet/policy"
)

// hubPort is the hub's default port (damocles-manager's).
const hubPort = 1789

// hubConfig is the hub's config.toml.
type hubConfig struct {
	API     config.API     `toml:"API" comment:"The JSON-RPC listener: Sealer.* for workers (write tokens), Hub.* for operators (admin)."`
	Log     config.Log     `toml:"Log" comment:"Logging."`
	Store   config.Store   `toml:"Store" comment:"The SQL database: miners, sectors, workers."`
	Chain   walletChain    `toml:"Chain" comment:"The chain node (tickets, seeds, messages)."`
	Hub     hubSection     `toml:"Hub" comment:"Sealing."`
	Proving provingSection `toml:"Proving" comment:"WindowPoSt for every deadline of the hub's miners, fault checks and declarations."`
	Storage storageSection `toml:"Storage" comment:"Persist stores as this hub process reaches them."`
}

type provingSection struct {
	Enabled         bool            `toml:"Enabled" comment:"prove the miners' sectors (needs [Chain]); off for a hub that only seals for miners proven elsewhere"`
	Interval        config.Duration `toml:"Interval" comment:"how often each miner's deadline is looked at (a small fraction of the block time; nothing is read but the head while it does not change)"`
	CheckChallenges int             `toml:"CheckChallenges" comment:"random leaves of each sector the check before a deadline reads and verifies against tree_r_last"`
	DeclareMargin   int64           `toml:"DeclareMargin" comment:"epochs before a deadline's fault cutoff its sectors are checked and faults and recoveries declared (0: a third of the challenge window, at least 3)"`
	PoStRetries     int             `toml:"Retries" comment:"times a partition's WindowPoSt is sent again in its deadline after its message failed"`
	// Processor runs window_post out of process.
	Processor processorEntry `toml:"Processor" comment:"generate WindowPoSts in a processor (empty Bin: in this process); e.g. Bin = \"strata\", Args = [\"processor\", \"window_post\"], or a SNARK prover speaking the processor protocol"`
}

// processorEntry is an external processor's command line.
type processorEntry struct {
	Bin         string   `toml:"Bin" comment:"the executable (empty: none)"`
	Args        []string `toml:"Args" comment:"its arguments"`
	Env         []string `toml:"Env" comment:"KEY=VALUE entries added to its environment"`
	Concurrency int      `toml:"Concurrency" comment:"requests in flight in it at once"`
}

type storageSection struct {
	Paths map[string]string `toml:"Paths" comment:"store name = this process's path to it, when it differs from the path given to hub storage attach (a store mounted elsewhere on this machine)"`
}

type hubSection struct {
	Lease                   config.Duration `toml:"Lease" comment:"how long a sector stays with a worker that neither reports nor pings (a call renews it once a tenth has passed)"`
	TicketLookback          int64           `toml:"TicketLookback" comment:"epochs below the head a sealing ticket is drawn at (mainnet: 900, the chain's finality; the devnet's: 20)"`
	PreCommitChallengeDelay int64           `toml:"PreCommitChallengeDelay" comment:"the chain's epochs between a pre-commit and its seed (mainnet: 150; the devnet's: 10)"`
	SectorLifetime          int64           `toml:"SectorLifetime" comment:"epochs from pre-commit to a sector's expiration (mainnet: 1555200, 540 days)"`
	BatchMax                int             `toml:"BatchMax" comment:"most sectors in one PreCommitSectorBatch2 or ProveCommitSectors3"`
	BatchWait               config.Duration `toml:"BatchWait" comment:"longest a submitted sector waits for others to share its message"`
	MaxFeeCap               string          `toml:"MaxFeeCap" comment:"cap on the gas fee cap of the hub's messages, per gas unit (e.g. \"2 nanoFIL\"; empty: the node's estimate); replacements stay under it too"`
	ReplaceAfter            int64           `toml:"ReplaceAfter" comment:"epochs a pushed message may wait for inclusion before the hub re-sends it with higher fees (negative: never)"`
	ReplacePremiumPercent   int64           `toml:"ReplacePremiumPercent" comment:"a replacement's gas premium, in percent of the stuck message's (at least 125, the network's minimum)"`
}

func defaultHubConfig() *hubConfig {
	return &hubConfig{API: config.DefaultAPI(hubPort), Log: config.DefaultLog(), Store: config.DefaultStore(),
		Hub: hubSection{Lease: config.Duration(5 * time.Minute), TicketLookback: 900, PreCommitChallengeDelay: 150,
			SectorLifetime: 540 * 2880, BatchMax: 32, BatchWait: config.Duration(30 * time.Second),
			ReplaceAfter: hub.DefaultReplaceAfter, ReplacePremiumPercent: hub.MinReplacePremiumPercent},
		Proving: provingSection{Enabled: true, Interval: config.Duration(time.Second), CheckChallenges: 10, PoStRetries: 2, Processor: processorEntry{Concurrency: 1}}}
}

// Validate implements config.Validator.
func (c *hubConfig) Validate() error {
	errs := []error{c.API.Validate("API"), c.Log.Validate("Log"), c.Store.Validate("Store")}
	if c.Chain.APIInfo != "" {
		if _, err := rpc.ParseAPIInfo(c.Chain.APIInfo); err != nil {
			errs = append(errs, fmt.Errorf("Chain.APIInfo: %w", err))
		}
	}
	if c.Hub.Lease.Std() < time.Second {
		errs = append(errs, errors.New("Hub.Lease: at least 1s"))
	}
	if c.Hub.TicketLookback < 0 {
		errs = append(errs, errors.New("Hub.TicketLookback: negative"))
	}
	if c.Hub.PreCommitChallengeDelay < 1 || c.Hub.SectorLifetime < 1 || c.Hub.BatchMax < 1 {
		errs = append(errs, errors.New("Hub.PreCommitChallengeDelay, Hub.SectorLifetime and Hub.BatchMax must be positive"))
	}
	if c.Hub.ReplacePremiumPercent < hub.MinReplacePremiumPercent {
		errs = append(errs, fmt.Errorf("Hub.ReplacePremiumPercent: %d is under the network's minimum raise of %d", c.Hub.ReplacePremiumPercent, hub.MinReplacePremiumPercent))
	}
	if c.Proving.Interval.Std() <= 0 {
		errs = append(errs, errors.New("Proving.Interval: must be positive"))
	}
	if c.Proving.CheckChallenges < 1 || c.Proving.PoStRetries < 0 || c.Proving.DeclareMargin < 0 || c.Proving.Processor.Concurrency < 0 {
		errs = append(errs, errors.New("Proving.CheckChallenges must be positive; Proving.Retries, DeclareMargin and Processor.Concurrency not negative"))
	}
	for name, p := range c.Storage.Paths {
		if !filepath.IsAbs(p) {
			errs = append(errs, fmt.Errorf("Storage.Paths.%s: %q is not an absolute path", name, p))
		}
	}
	if c.Hub.MaxFeeCap != "" {
		if _, err := policy.ParseAmount(c.Hub.MaxFeeCap); err != nil {
			errs = append(errs, fmt.Errorf("Hub.MaxFeeCap: %w", err))
		}
	}
	return errors.Join(errs...)
}

func hubCommand() *command {
	c := &command{
		name:    "hub",
		summary: "the sector manager: hub run, miners, proving, sectors, storage, workers, messages, pieces",
		subs: []*command{
			{name: "run", summary: "serve the Sealer API for workers and the Hub API for operators",
				usage: "[--home DIR] [--config FILE] [config flags]", run: runHubRun},
			{name: "miners", summary: "miners the hub seals for: miners add|list", subs: []*command{
				{name: "add", summary: "add a miner",
					usage: "--actor f0N --worker ADDR [--sector-size 2KiB] [--numbers FROM-TO] [--wallet-api TOKEN:MULTIADDR] [--control ADDR,...]",
					run:   runHubMinersAdd},
				{name: "list", summary: "list the miners", usage: "[--json]", run: runHubMinersList},
			}},
			{name: "proving", summary: "proving: proving status|winning", dflt: "status", subs: []*command{
				{name: "status", summary: "each miner's proving: deadlines, faults, the last WindowPoSt, check and declarations",
					usage: "[MINER] [--json]", run: runHubProving},
				{name: "winning", summary: "make and verify the WinningPoSt a block at the head would need (a dry run)",
					usage: "MINER [--json]", run: runHubProvingWinning},
			}},
		},
	}
	c.subs = append(c.subs, hubOpsCommands()...)
	c.subs = append(c.subs, configCommand("hub", func() any { return defaultHubConfig() }))
	return c
}

func runHubRun(ctx context.Context, e *env, args []string) error {
	cfg := defaultHubConfig()
	home, err := loadProcess(e, "hub", cfg, args, nil)
	if err != nil {
		return err
	}
	log := newLogger(e.stderr, cfg.Log).With("process", "hub")
	d, err := daemon.New(daemon.Options{Process: "hub", Namespace: hub.OperatorNamespace, Home: home, API: cfg.API, Logger: log})
	if err != nil {
		return err
	}
	fail := func(err error) error { _ = d.Close(ctx); return err }
	db, err := openStore(ctx, home, cfg.Store, log)
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	chainAPI, closeChain, err := dialWalletChain(ctx, &walletConfig{Chain: cfg.Chain}, e.getenv)
	if err != nil {
		return fail(err)
	}
	defer closeChain()
	var tickets hub.TicketSource
	if chainAPI != nil {
		tickets = hub.ChainTickets{API: chainAPI, Lookback: cfg.Hub.TicketLookback}
	}
	h, err := hub.New(ctx, hub.Options{DB: db, Tickets: tickets, Lease: cfg.Hub.Lease.Std(), Logger: log, StorePaths: cfg.Storage.Paths})
	if err != nil {
		return fail(err)
	}
	defer h.Close()
	var ms *hub.Messenger
	if chainAPI != nil {
		var feeCap big.TokenAmount
		if cfg.Hub.MaxFeeCap != "" {
			feeCap, _ = policy.ParseAmount(cfg.Hub.MaxFeeCap)
		}
		ms, err = h.NewMessenger(hub.MessageOptions{Chain: chainAPI, BatchMax: cfg.Hub.BatchMax, BatchWait: cfg.Hub.BatchWait.Std(),
			MaxFeeCap: feeCap, SectorLifetime: cfg.Hub.SectorLifetime, PreCommitChallengeDelay: cfg.Hub.PreCommitChallengeDelay,
			ReplaceAfter: cfg.Hub.ReplaceAfter, ReplacePremiumPercent: cfg.Hub.ReplacePremiumPercent})
		if err != nil {
			return fail(err)
		}
		mctx, stop := context.WithCancel(ctx)
		defer stop()
		go ms.Run(mctx)
		if cfg.Proving.Enabled {
			pv, closeProver, err := startProving(ctx, h, ms, chainAPI, cfg.Proving, d, log)
			if err != nil {
				return fail(err)
			}
			defer closeProver()
			go pv.Run(mctx)
		}
	}
	if err := d.RPC().Register(hub.Namespace, h.SealerAPI(ms), &(&hub.SealerStruct{}).Internal); err != nil {
		return fail(err)
	}
	if err := d.RPC().Register(hub.OperatorNamespace, h.OperatorAPI(), &(&hub.OperatorStruct{}).Internal); err != nil {
		return fail(err)
	}
	d.AddReadyCheck("store", db.Ping)
	if err := d.Start(ctx); err != nil {
		return fail(err)
	}
	info, err := home.APIInfo()
	if err != nil {
		return fail(err)
	}
	chainDesc := "none (set [Chain] APIInfo or FULLNODE_API_INFO: tickets need it)"
	if chainAPI != nil {
		chainDesc = "connected"
	}
	fmt.Fprintf(e.stderr, `strata hub: the sector manager is running
  JSON-RPC    %s   (Sealer.* for workers, Hub.* for operators)
  chain       %s
  store       %s
  home        %s (admin token in %s)
Worker token: strata auth api-info --service hub --perm write
Press Ctrl-C to stop (twice to stop at once).
`, addrURL(info.Addr), chainDesc, describeStore(home, cfg.Store), home.Dir, home.Path("token"))
	return serve(ctx, e, d, cfg.API.DrainTimeout.Std(), log)
}

// dialHub connects to HUB_API_INFO, or to the hub running on --home.
func dialHub(ctx context.Context, e *env, home string) (*hub.OperatorStruct, func(), error) {
	var info rpc.APIInfo
	if v, ok, err := rpc.APIInfoFromEnv(rpc.EnvHub); err != nil {
		return nil, nil, err
	} else if ok && home == "" {
		info = v
	} else {
		h, err := resolveHome(e, "hub", home)
		if err != nil {
			return nil, nil, err
		}
		if info, err = h.APIInfo(); err != nil {
			return nil, nil, fmt.Errorf("no hub: set %s or start `strata hub run`: %w", rpc.EnvHub, err)
		}
	}
	var o hub.OperatorStruct
	closer, err := rpc.DialAPIInfo(ctx, info, hub.OperatorNamespace, &o.Internal)
	return &o, closer, err
}

func parseActor(s string) (uint64, error) {
	a, err := address.NewFromString(s)
	if err != nil {
		return 0, err
	}
	return a.ID()
}

func runHubMinersAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags("hub miners add", e)
	home := fs.String("home", "", "the hub's home (default: HUB_API_INFO, else $STRATA_HOME/hub)")
	actor := fs.String("actor", "", "the miner's ID address (f0...)")
	worker := fs.String("worker", "", "the miner's worker address (the key that signs its messages)")
	control := fs.String("control", "", "control addresses, comma-separated")
	size := fs.String("sector-size", "2KiB", "sector size: 2KiB, 8MiB, 512MiB, 32GiB or 64GiB")
	numbers := fs.String("numbers", "0-", "sector numbers the hub may use: FROM-TO or FROM- (no upper bound)")
	walletAPI := fs.String("wallet-api", "", "TOKEN:MULTIADDR of the wallet that signs for the miner (a scoped token)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *actor == "" || *worker == "" || fs.NArg() > 0 {
		return usagef("hub miners add: want --actor f0N --worker ADDR")
	}
	id, err := parseActor(*actor)
	if err != nil {
		return usagef("hub miners add: --actor: %v", err)
	}
	w, err := address.NewFromString(*worker)
	if err != nil {
		return usagef("hub miners add: --worker: %v", err)
	}
	sp, err := sealProofFor(*size, "1.1")
	if err != nil {
		return usagef("hub miners add: %v", err)
	}
	m := hub.Miner{Actor: id, ProofType: sp, Worker: w, WalletAPI: *walletAPI}
	lo, hi, ok := strings.Cut(*numbers, "-")
	if !ok {
		return usagef("hub miners add: --numbers %q: want FROM-TO or FROM-", *numbers)
	}
	if m.MinNumber, err = strconv.ParseUint(lo, 10, 63); err != nil {
		return usagef("hub miners add: --numbers %q: %v", *numbers, err)
	}
	if hi != "" {
		if m.MaxNumber, err = strconv.ParseUint(hi, 10, 63); err != nil || m.MaxNumber < m.MinNumber {
			return usagef("hub miners add: --numbers %q: want FROM <= TO", *numbers)
		}
	}
	for _, s := range strings.Split(*control, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		a, err := address.NewFromString(s)
		if err != nil {
			return usagef("hub miners add: --control: %v", err)
		}
		m.Control = append(m.Control, a)
	}
	o, closer, err := dialHub(ctx, e, *home)
	if err != nil {
		return err
	}
	defer closer()
	if err := o.Internal.MinersAdd(ctx, m); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "miner f0%d added (%s)\n", id, sp)
	return nil
}

func runHubMinersList(ctx context.Context, e *env, args []string) error {
	fs := newFlags("hub miners list", e)
	home := fs.String("home", "", "the hub's home (default: HUB_API_INFO, else $STRATA_HOME/hub)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	o, closer, err := dialHub(ctx, e, *home)
	if err != nil {
		return err
	}
	defer closer()
	ms, err := o.Internal.MinersList(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, ms)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MINER\tPROOF\tWORKER\tNUMBERS\tNEXT\tWALLET")
	for _, m := range ms {
		hi := "-"
		if m.MaxNumber != 1<<63-1 {
			hi = strconv.FormatUint(m.MaxNumber, 10)
		}
		wallet := "-"
		if m.WalletAPI != "" {
			wallet = "remote"
		}
		fmt.Fprintf(tw, "f0%d\t%s\t%s\t%d..%s\t%d\t%s\n", m.Actor, m.ProofType, m.Worker, m.MinNumber, hi, m.NextNumber, wallet)
	}
	return tw.Flush()
}

func runHubSectorStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlags("hub sectors status", e)
	home := fs.String("home", "", "the hub's home (default: HUB_API_INFO, else $STRATA_HOME/hub)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("hub sectors status: want MINER NUMBER")
	}
	id, err := parseActor(fs.Arg(0))
	if err != nil {
		return usagef("hub sectors status: MINER: %v", err)
	}
	n, err := strconv.ParseUint(fs.Arg(1), 10, 63)
	if err != nil {
		return usagef("hub sectors status: NUMBER: %v", err)
	}
	o, closer, err := dialHub(ctx, e, *home)
	if err != nil {
		return err
	}
	defer closer()
	s, err := o.Internal.Sector(ctx, hub.SectorID{Miner: id, Number: n})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, s)
	}
	fmt.Fprintf(e.stdout, "sector %s (%s): %s, worker %s (%s) at %q, lease until %s, ticket epoch %d, persisted to %q, takeovers %d\n",
		s.ID, s.ProofType, s.State, s.Worker, s.WorkerState, s.Location, s.LeaseUntil.Format(time.RFC3339), s.Ticket.Epoch, s.PersistedTo, s.Takeovers)
	if s.AbortReason != "" {
		fmt.Fprintf(e.stdout, "aborted: %s\n", s.AbortReason)
	}
	if s.Failure != "" {
		fmt.Fprintf(e.stdout, "failure: %s\n", s.Failure)
	}
	return nil
}

// startProving makes the hub's WindowPoSt scheduler, with its metrics on
// the daemon's registry and, when configured, its window_post processor.
func startProving(ctx context.Context, h *hub.Hub, ms *hub.Messenger, api chain.API, c provingSection, d *daemon.Daemon, log *slog.Logger) (*hub.Proving, func(), error) {
	metrics, err := hub.NewProvingMetrics(d.Metrics())
	if err != nil {
		return nil, nil, err
	}
	var prover engine.Prover = engine.Local{}
	closeProver := func() {}
	if c.Processor.Bin != "" {
		cl, err := processor.Start(ctx, processor.Config{Stage: stage.WindowPoSt, Bin: c.Processor.Bin, Args: c.Processor.Args,
			Env: c.Processor.Env, Concurrency: max(c.Processor.Concurrency, 1), Logger: log.With("processor", stage.WindowPoSt)})
		if err != nil {
			return nil, nil, fmt.Errorf("Proving.Processor: %w", err)
		}
		prover = &engine.Processors{Stages: map[string]engine.Caller{stage.WindowPoSt: cl}}
		closeProver = func() { _ = cl.Close(context.Background()) }
	}
	pv, err := h.NewProving(hub.ProvingOptions{Chain: api, Messenger: ms, Prover: prover, CheckChallenges: c.CheckChallenges,
		DeclareMargin: c.DeclareMargin, PoStRetries: c.PoStRetries, Interval: c.Interval.Std(), Metrics: metrics})
	if err != nil {
		closeProver()
		return nil, nil, err
	}
	return pv, closeProver, nil
}
