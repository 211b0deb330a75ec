package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/strata-sp/strata/config"
	"github.com/strata-sp/strata/daemon"
)

// env is what a command may touch of the world; tests give their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// signals delivers SIGINT/SIGTERM to long-running commands.
	signals func() (<-chan os.Signal, func())
	// exitNow ends the process at once (a second signal while draining).
	exitNow func(code int)
	// extend lets tests register extra RPC methods on a daemon.
	extend func(*daemon.Daemon) error
	// isTerminal says whether a progress bar on w would be seen.
	isTerminal func(w io.Writer) bool
}

func (e *env) terminal(w io.Writer) bool { return e.isTerminal != nil && e.isTerminal(w) }

func newEnv() *env {
	return &env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		signals: func() (<-chan os.Signal, func()) {
			ch := make(chan os.Signal, 2)
			signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
			return ch, func() { signal.Stop(ch) }
		},
		exitNow:    os.Exit,
		isTerminal: isTerminal,
	}
}

// command is a node of the command tree: a leaf runs, a branch dispatches.
type command struct {
	name    string
	summary string
	usage   string // arguments after the command path, for help
	run     func(ctx context.Context, e *env, args []string) error
	subs    []*command
	// dflt is the sub-command run when a branch is called with flags only.
	dflt string
}

// usageError is a mistake in the command line: exit code 2 and a hint.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func root() *command {
	return &command{
		name:    "strata",
		summary: "a Filecoin storage-provider stack",
		subs: []*command{
			devnetCommand(),
			chainCommand(),
			clientCommand(),
			utilCommand(),
			processorCommand(),
			benchCommand(),
			hubCommand(),
			workerCommand(),
			walletCommand(),
			authCommand(),
			versionCommand(),
			helpCommand(),
		},
	}
}

// run executes the command line and maps the outcome to an exit code; it is
// main without os.Exit.
func run(ctx context.Context, e *env, args []string) int {
	// STRATA_CPUPROFILE=FILE profiles any command, a process included,
	// until it exits normally (a first signal, not a second).
	if path := e.getenv("STRATA_CPUPROFILE"); path != "" {
		stop, err := startCPUProfile(path)
		if err != nil {
			fmt.Fprintf(e.stderr, "strata: STRATA_CPUPROFILE: %v\n", err)
			return exitError
		}
		defer stop()
	}
	r := root()
	err := dispatch(ctx, e, r, nil, args)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		msg := ue.msg
		if !strings.HasPrefix(msg, "strata") {
			msg = "strata: " + msg
		}
		fmt.Fprintf(e.stderr, "%s\nRun 'strata help' for usage.\n", msg)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "strata: %v\n", err)
		return exitError
	}
}

func dispatch(ctx context.Context, e *env, c *command, path []string, args []string) error {
	path = append(path, c.name)
	if c.run != nil {
		return c.run(ctx, e, args)
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if c.dflt != "" {
			return dispatch(ctx, e, c.find(c.dflt), path, args)
		}
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			printHelp(e.stdout, c, path)
			return nil
		}
		printHelp(e.stderr, c, path)
		return usagef("%s: missing command", strings.Join(path, " "))
	}
	sub := c.find(args[0])
	if sub == nil {
		return usagef("%s: unknown command %q", strings.Join(path, " "), args[0])
	}
	return dispatch(ctx, e, sub, path, args[1:])
}

func (c *command) find(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

func printHelp(w io.Writer, c *command, path []string) {
	fmt.Fprintf(w, "%s: %s\n", strings.Join(path, " "), c.summary)
	if len(c.subs) > 0 {
		fmt.Fprintf(w, "\nUsage: %s <command> [flags]\n\nCommands:\n", strings.Join(path, " "))
		for _, s := range c.subs {
			fmt.Fprintf(w, "  %-14s %s\n", s.name, s.summary)
		}
	} else if c.usage != "" {
		fmt.Fprintf(w, "\nUsage: %s %s\n", strings.Join(path, " "), c.usage)
	}
}

// newFlags returns a flag set that prints usage to stderr, and parse parses
// into it, turning flag mistakes into usage errors.
func newFlags(name string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parse parses args into fs, turning flag mistakes into usage errors.
// Flags may follow the positional arguments (`hub sectors check f01000
// --json`); everything after "--" is positional.
func parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usagef("%s: %v", fs.Name(), err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	// Parsing "--" and the positional arguments leaves them as fs.Args.
	return fs.Parse(append([]string{"--"}, pos...))
}

// printJSON writes v as indented JSON: the --json output of every command.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newLogger builds the process logger from the Log config section.
func newLogger(w io.Writer, l config.Log) *slog.Logger {
	opts := &slog.HandlerOptions{Level: l.SlogLevel()}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
