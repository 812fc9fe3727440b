// Package ingest publishes raw articles once: every source of the fetcher
// hands its articles to an Ingester, which skips those already published
// (a "seen" set in a JetStream KV bucket, shared by replicas and kept across
// restarts) and publishes the others with their article ID as Nats-Msg-Id.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
)

// Outcome is what became of a submitted article.
type Outcome string

// Outcomes, the values of the "outcome" label of newsflow_fetcher_articles_total.
const (
	OutcomeNew       Outcome = "new"       // published
	OutcomeDuplicate Outcome = "duplicate" // published before (seen set or stream de-duplication)
	OutcomeSkipped   Outcome = "skipped"   // refused: invalid or unreadable, dead-lettered
)

// Config of an Ingester.
type Config struct {
	// SeenBucket is the KV bucket of article IDs already published.
	SeenBucket string
	// SeenTTL is how long an article ID stays in the seen set.
	SeenTTL time.Duration
	// Replicas of the bucket.
	Replicas int
	// Observe, if set, is told the outcome of every submitted article.
	Observe func(events.RawArticle, Outcome)
}

// Ingester publishes raw articles once.
type Ingester struct {
	rt       *stage.Runtime
	seen     jetstream.KeyValue
	articles *prometheus.CounterVec
	cfg      Config
}

// New creates (or updates) the seen bucket and returns an Ingester
// publishing through rt.
func New(ctx context.Context, rt *stage.Runtime, c Config) (*Ingester, error) {
	if c.SeenBucket == "" || c.SeenTTL <= 0 {
		return nil, errors.New("ingest: seen bucket and a positive TTL are required")
	}
	var kv jetstream.KeyValue
	err := retryCtx(ctx, func() (err error) {
		kv, err = rt.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      c.SeenBucket,
			Description: "article IDs the fetcher has published",
			History:     1,
			TTL:         c.SeenTTL,
			Storage:     jetstream.FileStorage,
			Replicas:    max(c.Replicas, 1),
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("seen bucket %s: %w", c.SeenBucket, err)
	}
	in := &Ingester{
		rt:   rt,
		seen: kv,
		cfg:  c,
		articles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "newsflow", Subsystem: "fetcher", Name: "articles_total",
			Help: "Articles found by the fetcher, by source and outcome: new (published), duplicate, skipped.",
		}, []string{"source", "outcome"}),
	}
	if err := rt.Registry.Register(in.articles); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, err
		}
		in.articles = are.ExistingCollector.(*prometheus.CounterVec)
	}
	return in, nil
}

func retryCtx(ctx context.Context, f func() error) error {
	var err error
	for i := 0; i < 20; i++ {
		if err = f(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return err
}

// Seen reports whether the article ID was published before.
func (in *Ingester) Seen(ctx context.Context, id string) (bool, error) {
	_, err := in.seen.Get(ctx, id)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("seen set: %w", err)
	}
}

// Submit publishes a once. also are other IDs of the same article (the
// feed link of a page that names another canonical URL): they are
// remembered as seen too, so that sources listing the article under them
// skip it. An invalid article is an error wrapping events.ErrInvalid (the
// caller rejects it); other errors are transient and the caller should
// submit again later.
func (in *Ingester) Submit(ctx context.Context, a events.RawArticle, also ...string) (Outcome, error) {
	if err := a.Validate(); err != nil {
		return OutcomeSkipped, err
	}
	seen, err := in.Seen(ctx, a.ID)
	if err != nil {
		return "", err
	}
	if seen {
		in.remember(ctx, a, also)
		in.count(a, OutcomeDuplicate)
		return OutcomeDuplicate, nil
	}
	data, err := events.Encode(a)
	if err != nil {
		return OutcomeSkipped, stage.Poison(err)
	}
	h := events.Meta{
		ID: a.ID, Type: events.TypeRawArticle, Source: "/newsflow/fetcher/" + a.Source,
		Time: a.FetchedAt, Traceparent: events.NewTraceparent(),
	}.Header()
	dup, err := in.rt.PublishDedup(ctx, []stage.Output{{Subject: events.RawSubject(a.Source), Header: nats.Header(h), Data: data}})
	if err != nil {
		return "", err
	}
	outcome := OutcomeNew
	if dup[0] {
		outcome = OutcomeDuplicate // another replica published it a moment ago
	}
	in.remember(ctx, a, append([]string{a.ID}, also...))
	in.count(a, outcome)
	return outcome, nil
}

// remember adds ids to the seen set.
func (in *Ingester) remember(ctx context.Context, a events.RawArticle, ids []string) {
	for _, id := range ids {
		if !events.IsArticleID(id) {
			continue
		}
		if _, err := in.seen.Put(ctx, id, []byte(strconv.FormatInt(a.FetchedAt.Unix(), 10))); err != nil {
			// Published but not remembered: a later duplicate publish is
			// still caught by the stream's de-duplication window.
			in.rt.Log.Warn("seen set update failed", "id", id, "err", err)
		}
	}
}

// Duplicate counts an article found again and skipped before it was
// fetched, because the seen set has its ID.
func (in *Ingester) Duplicate(a events.RawArticle) { in.count(a, OutcomeDuplicate) }

// Reject dead-letters input that could not become an article, with why.
func (in *Ingester) Reject(ctx context.Context, source, origin string, data []byte, cause error) error {
	in.articles.WithLabelValues(source, string(OutcomeSkipped)).Inc()
	if in.cfg.Observe != nil {
		in.cfg.Observe(events.RawArticle{Source: source, URL: origin}, OutcomeSkipped)
	}
	return in.rt.Reject(ctx, origin, data, cause)
}

func (in *Ingester) count(a events.RawArticle, o Outcome) {
	in.articles.WithLabelValues(a.Source, string(o)).Inc()
	if in.cfg.Observe != nil {
		in.cfg.Observe(a, o)
	}
}
