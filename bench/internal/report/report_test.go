package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/bench/internal/pipeline"
	"github.com/newsflow/newsflow/bench/internal/stats"
)

func fixture() *pipeline.Result {
	lat := []float64{20, 35, 50, 80, 120, 190, 250}
	times := map[string][]float64{"fetcher": {0.1, 0.2, 0.3}, "enricher": {0.4, 0.9, 1.3}, "sink": {0.5, 1.0, 1.6}}
	phase := func(name string, rate float64) pipeline.Phase {
		return pipeline.Phase{
			Name: name, Articles: 7, Stored: 7, OfferedPerSecond: rate / 2, Seconds: 1.6, EndToEndPerSecond: rate,
			StagePerSecond: map[string]float64{"fetcher": 900, "enricher": rate, "sink": 800},
			LatencyMS:      stats.Summarize(lat), Latencies: lat, Times: times,
			Process:      map[string]pipeline.ProcessUse{"enricher": {CPUSeconds: 1.5, Cores: 0.9, ArticlesPerCPUSecond: 4.7}},
			ProcessingMS: map[string]float64{"enricher": 12.5}, EnrichMS: 3.25, Mentions: 70,
			TokensPerCPUSecond: 250000,
			FetchToEnrichMS:    stats.Summary{P50: 900}, EnrichToCommitMS: stats.Summary{P50: 100},
		}
	}
	full := phase("full", 432.1)
	full.Statements = []pipeline.Statement{{Query: "INSERT INTO article_entities (a|b)", Calls: 3, TotalMS: 1234.5, Rows: 4900}}
	return &pipeline.Result{
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Machine: pipeline.Machine{CPU: "Test CPU", Cores: 2, MemoryGiB: 8, GoVersion: "go1.26"},
		Phases:  []pipeline.Phase{full, phase("half", 210)},
		Ceiling: &pipeline.Ceiling{Messages: 100, PerSecond: 20000, PublishPerSecond: 30000},
		Samples: []pipeline.Sample{
			{At: 0, CPU: map[string]float64{"enricher": 0}},
			{At: 1.1, CPU: map[string]float64{"enricher": 0.8}},
			{At: 2.2, CPU: map[string]float64{"enricher": 1.9}},
		},
	}
}

func TestWrite(t *testing.T) {
	res := fixture()
	var text bytes.Buffer
	if err := res.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plots, err := Plots(res, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(plots) != 5 {
		t.Errorf("plots %v, want 5", plots)
	}
	for _, p := range plots {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG (%v)", p, err)
		}
	}
	micro := "BenchmarkEnrichPerCore-2 \t 10 \t 100 ns/op \t 350000 tokens/cpu-s \t 340000 tokens/s\n"
	var out bytes.Buffer
	err = Write(&out, Inputs{
		Result: res, PipelineText: text.String(), Micro: micro, Benchstat: "benchstat table", MicroLoad: "before: 0.50 0.40 0.30 1/100 1\n",
		Commands: []string{"make bench"}, Notes: "Hand-written notes.", ImgDir: "benchmarks", Plots: plots,
		Profiles: map[string]string{"enricher": "flat flat% top"}, ProfileCommand: "pipeline -profile p",
	})
	if err != nil {
		t.Fatal(err)
	}
	doc := out.String()
	for _, want := range []string{
		"| Test CPU | 2 | 8.0 GiB |",
		"| 432.1 articles/s (full load, first file to last commit) | **no** |",
		"p99 250.0 ms fetch to commit at 105.0 articles/s | **no** |",
		"350000 tokens per CPU second (`BenchmarkEnrichPerCore`, entities and stance, mean of 1 runs)",
		"before: 0.50 0.40",
		"| yes |",
		"| 30000 msgs/s | 20000 msgs/s |",
		"432.1 / 20000 = 0.022",
		"waited longest in front of the enricher: fetch to enriched took 900.0 ms at the median, enriched to commit 100.0 ms",
		"12.5 ms on average, 3.2 ms of it in analysis",
		"10.0 mention events per article",
		"each article cost 214.29 ms of CPU across the pipeline's processes (enricher 214.29; the load generator left out), so 2 cores",
		"500 articles/s needs at most 4.00 ms per article",
		"Hand-written notes.",
		"| 1234.5 ms | 3 | 4900 | `INSERT INTO article_entities (a\\|b)` |",
		"![throughput-full](benchmarks/throughput-full.png)",
		"flat flat% top",
		"benchstat table",
		res.LastLine(),
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestWriteRefusesMismatchedInputs(t *testing.T) {
	res := fixture()
	err := Write(&bytes.Buffer{}, Inputs{Result: res, PipelineText: "...\narticles_per_s=1.0 p50_ms=1.0 p99_ms=1.0 ceiling_ratio=0.001\n"})
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("err = %v, want ErrMismatch", err)
	}
}
