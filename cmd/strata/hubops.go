package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/rpc"
)

// The operator's hub commands beyond miners: sectors, workers, messages
// and pieces. Each talks to the running hub's Hub.* API (admin).

func hubOpsCommands() []*command {
	return []*command{
		{name: "sectors", summary: "sectors: sectors list|status|abort|resume|terminate|extend|remove", subs: []*command{
			{name: "list", summary: "list sectors",
				usage: "[--miner f0N] [--state S] [--worker W] [--active] [--failed] [--limit N] [--json]", run: runHubSectorsList},
			{name: "status", summary: "one sector as the hub knows it", usage: "MINER NUMBER [--json]", run: runHubSectorStatus},
			{name: "abort", summary: "abort a sector: its worker drops it, its pieces wait for another sector",
				usage: "MINER NUMBER [--reason TEXT]", run: runHubSectorsAbort},
			{name: "resume", summary: "send a failed pre-commit or prove-commit again and clear a reported failure",
				usage: "MINER NUMBER", run: runHubSectorsResume},
			{name: "terminate", summary: "terminate proven sectors on chain (their pledge is burnt), sent once each deadline may be changed",
				usage: "MINER NUMBER|FROM-TO... --yes [--json]", run: runHubSectorsTerminate},
			{name: "extend", summary: "extend proven sectors' expiration on chain, sent once each deadline may be changed",
				usage: "MINER NUMBER|FROM-TO... --expiration EPOCH [--json]", run: runHubSectorsExtend},
			{name: "remove", summary: "delete a terminated (or aborted) sector's sealed file and cache",
				usage: "MINER NUMBER --yes [--json]", run: runHubSectorsRemove},
			{name: "check", summary: "check the files of a miner's live sectors as the hub does before each deadline (declares nothing)",
				usage: "MINER [--deadline N] [--all] [--json]", run: runHubSectorsCheck},
		}},
		{name: "workers", summary: "workers: workers list|token", subs: []*command{
			{name: "list", summary: "the workers that pinged the hub", usage: "[--json]", run: runHubWorkers},
			{name: "token", summary: "a token for one worker: Sealer.* calls naming only that worker (the hub need not run)",
				usage: "NAME [--home DIR] [--api-info] [--json]", run: runHubWorkerToken},
		}},
		{name: "messages", summary: "the hub's chain messages, newest first",
			usage: "[--miner f0N] [--state S] [--limit N] [--json]", run: runHubMessages},
		{name: "pieces", summary: "data waiting for sectors: pieces add|list", subs: []*command{
			{name: "add", summary: "add a piece for the next sectors: a file (its CommP is computed) or a piece CID with its source",
				usage: "FILE | PIECE-CID --source PATH|URL [--size N] [--payload-size N] [--miner f0N] [--json]", run: runHubPiecesAdd},
			{name: "list", summary: "list pieces", usage: "[--state waiting|assigned|sealed] [--miner f0N] [--limit N] [--json]", run: runHubPiecesList},
		}},
		hubStorageCommand(),
	}
}

// hubOpFlags are the flags every operator command has.
type hubOpFlags struct {
	fs     *flag.FlagSet
	home   *string
	asJSON *bool
}

func newHubOpFlags(name string, e *env) hubOpFlags {
	fs := newFlags(name, e)
	return hubOpFlags{fs: fs,
		home:   fs.String("home", "", "the hub's home (default: HUB_API_INFO, else $STRATA_HOME/hub)"),
		asJSON: fs.Bool("json", false, "print JSON")}
}

// sectorArgs parses MINER NUMBER.
func sectorArgs(cmd string, fs *flag.FlagSet) (hub.SectorID, error) {
	if fs.NArg() != 2 {
		return hub.SectorID{}, usagef("%s: want MINER NUMBER", cmd)
	}
	id, err := parseActor(fs.Arg(0))
	if err != nil {
		return hub.SectorID{}, usagef("%s: MINER: %v", cmd, err)
	}
	n, err := strconv.ParseUint(fs.Arg(1), 10, 63)
	if err != nil {
		return hub.SectorID{}, usagef("%s: NUMBER: %v", cmd, err)
	}
	return hub.SectorID{Miner: id, Number: n}, nil
}

func optActor(cmd, s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	id, err := parseActor(s)
	if err != nil {
		return 0, usagef("%s: --miner: %v", cmd, err)
	}
	return id, nil
}

