// Package dashboards defines newsflow's Grafana dashboards as code with the
// Grafana Foundation SDK: the pipeline dashboard on Prometheus and the
// content dashboard on the PostgreSQL data source.
package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// File is a generated dashboard: its file name under deploy/grafana and
// its JSON model.
type File struct {
	Name string
	JSON []byte
}

// All builds every dashboard.
func All() ([]File, error) {
	var files []File
	for _, d := range []struct {
		name  string
		build func() (dashboard.Dashboard, error)
	}{{"newsflow-pipeline.json", Pipeline}, {"newsflow-content.json", Content}} {
		db, err := d.build()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		b, err := json.MarshalIndent(db, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		files = append(files, File{Name: d.name, JSON: append(b, '\n')})
	}
	return files, nil
}

const (
	promType     = "prometheus"
	postgresType = "grafana-postgresql-datasource"
)

func ref(typ, uid string) common.DataSourceRef { return common.DataSourceRef{Type: &typ, Uid: &uid} }

var (
	promDS     = ref(promType, "${datasource}")
	postgresDS = ref(postgresType, "${postgres}")
)

// target is one PromQL query of a panel and its legend.
type target struct{ expr, legend string }

func promTargets(ts []target) []cog.Builder[variants.Dataquery] {
	var out []cog.Builder[variants.Dataquery]
	for i, t := range ts {
		q := prometheus.NewDataqueryBuilder().Expr(t.expr).Datasource(promDS).RefId(string(rune('A' + i)))
		if t.legend != "" {
			q = q.LegendFormat(t.legend)
		}
		out = append(out, q)
	}
	return out
}

func series(title, unit, desc string, ts ...target) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().Title(title).Description(desc).Unit(unit).
		Datasource(promDS).Targets(promTargets(ts)).Height(8).Span(12).
		FillOpacity(10).ShowPoints(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).ShowLegend(true))
}

func stats(title, unit, desc string, ts ...target) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Title(title).Description(desc).Unit(unit).
		Datasource(promDS).Targets(promTargets(ts)).Height(4).Span(6)
}

// rate is the window of rate() in panels: Grafana picks it from the scrape
// interval and the zoom.
const rate = "$__rate_interval"

// quantiles returns p50, p90 and p99 targets of a histogram.
func quantiles(metric, label string) []target {
	var ts []target
	for _, q := range []string{"0.5", "0.9", "0.99"} {
		ts = append(ts, target{
			fmt.Sprintf(`histogram_quantile(%s, sum by (le) (rate(%s_bucket[%s])))`, q, metric, rate),
			fmt.Sprintf("%s p%s", label, q[2:]),
		})
	}
	return ts
}

