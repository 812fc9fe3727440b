// Package fetcher is the newsflow stage that turns sources into raw
// article events on news.raw.<source>: feeds, sitemaps and pages polled on
// an interval (once per interval across replicas), inbox directories of
// text files, and an HTTP push endpoint.
package fetcher

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
	"github.com/newsflow/newsflow/services/fetcher/internal/web"
)

// Config of the fetcher.
type Config struct {
	stage.Common
	Version string

	// Sources is the sources file (YAML; "" for none). It is reloaded
	// when it changes and when Reload receives.
	Sources string

	// Inbox is a directory of text articles to ingest ("" for none),
	// besides the dir sources of the sources file.
	Inbox        string
	InboxSource  string
	InboxRescan  time.Duration
	InboxSettle  time.Duration
	MaxFileBytes int

	SeenBucket string
	SeenTTL    time.Duration

	// Web client: the SSRF guard's allow-list, identity, timeouts, caps
	// and politeness.
	AllowHosts         []string
	UserAgent          string
	FetchTimeout       time.Duration
	ConnectTimeout     time.Duration
	ReadTimeout        time.Duration
	MaxBodyBytes       int
	MaxSitemapBytes    int
	MaxRedirects       int
	PerHostRate        float64
	PerHostConcurrency int

	// Polls.
	ItemConcurrency  int
	MaxItemAttempts  int
	LeaseBucket      string
	ValidatorsBucket string
	AttemptsBucket   string

	// Push endpoint.
	PushAddr      string
	PushTokenFile string
	PushToken     string
	PushSource    string
	PushMaxBytes  int

	// Once makes Run return after one pass over its sources: every dir
	// source scanned and every polled source polled once (without leases);
	// the push endpoint is not started.
	Once bool

	// Set by programs, not flags.

	// Observe, if set, is told what became of every article found:
	// "new", "duplicate" or "skipped".
	Observe func(a events.RawArticle, outcome string)
	// Reload, if set, reloads the sources file whenever it receives
	// (programs relay SIGHUP to it).
	Reload <-chan os.Signal
	// PushListening, if set, is told the push endpoint's bound address.
	PushListening func(addr string)
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Common:             stage.DefaultCommon(),
		Version:            "dev",
		InboxSource:        "inbox",
		InboxRescan:        30 * time.Second,
		InboxSettle:        time.Second,
		MaxFileBytes:       events.MaxBodyBytes,
		SeenBucket:         "newsflow_seen",
		SeenTTL:            30 * 24 * time.Hour,
		FetchTimeout:       60 * time.Second,
		ConnectTimeout:     5 * time.Second,
		ReadTimeout:        15 * time.Second,
		MaxBodyBytes:       16 << 20,
		MaxSitemapBytes:    64 << 20,
		MaxRedirects:       5,
		PerHostRate:        1,
		PerHostConcurrency: 2,
		ItemConcurrency:    4,
		MaxItemAttempts:    3,
		LeaseBucket:        "newsflow_fetcher_leases",
		ValidatorsBucket:   "newsflow_fetcher_validators",
		AttemptsBucket:     "newsflow_fetcher_attempts",
		PushSource:         "push",
		PushMaxBytes:       events.MaxBodyBytes + 1<<20,
	}
}

