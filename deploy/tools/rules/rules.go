// Package rules defines newsflow's Prometheus alerting rules as code and
// writes them as a Prometheus rule file (the same groups serve the
// PrometheusRule of the Helm chart). Every alert links to its runbook, a
// section of docs/OPERATIONS.md named after the alert.
package rules

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// RunbookBase is where runbook links point: docs/OPERATIONS.md on the
// project's main branch. Each alert's anchor is its name in lower case.
const RunbookBase = "https://github.com/newsflow/newsflow/blob/main/docs/OPERATIONS.md"

// Thresholds of the alerts. Change them here and run `make dashboards`.
const (
	ErrorRatio        = 0.05 // share of consumed messages retried or dead-lettered
	LagMessages       = 1000 // pending messages before growth matters
	EndToEndP99       = 30   // seconds from fetch to commit
	SourcePollsFailed = 0.5  // share of a source's polls that failed
	SourceItemsDead   = 0.5  // share of a source's new items dead-lettered
	StorageUsed       = 0.8  // share of JetStream file storage in use
)

// File is a Prometheus rule file.
type File struct {
	Groups []Group `yaml:"groups"`
}

// Group is a rule group.
type Group struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []Rule `yaml:"rules"`
}

// Rule is an alerting rule.
type Rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// Runbook returns the runbook link of an alert.
func Runbook(alert string) string { return RunbookBase + "#" + strings.ToLower(alert) }

// pollNotFailed matches the outcomes of newsflow_fetcher_polls_total that
// are not failures: a document read, one unchanged since the last poll, a
// poll cut short by shutdown.
const pollNotFailed = "ok|not_modified|canceled"

// Consumers are the stages that consume a JetStream stream.
var Consumers = []string{"enricher", "sink"}

// Stages are all the stages.
var Stages = []string{"fetcher", "enricher", "sink"}

func alert(name, expr, forDur, severity, summary, description string, labels map[string]string) Rule {
	l := map[string]string{"severity": severity, "team": "newsflow"}
	for k, v := range labels {
		l[k] = v
	}
	return Rule{
		Alert: name, Expr: expr, For: forDur, Labels: l,
		Annotations: map[string]string{
			"summary": summary, "description": description, "runbook_url": Runbook(name),
		},
	}
}

