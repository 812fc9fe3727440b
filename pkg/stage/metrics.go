package stage

import (
	"runtime"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a consumed message, the values of the "outcome" label.
const (
	OutcomeOK         = "ok"          // processed and acked
	OutcomeRetry      = "retry"       // transient failure, redelivered later
	OutcomeDeadLetter = "dead_letter" // poison or out of retries: in the DLQ
)

// Metrics are the metrics every stage has, named newsflow_<stage>_<thing>.
type Metrics struct {
	Messages    *prometheus.CounterVec // by outcome
	DeadLetters *prometheus.CounterVec // by reason class
	Processing  prometheus.Histogram
	InFlight    prometheus.Gauge
	Pending     prometheus.Gauge
	AckPending  prometheus.Gauge
	Redelivered prometheus.Gauge
	Published   *prometheus.CounterVec // by stream family
	Duplicates  *prometheus.CounterVec // publishes JetStream de-duplicated, by family
	BuildInfo   *prometheus.GaugeVec
}

// NewMetrics declares a stage's metrics on reg.
func NewMetrics(reg prometheus.Registerer, stage, version string) *Metrics {
	f := func(name string) prometheus.Opts {
		return prometheus.Opts{Namespace: "newsflow", Subsystem: stage, Name: name}
	}
	opts := func(name, help string) prometheus.Opts { o := f(name); o.Help = help; return o }
	m := &Metrics{
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts(opts("messages_total",
			"Consumed messages by outcome: ok, retry, dead_letter.")), []string{"outcome"}),
		DeadLetters: prometheus.NewCounterVec(prometheus.CounterOpts(opts("dead_letters_total",
			"Messages sent to the dead-letter queue, by reason class.")), []string{"reason"}),
		Processing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "newsflow", Subsystem: stage, Name: "processing_seconds",
			Help:    "Time from receiving a message (or batch) to settling it.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts(opts("in_flight_messages",
			"Messages being processed now."))),
		Pending: prometheus.NewGauge(prometheus.GaugeOpts(opts("consumer_pending_messages",
			"Messages in the stream not yet delivered to the stage's consumer."))),
		AckPending: prometheus.NewGauge(prometheus.GaugeOpts(opts("consumer_ack_pending_messages",
			"Messages delivered to the stage's consumer and not yet acknowledged."))),
		Redelivered: prometheus.NewGauge(prometheus.GaugeOpts(opts("consumer_redelivered_messages",
			"Messages the consumer has redelivered and not yet acknowledged."))),
		Published: prometheus.NewCounterVec(prometheus.CounterOpts(opts("published_messages_total",
			"Messages published and acknowledged by JetStream, by stream family.")), []string{"stream"}),
		Duplicates: prometheus.NewCounterVec(prometheus.CounterOpts(opts("published_duplicates_total",
			"Publishes JetStream recognised as duplicates by Msg-Id, by stream family.")), []string{"stream"}),
		BuildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts(opts("build_info",
			"Always 1; labels carry the build version and Go version.")), []string{"version", "goversion"}),
	}
	reg.MustRegister(m.Messages, m.DeadLetters, m.Processing, m.InFlight, m.Pending, m.AckPending,
		m.Redelivered, m.Published, m.Duplicates, m.BuildInfo)
	for _, o := range []string{OutcomeOK, OutcomeRetry, OutcomeDeadLetter} {
		m.Messages.WithLabelValues(o)
	}
	m.BuildInfo.WithLabelValues(version, runtime.Version()).Set(1)
	return m
}

// family names the stream family of a subject: raw, enriched, mentions, dlq.
func family(subject string) string {
	rest, ok := strings.CutPrefix(subject, "news.")
	if !ok {
		return "other"
	}
	fam, _, _ := strings.Cut(rest, ".")
	switch fam {
	case "raw", "enriched", "mentions", "dlq":
		return fam
	}
	return "other"
}