// Flags binds c to a flag set.
func (c *Config) Flags() *envflag.FlagSet {
	d := DefaultConfig()
	fs := envflag.New("fetcher", "NEWSFLOW")
	c.Common.Register(fs)
	fs.StringVar(&c.Sources, "sources", d.Sources, "sources file (YAML: feeds, sitemaps, pages, dirs, push sources), reloaded on change and SIGHUP (empty: none)")
	fs.StringVar(&c.Inbox, "inbox", d.Inbox, "directory of text articles to ingest and watch (empty: none)")
	fs.StringVar(&c.InboxSource, "inbox-source", d.InboxSource, "source ID of inbox articles (subject news.raw.<source>)")
	fs.DurationVar(&c.InboxRescan, "inbox-rescan", d.InboxRescan, "period of full inbox rescans besides file events")
	fs.DurationVar(&c.InboxSettle, "inbox-settle", d.InboxSettle, "files modified more recently are read later (still being written)")
	fs.IntVar(&c.MaxFileBytes, "max-file-bytes", d.MaxFileBytes, "larger inbox files are dead-lettered")
	fs.StringVar(&c.SeenBucket, "seen-bucket", d.SeenBucket, "KV bucket of article IDs already published")
	fs.DurationVar(&c.SeenTTL, "seen-ttl", d.SeenTTL, "how long an article ID is remembered as published")

	fs.ListVar(&c.AllowHosts, "allow-host", d.AllowHosts, "host name, IP address or CIDR range the SSRF guard lets through although private or loopback (repeatable; comma list in the environment)")
	fs.StringVar(&c.UserAgent, "user-agent", d.UserAgent, "User-Agent of every request, matched against robots.txt (empty: newsflow/<version> (+https://github.com/newsflow/newsflow))")
	fs.DurationVar(&c.FetchTimeout, "fetch-timeout", d.FetchTimeout, "bound on one fetch: robots.txt, redirects, retries and the body")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", d.ConnectTimeout, "bound on each TCP connect and TLS handshake")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", d.ReadTimeout, "bound on waiting for response headers and for each part of a body")
	fs.IntVar(&c.MaxBodyBytes, "max-body-bytes", d.MaxBodyBytes, "larger feeds and pages (received or decompressed) are refused")
	fs.IntVar(&c.MaxSitemapBytes, "max-sitemap-bytes", d.MaxSitemapBytes, "larger sitemaps (received or decompressed) are refused")
	fs.IntVar(&c.MaxRedirects, "max-redirects", d.MaxRedirects, "redirects one fetch follows")
	fs.Float64Var(&c.PerHostRate, "per-host-rate", d.PerHostRate, "requests per second to one host (negative: no limit); a source's rate or a robots.txt Crawl-delay lowers it")
	fs.IntVar(&c.PerHostConcurrency, "per-host-concurrency", d.PerHostConcurrency, "requests in flight to one host")

	fs.IntVar(&c.ItemConcurrency, "item-concurrency", d.ItemConcurrency, "items of one poll processed at once")
	fs.IntVar(&c.MaxItemAttempts, "max-item-attempts", d.MaxItemAttempts, "polls an item's page may fail (timeout, 5xx, network) before the item is given up")
	fs.StringVar(&c.LeaseBucket, "lease-bucket", d.LeaseBucket, "KV bucket of poll leases (which replica polls a source in an interval)")
	fs.StringVar(&c.ValidatorsBucket, "validators-bucket", d.ValidatorsBucket, "KV bucket of ETag and Last-Modified validators for conditional GETs")
	fs.StringVar(&c.AttemptsBucket, "attempts-bucket", d.AttemptsBucket, "KV bucket of failure counts of items")

	fs.StringVar(&c.PushAddr, "push-addr", d.PushAddr, "address of the push endpoint POST /v1/articles (empty: off); never the metrics address")
	fs.StringVar(&c.PushTokenFile, "push-token-file", d.PushTokenFile, "file holding the bearer token of the push endpoint")
	fs.StringVar(&c.PushToken, "push-token", d.PushToken, "bearer token of the push endpoint (prefer the environment or -push-token-file)")
	fs.StringVar(&c.PushSource, "push-source", d.PushSource, "source ID of pushed articles that name none")
	fs.IntVar(&c.PushMaxBytes, "push-max-bytes", d.PushMaxBytes, "larger push request bodies are answered 413")

	fs.BoolVar(&c.Once, "once", d.Once, "one pass over the sources, then exit")
	return fs
}

// ParseConfig reads the configuration from args and the environment.
func ParseConfig(args []string, getenv func(string) string) (Config, error) {
	return parseConfig(args, getenv, os.Stderr)
}

// parseConfig is ParseConfig writing usage and flag errors to out.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	c := DefaultConfig()
	version := c.Version
	fs := c.Flags()
	fs.SetOutput(out)
	if err := fs.Parse(args, getenv); err != nil {
		return Config{}, err
	}
	c.Version = version
	return c, c.Validate()
}

