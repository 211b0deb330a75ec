package main

import (
	"context"
	"fmt"

	"github.com/strata-sp/strata/config"
)

// configCommand is "strata <process> config default": the process's
// commented default config.toml.
func configCommand(process string, defaults func() any) *command {
	return &command{
		name:    "config",
		summary: "configuration helpers: config default",
		subs: []*command{{
			name:    "default",
			summary: "print the commented default config.toml",
			usage:   "",
			run: func(_ context.Context, e *env, args []string) error {
				fs := newFlags(process+" config default", e)
				if err := parse(fs, args); err != nil {
					return err
				}
				title := fmt.Sprintf("Default configuration of strata %s.\nSave as config.toml in the process's home, or pass --config FILE.\nOrder: defaults, then this file, then command-line flags (--section-key).", process)
				return config.Write(e.stdout, title, defaults())
			},
		}},
	}
}