// Newsflow returns the rules.
func Newsflow() File {
	var stages, consumers, sources, exporter []Rule
	stages = append(stages, alert("NewsflowStageDown",
		`up{job=~"newsflow-(fetcher|enricher|sink)"} == 0`, "3m", "critical",
		"A newsflow stage is down: {{ $labels.job }} {{ $labels.instance }}",
		"Prometheus cannot scrape {{ $labels.instance }} of {{ $labels.job }} for 3 minutes: the pod is gone, crashing or not serving /metrics.",
		nil))
	for _, s := range Stages {
		stages = append(stages, alert("NewsflowDeadLettersGrowing",
			fmt.Sprintf(`sum(increase(newsflow_%s_dead_letters_total[15m])) > 0`, s), "", "warning",
			fmt.Sprintf("The %s dead-lettered {{ $value | humanize }} messages in 15 minutes", s),
			fmt.Sprintf("Messages are arriving on news.dlq.%s: poison input or a stage that keeps failing. Inspect them with `newsctl dlq list -stage %s`.", s, s),
			map[string]string{"stage": s}))
	}
	for _, s := range Consumers {
		consumers = append(consumers,
			alert("NewsflowErrorRatioHigh",
				fmt.Sprintf(`sum(rate(newsflow_%[1]s_messages_total{outcome!="ok"}[10m])) / sum(rate(newsflow_%[1]s_messages_total[10m])) > %g`, s, ErrorRatio),
				"10m", "warning",
				fmt.Sprintf("The %s retries or dead-letters {{ $value | humanizePercentage }} of its messages", s),
				fmt.Sprintf("More than %g%% of the messages the %s consumed in 10 minutes ended in a retry or the DLQ.", ErrorRatio*100, s),
				map[string]string{"stage": s}),
			alert("NewsflowConsumerLagGrowing",
				fmt.Sprintf(`max(newsflow_%[1]s_consumer_pending_messages) > %d and max(delta(newsflow_%[1]s_consumer_pending_messages[15m])) > 0`, s, LagMessages),
				"15m", "warning",
				fmt.Sprintf("The %s falls behind: {{ $value | humanize }} messages pending and growing", s),
				fmt.Sprintf("The %s's durable consumer has more than %d undelivered messages and the backlog grew for 15 minutes.", s, LagMessages),
				map[string]string{"stage": s}))
	}
	consumers = append(consumers,
		alert("NewsflowEndToEndLatencyHigh",
			fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(newsflow_sink_end_to_end_seconds_bucket[10m]))) > %d`, EndToEndP99),
			"15m", "warning",
			"Articles take {{ $value | humanizeDuration }} (p99) from fetch to storage",
			fmt.Sprintf("The 99th percentile of the time from an article's fetch to its commit exceeded %ds for 15 minutes.", EndToEndP99),
			nil))
	sources = append(sources,
		alert("NewsflowSourceFailing",
			fmt.Sprintf(`sum by (source) (rate(newsflow_fetcher_polls_total{outcome!~"%s"}[30m])) / sum by (source) (rate(newsflow_fetcher_polls_total[30m])) > %g`, pollNotFailed, SourcePollsFailed),
			"15m", "warning",
			"Source {{ $labels.source }} fails: {{ $value | humanizePercentage }} of its polls failed",
			fmt.Sprintf("More than %g%% of the polls of source {{ $labels.source }} in 30 minutes could not fetch or read its feed, sitemap or page (HTTP errors, timeouts, refusals, unparsable documents): it delivers nothing new.", SourcePollsFailed*100),
			nil),
		alert("NewsflowSourceItemsFailing",
			fmt.Sprintf(`sum by (source) (rate(newsflow_fetcher_articles_total{outcome="skipped"}[30m])) / sum by (source) (rate(newsflow_fetcher_articles_total{outcome=~"new|skipped"}[30m])) > %g`, SourceItemsDead),
			"30m", "warning",
			"Source {{ $labels.source }}: {{ $value | humanizePercentage }} of its new items are dead-lettered",
			fmt.Sprintf("More than %g%% of the new items source {{ $labels.source }} offered in 30 minutes could not become an article and were dead-lettered (pages failing every attempt, refused by robots.txt or without article text, with no feed text to fall back on; unreadable files).", SourceItemsDead*100),
			nil))
	exporter = append(exporter, alert("NewsflowJetStreamStorageHigh",
		fmt.Sprintf(`max by (server_name) (nats_server_total_message_bytes / nats_server_max_storage) > %g`, StorageUsed),
		"15m", "warning",
		"JetStream on {{ $labels.server_name }} uses {{ $value | humanizePercentage }} of its file storage",
		"The NATS server's JetStream file store is filling up: streams will discard their oldest messages or refuse writes.",
		nil))
	return File{Groups: []Group{
		{Name: "newsflow.stages", Rules: stages},
		{Name: "newsflow.consumers", Rules: consumers},
		{Name: "newsflow.sources", Rules: sources},
		{Name: "newsflow.nats", Rules: exporter},
	}}
}

// YAML encodes the file as Prometheus reads it, with a header that says it
// is generated.
func (f File) YAML() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Generated by `make dashboards` (deploy/tools/cmd/dashboards) from\n# deploy/tools/rules: edit the Go code, not this file.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Alerts lists every alerting rule of the file.
func (f File) Alerts() []Rule {
	var rs []Rule
	for _, g := range f.Groups {
		rs = append(rs, g.Rules...)
	}
	return rs
}