var sourceID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// Validate reports the first unusable setting, by flag name.
func (c Config) Validate() error {
	if err := c.Common.Validate(); err != nil {
		return err
	}
	switch {
	case c.Inbox == "" && c.Sources == "" && c.PushAddr == "":
		return errors.New("no sources: set -sources, -inbox or -push-addr")
	case c.InboxSource == "" || events.Token(c.InboxSource) != c.InboxSource:
		return fmt.Errorf("-inbox-source: %q must be a non-empty subject token (no '.', '*', '>' or spaces)", c.InboxSource)
	case c.MaxFileBytes < 1 || c.MaxFileBytes > events.MaxBodyBytes*2:
		return fmt.Errorf("-max-file-bytes: %d is not in 1..%d", c.MaxFileBytes, events.MaxBodyBytes*2)
	case c.SeenBucket == "":
		return errors.New("-seen-bucket: is empty")
	case c.SeenTTL <= 0:
		return errors.New("-seen-ttl: must be positive")
	case c.InboxRescan <= 0:
		return errors.New("-inbox-rescan: must be positive")
	case c.FetchTimeout <= 0:
		return errors.New("-fetch-timeout: must be positive")
	case c.ConnectTimeout <= 0:
		return errors.New("-connect-timeout: must be positive")
	case c.ReadTimeout <= 0:
		return errors.New("-read-timeout: must be positive")
	case c.MaxBodyBytes < 1:
		return errors.New("-max-body-bytes: must be positive")
	case c.MaxSitemapBytes < 1:
		return errors.New("-max-sitemap-bytes: must be positive")
	case c.MaxRedirects < 0 || c.MaxRedirects > 20:
		return fmt.Errorf("-max-redirects: %d is not in 0..20", c.MaxRedirects)
	case c.PerHostRate == 0 || c.PerHostRate != c.PerHostRate:
		return errors.New("-per-host-rate: must be positive, or negative for no limit")
	case c.PerHostConcurrency < 1:
		return errors.New("-per-host-concurrency: must be positive")
	case c.ItemConcurrency < 1 || c.ItemConcurrency > 256:
		return fmt.Errorf("-item-concurrency: %d is not in 1..256", c.ItemConcurrency)
	case c.MaxItemAttempts < 1:
		return errors.New("-max-item-attempts: must be positive")
	case c.LeaseBucket == "":
		return errors.New("-lease-bucket: is empty")
	case c.ValidatorsBucket == "":
		return errors.New("-validators-bucket: is empty")
	case c.AttemptsBucket == "":
		return errors.New("-attempts-bucket: is empty")
	case c.PushAddr != "" && c.PushTokenFile == "" && c.PushToken == "":
		return errors.New("-push-token-file: the push endpoint needs a token (-push-token-file or NEWSFLOW_PUSH_TOKEN)")
	case c.PushAddr != "" && c.PushAddr == c.HTTPAddr:
		return fmt.Errorf("-push-addr: %s is the metrics address; give the push endpoint its own", c.PushAddr)
	case !sourceID.MatchString(c.PushSource):
		return fmt.Errorf("-push-source: %q may hold only ASCII letters, digits, '-' and '_'", c.PushSource)
	case c.PushMaxBytes < 1:
		return errors.New("-push-max-bytes: must be positive")
	}
	if err := c.webConfig().Validate(); err != nil {
		return fmt.Errorf("-allow-host: %w", err)
	}
	return nil
}

// webConfig is the web client configuration of c.
func (c Config) webConfig() web.Config {
	ua := c.UserAgent
	if ua == "" {
		ua = "newsflow/" + c.Version + " (+https://github.com/newsflow/newsflow)"
	}
	redirects := c.MaxRedirects
	if redirects == 0 {
		redirects = -1 // web.Config: negative follows none
	}
	return web.Config{
		UserAgent:             ua,
		AllowHosts:            c.AllowHosts,
		ConnectTimeout:        c.ConnectTimeout,
		TLSHandshakeTimeout:   c.ConnectTimeout,
		ResponseHeaderTimeout: c.ReadTimeout,
		IdleReadTimeout:       c.ReadTimeout,
		Timeout:               c.FetchTimeout,
		MaxBodyBytes:          int64(c.MaxBodyBytes),
		MaxRedirects:          redirects,
		PerHostRate:           c.PerHostRate,
		PerHostConcurrency:    c.PerHostConcurrency,
	}
}
