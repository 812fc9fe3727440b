package web

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Observer receives what the client does, for metrics. Source is the ID
// given with [ForSource] ("" without it); labels derived from the arguments
// stay bounded: never a URL or a host. Methods are called concurrently.
type Observer interface {
	// ObserveRequest is called once per HTTP exchange (each redirect hop,
	// retry and robots.txt fetch) with the status class ("2xx" ... "5xx",
	// or "error" when no answer came), the body bytes received on the wire
	// and the time from sending the request to closing the body.
	ObserveRequest(source, class string, bytes int64, d time.Duration)
	// ObserveFetch is called once per Fetch or Open with Reason(err), "ok"
	// on success.
	ObserveFetch(source, reason string)
}

// Metrics is an Observer that records Prometheus metrics:
//
//	newsflow_fetcher_http_requests_total{source,class}
//	newsflow_fetcher_http_response_bytes_total{source}
//	newsflow_fetcher_http_request_duration_seconds{source}
//	newsflow_fetcher_fetches_total{source,outcome}
//	newsflow_fetcher_robots_refusals_total{source}
type Metrics struct {
	requests *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	fetches  *prometheus.CounterVec
	robots   *prometheus.CounterVec
}

// NewMetrics creates the client metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_fetcher_http_requests_total",
			Help: "HTTP exchanges by source and status class (error: no answer).",
		}, []string{"source", "class"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_fetcher_http_response_bytes_total",
			Help: "Response body bytes received on the wire, by source.",
		}, []string{"source"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "newsflow_fetcher_http_request_duration_seconds",
			Help:    "Time from sending an HTTP request to the end of its body, by source.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"source"}),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_fetcher_fetches_total",
			Help: "Fetches by source and outcome (ok, not_modified, robots, refused, timeout, ...).",
		}, []string{"source", "outcome"}),
		robots: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_fetcher_robots_refusals_total",
			Help: "Fetches refused by robots.txt, by source.",
		}, []string{"source"}),
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.requests, m.bytes, m.seconds, m.fetches, m.robots} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("web metrics: %w", err)
	}
	return m, nil
}

// ObserveRequest implements Observer.
func (m *Metrics) ObserveRequest(source, class string, bytes int64, d time.Duration) {
	m.requests.WithLabelValues(source, class).Inc()
	m.bytes.WithLabelValues(source).Add(float64(bytes))
	m.seconds.WithLabelValues(source).Observe(d.Seconds())
}

// ObserveFetch implements Observer.
func (m *Metrics) ObserveFetch(source, reason string) {
	m.fetches.WithLabelValues(source, reason).Inc()
	if reason == "robots" {
		m.robots.WithLabelValues(source).Inc()
	}
}

// nopObserver is the Observer used when none is given.
type nopObserver struct{}

func (nopObserver) ObserveRequest(string, string, int64, time.Duration) {}
func (nopObserver) ObserveFetch(string, string)                         {}
