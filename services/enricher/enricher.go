// Package enricher is the newsflow stage that finds entities and stance in
// raw articles and publishes enriched articles and mention events.
package enricher

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
	"github.com/newsflow/newsflow/services/enricher/internal/enrich"
	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/ner"
	"github.com/newsflow/newsflow/services/enricher/internal/stance"
)

// Config of the enricher.
type Config struct {
	stage.Common
	Consumer stage.ConsumerConfig
	Version  string
	// Mentions enables one mention event per entity on news.mentions.<type>.<slug>.
	Mentions bool
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	cc := stage.DefaultConsumer(events.StreamRaw, "enricher", events.SubjectRawAll)
	cc.Batch = 64
	cc.Concurrency = 16 // handlers mostly wait for publish acks: hide that latency
	return Config{Common: stage.DefaultCommon(), Consumer: cc, Version: "dev", Mentions: true}
}

// Flags binds c to a flag set.
func (c *Config) Flags() *envflag.FlagSet {
	fs := envflag.New("enricher", "NEWSFLOW")
	c.Common.Register(fs)
	c.Consumer.Register(fs)
	fs.BoolVar(&c.Mentions, "mentions", c.Mentions, "publish one mention event per entity on news.mentions.<type>.<slug>")
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
	return c.Consumer.Validate()
}

// New builds the enricher with the embedded models and gazetteer.
func New(buildVersion string) (*enrich.Enricher, error) {
	gz, err := gazetteer.Load()
	if err != nil {
		return nil, fmt.Errorf("load gazetteer: %w", err)
	}
	model, err := ner.Load(gz)
	if err != nil {
		return nil, fmt.Errorf("load NER model: %w", err)
	}
	st, err := stance.Load()
	if err != nil {
		return nil, fmt.Errorf("load stance model: %w", err)
	}
	version := "enricher-" + buildVersion + "+" + model.Version() + "+" + st.Version()
	return enrich.New(model, gz, st, version, time.Now), nil
}

type metrics struct {
	entities *prometheus.CounterVec
	polarity *prometheus.CounterVec
	stances  *prometheus.CounterVec
	tokens   prometheus.Counter
	seconds  prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		entities: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newsflow", Subsystem: "enricher", Name: "entities_total",
			Help: "Entities found in articles, by type.",
		}, []string{"type"}),
		polarity: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newsflow", Subsystem: "enricher", Name: "stance_tags_total",
			Help: "Entity stance tags (how an article treats an entity), by polarity.",
		}, []string{"polarity"}),
		stances: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newsflow", Subsystem: "enricher", Name: "stances_total",
			Help: "Holder -> target stances found, by stance: support, oppose, neutral.",
		}, []string{"stance"}),
		tokens: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "newsflow", Subsystem: "enricher", Name: "tokens_total",
			Help: "Tokens analysed.",
		}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "newsflow", Subsystem: "enricher", Name: "enrich_seconds",
			Help:    "Time to enrich one article (analysis only, no I/O).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}),
	}
	reg.MustRegister(m.entities, m.polarity, m.stances, m.tokens, m.seconds)
	for _, t := range events.EntityTypes {
		m.entities.WithLabelValues(t)
	}
	for _, p := range []string{events.Negative, events.Neutral, events.Positive} {
		m.polarity.WithLabelValues(p)
	}
	for _, s := range []string{events.Support, events.Oppose, events.NeutralStance} {
		m.stances.WithLabelValues(s)
	}
	return m
}

// Run enriches until ctx ends, then finishes its work and returns.
func Run(ctx context.Context, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	enr, err := New(c.Version)
	if err != nil {
		return err
	}
	rt, err := stage.Start(ctx, "enricher", c.Version, c.Common)
	if err != nil {
		return err
	}
	defer rt.Close()
	h := &handler{enr: enr, m: newMetrics(rt.Registry), mentions: c.Mentions}
	rt.Log.Info("enricher ready", "enricher_version", enr.Version())
	return rt.Consume(ctx, c.Consumer, h.handle)
}

type handler struct {
	enr      *enrich.Enricher
	m        *metrics
	mentions bool
}

func (h *handler) handle(_ context.Context, msg *stage.Message) ([]stage.Output, error) {
	raw, err := events.DecodeRaw(msg.Data)
	if err != nil {
		return nil, fmt.Errorf("raw article: %w", err)
	}
	start := time.Now()
	res := h.enr.Enrich(raw)
	h.m.seconds.Observe(time.Since(start).Seconds())
	h.m.tokens.Add(float64(res.Tokens))
	art := res.Article
	if err := art.Validate(); err != nil {
		// A bug of ours, not of the input; the message is kept in the DLQ
		// for a fixed enricher to replay.
		return nil, stage.Poison(fmt.Errorf("enriched article fails validation: %w", err))
	}
	for _, e := range art.Entities {
		h.m.entities.WithLabelValues(e.Type).Inc()
		if e.Sentiment != nil {
			h.m.polarity.WithLabelValues(e.Sentiment.Polarity).Inc()
		}
	}
	for _, s := range art.Stances {
		h.m.stances.WithLabelValues(s.Stance).Inc()
	}
	return Outputs(art, msg.Header.Get(events.HeaderTraceparent), h.mentions)
}

// Outputs are the messages of one enriched article: the article on
// news.enriched.<source> and, with mentions, one mention event per entity.
func Outputs(art events.EnrichedArticle, parentTrace string, mentions bool) ([]stage.Output, error) {
	data, err := events.Encode(art)
	if err != nil {
		return nil, stage.Poison(err)
	}
	trace := events.ChildTraceparent(parentTrace)
	outs := make([]stage.Output, 0, 1+len(art.Entities))
	outs = append(outs, stage.Output{
		Subject: events.EnrichedSubject(art.Article.Source),
		Header: nats.Header(events.Meta{
			ID: events.EnrichedMsgID(art.Article.ID, art.EnricherVersion), Type: events.TypeEnrichedArticle,
			Source: "/newsflow/enricher", Time: art.EnrichedAt, Traceparent: trace,
		}.Header()),
		Data: data,
	})
	if !mentions {
		return outs, nil
	}
	for _, me := range art.Mentions() {
		b, err := events.Encode(me)
		if err != nil {
			return nil, stage.Poison(err)
		}
		outs = append(outs, stage.Output{
			Subject: events.MentionSubject(me.Entity.Type, me.Entity.Key),
			Header: nats.Header(events.Meta{
				ID:   events.MentionMsgID(art.Article.ID, art.EnricherVersion, me.Entity.Key),
				Type: events.TypeMention, Source: "/newsflow/enricher", Time: art.EnrichedAt, Traceparent: trace,
			}.Header()),
			Data: b,
		})
	}
	return outs, nil
}
