// Package sink is the newsflow stage that stores enriched articles:
// PostgreSQL in production, an embedded SQLite file by default.
package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/store/postgres"
	"github.com/newsflow/newsflow/services/sink/internal/store/sqlite"
)

// Config of the sink.
type Config struct {
	stage.Common
	Consumer stage.ConsumerConfig
	Version  string
	// Database is "postgres://..." or "sqlite:<path>".
	Database string

	// OnCommit, if set, is called with every batch after it is committed
	// (and before it is acked). Set by programs, not flags.
	OnCommit func([]events.EnrichedArticle)
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	cc := stage.DefaultConsumer(events.StreamEnriched, "sink", events.SubjectEnrichedAll)
	cc.Batch = 256
	cc.BatchWait = 10 * time.Millisecond
	cc.Concurrency = 1
	cc.MaxAckPending = 4096
	return Config{Common: stage.DefaultCommon(), Consumer: cc, Version: "dev", Database: "sqlite:newsflow.db"}
}

// Flags binds c to a flag set.
func (c *Config) Flags() *envflag.FlagSet {
	fs := envflag.New("sink", "NEWSFLOW")
	c.Common.Register(fs)
	c.Consumer.Register(fs)
	fs.StringVar(&c.Database, "database", c.Database, "where articles are stored: postgres://user:pass@host/db or sqlite:<path>")
	return fs
}

// ParseConfig reads the configuration from args and the environment.
func ParseConfig(args []string, getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	if err := c.Flags().Parse(args, getenv); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// Validate reports the first unusable setting, by flag name.
func (c Config) Validate() error {
	if err := c.Common.Validate(); err != nil {
		return err
	}
	if err := c.Consumer.Validate(); err != nil {
		return err
	}
	if _, _, err := parseDatabase(c.Database); err != nil {
		return err
	}
	return nil
}

func parseDatabase(s string) (kind, target string, err error) {
	switch {
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return "postgres", s, nil
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if p == "" {
			return "", "", errors.New("-database: sqlite: needs a path")
		}
		return "sqlite", p, nil
	}
	return "", "", fmt.Errorf("-database: %q is neither postgres://... nor sqlite:<path>", redact(s))
}

func redact(s string) string {
	if i := strings.Index(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "***" + s[i:]
		}
	}
	return s
}

// OpenStore opens the store a database setting names.
func OpenStore(ctx context.Context, database string) (store.Store, error) {
	kind, target, err := parseDatabase(database)
	if err != nil {
		return nil, err
	}
	if kind == "postgres" {
		return postgres.Open(ctx, target)
	}
	return sqlite.Open(ctx, target)
}

type metrics struct {
	batchSize  prometheus.Histogram
	write      prometheus.Histogram
	rows       *prometheus.CounterVec
	endToEnd   prometheus.Histogram
	stored     prometheus.Counter
	writeFails *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "newsflow", Subsystem: "sink", Name: "batch_size_articles",
			Help: "Articles per committed batch.", Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
		write: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "newsflow", Subsystem: "sink", Name: "write_seconds",
			Help: "Time to write and commit one batch.", Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newsflow", Subsystem: "sink", Name: "rows_total",
			Help: "Rows written, by table.",
		}, []string{"table"}),
		endToEnd: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "newsflow", Subsystem: "sink", Name: "end_to_end_seconds",
			Help:    "Time from an article's fetch to its commit in storage.",
			Buckets: []float64{.005, .01, .025, .05, .1, .2, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
		stored: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "newsflow", Subsystem: "sink", Name: "articles_stored_total",
			Help: "Articles committed to storage (a re-delivered article counts again).",
		}),
		writeFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newsflow", Subsystem: "sink", Name: "write_failures_total",
			Help: "Failed batch writes, by kind: transient (retried) or permanent (dead-lettered).",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.batchSize, m.write, m.rows, m.endToEnd, m.stored, m.writeFails)
	for _, t := range []string{"articles", "article_entities", "stances"} {
		m.rows.WithLabelValues(t)
	}
	m.writeFails.WithLabelValues("transient")
	m.writeFails.WithLabelValues("permanent")
	return m
}

