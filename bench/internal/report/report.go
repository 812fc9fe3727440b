// Package report writes docs/BENCHMARKS.md from what the benchmark
// commands printed: the micro benchmarks' output and benchstat summary,
// and the pipeline load test's text and JSON results, with PNG plots.
// Every number in the report is one of those outputs, formatted as the
// command printed it.
package report

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/newsflow/newsflow/bench/internal/pipeline"
)

// Inputs of a report.
type Inputs struct {
	Result       *pipeline.Result
	PipelineText string // what the pipeline command printed
	Micro        string // raw `go test -bench` output
	Benchstat    string // benchstat's summary of Micro
	MicroLoad    string // /proc/loadavg before and after the micro benchmarks
	Commands     []string
	// Profiles maps a service to the `go tool pprof -top` text of its CPU
	// profile, from ProfileCommand.
	Profiles       map[string]string
	ProfileCommand string
	// Notes is hand-written analysis (Markdown), included as it is.
	Notes string
	// ImgDir is the plots' directory relative to the report; Plots their names.
	ImgDir string
	Plots  []string
}

// Targets of issue 8.
const (
	TargetArticlesPerSecond = 500.0
	TargetP99MS             = 200.0
	TargetTokensPerSecond   = 300000.0
	// EnrichBenchmark is the micro benchmark whose tokens per CPU second
	// (EnrichUnit) is compared with TargetTokensPerSecond.
	EnrichBenchmark = "BenchmarkEnrichPerCore"
	EnrichUnit      = "tokens/cpu-s"
)

// ErrMismatch means the pipeline's printed text and its JSON disagree.
var ErrMismatch = errors.New("report: the pipeline's text and JSON results are from different runs")

