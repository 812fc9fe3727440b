package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/newsflow/newsflow/services/enricher"
	"github.com/newsflow/newsflow/services/fetcher"
	"github.com/newsflow/newsflow/services/sink"
)

// serve runs one service in this process with a CPU profile written to a
// file when it stops: "serve <service> <profile> <service flags>...". It
// runs the same Run function as the service's own binary.
func serve(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: pipeline serve fetcher|enricher|sink <profile file> [flags]")
		return 2
	}
	service, out, args := args[0], args[1], args[2:]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var runService func() error
	var err error
	switch service {
	case "fetcher":
		var c fetcher.Config
		if c, err = fetcher.ParseConfig(args, os.Getenv); err == nil {
			c.Version = "bench-profile"
			runService = func() error { return fetcher.Run(ctx, c) }
		}
	case "enricher":
		var c enricher.Config
		if c, err = enricher.ParseConfig(args, os.Getenv); err == nil {
			c.Version = "bench-profile"
			runService = func() error { return enricher.Run(ctx, c) }
		}
	case "sink":
		var c sink.Config
		if c, err = sink.ParseConfig(args, os.Getenv); err == nil {
			c.Version = "bench-profile"
			runService = func() error { return sink.Run(ctx, c) }
		}
	default:
		err = fmt.Errorf("unknown service %q", service)
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, service+":", err)
		return 2
	}
	f, err := os.Create(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, service+":", err)
		return 1
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, service+":", err)
		return 1
	}
	err = runService()
	pprof.StopCPUProfile()
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, service+":", err)
		return 1
	}
	return 0
}
