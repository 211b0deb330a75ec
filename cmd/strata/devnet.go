package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"path/filepath"

	"github.com/strata-sp/strata/config"
	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/postgres"
	"github.com/strata-sp/strata/store/sqlite"
)

// devnetPort is the devnet's default port (Lotus's, so tools find it).
const devnetPort = 1234

// devnetConfig is the devnet's (and `strata chain run`'s) config.toml.
type devnetConfig struct {
	API   config.API   `toml:"API" comment:"The JSON-RPC listener (also /healthz, /readyz, /metrics)."`
	Log   config.Log   `toml:"Log" comment:"Logging."`
	Store config.Store `toml:"Store" comment:"The SQL database."`
	Chain chainConfig  `toml:"Chain" comment:"The embedded chain. Genesis settings apply when the store holds no chain yet."`
}

func defaultDevnetConfig() *devnetConfig {
	return &devnetConfig{API: config.DefaultAPI(devnetPort), Log: config.DefaultLog(), Store: config.DefaultStore(), Chain: defaultChainConfig()}
}

// Validate implements config.Validator.
func (c *devnetConfig) Validate() error {
	return errors.Join(c.API.Validate("API"), c.Log.Validate("Log"), c.Store.Validate("Store"), c.Chain.Validate("Chain"))
}

func devnetCommand() *command {
	return &command{
		name:    "devnet",
		summary: "run the development network on this machine",
		dflt:    "run",
		subs: []*command{
			{
				name:    "run",
				summary: "start the devnet and serve until interrupted (the default)",
				usage:   "[--home DIR] [--config FILE] [config flags]",
				run:     runDevnet,
			},
			configCommand("devnet", func() any { return defaultDevnetConfig() }),
		},
	}
}

// processFlags are the flags every process shares besides its config's.
type processFlags struct {
	home, config string
}

func addProcessFlags(fs interface {
	StringVar(*string, string, string, string)
}, p *processFlags, process string) {
	fs.StringVar(&p.home, "home", "", "home directory (default $STRATA_HOME/"+process+" or ~/.strata/"+process+")")
	fs.StringVar(&p.config, "config", "", "config file (default config.toml in the home, if present)")
}

// loadProcess parses a process's run command line and loads its config
// into cfg: defaults, then the file (--config, else config.toml in the
// home, if present), then flags. extra adds flags of the command's own.
func loadProcess(e *env, process string, cfg config.Validator, args []string, extra func(fs *flag.FlagSet)) (daemon.Home, error) {
	fs := newFlags(process+" run", e)
	var pf processFlags
	addProcessFlags(fs, &pf, process)
	if extra != nil {
		extra(fs)
	}
	flags := config.NewFlags(fs, cfg)
	if err := parse(fs, args); err != nil {
		return daemon.Home{}, err
	}
	if fs.NArg() > 0 {
		return daemon.Home{}, usagef("%s run: unexpected argument %q", process, fs.Arg(0))
	}
	home, err := resolveHome(e, process, pf.home)
	if err != nil {
		return daemon.Home{}, err
	}
	if pf.config != "" {
		err = config.Load(cfg, pf.config, flags)
	} else {
		err = config.LoadOptional(cfg, home.ConfigPath(), flags)
	}
	return home, err
}

func runDevnet(ctx context.Context, e *env, args []string) error {
	return runChainNode(ctx, e, "devnet", args)
}

func addrURL(maddr string) string {
	u, err := rpc.APIInfo{Addr: maddr}.URL()
	if err != nil {
		return maddr
	}
	return u
}

// resolveHome picks --home, or the process's default home.
func resolveHome(e *env, process, flagHome string) (daemon.Home, error) {
	if flagHome != "" {
		abs, err := filepath.Abs(flagHome)
		if err != nil {
			return daemon.Home{}, err
		}
		return daemon.Home{Dir: abs}, nil
	}
	return daemon.DefaultHome(process, e.getenv)
}

// openStore opens the configured database.
func openStore(ctx context.Context, home daemon.Home, s config.Store, log *slog.Logger) (*store.DB, error) {
	switch s.Driver {
	case "postgres":
		return postgres.Open(ctx, postgres.Options{URL: s.URL, Logger: log})
	default:
		return sqlite.Open(ctx, sqlite.Options{Path: home.Path(s.Path), Logger: log})
	}
}

func describeStore(home daemon.Home, s config.Store) string {
	if s.Driver == "postgres" {
		return "postgres"
	}
	return "sqlite " + home.Path(s.Path)
}
