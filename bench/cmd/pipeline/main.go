// Command pipeline is the newsflow pipeline load test (make bench-pipeline):
// nats-server with file-backed JetStream, a throwaway PostgreSQL and the
// three services as separate processes; articles go in through the
// fetcher's inbox. It prints the results; the last line is
//
//	articles_per_s=<n> p50_ms=<n> p99_ms=<n> ceiling_ratio=<r>
//
// with the full-load end-to-end rate, the fetch-to-commit latency
// percentiles at half load and the rate over JetStream's own ceiling.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/newsflow/newsflow/bench/internal/corpus"
	"github.com/newsflow/newsflow/bench/internal/pipeline"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		os.Exit(serve(os.Args[2:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	c := pipeline.DefaultConfig()
	fs := flag.NewFlagSet("pipeline", flag.ContinueOnError)
	fs.StringVar(&c.Bin, "bin", c.Bin, "directory of the fetcher, enricher, sink and nats-server binaries")
	fs.StringVar(&c.NATSServer, "nats-server", "", "nats-server binary (default <bin>/nats-server)")
	fs.IntVar(&c.Articles, "articles", c.Articles, "articles of the full-load phase")
	fs.IntVar(&c.Warmup, "warmup", c.Warmup, "articles stored before measuring")
	fs.DurationVar(&c.HalfDuration, "half-duration", c.HalfDuration, "how long the half-load phase offers articles")
	fs.Float64Var(&c.HalfRate, "half-rate", 0, "articles/s of the half-load phase (default: half the full-load rate)")
	fs.IntVar(&c.CeilingMessages, "ceiling", c.CeilingMessages, "messages of the JetStream ceiling run (0 skips it)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the article generator")
	fs.DurationVar(&c.PhaseTimeout, "timeout", c.PhaseTimeout, "longest wait for a phase's articles to be stored")
	fs.StringVar(&c.WorkDir, "work", "", "work directory (default: a temporary one, removed afterwards)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the work directory (logs, JetStream store, inbox)")
	data := fs.String("data", "", "shared data directory for the article text (default $NEWSFLOW_SHARED_DATA or ../shared/data; synthetic text without it)")
	jsonOut := fs.String("json", "", "also write the results as JSON to this file (for bench/cmd/report)")
	profile := fs.String("profile", "", "run the services from this binary with CPU profiling, writing <dir>/<service>.pprof (and nats-server.pprof)")
	natsProfSecs := fs.Int("profile-nats-seconds", 15, "with -profile, seconds of nats-server's CPU profile from the start of full load")
	extra := map[string]*string{}
	for _, s := range pipeline.Services {
		extra[s] = fs.String(s+"-args", "", "extra flags of the "+s+", space separated")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.Data = *data
	if c.Data == "" {
		if d, err := corpus.SharedData(); err == nil {
			c.Data = d
		}
	}
	c.Args = map[string][]string{}
	for s, v := range extra {
		if f := strings.Fields(*v); len(f) > 0 {
			c.Args[s] = f
		}
	}
	if *profile != "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		dir, err := filepath.Abs(*profile)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		c.Command = func(service string) (string, []string) {
			return self, []string{"serve", service, filepath.Join(dir, service+".pprof")}
		}
		c.NATSProfile, c.NATSProfileSeconds = filepath.Join(dir, "nats-server.pprof"), *natsProfSecs
	}
	c.Progress = os.Stderr
	res, err := pipeline.Run(ctx, c)
	if err != nil {
		return err
	}
	if *jsonOut != "" {
		f, err := os.Create(*jsonOut)
		if err != nil {
			return err
		}
		if err := res.WriteJSON(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return res.WriteText(os.Stdout)
}
