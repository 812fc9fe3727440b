package extract

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/newsflow/newsflow/services/fetcher/internal/extract/evaluation"
)

// benchmarkPages loads the extraction benchmark from the shared data. It
// skips when the data is absent, unless CI=true, where that is a failure.
func benchmarkPages(tb testing.TB) []evaluation.Page {
	tb.Helper()
	dir, err := evaluation.SharedDataDir()
	var pages []evaluation.Page
	if err == nil {
		pages, err = evaluation.LoadBenchmark(filepath.Join(dir, "extraction"))
	}
	if err != nil {
		if errors.Is(err, evaluation.ErrNoData) && os.Getenv("CI") != "true" {
			tb.Skipf("extraction benchmark not available (set %s): %v", evaluation.EnvSharedData, err)
		}
		tb.Fatalf("load extraction benchmark: %v", err)
	}
	return pages
}

// Floors sit below the measured scores (docs/EVALUATION.md) so
// that a regression fails while noise does not.
var f1Floors = map[Extractor]float64{
	Combined:    0.975,
	Trafilatura: 0.965,
	Readability: 0.955,
}

func TestBenchmarkScore(t *testing.T) {
	if testing.Short() {
		t.Skip("scores 40 pages; skipped with -short")
	}
	pages := benchmarkPages(t)
	truths := make(map[string]string, len(pages))
	for _, p := range pages {
		truths[p.ID] = p.Body
	}
	for _, e := range []Extractor{Combined, Trafilatura, Readability} {
		t.Run(e.String(), func(t *testing.T) {
			preds := make(map[string]string, len(pages))
			for _, p := range pages {
				art, err := Extract(p.HTML, Options{URL: p.URL, Extractor: e})
				if err != nil && !errors.Is(err, ErrNoContent) {
					t.Errorf("page %s: %v", p.ID, err)
				}
				preds[p.ID] = art.Text
			}
			r, err := evaluation.Score(preds, truths)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: precision %.4f recall %.4f F1 %.4f accuracy %.3f", e, r.Precision, r.Recall, r.F1, r.Accuracy)
			if r.F1 < f1Floors[e] {
				t.Errorf("F1 %.4f below the floor %.3f", r.F1, f1Floors[e])
			}
		})
	}
}

// BenchmarkExtract measures throughput on the benchmark pages; MB/s counts
// input HTML, pages/s whole pages.
func BenchmarkExtract(b *testing.B) {
	pages := benchmarkPages(b)
	for _, e := range []Extractor{Combined, Trafilatura, Readability} {
		b.Run(e.String(), func(b *testing.B) {
			var size int64
			for _, p := range pages {
				size += int64(len(p.HTML))
			}
			b.SetBytes(size / int64(len(pages)))
			n := 0
			for b.Loop() {
				p := pages[n%len(pages)]
				n++
				if _, err := Extract(p.HTML, Options{URL: p.URL, Extractor: e}); err != nil && !errors.Is(err, ErrNoContent) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// BenchmarkExtractSynthetic needs no shared data.
func BenchmarkExtractSynthetic(b *testing.B) {
	page := []byte(englishPage.html())
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		if _, err := Extract(page, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