// Run stores until ctx ends, then finishes its batch and returns.
func Run(ctx context.Context, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	rt, err := stage.Start(ctx, "sink", c.Version, c.Common)
	if err != nil {
		return err
	}
	defer rt.Close()
	var st store.Store
	if err := retryOpen(ctx, rt, func() (err error) { st, err = OpenStore(ctx, c.Database); return err }); err != nil {
		return err
	}
	defer st.Close()
	rt.Health.AddCheck("store", st.Ping)
	h := &handler{store: st, m: newMetrics(rt.Registry), onCommit: c.OnCommit, now: time.Now}
	return rt.ConsumeBatches(ctx, c.Consumer, h.handle)
}

func retryOpen(ctx context.Context, rt *stage.Runtime, open func() error) error {
	delay := 250 * time.Millisecond
	for {
		err := open()
		if err == nil {
			return nil
		}
		if !store.IsTransient(err) {
			return fmt.Errorf("open store: %w", err)
		}
		rt.Log.Warn("store unavailable, retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return fmt.Errorf("open store: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

type handler struct {
	store    store.Store
	m        *metrics
	onCommit func([]events.EnrichedArticle)
	now      func() time.Time
}

// handle decodes a batch and writes it in one transaction. An article the
// store refuses is dead-lettered and the rest written without it; when
// the store is unavailable the whole batch is retried later.
func (h *handler) handle(ctx context.Context, ms []*stage.Message) []error {
	errs := make([]error, len(ms))
	arts := make([]events.EnrichedArticle, 0, len(ms))
	pos := make([]int, 0, len(ms)) // message index of each article
	for i, m := range ms {
		a, err := events.DecodeEnriched(m.Data)
		if err != nil {
			errs[i] = fmt.Errorf("enriched article: %w", err)
			continue
		}
		arts = append(arts, a)
		pos = append(pos, i)
	}
	for len(arts) > 0 {
		start := h.now()
		err := h.store.Upsert(ctx, arts)
		h.m.write.Observe(h.now().Sub(start).Seconds())
		if err == nil {
			h.committed(arts)
			return errs
		}
		if store.IsTransient(err) {
			h.m.writeFails.WithLabelValues("transient").Inc()
			for _, p := range pos {
				errs[p] = err
			}
			return errs
		}
		h.m.writeFails.WithLabelValues("permanent").Inc()
		bad := 0
		var ae *store.ArticleError
		if errors.As(err, &ae) && ae.Index >= 0 && ae.Index < len(arts) {
			bad = ae.Index
		} else if len(arts) > 1 {
			// Not attributable: find the culprits one article at a time.
			for i := range arts {
				errs[pos[i]] = h.handleOne(ctx, arts[i])
			}
			return errs
		}
		errs[pos[bad]] = stage.Poison(err)
		arts = append(arts[:bad:bad], arts[bad+1:]...)
		pos = append(pos[:bad:bad], pos[bad+1:]...)
	}
	return errs
}

func (h *handler) handleOne(ctx context.Context, a events.EnrichedArticle) error {
	err := h.store.Upsert(ctx, []events.EnrichedArticle{a})
	switch {
	case err == nil:
		h.committed([]events.EnrichedArticle{a})
		return nil
	case store.IsTransient(err):
		return err
	default:
		return stage.Poison(err)
	}
}

func (h *handler) committed(arts []events.EnrichedArticle) {
	now := h.now()
	h.m.batchSize.Observe(float64(len(arts)))
	h.m.stored.Add(float64(len(arts)))
	var ents, stances int
	for _, a := range arts {
		ents += len(a.Entities)
		stances += len(a.Stances)
		if !a.Article.FetchedAt.IsZero() {
			h.m.endToEnd.Observe(now.Sub(a.Article.FetchedAt).Seconds())
		}
	}
	h.m.rows.WithLabelValues("articles").Add(float64(len(arts)))
	h.m.rows.WithLabelValues("article_entities").Add(float64(ents))
	h.m.rows.WithLabelValues("stances").Add(float64(stances))
	if h.onCommit != nil {
		h.onCommit(arts)
	}
}