// Write writes the report.
func Write(w io.Writer, in Inputs) error {
	res := in.Result
	if res == nil {
		return errors.New("report: no pipeline result")
	}
	if last := lastLine(in.PipelineText); last != res.LastLine() {
		return fmt.Errorf("%w: text ends %q, JSON gives %q", ErrMismatch, last, res.LastLine())
	}
	full, half := res.Phase("full"), res.Phase("half")
	if full == nil || half == nil {
		return errors.New("report: the pipeline result lacks the full or the half phase")
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	p("# Benchmarks")
	p("")
	p("Written by `make bench` from what the benchmark commands printed (%s); do not edit by hand:", res.Started.Format("2006-01-02 15:04 MST"))
	p("the generator is `bench/cmd/report`, the notes come from `docs/benchmarks/notes.md`.")
	p("Raw outputs are at the end. Issue 8 states the targets.")
	p("")
	p("## Machine")
	p("")
	m := res.Machine
	p("| CPU | cores | memory | kernel | Go | NATS server | PostgreSQL |")
	p("| --- | --- | --- | --- | --- | --- | --- |")
	p("| %s | %d | %.1f GiB | %s | %s | %s | %s |", m.CPU, m.Cores, m.MemoryGiB, m.Kernel, m.GoVersion, res.NATSVersion, res.PostgresVersion)
	p("")
	p("The machine is shared: other work used %.2f cores during the full-load phase and %.2f during the half-load", full.OtherCores, half.OtherCores)
	p("phase, out of %d: all CPU time in /proc/stat minus the measured processes, so it also holds kernel", m.Cores)
	p("work charged to no process (some of the network and disk work the pipeline causes), an upper bound.")
	p("")
	p("## Commands")
	p("")
	p("```sh")
	for _, c := range in.Commands {
		p("%s", c)
	}
	p("```")
	p("")

	p("## Targets")
	p("")
	p("| target | measured | met |")
	p("| --- | --- | --- |")
	p("| >= %.0f articles/s end to end, PostgreSQL and file-backed JetStream | %.1f articles/s (full load, first file to last commit) | %s |",
		TargetArticlesPerSecond, full.EndToEndPerSecond, yes(full.EndToEndPerSecond >= TargetArticlesPerSecond))
	p("| p99 end to end <= %.0f ms at half of the maximum rate | p99 %.1f ms fetch to commit at %.1f articles/s | %s |",
		TargetP99MS, half.LatencyMS.P99, half.OfferedPerSecond, yes(half.LatencyMS.P99 <= TargetP99MS))
	if tps, n, ok := MetricMean(strings.NewReader(in.Micro), EnrichBenchmark, EnrichUnit); ok {
		p("| enrichment >= %.0f tokens/s per core | %.0f tokens per CPU second (`%s`, entities and stance, mean of %d runs); the running enricher: %.0f tokens per CPU second with its I/O | %s |",
			TargetTokensPerSecond, tps, EnrichBenchmark, n, full.TokensPerCPUSecond, yes(tps >= TargetTokensPerSecond))
	} else {
		p("| enrichment >= %.0f tokens/s per core | `%s` did not run; the running enricher: %.0f tokens per CPU second with its I/O | %s |",
			TargetTokensPerSecond, EnrichBenchmark, full.TokensPerCPUSecond, yes(full.TokensPerCPUSecond >= TargetTokensPerSecond))
	}
	p("")

	p("## Pipeline load test")
	p("")
	p("nats-server (JetStream, file storage), a throwaway PostgreSQL (`pgtest`: fsync and synchronous_commit off)")
	p("and the three services as separate processes built by `make build`, on one machine. Articles are files")
	p("renamed into the fetcher's inbox; the text is %s,", res.Corpus)
	p("about 600 words each (log-normal, median 560). %d warm-up articles are stored first. Full load puts %d",
		res.Config.Warmup, full.Articles)
	p("articles into the inbox at once; half load offers articles at half of the full-load rate for %.0f s.", res.Config.HalfDurationSec)
	p("Stage rates and latencies come from each article's `fetched_at`, `enriched_at` and commit time")
	if res.CommitTimestamps {
		p("(`pg_xact_commit_timestamp`) in PostgreSQL; CPU and memory from /proc.")
	} else {
		p("(the writing transaction's start: commit timestamps were off) in PostgreSQL; CPU and memory from /proc.")
	}
	p("")
	p("| | full load | half load |")
	p("| --- | --- | --- |")
	row := func(name, format string, f func(pipeline.Phase) []any) {
		p("| %s | %s | %s |", name, fmt.Sprintf(format, f(*full)...), fmt.Sprintf(format, f(*half)...))
	}
	row("articles stored / put in", "%d / %d", func(x pipeline.Phase) []any { return []any{x.Stored, x.Articles} })
	p("| offered rate | all at once | %.1f articles/s |", half.OfferedPerSecond)
	row("end to end (first file to last commit)", "%.1f articles/s in %.2f s", func(x pipeline.Phase) []any { return []any{x.EndToEndPerSecond, x.Seconds} })
	for _, s := range pipeline.Services {
		row(s+" (first to last article)", "%.1f articles/s", func(x pipeline.Phase) []any { return []any{x.StagePerSecond[s]} })
	}
	row("fetch to commit p50 / p90 / p99 / max", "%.1f / %.1f / %.1f / %.1f ms", func(x pipeline.Phase) []any {
		return []any{x.LatencyMS.P50, x.LatencyMS.P90, x.LatencyMS.P99, x.LatencyMS.Max}
	})
	row("fetch to enriched p50 / p99", "%.1f / %.1f ms", func(x pipeline.Phase) []any { return []any{x.FetchToEnrichMS.P50, x.FetchToEnrichMS.P99} })
	row("enriched to commit p50 / p99", "%.1f / %.1f ms", func(x pipeline.Phase) []any { return []any{x.EnrichToCommitMS.P50, x.EnrichToCommitMS.P99} })
	row("inbox to commit p50 / p99", "%.1f / %.1f ms", func(x pipeline.Phase) []any { return []any{x.InboxLatencyMS.P50, x.InboxLatencyMS.P99} })
	row("sink histogram estimate p50 / p99", "%.1f / %.1f ms", func(x pipeline.Phase) []any { return []any{x.SinkHistogramP50MS, x.SinkHistogramP99MS} })
	row("enricher: time held per article (analysis)", "%.1f ms (%.1f ms)", func(x pipeline.Phase) []any { return []any{x.ProcessingMS["enricher"], x.EnrichMS} })
	row("sink: time held per batch (writing and committing it)", "%.1f ms (%.1f ms)", func(x pipeline.Phase) []any { return []any{x.ProcessingMS["sink"], x.SinkWriteMS} })
	row("sink: articles per batch", "%.1f", func(x pipeline.Phase) []any { return []any{x.SinkBatchArticles} })
	row("enricher tokens per CPU second", "%.0f", func(x pipeline.Phase) []any { return []any{x.TokensPerCPUSecond} })
	row("mention events published", "%.0f", func(x pipeline.Phase) []any { return []any{x.Mentions} })
	row("retries / dead letters", "%.0f / %.0f", func(x pipeline.Phase) []any { return []any{x.Retries, x.DeadLetters} })
	row("other work on the machine", "%.2f cores", func(x pipeline.Phase) []any { return []any{x.OtherCores} })
	p("")
	p("CPU and memory per process (cores = CPU seconds over the phase's wall time; postgres counts all its")
	p("processes; harness is the load generator itself):")
	p("")
	p("| process | full: CPU s | cores | articles per CPU s | half: CPU s | cores | articles per CPU s | peak RSS (VmHWM) |")
	p("| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, name := range pipeline.Processes {
		f, h := full.Process[name], half.Process[name]
		peak := "-"
		if v, ok := res.PeakRSSMB[name]; ok {
			peak = fmt.Sprintf("%.1f MB", v)
		}
		p("| %s | %.2f | %.2f | %.1f | %.2f | %.2f | %.1f | %s |", name, f.CPUSeconds, f.Cores, f.ArticlesPerCPUSecond,
			h.CPUSeconds, h.Cores, h.ArticlesPerCPUSecond, peak)
	}
	p("")
	if len(res.Streams) > 0 {
		p("What the streams held at the end (warm-up, full and half load together):")
		p("")
		p("| stream | messages | MB |")
		p("| --- | --- | --- |")
		for _, s := range res.Streams {
			p("| %s | %d | %.1f |", s.Name, s.Messages, float64(s.Bytes)/(1<<20))
		}
		p("")
	}
	for _, ph := range []*pipeline.Phase{full, half} {
		if len(ph.Statements) == 0 {
			continue
		}
		p("PostgreSQL statements by server time during %s load (`pg_stat_statements`; the sink's):", ph.Name)
		p("")
		p("| server time | calls | rows | statement |")
		p("| --- | --- | --- | --- |")
		for _, st := range ph.Statements {
			p("| %.1f ms | %d | %d | `%s` |", st.TotalMS, st.Calls, st.Rows, strings.ReplaceAll(st.Query, "|", "\\|"))
		}
		p("")
	}
	for _, name := range in.Plots {
		p("![%s](%s/%s)", strings.TrimSuffix(name, ".png"), in.ImgDir, name)
		p("")
	}

	if c := res.Ceiling; c != nil {
		p("## JetStream's ceiling")
		p("")
		p("In the same run, after the services stopped, on the same nats-server: %d messages of the full-load raw", c.Messages)
		p("articles' sizes (mean %.0f bytes) into a file-backed stream, published asynchronously (256 in flight) with", c.MeanBytes)
		p("a `Nats-Msg-Id` each, consumed by a durable pull consumer acking every message, as the stages do.")
		p("")
		p("| publish | publish + consume + ack | payload | pipeline / ceiling |")
		p("| --- | --- | --- | --- |")
		p("| %.0f msgs/s | %.0f msgs/s | %.1f MB/s | %.1f / %.0f = %.3f |", c.PublishPerSecond, c.PerSecond, c.MBPerSecond,
			full.EndToEndPerSecond, c.PerSecond, res.CeilingRatio())
		p("")
		p("Counted in messages rather than articles, the pipeline published %.0f JetStream messages per second at", res.MessagesPerSecond())
		p("full load (each article raw and enriched, and its mention events), %.3f of the ceiling; the messages", res.MessagesPerSecond()/c.PerSecond)
		p("are of other sizes (mentions are small, enriched articles larger), and the fetcher adds two key-value")
		p("operations per article.")
		p("")
	}

	p("## Why")
	p("")
	p("%s", strings.TrimSpace(facts(res)))
	p("")
	if strings.TrimSpace(in.Notes) != "" {
		p("%s", strings.TrimSpace(in.Notes))
		p("")
	}
	if len(in.Profiles) > 0 {
		p("### CPU profiles")
		p("")
		p("From a separate, profiled run (the same `Run` of each service, in the harness binary, with")
		p("`runtime/pprof` on, and nats-server's own profiling endpoint for the first seconds of full")
		p("load; its numbers are not the ones above). \"Total samples\" over \"Duration\" is the share of")
		p("one core the process used:")
		p("")
		p("```sh")
		p("%s", in.ProfileCommand)
		p("```")
		p("")
		names := make([]string, 0, len(in.Profiles))
		for n := range in.Profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			p("%s:", n)
			p("")
			p("```")
			p("%s", strings.TrimSpace(in.Profiles[n]))
			p("```")
			p("")
		}
	}

	p("## Raw output")
	p("")
	p("The pipeline load test:")
	p("")
	p("```")
	p("%s", strings.TrimSpace(in.PipelineText))
	p("```")
	p("")
	if strings.TrimSpace(in.Benchstat) != "" {
		p("Micro benchmarks, summarised by benchstat (next to the code of their packages).")
		if l := strings.TrimSpace(in.MicroLoad); l != "" {
			p("Load average (/proc/loadavg) around them, a sign of other work on the machine:")
			p("")
			p("```")
			p("%s", l)
			p("```")
		}
		p("")
		p("```")
		p("%s", strings.TrimSpace(in.Benchstat))
		p("```")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// facts states what the measurements say about where the time goes.
func facts(res *pipeline.Result) string {
	full := res.Phase("full")
	var b strings.Builder
	queue := "the enricher"
	if full.EnrichToCommitMS.P50 > full.FetchToEnrichMS.P50 {
		queue = "the sink"
	}
	fmt.Fprintf(&b, "At full load the articles waited longest in front of %s: fetch to enriched took %.1f ms at the median, enriched to commit %.1f ms.",
		queue, full.FetchToEnrichMS.P50, full.EnrichToCommitMS.P50)
	fmt.Fprintf(&b, " The fetcher read the inbox at %.1f articles/s, the enricher enriched %.1f/s and the sink committed %.1f/s.",
		full.StagePerSecond["fetcher"], full.StagePerSecond["enricher"], full.StagePerSecond["sink"])
	total := 0.0
	for _, name := range pipeline.Processes {
		total += full.Process[name].Cores
	}
	fmt.Fprintf(&b, " The measured processes used %.2f of %d cores together, and other work %.2f.", total, res.Machine.Cores, full.OtherCores)
	cpu, parts := 0.0, []string{}
	for _, name := range pipeline.Processes {
		if u := full.Process[name]; name != "harness" && u.CPUSeconds > 0 && full.Stored > 0 {
			ms := 1000 * u.CPUSeconds / float64(full.Stored)
			cpu += ms
			parts = append(parts, fmt.Sprintf("%s %.2f", name, ms))
		}
	}
	if cpu > 0 {
		fmt.Fprintf(&b, "\n\nCPU is the budget: each article cost %.2f ms of CPU across the pipeline's processes (%s; the load generator left out), so %d cores, with nothing else running and perfect overlap, could not carry more than %.0f articles/s; %.0f articles/s needs at most %.2f ms per article.",
			cpu, strings.Join(parts, ", "), res.Machine.Cores, 1000*float64(res.Machine.Cores)/cpu, TargetArticlesPerSecond, 1000*float64(res.Machine.Cores)/TargetArticlesPerSecond)
	}
	if e := full.ProcessingMS["enricher"]; e > 0 {
		fmt.Fprintf(&b, " The enricher held each article %.1f ms on average, %.1f ms of it in analysis;", e, full.EnrichMS)
		mentions := 0.0
		if full.Stored > 0 {
			mentions = full.Mentions / float64(full.Stored)
		}
		fmt.Fprintf(&b, " the rest is decoding, encoding and waiting for JetStream to acknowledge its outputs (the article and %.1f mention events per article).", mentions)
	}
	if full.SinkWriteMS > 0 {
		fmt.Fprintf(&b, " The sink committed %.1f articles per batch in %.1f ms.", full.SinkBatchArticles, full.SinkWriteMS)
	}
	return b.String()
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
