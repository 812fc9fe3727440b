// Package stack runs the whole newsflow pipeline in one process: an
// embedded JetStream server, the fetcher (on an inbox directory), the
// enricher and the sink (on an SQLite file). It prints one JSON line per
// stored article.
package stack

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/sync/errgroup"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/pkg/stage/embedded"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
	"github.com/newsflow/newsflow/services/enricher"
	"github.com/newsflow/newsflow/services/fetcher"
	"github.com/newsflow/newsflow/services/sink"
)

//go:embed inbox/*.txt
var sampleInbox embed.FS

// Config of the local stack.
type Config struct {
	DataDir string
	// Inbox is the directory to ingest; empty means <DataDir>/inbox, filled
	// with the project's sample articles.
	Inbox string
	Once  bool
	// Sources is a fetcher sources file (feeds, sitemaps, pages; see the
	// README), and AllowHosts lets its URLs reach private addresses.
	Sources    string
	AllowHosts []string
	// NATSPort of the embedded server; 0 picks a free one.
	NATSPort int
	// Database overrides the default sqlite:<DataDir>/newsflow.db.
	Database string
	// Metrics addresses of the three stages ("off" disables).
	FetcherAddr, EnricherAddr, SinkAddr string
	LogLevel                            string
	// OnceTimeout bounds a --once run.
	OnceTimeout time.Duration

	Out io.Writer // stored articles, one JSON line each
	Log io.Writer // logs
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		DataDir: "./var", NATSPort: 4222,
		FetcherAddr: "127.0.0.1:9091", EnricherAddr: "127.0.0.1:9092", SinkAddr: "127.0.0.1:9093",
		LogLevel: "info", OnceTimeout: 5 * time.Minute,
		Out: os.Stdout, Log: os.Stderr,
	}
}

// Flags binds c to a flag set.
func (c *Config) Flags() *envflag.FlagSet {
	fs := envflag.New("newsflow-local", "NEWSFLOW_LOCAL")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "where JetStream files, the SQLite database and the default inbox live")
	fs.StringVar(&c.Inbox, "inbox", c.Inbox, "directory of text articles to ingest (default: <data-dir>/inbox with the sample articles)")
	fs.BoolVar(&c.Once, "once", c.Once, "exit 0 once every inbox article is stored")
	fs.StringVar(&c.Sources, "sources", c.Sources, "fetcher sources file: feeds, sitemaps, pages (see the README)")
	fs.ListVar(&c.AllowHosts, "allow-host", c.AllowHosts, "hosts the fetcher may reach although private or loopback (repeatable)")
	fs.IntVar(&c.NATSPort, "nats-port", c.NATSPort, "port of the embedded NATS server (0: any free port)")
	fs.StringVar(&c.Database, "database", c.Database, "store: postgres://... or sqlite:<path> (default sqlite:<data-dir>/newsflow.db)")
	fs.StringVar(&c.FetcherAddr, "fetcher-http", c.FetcherAddr, "fetcher metrics and health address")
	fs.StringVar(&c.EnricherAddr, "enricher-http", c.EnricherAddr, "enricher metrics and health address")
	fs.StringVar(&c.SinkAddr, "sink-http", c.SinkAddr, "sink metrics and health address")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error")
	fs.DurationVar(&c.OnceTimeout, "once-timeout", c.OnceTimeout, "with -once, give up after this long")
	return fs
}

// Line is what the stack prints for each stored article.
type Line struct {
	ID              string     `json:"id"`
	Title           string     `json:"title"`
	Source          string     `json:"source"`
	PublishedAt     *time.Time `json:"published_at,omitempty"`
	EnricherVersion string     `json:"enricher_version"`
	Entities        []LineEnt  `json:"entities"`
	Stances         []LineSt   `json:"stances,omitempty"`
	Tone            *float64   `json:"tone,omitempty"`
}

// LineEnt is one entity of a Line.
type LineEnt struct {
	Name     string  `json:"name"`
	Type     string  `json:"type"`
	Key      string  `json:"key"`
	Mentions int     `json:"mentions"`
	Salience float64 `json:"salience"`
	Polarity string  `json:"polarity,omitempty"`
	Score    float64 `json:"score,omitempty"`
}

