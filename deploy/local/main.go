// Command newsflow-local runs the whole pipeline in one process: embedded
// JetStream, fetcher, enricher and sink on SQLite. `make run` starts it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/newsflow/newsflow/deploy/local/stack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := stack.DefaultConfig()
	if err := cfg.Flags().Parse(os.Args[1:], os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "newsflow-local:", err)
		os.Exit(2)
	}
	if err := stack.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "newsflow-local:", err)
		os.Exit(1)
	}
}
