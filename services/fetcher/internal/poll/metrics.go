package poll

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics of polls. Labels are bounded: source IDs come from the sources
// file, outcomes and reasons from fixed sets.
//
//	newsflow_fetcher_polls_total{source,outcome}
//	newsflow_fetcher_poll_duration_seconds{source}
//	newsflow_fetcher_lease_skips_total{source}
//	newsflow_fetcher_extraction_failures_total{source,reason}
//	newsflow_fetcher_item_failures_total{source,reason}
//	newsflow_fetcher_items_dead_lettered_total{source,reason}
//	newsflow_fetcher_fallbacks_total{source}
type Metrics struct {
	Polls              *prometheus.CounterVec
	PollSeconds        *prometheus.HistogramVec
	LeaseSkips         *prometheus.CounterVec
	ExtractionFailures *prometheus.CounterVec
	ItemFailures       *prometheus.CounterVec
	DeadLettered       *prometheus.CounterVec
	Fallbacks          *prometheus.CounterVec
}

// NewMetrics creates the poll metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_fetcher_polls_total",
			Help: "Polls of feed, sitemap and page sources by outcome: ok, not_modified, unparsable, or why the fetch failed (timeout, status_5xx, ...).",
		}, []string{"source", "outcome"}),
		PollSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "newsflow_fetcher_poll_duration_seconds",
			Help:    "Time of one poll: the source document and the pages of its new items.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"source"}),
		LeaseSkips: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_fetcher_lease_skips_total",
			Help: "Intervals this replica did not poll because another replica holds the source's lease.",
		}, []string{"source"}),
		ExtractionFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_fetcher_extraction_failures_total",
			Help: "Fetched pages without an extractable article, by reason: no_content, too_complex, not_html, bad_url.",
		}, []string{"source", "reason"}),
		ItemFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_fetcher_item_failures_total",
			Help: "Items that failed and are tried again at the next poll, by reason.",
		}, []string{"source", "reason"}),
		DeadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_fetcher_items_dead_lettered_total",
			Help: "Items given up and dead-lettered, by reason (the page's fetch or extraction failure, invalid).",
		}, []string{"source", "reason"}),
		Fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_fetcher_fallbacks_total",
			Help: "Articles made from the feed's own content because the item's page failed.",
		}, []string{"source"}),
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.Polls, m.PollSeconds, m.LeaseSkips, m.ExtractionFailures, m.ItemFailures, m.DeadLettered, m.Fallbacks} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("poll metrics: %w", err)
	}
	return m, nil
}
