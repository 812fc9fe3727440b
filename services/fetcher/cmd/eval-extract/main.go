// Command eval-extract scores the fetcher's article extraction on the
// extraction benchmark in the shared data (../shared/data/extraction, or
// $NEWSFLOW_SHARED_DATA/extraction), the way the benchmark's evaluate.py
// does, for each extractor.
//
//	go run ./cmd/eval-extract [-pages] [-extractor combined,trafilatura,readability] [-dump DIR]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/newsflow/newsflow/services/fetcher/internal/extract"
	"github.com/newsflow/newsflow/services/fetcher/internal/extract/evaluation"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "eval-extract:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("eval-extract", flag.ContinueOnError)
	var (
		dataDir    = fs.String("data", "", "extraction benchmark folder (default: <shared data>/extraction)")
		extractors = fs.String("extractor", "combined,trafilatura,readability", "comma-separated extractors to score")
		perPage    = fs.Bool("pages", false, "print per-page precision and recall")
		dump       = fs.String("dump", "", "write each extracted text to DIR/<extractor>/<id>.txt")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := *dataDir
	if dir == "" {
		shared, err := evaluation.SharedDataDir()
		if err != nil {
			return err
		}
		dir = filepath.Join(shared, "extraction")
	}
	pages, err := evaluation.LoadBenchmark(dir)
	if err != nil {
		return err
	}
	// Warm up (regex and language tables load on first use) so that the
	// first extractor's time is comparable.
	_, _ = extract.Extract(pages[0].HTML, extract.Options{URL: pages[0].URL})
	truths := make(map[string]string, len(pages))
	for _, p := range pages {
		truths[p.ID] = p.Body
	}
	fmt.Fprintf(out, "%d pages from %s\n\n", len(pages), dir)
	fmt.Fprintf(out, "| extractor | precision | recall | F1 | accuracy | empty | title | byline | published | language | canonical | ms/page |\n")
	fmt.Fprintf(out, "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	// Bootstrap spreads use a fixed seed: the same pages give the same ±.
	const resamples, seed = 1000, 2020
	var details strings.Builder
	for _, name := range strings.Split(*extractors, ",") {
		e, err := extract.ParseExtractor(strings.TrimSpace(name))
		if err != nil {
			return err
		}
		preds := make(map[string]string, len(pages))
		var title, byline, published, lang, canonical int
		langs := map[string]int{}
		start := time.Now()
		for _, p := range pages {
			art, err := extract.Extract(p.HTML, extract.Options{URL: p.URL, Extractor: e})
			if err != nil && !errors.Is(err, extract.ErrNoContent) {
				return fmt.Errorf("page %s: %w", p.ID, err)
			}
			preds[p.ID] = art.Text
			count(&title, art.Title != "")
			count(&byline, art.Byline != "")
			count(&published, art.PublishedAt != nil)
			count(&lang, art.Language != "")
			count(&canonical, art.CanonicalURL != "")
			langs[art.Language]++
			if *dump != "" {
				if err := write(filepath.Join(*dump, e.String(), p.ID+".txt"), art.Text); err != nil {
					return err
				}
			}
		}
		elapsed := time.Since(start)
		r, err := evaluation.Score(preds, truths)
		if err != nil {
			return err
		}
		empty := 0
		for _, pr := range r.Pages {
			count(&empty, pr.EmptyPrediction)
		}
		sp := r.Bootstrap(resamples, seed)
		fmt.Fprintf(out, "| %s | %.4f ± %.4f | %.4f ± %.4f | **%.4f ± %.4f** | %.3f | %d | %d | %d | %d | %d | %d | %.0f |\n",
			e, r.Precision, sp.Precision, r.Recall, sp.Recall, r.F1, sp.F1, r.Accuracy, empty, title, byline, published, lang, canonical,
			float64(elapsed.Milliseconds())/float64(len(pages)))
		fmt.Fprintf(&details, "\n%s languages: %v\n", e, langs)
		if *perPage {
			for _, pr := range r.Pages {
				fmt.Fprintf(&details, "  %s  P %.3f  R %.3f\n", pr.ID[:12], pr.Counts.Precision(), pr.Counts.Recall())
			}
		}
	}
	fmt.Fprint(out, details.String())
	return nil
}

func count(n *int, ok bool) {
	if ok {
		*n++
	}
}

func write(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
