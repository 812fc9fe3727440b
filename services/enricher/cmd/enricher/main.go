// Command enricher runs the newsflow enricher stage, or one of its
// commands for people (enricher tag, annotate, stance, eval).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/services/enricher"
)

var version = "dev" // set with -ldflags "-X main.version=..."

func main() {
	if len(os.Args) > 1 && enricher.IsCommand(os.Args[1]) {
		err := enricher.Command(context.Background(), os.Args[1], os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "enricher:", err)
			os.Exit(1)
		}
		return
	}
	stage.Main("enricher", func(args []string, getenv func(string) string) (enricher.Config, error) {
		c, err := enricher.ParseConfig(args, getenv)
		c.Version = version
		return c, err
	}, enricher.Run)
}
