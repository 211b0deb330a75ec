package main

import (
	"context"
	"errors"
	"fmt"
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

// devnetConfig is the devnet's config.toml.
type devnetConfig struct {
	API   config.API   `toml:"API" comment:"The JSON-RPC listener (also /healthz, /readyz, /metrics)."`
	Log   config.Log   `toml:"Log" comment:"Logging."`
	Store config.Store `toml:"Store" comment:"The SQL database."`
}

func defaultDevnetConfig() *devnetConfig {
	return &devnetConfig{API: config.DefaultAPI(devnetPort), Log: config.DefaultLog(), Store: config.DefaultStore()}
}

// Validate implements config.Validator.
func (c *devnetConfig) Validate() error {
	return errors.Join(c.API.Validate("API"), c.Log.Validate("Log"), c.Store.Validate("Store"))
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

func runDevnet(ctx context.Context, e *env, args []string) error {
	cfg := defaultDevnetConfig()
	fs := newFlags("devnet run", e)
	var pf processFlags
	addProcessFlags(fs, &pf, "devnet")
	flags := config.NewFlags(fs, cfg)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("devnet run: unexpected argument %q", fs.Arg(0))
	}
	home, err := resolveHome(e, "devnet", pf.home)
	if err != nil {
		return err
	}
	if pf.config != "" {
		err = config.Load(cfg, pf.config, flags)
	} else {
		err = config.LoadOptional(cfg, home.ConfigPath(), flags)
	}
	if err != nil {
		return err
	}
	log := newLogger(e.stderr, cfg.Log).With("process", "devnet")

	d, err := daemon.New(daemon.Options{Process: "devnet", Namespace: "Filecoin", Home: home, API: cfg.API, Logger: log})
	if err != nil {
		return err
	}
	db, err := openStore(ctx, home, cfg.Store, log)
	if err != nil {
		_ = d.Close(ctx)
		return err
	}
	defer db.Close()
	d.AddReadyCheck("store", db.Ping)
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
	info, err := home.APIInfo()
	if err != nil {
		_ = d.Close(ctx)
		return err
	}
	fmt.Fprintf(e.stderr, `strata devnet: serving the shared process runtime that every Strata process uses:
  JSON-RPC    %s   (Filecoin.Version, Filecoin.Session, Filecoin.AuthVerify, Filecoin.AuthNew)
  health      /healthz  /readyz  /metrics on the same port
  store       %s
  home        %s (admin token in %s)
The embedded chain, hub, workers, wallet and market join this command as they are built.
Try:  curl -s -H "Authorization: Bearer $(cat %s)" -d '{"jsonrpc":"2.0","id":1,"method":"Filecoin.Version","params":[]}' %s
Press Ctrl-C to stop (twice to stop at once).
`, addrURL(info.Addr), describeStore(home, cfg.Store), home.Dir, home.Path("token"), home.Path("token"), addrURL(info.Addr))
	return serve(ctx, e, d, cfg.API.DrainTimeout.Std(), log)
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
