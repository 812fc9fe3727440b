package entity

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/shareddata"
	"github.com/newsflow/newsflow/services/enricher/internal/ner"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// BenchmarkEntities runs the entity part of enrichment on raw text:
// tokenising and sentence splitting, tagging and building entities, over
// the texts of the CoNLL-2003 validation documents.
func BenchmarkEntities(b *testing.B) {
	dir := shareddata.Require(b)
	f, err := os.Open(filepath.Join(dir, "ner", "conll2003", "valid.txt"))
	if err != nil {
		b.Fatal(err)
	}
	docs, err := ner.ReadCoNLL(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	m, err := ner.Load(gz)
	if err != nil {
		b.Fatal(err)
	}
	tokens := 0
	for _, d := range docs {
		tokens += len(d.Doc.Tokens)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		for _, d := range docs {
			doc := text.Analyze(d.Doc.Text)
			Build(doc, m.Recognize(doc), gz)
		}
	}
	n := float64(tokens) * float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "tokens/s")
	if c := cpuTime() - cpu; c > 0 {
		b.ReportMetric(n/c.Seconds(), "tokens/cpu-s")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
