// Package fetcher is the newsflow stage that turns sources into raw
// article events on news.raw.<source>.
package fetcher

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
	"github.com/newsflow/newsflow/services/fetcher/internal/dirsource"
	"github.com/newsflow/newsflow/services/fetcher/internal/ingest"
)

// Config of the fetcher.
type Config struct {
	stage.Common
	Version string

	// Inbox is a directory of text articles to ingest ("" for none).
	Inbox        string
	InboxSource  string
	InboxRescan  time.Duration
	InboxSettle  time.Duration
	MaxFileBytes int

	SeenBucket string
	SeenTTL    time.Duration

	// Once makes Run return after one pass over its sources.
	Once bool

	// Observe, if set, is told what became of every article found:
	// "new", "duplicate" or "skipped". Set by programs, not flags.
	Observe func(a events.RawArticle, outcome string)
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Common:       stage.DefaultCommon(),
		Version:      "dev",
		InboxSource:  "inbox",
		InboxRescan:  30 * time.Second,
		InboxSettle:  time.Second,
		MaxFileBytes: events.MaxBodyBytes,
		SeenBucket:   "newsflow_seen",
		SeenTTL:      30 * 24 * time.Hour,
	}
}

// Flags binds c to a flag set.
func (c *Config) Flags() *envflag.FlagSet {
	d := DefaultConfig()
	fs := envflag.New("fetcher", "NEWSFLOW")
	c.Common.Register(fs)
	fs.StringVar(&c.Inbox, "inbox", d.Inbox, "directory of text articles to ingest and watch (empty: none)")
	fs.StringVar(&c.InboxSource, "inbox-source", d.InboxSource, "source ID of inbox articles (subject news.raw.<source>)")
	fs.DurationVar(&c.InboxRescan, "inbox-rescan", d.InboxRescan, "period of full inbox rescans besides file events")
	fs.DurationVar(&c.InboxSettle, "inbox-settle", d.InboxSettle, "files modified more recently are read later (still being written)")
	fs.IntVar(&c.MaxFileBytes, "max-file-bytes", d.MaxFileBytes, "larger inbox files are dead-lettered")
	fs.StringVar(&c.SeenBucket, "seen-bucket", d.SeenBucket, "KV bucket of article IDs already published")
	fs.DurationVar(&c.SeenTTL, "seen-ttl", d.SeenTTL, "how long an article ID is remembered as published")
	fs.BoolVar(&c.Once, "once", d.Once, "one pass over the sources, then exit")
	return fs
}

// ParseConfig reads the configuration from args and the environment.
func ParseConfig(args []string, getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	version := c.Version
	if err := c.Flags().Parse(args, getenv); err != nil {
		return Config{}, err
	}
	c.Version = version
	return c, c.Validate()
}

// Validate reports the first unusable setting, by flag name.
func (c Config) Validate() error {
	if err := c.Common.Validate(); err != nil {
		return err
	}
	switch {
	case c.Inbox == "":
		return errors.New("no sources: set -inbox")
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
	}
	return nil
}

// Run fetches until ctx ends (or, with Once, until one pass is done), then
// drains and returns.
func Run(ctx context.Context, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	rt, err := stage.Start(ctx, "fetcher", c.Version, c.Common)
	if err != nil {
		return err
	}
	defer rt.Close()
	var observe func(events.RawArticle, ingest.Outcome)
	if c.Observe != nil {
		observe = func(a events.RawArticle, o ingest.Outcome) { c.Observe(a, string(o)) }
	}
	in, err := ingest.New(ctx, rt, ingest.Config{
		SeenBucket: c.SeenBucket, SeenTTL: c.SeenTTL, Replicas: c.Broker.Replicas, Observe: observe,
	})
	if err != nil {
		return err
	}
	src, err := dirsource.New(dirsource.Config{
		Dir: c.Inbox, Source: c.InboxSource, Rescan: c.InboxRescan, Settle: c.InboxSettle,
		MaxFileBytes: int64(c.MaxFileBytes), Once: c.Once,
	}, rt.Log, time.Now,
		func(ctx context.Context, a events.RawArticle) error {
			_, err := in.Submit(ctx, a)
			return err
		},
		func(ctx context.Context, path string, data []byte, cause error) error {
			return in.Reject(ctx, c.InboxSource, path, data, cause)
		})
	if err != nil {
		return err
	}
	if err := src.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