// LineSt is one stance of a Line.
type LineSt struct {
	Holder string `json:"holder"`
	Target string `json:"target"`
	Stance string `json:"stance"`
	Cue    string `json:"cue"`
}

// LineOf summarises an enriched article.
func LineOf(a events.EnrichedArticle) Line {
	l := Line{ID: a.Article.ID, Title: a.Article.Title, Source: a.Article.Source, PublishedAt: a.Article.PublishedAt,
		EnricherVersion: a.EnricherVersion, Tone: a.Tone, Entities: []LineEnt{}}
	for _, e := range a.Entities {
		le := LineEnt{Name: e.Name, Type: e.Type, Key: e.Key, Mentions: len(e.Mentions), Salience: e.Salience}
		if e.Sentiment != nil {
			le.Polarity, le.Score = e.Sentiment.Polarity, e.Sentiment.Score
		}
		l.Entities = append(l.Entities, le)
	}
	for _, s := range a.Stances {
		l.Stances = append(l.Stances, LineSt{Holder: s.HolderName, Target: s.TargetName, Stance: s.Stance, Cue: s.Cue})
	}
	return l
}

// Run starts the stack and runs it until ctx ends or, with Once, until
// every inbox article is stored.
func Run(ctx context.Context, c Config) error {
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return fmt.Errorf("-data-dir: %w", err)
	}
	if c.Inbox == "" {
		c.Inbox = filepath.Join(c.DataDir, "inbox")
		if err := writeSamples(c.Inbox); err != nil {
			return err
		}
	}
	if c.Database == "" {
		c.Database = "sqlite:" + filepath.Join(c.DataDir, "newsflow.db")
	}
	common := stage.DefaultCommon()
	common.LogLevel = c.LogLevel
	log := common.NewLogger(c.Log)

	srv, err := embedded.Start(embedded.Options{StoreDir: filepath.Join(c.DataDir, "jetstream"), Port: c.NATSPort})
	if err != nil {
		return fmt.Errorf("-nats-port %d: %w", c.NATSPort, err)
	}
	defer func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	}()
	common.Broker.URL = srv.ClientURL()
	common.Logger = log
	log.Info("embedded NATS started", "url", srv.ClientURL(), "store", filepath.Join(c.DataDir, "jetstream"))

	t := newTracker(c.Out, c.Once, log)
	stagesCtx, stopStages := context.WithCancel(ctx)
	defer stopStages()
	g, gctx := errgroup.WithContext(stagesCtx)

	sc := sink.DefaultConfig()
	sc.Common = common
	sc.HTTPAddr = c.SinkAddr
	sc.Database = c.Database
	sc.OnCommit = t.committed
	g.Go(func() error { return sink.Run(gctx, sc) })

	ec := enricher.DefaultConfig()
	ec.Common = common
	ec.HTTPAddr = c.EnricherAddr
	g.Go(func() error { return enricher.Run(gctx, ec) })

	fc := fetcher.DefaultConfig()
	fc.Common = common
	fc.HTTPAddr = c.FetcherAddr
	fc.Inbox = c.Inbox
	fc.Sources = c.Sources
	fc.AllowHosts = c.AllowHosts
	fc.Once = c.Once
	fc.InboxSettle = 200 * time.Millisecond
	fc.Observe = t.found
	fetched := make(chan error, 1)
	g.Go(func() error {
		err := fetcher.Run(gctx, fc)
		fetched <- err
		if c.Once {
			return err
		}
		return err
	})

	if !c.Once {
		return g.Wait()
	}
	// --once: wait for the fetcher's pass, then for every article it found
	// to be stored (or dead-lettered), reading the store for those that an
	// earlier run already stored.
	onceErr := t.waitOnce(gctx, c, log, fetched, srv.ClientURL())
	stopStages()
	if err := g.Wait(); err != nil && onceErr == nil && !errors.Is(err, context.Canceled) {
		onceErr = err
	}
	return onceErr
}