func runHubSectorsList(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub sectors list", e)
	miner := f.fs.String("miner", "", "only this miner's sectors")
	state := f.fs.String("state", "", "only sectors in this state (allocated, precommit_submitted, ..., finalized, aborted)")
	worker := f.fs.String("worker", "", "only this worker's sectors")
	active := f.fs.Bool("active", false, "leave out finalized and aborted sectors")
	failed := f.fs.Bool("failed", false, "only sectors with a reported failure or a failed message")
	lim := f.fs.Int("limit", 1000, "at most this many (at most 10000)")
	if err := parse(f.fs, args); err != nil {
		return err
	}
	m, err := optActor("hub sectors list", *miner)
	if err != nil {
		return err
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	ss, err := o.Internal.Sectors(ctx, hub.SectorFilter{Miner: m, State: hub.State(*state), Worker: *worker, Active: *active, Failed: *failed, Limit: *lim})
	if err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, ss)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SECTOR\tSTATE\tWORKER\tWORKER STATE\tPRECOMMIT\tPROOF\tTAKEOVERS\tUPDATED\tNOTE")
	for _, s := range ss {
		note := s.Failure
		if s.AbortReason != "" {
			note = s.AbortReason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", s.ID, s.State, s.Worker, dash(s.WorkerState), dash(string(s.PreCommitState)),
			dash(string(s.ProofState)), s.Takeovers, s.UpdatedAt.Format(time.DateTime), oneLine(note, 80))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine shortens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func runHubSectorsAbort(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub sectors abort", e)
	reason := f.fs.String("reason", "aborted by the operator", "why (shown to the worker and in the sector)")
	if err := parse(f.fs, interleave(args, "json")); err != nil {
		return err
	}
	id, err := sectorArgs("hub sectors abort", f.fs)
	if err != nil {
		return err
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	if err := o.Internal.SectorsAbort(ctx, id, *reason); err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, map[string]any{"sector": id, "aborted": true})
	}
	fmt.Fprintf(e.stdout, "sector %s aborted; its worker drops it at its next report\n", id)
	return nil
}

func runHubSectorsResume(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub sectors resume", e)
	if err := parse(f.fs, interleave(args, "json")); err != nil {
		return err
	}
	id, err := sectorArgs("hub sectors resume", f.fs)
	if err != nil {
		return err
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	did, err := o.Internal.SectorsResume(ctx, id)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, map[string]any{"sector": id, "did": did})
	}
	fmt.Fprintf(e.stdout, "sector %s: %s\n", id, did)
	return nil
}

func runHubWorkers(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub workers", e)
	if err := parse(f.fs, args); err != nil {
		return err
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	ws, err := o.Internal.Workers(ctx)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, ws)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKER\tSECTORS\tLAST PING\tTHREADS")
	for _, w := range ws {
		fmt.Fprintf(tw, "%s\t%d\t%s ago\t%s\n", w.Name, w.Sectors, time.Since(w.LastPing).Round(time.Second), w.Info)
	}
	return tw.Flush()
}

func runHubMessages(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub messages", e)
	miner := f.fs.String("miner", "", "only this miner's messages")
	state := f.fs.String("state", "", "only messages in this state (signed, pushed, landed, failed, ...)")
	lim := f.fs.Int("limit", 100, "at most this many (at most 10000)")
	if err := parse(f.fs, args); err != nil {
		return err
	}
	m, err := optActor("hub messages", *miner)
	if err != nil {
		return err
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	ms, err := o.Internal.Messages(ctx, hub.MessageFilter{Miner: m, State: *state, Limit: *lim})
	if err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, ms)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CID\tMINER\tKIND\tNONCE\tSTATE\tEXIT\tHEIGHT\tCREATED\tSUBJECT")
	for _, m := range ms {
		subject := m.Subject
		if subject == "" {
			subject = fmt.Sprintf("%d sectors", len(m.Sectors))
		}
		if m.PushError != "" {
			subject += "; refused by the node: " + m.PushError
		}
		fmt.Fprintf(tw, "%s\tf0%d\t%s\t%d\t%s\t%d\t%d\t%s\t%s\n", m.CID, m.Miner, m.Kind, m.Nonce, m.State, m.ExitCode, m.Height,
			m.CreatedAt.Format(time.DateTime), subject)
	}
	return tw.Flush()
}

