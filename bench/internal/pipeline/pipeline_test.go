package pipeline

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/bench/internal/proc"
	"github.com/newsflow/newsflow/bench/internal/promtext"
	"github.com/newsflow/newsflow/bench/internal/stats"
)

func parse(t *testing.T, s string) promtext.Set {
	t.Helper()
	set, err := promtext.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestPhase builds a phase from made-up stored articles and snapshots and
// checks every derived number.
func TestPhase(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	r := &run{res: &Result{Started: t0}, sent: map[string]map[int]time.Time{
		"full": {0: at(0), 1: at(10), 2: at(20), 3: at(30)},
	}}
	arts := []stored{
		{phase: "full", n: 0, fetched: at(100), enriched: at(200), committed: at(300)},
		{phase: "full", n: 1, fetched: at(200), enriched: at(400), committed: at(600)},
		{phase: "full", n: 2, fetched: at(300), enriched: at(600), committed: at(900)},
		{phase: "full", n: 3, fetched: at(400), enriched: at(800), committed: at(1000)},
		{phase: "warm", n: 0, fetched: at(0), enriched: at(1), committed: at(2)},
	}
	before := snapshot{at: at(0), busy: 10 * time.Second, usage: map[string]proc.Usage{
		"enricher": {CPU: time.Second}, "sink": {CPU: 0},
	}, metrics: map[string]promtext.Set{
		"enricher": parse(t, "newsflow_enricher_tokens_total 1000\nnewsflow_enricher_messages_total{outcome=\"retry\"} 1\n"+
			"newsflow_enricher_processing_seconds_sum 1\nnewsflow_enricher_processing_seconds_count 10\n"+
			"newsflow_enricher_published_messages_total{stream=\"mentions\"} 5\n"),
		"sink": parse(t, "newsflow_sink_end_to_end_seconds_bucket{le=\"1\"} 0\nnewsflow_sink_end_to_end_seconds_bucket{le=\"+Inf\"} 0\n"),
	}}
	after := snapshot{at: at(1000), busy: 12 * time.Second, usage: map[string]proc.Usage{
		"enricher": {CPU: 1500 * time.Millisecond}, "sink": {CPU: 250 * time.Millisecond},
	}, metrics: map[string]promtext.Set{
		"enricher": parse(t, "newsflow_enricher_tokens_total 3000\nnewsflow_enricher_messages_total{outcome=\"retry\"} 3\n"+
			"newsflow_enricher_processing_seconds_sum 1.2\nnewsflow_enricher_processing_seconds_count 14\n"+
			"newsflow_enricher_published_messages_total{stream=\"mentions\"} 45\n"),
		"sink": parse(t, "newsflow_sink_end_to_end_seconds_bucket{le=\"1\"} 4\nnewsflow_sink_end_to_end_seconds_bucket{le=\"+Inf\"} 4\n"+
			"newsflow_sink_dead_letters_total{reason=\"invalid\"} 1\n"+
			"newsflow_sink_batch_size_articles_sum 4\nnewsflow_sink_batch_size_articles_count 2\n"+
			"newsflow_sink_write_seconds_sum 0.05\nnewsflow_sink_write_seconds_count 2\n"),
	}}
	p := r.phase("full", 4, 0, arts, before, after)

	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if p.Stored != 4 || p.Articles != 4 {
		t.Errorf("stored %d of %d, want 4 of 4", p.Stored, p.Articles)
	}
	near("Seconds", p.Seconds, 1.0) // first file at 0, last commit at 1000 ms
	near("EndToEndPerSecond", p.EndToEndPerSecond, 4)
	near("fetcher rate", p.StagePerSecond["fetcher"], 3/0.3)
	near("enricher rate", p.StagePerSecond["enricher"], 3/0.6)
	near("sink rate", p.StagePerSecond["sink"], 3/0.7)
	near("latency p50", p.LatencyMS.P50, 400) // 200, 400, 600, 600
	near("latency p99", p.LatencyMS.P99, 600)
	near("inbox latency max", p.InboxLatencyMS.Max, 970)
	near("fetch to enriched p99", p.FetchToEnrichMS.P99, 400)
	near("enriched to commit p50", p.EnrichToCommitMS.P50, 200)
	near("tokens", p.Tokens, 2000)
	near("tokens per CPU second", p.TokensPerCPUSecond, 4000)
	near("enricher cores", p.Process["enricher"].Cores, 0.5)
	near("sink articles per CPU second", p.Process["sink"].ArticlesPerCPUSecond, 16)
	near("other cores", p.OtherCores, 2-0.75)
	near("mentions", p.Mentions, 40)
	near("retries", p.Retries, 2)
	near("dead letters", p.DeadLetters, 1)
	near("enricher held ms", p.ProcessingMS["enricher"], 50)
	near("sink batch", p.SinkBatchArticles, 2)
	near("sink write ms", p.SinkWriteMS, 25)
	near("sink histogram p99", p.SinkHistogramP99MS, 990) // 99% of the way through (0, 1 s]
	if got := p.Times["sink"]; len(got) != 4 || got[0] != 0.3 || got[3] != 1.0 {
		t.Errorf("sink times = %v, want 0.3 .. 1.0", got)
	}
}

func TestResultTextEndsWithTheSummaryLine(t *testing.T) {
	res := &Result{
		Started: time.Unix(0, 0).UTC(),
		Phases: []Phase{
			{Name: "full", Articles: 10, Stored: 10, EndToEndPerSecond: 512.34},
			{Name: "half", Articles: 10, Stored: 10, LatencyMS: stats.Summary{N: 1, P50: 12.34, P99: 187.65}},
		},
		Ceiling: &Ceiling{PerSecond: 20000},
	}
	var b bytes.Buffer
	if err := res.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := "articles_per_s=512.3 p50_ms=12.3 p99_ms=187.7 ceiling_ratio=0.026"
	if last := lines[len(lines)-1]; last != want || res.LastLine() != want {
		t.Errorf("last line %q, LastLine %q; want %q", last, res.LastLine(), want)
	}
	var j bytes.Buffer
	if err := res.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&j)
	if err != nil {
		t.Fatal(err)
	}
	if back.LastLine() != want {
		t.Errorf("after a JSON round trip: %q", back.LastLine())
	}
	res.Ceiling = nil
	if !strings.HasSuffix(res.LastLine(), "ceiling_ratio=NaN") {
		t.Errorf("without a ceiling run: %q", res.LastLine())
	}
}

func TestConfigRefusals(t *testing.T) {
	for _, c := range []Config{
		{Articles: 1, HalfDuration: time.Second},
		{Articles: 10, Warmup: -1, HalfDuration: time.Second},
		{Articles: 10, HalfDuration: time.Millisecond},
		{Articles: 10, HalfDuration: time.Second, HalfRate: -1},
		{Articles: 999999, Warmup: 1, HalfDuration: time.Second},
	} {
		if err := c.defaults(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	c := Config{Articles: 10, HalfDuration: time.Second}
	if err := c.defaults(); err != nil || c.NATSServer != "bin/nats-server" {
		t.Errorf("defaults: %v, nats-server %q", err, c.NATSServer)
	}
}
