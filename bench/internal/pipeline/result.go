package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/newsflow/newsflow/bench/internal/stats"
)

// Result is everything a run measured. It is written as JSON for the
// report, and as text by WriteText.
type Result struct {
	Started          time.Time
	Machine          Machine
	Config           ConfigSummary
	Corpus           string
	NATSVersion      string
	PostgresVersion  string
	CommitTimestamps bool // latencies end at the exact commit (else at the writing transaction's start)
	Phases           []Phase
	PeakRSSMB        map[string]float64 // VmHWM at the end of the run, by process
	Streams          []Stream
	Ceiling          *Ceiling
	Samples          []Sample // CPU and memory of the processes over the run
}

// ConfigSummary is the configuration that shaped the numbers.
type ConfigSummary struct {
	Warmup, Articles int
	HalfDurationSec  float64
	HalfRate         float64 // 0: half of the full-load rate
	CeilingMessages  int
	Seed             uint64
	Args             map[string][]string `json:",omitempty"`
	ProfiledServices bool                `json:",omitempty"`
}

func (c Config) summary() ConfigSummary {
	return ConfigSummary{
		Warmup: c.Warmup, Articles: c.Articles, HalfDurationSec: c.HalfDuration.Seconds(), HalfRate: c.HalfRate,
		CeilingMessages: c.CeilingMessages, Seed: c.Seed, Args: c.Args, ProfiledServices: c.Command != nil,
	}
}

// Machine is the machine and toolchain of a run.
type Machine struct {
	CPU       string
	Cores     int
	MemoryGiB float64
	Kernel    string
	GoVersion string
}

// ThisMachine describes the machine the process runs on.
func ThisMachine() Machine {
	m := Machine{CPU: runtime.GOARCH, Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				f := strings.Fields(v)
				if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
					m.MemoryGiB = kb / (1 << 20)
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

// Phase is one load level.
type Phase struct {
	Name             string // full or half
	Articles, Stored int
	OfferedPerSecond float64 // the pace of the half-load phase (0 for full)
	// Seconds is from the first file put in the inbox to the last commit;
	// EndToEndPerSecond is Stored over it.
	Seconds           float64
	EndToEndPerSecond float64
	// StagePerSecond is each stage's rate between its first and its last
	// article: fetched_at, enriched_at and commit times in the database.
	StagePerSecond map[string]float64
	// LatencyMS is fetch (the fetcher reading the file) to commit;
	// InboxLatencyMS is the file appearing in the inbox to commit.
	LatencyMS, InboxLatencyMS stats.Summary
	// The two legs of LatencyMS: fetch to enrichment (raw stream and
	// enricher) and enrichment to commit (enriched stream and sink).
	FetchToEnrichMS, EnrichToCommitMS stats.Summary
	// SinkHistogram*MS estimate the same latency from the sink's
	// newsflow_sink_end_to_end_seconds buckets (linear interpolation).
	SinkHistogramP50MS, SinkHistogramP99MS float64
	Process                                map[string]ProcessUse
	// OtherCores is the CPU the rest of the machine used meanwhile, in
	// cores: work of other users sharing it.
	OtherCores float64
	// ProcessingMS is the mean time a stage held a message (the enricher)
	// or a batch (the sink), from its processing_seconds histogram;
	// EnrichMS the enricher's mean analysis time per article (no I/O).
	ProcessingMS map[string]float64
	EnrichMS     float64
	// SinkBatchArticles is the mean committed batch; SinkWriteMS the mean
	// time to write and commit one.
	SinkBatchArticles, SinkWriteMS float64
	Tokens, TokensPerCPUSecond     float64
	Mentions, Retries, DeadLetters float64
	// Statements are the SQL statements that took the most server time
	// (pg_stat_statements; empty when it is unavailable).
	Statements []Statement `json:",omitempty"`
	// For plots: fetch-to-commit latencies, and each stage's event times
	// in seconds from the first file, sorted.
	Latencies []float64
	Times     map[string][]float64
}

// ProcessUse is what one process used during a phase.
type ProcessUse struct {
	CPUSeconds, Cores, ArticlesPerCPUSecond float64
	MaxRSSMB                                float64 // largest sampled resident set
}

// Stream is what a stream held at the end of the run.
type Stream struct {
	Name     string
	Messages uint64
	Bytes    uint64
}

// Ceiling is JetStream's own rate for messages of the raw articles' sizes.
type Ceiling struct {
	Messages                                 int
	MeanBytes                                float64
	PublishPerSecond, PerSecond, MBPerSecond float64
}

// Sample is the processes' cumulative CPU seconds and resident memory at
// At seconds from the start of the run.
type Sample struct {
	At    float64
	CPU   map[string]float64
	RSSMB map[string]float64
	// MachineCPU is the CPU time of the whole machine since boot.
	MachineCPU float64
}

// Phase returns the phase named name, or nil.
func (r *Result) Phase(name string) *Phase {
	for i := range r.Phases {
		if r.Phases[i].Name == name {
			return &r.Phases[i]
		}
	}
	return nil
}

// CeilingRatio is the full-load end-to-end rate over JetStream's ceiling
// (NaN without a ceiling run).
func (r *Result) CeilingRatio() float64 {
	full := r.Phase("full")
	if full == nil || r.Ceiling == nil || r.Ceiling.PerSecond <= 0 {
		return math.NaN()
	}
	return full.EndToEndPerSecond / r.Ceiling.PerSecond
}

// MessagesPerSecond is the JetStream messages the pipeline published per
// second at full load: each article raw and enriched, and its mention
// events.
func (r *Result) MessagesPerSecond() float64 {
	full := r.Phase("full")
	if full == nil || full.Seconds <= 0 {
		return 0
	}
	return (2*float64(full.Stored) + full.Mentions) / full.Seconds
}

// LastLine is the summary line: full-load end-to-end rate, fetch-to-commit
// latency percentiles at half load, and the ceiling ratio.
func (r *Result) LastLine() string {
	var rate, p50, p99 float64
	if f := r.Phase("full"); f != nil {
		rate = f.EndToEndPerSecond
	}
	if h := r.Phase("half"); h != nil {
		p50, p99 = h.LatencyMS.P50, h.LatencyMS.P99
	}
	return fmt.Sprintf("articles_per_s=%.1f p50_ms=%.1f p99_ms=%.1f ceiling_ratio=%.3f", rate, p50, p99, r.CeilingRatio())
}

// WriteJSON writes r as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", " ")
	return e.Encode(r)
}

// ReadJSON reads a result written by WriteJSON.
func ReadJSON(rd io.Reader) (*Result, error) {
	var r Result
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("pipeline result: %w", err)
	}
	return &r, nil
}

