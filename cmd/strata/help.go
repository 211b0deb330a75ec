package main

import (
	"context"
	"strings"
)

func helpCommand() *command {
	return &command{
		name:    "help",
		summary: "describe a command: strata help [command...]",
		usage:   "[command...]",
		run: func(_ context.Context, e *env, args []string) error {
			c, path := root(), []string{"strata"}
			for _, a := range args {
				sub := c.find(a)
				if sub == nil {
					return usagef("help: unknown command %q", strings.Join(append(path[1:], a), " "))
				}
				c, path = sub, append(path, a)
			}
			printHelp(e.stdout, c, path)
			if c.run != nil && len(args) > 0 {
				// Leaf commands print their flags with -h.
				_ = c.run(context.Background(), &env{stdout: e.stdout, stderr: e.stdout, getenv: e.getenv}, []string{"-h"})
			}
			return nil
		},
	}
}
