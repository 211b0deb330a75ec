package main

import (
	"context"
	"fmt"

	"github.com/strata-sp/strata/internal/buildinfo"
)

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print the version of this binary",
		usage:   "[--json]",
		run: func(_ context.Context, e *env, args []string) error {
			fs := newFlags("version", e)
			asJSON := fs.Bool("json", false, "print JSON")
			if err := parse(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return usagef("version takes no arguments")
			}
			info := buildinfo.Get()
			if *asJSON {
				return printJSON(e.stdout, info)
			}
			_, err := fmt.Fprintf(e.stdout, "strata %s (%s, %s)\n", info, info.GoVersion, info.Platform)
			return err
		},
	}
}
