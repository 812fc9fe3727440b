package main

import (
	"bytes"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/markusmobius/go-trafilatura"
	"github.com/newsflow/newsflow/services/fetcher/internal/extract"
	"github.com/newsflow/newsflow/services/fetcher/internal/extract/evaluation"
)

func main() {
	dir, err := evaluation.SharedDataDir()
	if err != nil {
		log.Fatal(err)
	}
	pages, err := evaluation.LoadBenchmark(filepath.Join(dir, "extraction"))
	if err != nil {
		log.Fatal(err)
	}
	truths := map[string]string{}
	for _, p := range pages {
		truths[p.ID] = p.Body
	}
	type cfg struct {
		name string
		fn   func(p evaluation.Page) string
	}
	traf := func(focus trafilatura.ExtractionFocus, fb bool) func(p evaluation.Page) string {
		return func(p evaluation.Page) string {
			u, _ := url.Parse(p.URL)
			r, err := trafilatura.Extract(bytes.NewReader(p.HTML), trafilatura.Options{OriginalURL: u, Focus: focus, EnableFallback: fb, ExcludeComments: true, HtmlDateMode: trafilatura.Disabled})
			if err != nil {
				return ""
			}
			return r.ContentText
		}
	}
	ext := func(e extract.Extractor) func(p evaluation.Page) string {
		return func(p evaluation.Page) string {
			a, _ := extract.Extract(p.HTML, extract.Options{URL: p.URL, Extractor: e})
			return a.Text
		}
	}
	cfgs := []cfg{
		{"x-traf", ext(extract.Trafilatura)},
		{"x-read", ext(extract.Readability)},
		{"x-comb", ext(extract.Combined)},
		{"traf-bal", traf(trafilatura.Balanced, false)},
		{"traf-bal-fb", traf(trafilatura.Balanced, true)},
		{"traf-rec", traf(trafilatura.FavorRecall, false)},
		{"traf-rec-fb", traf(trafilatura.FavorRecall, true)},
		{"traf-prec", traf(trafilatura.FavorPrecision, false)},
		{"traf-prec-fb", traf(trafilatura.FavorPrecision, true)},
		{"readability", func(p evaluation.Page) string {
			u, _ := url.Parse(p.URL)
			a, err := readability.FromReader(bytes.NewReader(p.HTML), u)
			if err != nil || a.Node == nil {
				return ""
			}
			var b strings.Builder
			a.RenderText(&b)
			return b.String()
		}},
	}
	only := os.Getenv("ONLY")
	for _, c := range cfgs {
		if only != "" && !strings.Contains(","+only+",", ","+c.name+",") {
			continue
		}
		preds := map[string]string{}
		for _, p := range pages {
			preds[p.ID] = c.fn(p)
		}
		if d := os.Getenv("DUMP"); d != "" {
			os.MkdirAll(filepath.Join(d, c.name), 0o755)
			for id, t := range preds {
				os.WriteFile(filepath.Join(d, c.name, id[:8]+".txt"), []byte(t), 0o644)
			}
		}
		r, err := evaluation.Score(preds, truths)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-14s P=%.4f R=%.4f F1=%.4f Acc=%.3f\n", c.name, r.Precision, r.Recall, r.F1, r.Accuracy)
		if os.Getenv("V") != "" {
			for _, pr := range r.Pages {
				fmt.Printf("   %s P=%.3f R=%.3f\n", pr.ID[:8], pr.Counts.Precision(), pr.Counts.Recall())
			}
		}
	}
}