// WriteText writes the human-readable results; its last line is LastLine.
func (r *Result) WriteText(w io.Writer) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	m := r.Machine
	p("newsflow pipeline benchmark, %s", r.Started.Format(time.RFC3339))
	p("machine: %s, %d cores, %.1f GiB, %s, %s", m.CPU, m.Cores, m.MemoryGiB, m.Kernel, m.GoVersion)
	p("nats-server %s (JetStream, file storage), PostgreSQL %s", r.NATSVersion, r.PostgresVersion)
	p("text: %s", r.Corpus)
	if !r.CommitTimestamps {
		p("note: no commit timestamps; latencies end when the writing transaction started")
	}
	for _, ph := range r.Phases {
		p("")
		switch ph.Name {
		case "full":
			p("full load: %d articles put into the inbox at once (after %d warm-up articles)", ph.Articles, r.Config.Warmup)
		case "half":
			p("half load: %d articles offered at %.1f/s (half of the full-load rate)", ph.Articles, ph.OfferedPerSecond)
		}
		p("  stored %d of %d in %.2f s: %.1f articles/s end to end (first file to last commit)", ph.Stored, ph.Articles, ph.Seconds, ph.EndToEndPerSecond)
		p("  per stage, first to last article: fetcher %.1f/s, enricher %.1f/s, sink %.1f/s",
			ph.StagePerSecond["fetcher"], ph.StagePerSecond["enricher"], ph.StagePerSecond["sink"])
		l, il := ph.LatencyMS, ph.InboxLatencyMS
		p("  latency fetch->commit ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  mean %.1f", l.P50, l.P90, l.P99, l.Max, l.Mean)
		p("  latency inbox->commit ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  mean %.1f", il.P50, il.P90, il.P99, il.Max, il.Mean)
		p("  legs: fetch->enriched p50 %.1f p99 %.1f ms; enriched->commit p50 %.1f p99 %.1f ms",
			ph.FetchToEnrichMS.P50, ph.FetchToEnrichMS.P99, ph.EnrichToCommitMS.P50, ph.EnrichToCommitMS.P99)
		p("  sink histogram estimate ms: p50 %.1f  p99 %.1f", ph.SinkHistogramP50MS, ph.SinkHistogramP99MS)
		p("  %-12s %8s %6s %12s %10s", "process", "cpu_s", "cores", "articles/cpu_s", "max_rss_mb")
		for _, name := range Processes {
			u, ok := ph.Process[name]
			if !ok {
				continue
			}
			p("  %-12s %8.2f %6.2f %12.1f %10.1f", name, u.CPUSeconds, u.Cores, u.ArticlesPerCPUSecond, u.MaxRSSMB)
		}
		p("  other work on the machine meanwhile: %.2f cores", ph.OtherCores)
		p("  mean time held: enricher %.1f ms per article (%.1f ms of it analysis), sink %.1f ms per batch",
			ph.ProcessingMS["enricher"], ph.EnrichMS, ph.ProcessingMS["sink"])
		p("  sink: %.1f articles per batch, %.1f ms to write and commit one", ph.SinkBatchArticles, ph.SinkWriteMS)
		p("  enricher: %.0f tokens, %.0f tokens per CPU second; %.0f mention events", ph.Tokens, ph.TokensPerCPUSecond, ph.Mentions)
		p("  retries %.0f, dead letters %.0f", ph.Retries, ph.DeadLetters)
		if len(ph.Statements) > 0 {
			p("  postgresql statements by server time (pg_stat_statements):")
			for _, st := range ph.Statements {
				p("    %9.1f ms %7d calls %9d rows  %s", st.TotalMS, st.Calls, st.Rows, st.Query)
			}
		}
	}
	if len(r.PeakRSSMB) > 0 {
		p("")
		var parts []string
		for _, name := range Processes {
			if v, ok := r.PeakRSSMB[name]; ok {
				parts = append(parts, fmt.Sprintf("%s %.1f", name, v))
			}
		}
		p("peak resident memory over the run (VmHWM, MB; postgres: largest process): %s", strings.Join(parts, ", "))
	}
	if len(r.Streams) > 0 {
		var parts []string
		for _, s := range r.Streams {
			parts = append(parts, fmt.Sprintf("%s %d msgs %.1f MB", s.Name, s.Messages, float64(s.Bytes)/(1<<20)))
		}
		p("streams at the end: %s", strings.Join(parts, ", "))
	}
	if c := r.Ceiling; c != nil {
		p("")
		p("jetstream ceiling: %d messages of the raw articles' sizes (mean %.0f bytes), file storage,", c.Messages, c.MeanBytes)
		p("  async publish (256 in flight) with Msg-Id, durable pull consumer acking each message")
		p("  publish %.0f msgs/s; publish+consume+ack %.0f msgs/s (%.1f MB/s)", c.PublishPerSecond, c.PerSecond, c.MBPerSecond)
		if f := r.Phase("full"); f != nil {
			p("  pipeline/ceiling = %.1f / %.0f = %.3f", f.EndToEndPerSecond, c.PerSecond, r.CeilingRatio())
			p("  in messages: the pipeline published %.0f JetStream msgs/s at full load (raw, enriched, mentions), %.3f of the ceiling",
				r.MessagesPerSecond(), r.MessagesPerSecond()/c.PerSecond)
		}
	}
	p("")
	p("%s", r.LastLine())
	return nil
}

// natsVersion asks the monitoring endpoint at addr for the server version.
func natsVersion(ctx context.Context, addr string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/varz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "unknown"
	}
	defer resp.Body.Close()
	var v struct {
		Version string `json:"version"`
	}
	if json.NewDecoder(resp.Body).Decode(&v) != nil || v.Version == "" {
		return "unknown"
	}
	return v.Version
}