// Pipeline is the operators' dashboard: throughput, errors, latency, lag,
// dead letters, sources (what each gave, and how polling its feeds,
// sitemaps and pages goes) and the NATS servers.
func Pipeline() (dashboard.Dashboard, error) {
	consumers := []string{"enricher", "sink"}
	stages := []string{"fetcher", "enricher", "sink"}
	var per = func(f func(s string) target, ss []string) []target {
		var ts []target
		for _, s := range ss {
			ts = append(ts, f(s))
		}
		return ts
	}

	b := dashboard.NewDashboardBuilder("newsflow / pipeline").
		Uid("newsflow-pipeline").
		Description("Throughput, errors, latency, consumer lag and dead letters of the newsflow stages, what each source gives and how polling the web sources goes, and the health of the NATS servers.").
		Tags([]string{"newsflow", "generated"}).
		Refresh("30s").Time("now-3h", "now").Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").Label("Prometheus").Type(promType)).
		Link(dashboard.NewDashboardLinkBuilder("Runbooks").Type(dashboard.DashboardLinkTypeLink).
			Url("https://github.com/newsflow/newsflow/blob/main/docs/OPERATIONS.md").TargetBlank(true))

	b = b.WithRow(dashboard.NewRowBuilder("Overview")).
		WithPanel(stats("Stages up", "none", "Scrape targets of each stage that answer.",
			target{`sum by (job) (up{job=~"newsflow-(fetcher|enricher|sink)"})`, "{{job}}"})).
		WithPanel(stats("Articles stored / s", "ops", "Articles the sink committed to storage.",
			target{fmt.Sprintf(`sum(rate(newsflow_sink_articles_stored_total[%s]))`, rate), "stored"})).
		WithPanel(stats("End-to-end p99", "s", "99th percentile from fetch to commit.",
			target{fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(newsflow_sink_end_to_end_seconds_bucket[%s])))`, rate), "p99"})).
		WithPanel(stats("Dead letters (1h)", "none", "Messages every stage sent to its dead-letter queue in the last hour.",
			per(func(s string) target {
				return target{fmt.Sprintf(`sum(increase(newsflow_%s_dead_letters_total[1h]))`, s), s}
			}, stages)...))

	b = b.WithRow(dashboard.NewRowBuilder("Throughput")).
		WithPanel(series("Consumed messages by outcome", "ops", "Messages each consuming stage settled, by outcome: ok, retry (transient failure), dead_letter.",
			per(func(s string) target {
				return target{fmt.Sprintf(`sum by (outcome) (rate(newsflow_%s_messages_total[%s]))`, s, rate), s + " {{outcome}}"}
			}, consumers)...)).
		WithPanel(series("Articles found by the fetcher", "ops", "Articles the fetcher found, by outcome: new (published), duplicate, skipped.",
			target{fmt.Sprintf(`sum by (outcome) (rate(newsflow_fetcher_articles_total[%s]))`, rate), "{{outcome}}"})).
		WithPanel(series("Published messages by stream", "ops", "Messages JetStream acknowledged, by stage and stream family.",
			per(func(s string) target {
				return target{fmt.Sprintf(`sum by (stream) (rate(newsflow_%s_published_messages_total[%s]))`, s, rate), s + " → {{stream}}"}
			}, stages)...)).
		WithPanel(series("Enricher publishes de-duplicated", "ops", "Enriched articles and mentions JetStream recognised as duplicates by Msg-Id: a redelivered or replayed raw article enriched by the same model.",
			target{fmt.Sprintf(`sum by (stream) (rate(newsflow_enricher_published_duplicates_total[%s]))`, rate), "{{stream}}"}))

	b = b.WithRow(dashboard.NewRowBuilder("Errors and dead letters")).
		WithPanel(series("Error ratio", "percentunit", "Share of consumed messages retried or dead-lettered (alert: NewsflowErrorRatioHigh).",
			per(func(s string) target {
				return target{fmt.Sprintf(`sum(rate(newsflow_%[1]s_messages_total{outcome!="ok"}[%[2]s])) / sum(rate(newsflow_%[1]s_messages_total[%[2]s]))`, s, rate), s}
			}, consumers)...).Min(0)).
		WithPanel(series("Dead letters by reason", "ops", "Messages sent to news.dlq.<stage>, by stage and reason class.",
			per(func(s string) target {
				return target{fmt.Sprintf(`sum by (reason) (rate(newsflow_%s_dead_letters_total[%s]))`, s, rate), s + " {{reason}}"}
			}, stages)...))

	b = b.WithRow(dashboard.NewRowBuilder("Latency"))
	for _, s := range consumers {
		b = b.WithPanel(series(fmt.Sprintf("%s processing time", s), "s",
			fmt.Sprintf("Time from receiving a message (a batch, for the sink) to settling it: %s percentiles.", s),
			quantiles("newsflow_"+s+"_processing_seconds", s)...))
	}
	b = b.WithPanel(series("End-to-end latency", "s", "Time from an article's fetch to its commit in storage (alert: NewsflowEndToEndLatencyHigh).",
		quantiles("newsflow_sink_end_to_end_seconds", "end-to-end")...)).
		WithPanel(series("Enrichment time per article", "s", "Analysis time of one article (entities and stance), without I/O.",
			quantiles("newsflow_enricher_enrich_seconds", "enrich")...))

	b = b.WithRow(dashboard.NewRowBuilder("Consumers"))
	b = b.WithPanel(series("Consumer pending", "short", "Messages in the stream not yet delivered to the stage's durable consumer (alert: NewsflowConsumerLagGrowing).",
		per(func(s string) target {
			return target{fmt.Sprintf(`max(newsflow_%s_consumer_pending_messages)`, s), s}
		}, consumers)...)).
		WithPanel(series("Consumer ack pending", "short", "Messages delivered and not yet acknowledged, and redelivered ones not yet acknowledged.",
			append(per(func(s string) target {
				return target{fmt.Sprintf(`max(newsflow_%s_consumer_ack_pending_messages)`, s), s + " ack pending"}
			}, consumers), per(func(s string) target {
				return target{fmt.Sprintf(`max(newsflow_%s_consumer_redelivered_messages)`, s), s + " redelivered"}
			}, consumers)...)...)).
		WithPanel(series("In flight", "short", "Messages being processed now, per stage (summed over replicas).",
			per(func(s string) target {
				return target{fmt.Sprintf(`sum(newsflow_%s_in_flight_messages)`, s), s}
			}, consumers)...))

	b = b.WithRow(dashboard.NewRowBuilder("Sources")).
		WithPanel(series("Articles by source", "ops", "What each source gave, by outcome: new (published), duplicate (found again), skipped (dead-lettered) (alert: NewsflowSourceItemsFailing).",
			target{fmt.Sprintf(`sum by (source, outcome) (rate(newsflow_fetcher_articles_total[%s]))`, rate), "{{source}} {{outcome}}"})).
		WithPanel(table.NewPanelBuilder().Title("Sources in the last hour").
			Description("Articles per source and outcome over the last hour.").
			Datasource(promDS).Height(8).Span(12).
			Targets(promTargets([]target{{`sum by (source, outcome) (increase(newsflow_fetcher_articles_total[1h]))`, ""}})))

	// Feeds, sitemaps and pages the fetcher polls (the sources file). Labels
	// stay bounded: source IDs come from the sources file, status classes,
	// outcomes and reasons from fixed sets; never a URL or a host.
	b = b.WithRow(dashboard.NewRowBuilder("Web sources")).
		WithPanel(series("Polls by outcome", "ops", "Polls of feed, sitemap and page sources by source and outcome: ok, not_modified (unchanged since the last poll), unparsable, or why the document's fetch failed (status_5xx, timeout, refused, robots, ...) (alert: NewsflowSourceFailing).",
			target{fmt.Sprintf(`sum by (source, outcome) (rate(newsflow_fetcher_polls_total[%s]))`, rate), "{{source}} {{outcome}}"})).
		WithPanel(table.NewPanelBuilder().Title("Polls in the last hour").
			Description("Polls per source and outcome over the last hour: a source without ok or not_modified polls delivers nothing.").
			Datasource(promDS).Height(8).Span(12).
			Targets(promTargets([]target{{`sum by (source, outcome) (increase(newsflow_fetcher_polls_total[1h]))`, ""}}))).
		WithPanel(series("HTTP requests by source and status", "ops", "Every HTTP exchange of the polls (documents, pages, robots.txt, each redirect and retry) by source and status class; error: no answer (connection refused or reset, timeout).",
			target{fmt.Sprintf(`sum by (source, class) (rate(newsflow_fetcher_http_requests_total[%s]))`, rate), "{{source}} {{class}}"})).
		WithPanel(series("Fetches by source and outcome", "ops", "Fetches of documents and pages (after redirects and retries) by source and outcome: ok, not_modified, robots, refused, timeout, status_4xx, status_5xx, network, ...",
			target{fmt.Sprintf(`sum by (source, outcome) (rate(newsflow_fetcher_fetches_total[%s]))`, rate), "{{source}} {{outcome}}"})).
		WithPanel(series("HTTP request time", "s", "Time from sending a request to the end of its body (the wait for the host's rate limit not included), every source: p50, p90, p99.",
			quantiles("newsflow_fetcher_http_request_duration_seconds", "request")...)).
		WithPanel(series("HTTP request time by source (p90)", "s", "90th percentile of the request time of each source: a slow site, or one answering slowly on purpose.",
			target{fmt.Sprintf(`histogram_quantile(0.9, sum by (source, le) (rate(newsflow_fetcher_http_request_duration_seconds_bucket[%s])))`, rate), "{{source}}"})).
		WithPanel(series("Bytes received by source", "Bps", "Response body bytes received on the wire (compressed), by source.",
			target{fmt.Sprintf(`sum by (source) (rate(newsflow_fetcher_http_response_bytes_total[%s]))`, rate), "{{source}}"})).
		WithPanel(series("Poll time", "s", "Time of one poll: the source document and the pages of its new items, waits for the hosts' rate limits included: p50, p90, p99.",
			quantiles("newsflow_fetcher_poll_duration_seconds", "poll")...)).
		WithPanel(series("Robots.txt refusals", "ops", "Fetches the sites' robots.txt does not allow us, by source: the item is made from the feed's text or dead-lettered.",
			target{fmt.Sprintf(`sum by (source) (rate(newsflow_fetcher_robots_refusals_total[%s]))`, rate), "{{source}}"})).
		WithPanel(series("Pages without an article", "ops", "Fetched pages the extractor found no article in, by source and reason (no_content, too_complex, not_html, bad_url); and articles made from the feed's own text instead because the item's page failed.",
			target{fmt.Sprintf(`sum by (source, reason) (rate(newsflow_fetcher_extraction_failures_total[%s]))`, rate), "{{source}} {{reason}}"},
			target{fmt.Sprintf(`sum by (source) (rate(newsflow_fetcher_fallbacks_total[%s]))`, rate), "{{source}} from feed text"})).
		WithPanel(series("Items retried and dead-lettered", "ops", "Items whose page failed and is tried again at the next poll, and items given up and dead-lettered, by source and reason (alert: NewsflowSourceItemsFailing).",
			target{fmt.Sprintf(`sum by (source, reason) (rate(newsflow_fetcher_item_failures_total[%s]))`, rate), "{{source}} retry {{reason}}"},
			target{fmt.Sprintf(`sum by (source, reason) (rate(newsflow_fetcher_items_dead_lettered_total[%s]))`, rate), "{{source}} dead letter {{reason}}"})).
		WithPanel(series("Sources in force", "short", "Sources of the sources file in force, by kind (the inbox directory counts as dir); a reload that fails keeps the previous ones.",
			target{`max by (kind) (newsflow_fetcher_sources)`, "{{kind}}"}))

	b = b.WithRow(dashboard.NewRowBuilder("Sink")).
		WithPanel(series("Batch size", "short", "Articles per committed batch.",
			quantiles("newsflow_sink_batch_size_articles", "batch")...)).
		WithPanel(series("Write time", "s", "Time to write and commit one batch.",
			quantiles("newsflow_sink_write_seconds", "write")...)).
		WithPanel(series("Rows written", "ops", "Rows written per second, by table.",
			target{fmt.Sprintf(`sum by (table) (rate(newsflow_sink_rows_total[%s]))`, rate), "{{table}}"})).
		WithPanel(series("Write failures", "ops", "Failed batch writes: transient (retried) or permanent (dead-lettered).",
			target{fmt.Sprintf(`sum by (kind) (rate(newsflow_sink_write_failures_total[%s]))`, rate), "{{kind}}"}))

	b = b.WithRow(dashboard.NewRowBuilder("Versions")).
		WithPanel(table.NewPanelBuilder().Title("Running versions").
			Description("Build versions of the running replicas (build_info), to follow a rolling upgrade.").
			Datasource(promDS).Height(6).Span(24).
			Targets(promTargets(per(func(s string) target {
				return target{fmt.Sprintf(`count by (version, goversion) (newsflow_%s_build_info)`, s), s}
			}, stages))))

	// The NATS servers, from the prometheus-nats-exporter sidecar of the
	// official NATS chart (-prefix=nats -varz -jsz=all).
	b = b.WithRow(dashboard.NewRowBuilder("NATS servers")).
		WithPanel(series("Client connections", "short", "Client connections per server.",
			target{`sum by (server_id) (nats_varz_connections)`, "{{server_id}}"})).
		WithPanel(series("Messages in and out", "ops", "Messages the servers received and sent.",
			target{fmt.Sprintf(`sum(rate(nats_varz_in_msgs[%s]))`, rate), "in"},
			target{fmt.Sprintf(`sum(rate(nats_varz_out_msgs[%s]))`, rate), "out"})).
		WithPanel(series("Slow consumers", "short", "Clients the servers dropped messages for because they read too slowly.",
			target{`sum by (server_id) (nats_varz_slow_consumers)`, "{{server_id}}"})).
		WithPanel(series("Server memory", "bytes", "Resident memory of each server.",
			target{`max by (server_id) (nats_varz_mem)`, "{{server_id}} memory"})).
		WithPanel(series("JetStream storage used", "percentunit", "Share of each server's JetStream file storage in use (alert: NewsflowJetStreamStorageHigh).",
			target{`max by (server_name) (nats_server_total_message_bytes / nats_server_max_storage)`, "{{server_name}}"}).Min(0).Max(1)).
		WithPanel(series("Stream messages", "short", "Messages held by each newsflow stream.",
			target{`max by (stream_name) (nats_stream_total_messages{stream_name=~"NEWS_.*"})`, "{{stream_name}}"})).
		WithPanel(series("Consumer pending (server view)", "short", "Pending and ack-pending of the newsflow consumers as the servers report them.",
			target{`max by (stream_name, consumer_name) (nats_consumer_num_pending{stream_name=~"NEWS_.*"})`, "{{consumer_name}} pending"},
			target{`max by (stream_name, consumer_name) (nats_consumer_num_ack_pending{stream_name=~"NEWS_.*"})`, "{{consumer_name}} ack pending"})).
		WithPanel(series("Cluster routes", "short", "Routes each server has to its peers (2 on a healthy three-node cluster).",
			target{`max by (server_id) (nats_varz_routes)`, "{{server_id}}"}))

	return b.Build()
}
