package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-sp/strata/rpc"
)

// services are the processes whose homes and API info the CLI knows.
var serviceEnv = map[string]string{
	"devnet": rpc.EnvFullNode, // the devnet serves the full-node API
	"chain":  rpc.EnvFullNode,
	"hub":    rpc.EnvHub,
	"wallet": rpc.EnvWallet,
	"market": rpc.EnvMarket,
	"raas":   rpc.EnvRaaS,
}

func serviceNames() string {
	names := make([]string, 0, len(serviceEnv))
	for n := range serviceEnv {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func authCommand() *command {
	return &command{
		name:    "auth",
		summary: "tokens and API info for a process: create-token, api-info",
		subs: []*command{
			{
				name:    "create-token",
				summary: "sign a token with a process's secret (the process need not run)",
				usage:   "--service NAME --perm read|write|sign|admin [--home DIR] [--json]",
				run:     runCreateToken,
			},
			{
				name:    "api-info",
				summary: "print NAME_API_INFO=TOKEN:ADDR for a running process",
				usage:   "--service NAME --perm read|write|sign|admin [--home DIR] [--json]",
				run:     runAPIInfo,
			},
		},
	}
}

type authFlags struct {
	service, perm, home string
	json                bool
}

func parseAuthFlags(e *env, name string, args []string) (*authFlags, error) {
	var f authFlags
	fs := newFlags(name, e)
	fs.StringVar(&f.service, "service", "", "process: "+serviceNames())
	fs.StringVar(&f.perm, "perm", "read", "permission: read, write, sign or admin (each includes those before it)")
	fs.StringVar(&f.home, "home", "", "the process's home directory (default: its default home)")
	fs.BoolVar(&f.json, "json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if _, ok := serviceEnv[f.service]; !ok {
		return nil, usagef("%s: --service must be one of %s", name, serviceNames())
	}
	if !rpc.Perm(f.perm).Valid() {
		return nil, usagef("%s: --perm %q is not read, write, sign or admin", name, f.perm)
	}
	return &f, nil
}

func runCreateToken(_ context.Context, e *env, args []string) error {
	f, err := parseAuthFlags(e, "auth create-token", args)
	if err != nil {
		return err
	}
	home, err := resolveHome(e, f.service, f.home)
	if err != nil {
		return err
	}
	secret, err := home.Secret(false)
	if err != nil {
		return fmt.Errorf("%s has no secret yet (start the process once): %w", home.Dir, err)
	}
	auth, err := rpc.NewAuthority(secret)
	if err != nil {
		return err
	}
	perms, _ := rpc.PermsUpTo(rpc.Perm(f.perm))
	tok, err := auth.NewToken(perms, nil)
	if err != nil {
		return err
	}
	if f.json {
		return printJSON(e.stdout, map[string]any{"token": tok, "allow": perms})
	}
	_, err = fmt.Fprintln(e.stdout, tok)
	return err
}

func runAPIInfo(_ context.Context, e *env, args []string) error {
	f, err := parseAuthFlags(e, "auth api-info", args)
	if err != nil {
		return err
	}
	home, err := resolveHome(e, f.service, f.home)
	if err != nil {
		return err
	}
	info, err := home.APIInfo()
	if err != nil {
		return err
	}
	secret, err := home.Secret(false)
	if err != nil {
		return err
	}
	auth, err := rpc.NewAuthority(secret)
	if err != nil {
		return err
	}
	perms, _ := rpc.PermsUpTo(rpc.Perm(f.perm))
	if info.Token, err = auth.NewToken(perms, nil); err != nil {
		return err
	}
	name := serviceEnv[f.service]
	if name == "" {
		name = strings.ToUpper(f.service) + "_API_INFO"
	}
	if f.json {
		u, _ := info.URL()
		return printJSON(e.stdout, map[string]any{"name": name, "value": info.String(), "url": u, "token": info.Token, "allow": perms})
	}
	_, err = fmt.Fprintf(e.stdout, "%s=%s\n", name, info)
	return err
}
