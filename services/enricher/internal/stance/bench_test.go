package stance

import (
	"testing"

	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// BenchmarkAnalyze measures stance tagging of the sample article (entity
// sentiment, triples and tone), in tokens per second of one core.
func BenchmarkAnalyze(b *testing.B) {
	d, ents := sampleArticle(b)
	a := loadAnalyzer(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		a.Analyze(d, ents)
	}
	b.ReportMetric(float64(len(d.Tokens))*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkTokenize is the baseline: cutting the same article into
// sentences and tokens.
func BenchmarkTokenize(b *testing.B) {
	d, _ := sampleArticle(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		text.Analyze(d.Text)
	}
	b.ReportMetric(float64(len(d.Tokens))*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkClassifyRecord measures the NewsMTSC classifier per target.
func BenchmarkClassifyRecord(b *testing.B) {
	recs := synthetic(30)
	a := loadAnalyzer(b)
	var t tokens
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, r := range recs {
			a.classifyRecord(r, &t, nil)
		}
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "targets/s")
}