func runHubPiecesAdd(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub pieces add", e)
	source := f.fs.String("source", "", "where workers read the data: a path they can reach or an http(s) URL (default for a FILE: its absolute path)")
	size := f.fs.Uint64("size", 0, "the padded piece size, for a v1 piece CID")
	payload := f.fs.Uint64("payload-size", 0, "the data's size in bytes, for a v1 piece CID (default: a full piece)")
	miner := f.fs.String("miner", "", "only this miner may take the piece (default: any)")
	if err := parse(f.fs, interleave(args, "json")); err != nil {
		return err
	}
	if f.fs.NArg() != 1 {
		return usagef("hub pieces add: want FILE or PIECE-CID")
	}
	m, err := optActor("hub pieces add", *miner)
	if err != nil {
		return err
	}
	spec := hub.PieceSpec{Size: piece.PaddedSize(*size), PayloadSize: *payload, Miner: m, Source: *source}
	arg := f.fs.Arg(0)
	if st, err := os.Stat(arg); err == nil && st.Mode().IsRegular() {
		if spec.Size != 0 || spec.PayloadSize != 0 {
			return usagef("hub pieces add: --size and --payload-size are for a piece CID; a file's are computed")
		}
		if spec.CID, spec.Size, spec.PayloadSize, err = fileCommP(arg); err != nil {
			return err
		}
		if spec.Source == "" {
			if spec.Source, err = filepath.Abs(arg); err != nil {
				return err
			}
		}
	} else {
		c, perr := piece.Parse(arg)
		if perr != nil {
			return usagef("hub pieces add: %q is neither a file nor a piece CID: %v", arg, perr)
		}
		if spec.Source == "" {
			return usagef("hub pieces add: a piece CID needs --source: where workers read its data")
		}
		spec.CID = c
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	p, err := o.Internal.PiecesAdd(ctx, spec)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, p)
	}
	fmt.Fprintf(e.stdout, "piece %s added (id %s, %d bytes padded, %d of data, source %s)\n", p.CID, p.ID, p.Size, p.PayloadSize, p.Source)
	return nil
}

// fileCommP computes a file's piece CID, padded size and payload size.
func fileCommP(path string) (cid.Cid, piece.PaddedSize, uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return cid.Undef, 0, 0, err
	}
	defer f.Close()
	h := commp.New(commp.Options{})
	if _, err := io.Copy(h, f); err != nil {
		return cid.Undef, 0, 0, fmt.Errorf("read %s: %w", path, err)
	}
	c, size, err := h.Sum()
	if err != nil {
		return cid.Undef, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	return c, piece.PaddedSize(size), h.PayloadSize(), nil
}

func runHubPiecesList(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub pieces list", e)
	state := f.fs.String("state", "", "only pieces in this state: waiting, assigned or sealed")
	miner := f.fs.String("miner", "", "only pieces for, or in sectors of, this miner")
	lim := f.fs.Int("limit", 1000, "at most this many (at most 10000)")
	if err := parse(f.fs, args); err != nil {
		return err
	}
	m, err := optActor("hub pieces list", *miner)
	if err != nil {
		return err
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	ps, err := o.Internal.PiecesList(ctx, hub.PieceFilter{State: hub.PieceState(*state), Miner: m, Limit: *lim})
	if err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, ps)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPIECE CID\tSIZE\tPAYLOAD\tSTATE\tSECTOR\tSOURCE")
	for _, p := range ps {
		sector := "-"
		if p.Sector != nil {
			sector = p.Sector.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", p.ID, p.CID, p.Size, p.PayloadSize, p.State, sector, oneLine(p.Source, 60))
	}
	return tw.Flush()
}

func runHubWorkerToken(_ context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub workers token", e)
	withInfo := f.fs.Bool("api-info", false, "print TOKEN:MULTIADDR of the running hub, for [sector_manager] api")
	if err := parse(f.fs, interleave(args, "json", "api-info")); err != nil {
		return err
	}
	if f.fs.NArg() != 1 || f.fs.Arg(0) == "" {
		return usagef("hub workers token: want the worker's NAME ([worker] name in its config)")
	}
	name := f.fs.Arg(0)
	home, err := resolveHome(e, "hub", *f.home)
	if err != nil {
		return err
	}
	secret, err := home.Secret(false)
	if err != nil {
		return fmt.Errorf("%s has no secret yet (start the hub once): %w", home.Dir, err)
	}
	auth, err := rpc.NewAuthority(secret)
	if err != nil {
		return err
	}
	perms := []rpc.Perm{rpc.PermRead, rpc.PermWrite}
	tok, err := auth.NewToken(perms, map[string]any{hub.WorkerClaim: name})
	if err != nil {
		return err
	}
	out := tok
	if *withInfo {
		info, err := home.APIInfo()
		if err != nil {
			return err
		}
		info.Token = tok
		out = info.String()
	}
	if *f.asJSON {
		return printJSON(e.stdout, map[string]any{"worker": name, "token": out, "allow": perms})
	}
	_, err = fmt.Fprintln(e.stdout, out)
	return err
}
