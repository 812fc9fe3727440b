package fetcher

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
	"github.com/newsflow/newsflow/services/fetcher/internal/extract"
	"github.com/newsflow/newsflow/services/fetcher/internal/ingest"
	"github.com/newsflow/newsflow/services/fetcher/internal/poll"
	"github.com/newsflow/newsflow/services/fetcher/internal/sources"
	"github.com/newsflow/newsflow/services/fetcher/internal/web"
)

// Main is the fetcher program. `fetcher [flags]` runs the stage until ctx
// ends, reloading the sources file on SIGHUP; `fetcher probe` and
// `fetcher extract` are commands for people (see Probe and
// extract.RunCommand). It returns the exit code: 0 on success, 1 on
// failure, 2 on a usage error.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, version string) int {
	if len(args) > 0 {
		switch args[0] {
		case "probe":
			return exitCode(stderr, "probe", Probe(ctx, args[1:], stdout, stderr, version))
		case "extract":
			return exitCode(stderr, "extract", extract.RunCommand(args[1:], stdin, stdout, stderr))
		}
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, "\nCommands: fetcher probe [flags] URL; fetcher extract [flags] < page.html (each with -h).")
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "fetcher:", err)
		return 2
	}
	cfg.Version = version
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	cfg.Reload = hup
	if err := Run(ctx, cfg); err != nil {
		fmt.Fprintln(stderr, "fetcher:", err)
		return 1
	}
	return 0
}

// errUsage marks errors of command-line usage (exit code 2).
var errUsage = errors.New("usage")

func exitCode(stderr io.Writer, cmd string, err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "fetcher %s: %v\n", cmd, err)
		return 2
	default:
		fmt.Fprintf(stderr, "fetcher %s: %v\n", cmd, err)
		return 1
	}
}

// Probe implements `fetcher probe [flags] URL`: it fetches a feed, sitemap
// or page once, as a poll would (extracting each item's page), and prints
// the raw article events it would publish on stdout, one JSON line each,
// without NATS. Items it would skip or dead-letter, and a summary, go to
// stderr. It fails when the document cannot be fetched or parsed.
func Probe(ctx context.Context, args []string, stdout, stderr io.Writer, version string) error {
	fs := envflag.New("probe", "NEWSFLOW")
	fs.SetOutput(stderr)
	var (
		allow    []string
		ua       string
		source   string
		maxItems int
		pages    bool
		timeout  time.Duration
		verbose  bool
		rate     float64
		read     time.Duration
		maxBody  int
	)
	fs.ListVar(&allow, "allow-host", nil, "host, IP address or CIDR range to let through the SSRF guard although private or loopback (repeatable)")
	fs.StringVar(&ua, "user-agent", "", "User-Agent (empty: newsflow/<version> (+https://github.com/newsflow/newsflow))")
	fs.StringVar(&source, "source", "probe", "source ID written into the events")
	fs.IntVar(&maxItems, "max-items", 20, "items whose pages are fetched")
	fs.BoolVar(&pages, "pages", true, "fetch and extract each item's page (false: the feed's own text)")
	fs.DurationVar(&timeout, "timeout", 5*time.Minute, "bound on the whole probe")
	fs.Float64Var(&rate, "per-host-rate", 1, "requests per second to one host (negative: no limit)")
	fs.DurationVar(&read, "read-timeout", DefaultConfig().ReadTimeout, "bound on waiting for response headers and for each part of a body")
	fs.IntVar(&maxBody, "max-body-bytes", DefaultConfig().MaxBodyBytes, "larger feeds and pages are refused")
	fs.BoolVar(&verbose, "v", false, "log each request and poll step to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fetcher probe [flags] URL")
		fmt.Fprintln(stderr, "Fetches a feed, sitemap or page once and prints the raw article events it would publish, one JSON line each.")
		fs.PrintDefaults()
	}
	if err := fs.FlagSet.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: want one URL, got %d arguments", errUsage, fs.NArg())
	}
	target := fs.Arg(0)
	if maxItems < 1 {
		return fmt.Errorf("%w: -max-items must be positive", errUsage)
	}
	if read <= 0 || maxBody <= 0 {
		return fmt.Errorf("%w: -read-timeout and -max-body-bytes must be positive", errUsage)
	}
	if rate == 0 || rate != rate {
		return fmt.Errorf("%w: -per-host-rate must be positive, or negative for no limit", errUsage)
	}
	if !sourceID.MatchString(source) {
		return fmt.Errorf("%w: -source: %q may hold only ASCII letters, digits, '-' and '_'", errUsage, source)
	}
	c := DefaultConfig()
	c.Version, c.AllowHosts, c.UserAgent, c.PerHostRate, c.ReadTimeout, c.MaxBodyBytes = version, allow, ua, rate, read, maxBody
	wc := c.webConfig()
	log := slog.New(slog.DiscardHandler)
	if verbose {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	client, err := web.New(wc, web.WithLogger(log))
	if err != nil {
		return fmt.Errorf("%w: -allow-host: %v", errUsage, err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	resp, err := client.Fetch(ctx, target, web.ForSource(source), web.Unconditional())
	if err != nil {
		return err
	}
	out := &printer{w: stdout, stderr: stderr, seen: map[string]bool{}}
	// One item at a time: events come out in the document's order
	// (newest first).
	p := poll.New(client, out, nil, nil, log, time.Now, poll.Config{Concurrency: 1})
	src := sources.Source{ID: source, URL: target, MaxItems: maxItems, FetchPages: pages}
	r := p.Document(ctx, src, resp)
	fmt.Fprintf(stderr, "probe: %s: %d items, %d articles, %d skipped, %d not processed (beyond -max-items)\n",
		resp.URL, r.Items, r.New+r.Duplicate, r.DeadLettered+r.Failed, r.Deferred)
	if r.Outcome != poll.OutcomeOK {
		return fmt.Errorf("%s: %s: %w", target, r.Outcome, r.Err)
	}
	if r.Err != nil {
		fmt.Fprintln(stderr, "probe: some documents failed:", r.Err)
	}
	return nil
}

// printer is the Publisher of probe: it prints events instead of
// publishing them.
type printer struct {
	mu     sync.Mutex
	w      io.Writer
	stderr io.Writer
	seen   map[string]bool
}

func (p *printer) Seen(context.Context, string) (bool, error) { return false, nil }

func (p *printer) Submit(_ context.Context, a events.RawArticle, also ...string) (ingest.Outcome, error) {
	if err := a.Validate(); err != nil {
		return ingest.OutcomeSkipped, err
	}
	data, err := events.Encode(a)
	if err != nil {
		return ingest.OutcomeSkipped, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen[a.ID] {
		return ingest.OutcomeDuplicate, nil
	}
	p.seen[a.ID] = true
	if _, err := fmt.Fprintf(p.w, "%s\n", data); err != nil {
		return "", err
	}
	return ingest.OutcomeNew, nil
}

func (p *printer) Reject(_ context.Context, _, origin string, _ []byte, cause error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.stderr, "probe: skipped %s: %s\n", origin, strings.ReplaceAll(cause.Error(), "\n", " "))
	return nil
}

func (p *printer) Duplicate(events.RawArticle) {}
