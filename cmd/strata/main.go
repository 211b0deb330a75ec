// Command strata is Strata's one binary: every process and tool is a
// subcommand. Run "strata help" for the list.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), newEnv(), os.Args[1:]))
}
