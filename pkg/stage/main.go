package stage

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Main is the body of a stage program's main function: it parses the
// configuration from the command line and the environment (exit 2 when it
// is unusable, 0 after -help), runs the stage until SIGINT or SIGTERM, and
// exits 1 if Run fails.
func Main[C any](name string, parse func(args []string, getenv func(string) string) (C, error), run func(context.Context, C) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := mainCode(ctx, name, os.Args[1:], parse, run)
	stop()
	os.Exit(code)
}

func mainCode[C any](ctx context.Context, name string, args []string, parse func([]string, func(string) string) (C, error), run func(context.Context, C) error) int {
	cfg, err := parse(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 2
	}
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}