func writeSamples(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return fs.WalkDir(sampleInbox, "inbox", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		dst := filepath.Join(dir, d.Name())
		if _, err := os.Stat(dst); err == nil {
			return nil
		}
		b, err := sampleInbox.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}

// tracker prints stored articles and knows when a --once run is complete.
type tracker struct {
	out  io.Writer
	once bool
	log  *slog.Logger

	mu       sync.Mutex
	expected map[string]bool // article ID -> printed
	failed   map[string]string
	skipped  int
	changed  chan struct{}
}

func newTracker(out io.Writer, once bool, log *slog.Logger) *tracker {
	return &tracker{out: out, once: once, log: log, expected: map[string]bool{}, failed: map[string]string{},
		changed: make(chan struct{}, 1)}
}

func (t *tracker) notify() {
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func (t *tracker) found(a events.RawArticle, outcome string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if outcome == "skipped" {
		t.skipped++
	} else if _, ok := t.expected[a.ID]; !ok {
		t.expected[a.ID] = false
	}
	t.notify()
}

func (t *tracker) committed(arts []events.EnrichedArticle) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	for _, a := range arts {
		t.printLocked(a)
		t.log.Info("article stored", "id", a.Article.ID, "entities", len(a.Entities), "stances", len(a.Stances),
			"fetch_to_commit_ms", float64(now.Sub(a.Article.FetchedAt).Microseconds())/1000)
	}
	t.notify()
}

func (t *tracker) printLocked(a events.EnrichedArticle) {
	if printed, ok := t.expected[a.Article.ID]; ok && printed {
		return
	}
	if t.once {
		t.expected[a.Article.ID] = true
	}
	b, err := json.Marshal(LineOf(a))
	if err == nil {
		fmt.Fprintln(t.out, string(b))
	}
}

// pending lists the expected articles not yet printed or failed.
func (t *tracker) pending() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ids []string
	for id, printed := range t.expected {
		if !printed && t.failed[id] == "" {
			ids = append(ids, id)
		}
	}
	return ids
}

func (t *tracker) waitOnce(ctx context.Context, c Config, log *slog.Logger, fetched <-chan error, natsURL string) error {
	ctx, cancel := context.WithTimeout(ctx, c.OnceTimeout)
	defer cancel()
	select {
	case err := <-fetched:
		if err != nil {
			return err
		}
	case <-ctx.Done():
		return fmt.Errorf("--once: the fetcher did not finish: %w", ctx.Err())
	}
	// Dead letters end an article's journey too.
	nc, err := nats.Connect(natsURL)
	if err != nil {
		return err
	}
	defer nc.Close()
	sub, err := nc.Subscribe(events.SubjectDLQAll, func(m *nats.Msg) {
		id, _, _ := strings.Cut(m.Header.Get(events.HeaderID), ":")
		t.mu.Lock()
		if _, ok := t.expected[id]; ok {
			t.failed[id] = m.Header.Get(stage.HeaderDLQReason)
		}
		t.mu.Unlock()
		t.notify()
	})
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()

	st, err := sink.OpenStore(ctx, c.Database)
	if err != nil {
		return err
	}
	defer st.Close()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		ids := t.pending()
		// Articles stored by an earlier run are not committed again.
		for _, id := range ids {
			if a, err := st.Get(ctx, id); err == nil {
				t.mu.Lock()
				t.printLocked(a)
				t.mu.Unlock()
			}
		}
		if len(t.pending()) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("--once: %d articles not stored: %w", len(t.pending()), ctx.Err())
		case <-t.changed:
		case <-tick.C:
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	log.Info("every inbox article is stored", "stored", len(t.expected)-len(t.failed), "dead_lettered", len(t.failed), "skipped_files", t.skipped)
	if len(t.failed) > 0 || t.skipped > 0 {
		for id, reason := range t.failed {
			log.Error("article dead-lettered", "id", id, "reason", reason)
		}
		return fmt.Errorf("--once: %d articles dead-lettered, %d files skipped (see the logs and news.dlq.>)", len(t.failed), t.skipped)
	}
	return nil
}
