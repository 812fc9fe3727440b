package enrich

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/shareddata"
	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/ner"
	"github.com/newsflow/newsflow/services/enricher/internal/stance"
)

func enrichers(tb testing.TB) (withStance, without *Enricher) {
	tb.Helper()
	gz, err := gazetteer.Load()
	if err != nil {
		tb.Fatal(err)
	}
	m, err := ner.Load(gz)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := stance.Load()
	if err != nil {
		tb.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	return New(m, gz, st, "test", now), New(m, gz, nil, "test", now)
}

func sampleArticle(tb testing.TB) events.RawArticle {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(shareddata.RequireSamples(tb), "moscow-talks-2021-10-20.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	body := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(b)), "date 2021-10-20"))
	return events.RawArticle{SchemaVersion: 1, ID: events.ArticleIDFromContent(body), Source: "t",
		SourceKind: events.KindDir, Title: "t", Body: body, FetchedAt: time.Now().UTC(),
		ContentHash: events.ContentHash(body)}
}

// The enriched event of the sample is valid, its offsets point at its
// mention texts, and the stance parts refer to its entities.
func TestEnrichSample(t *testing.T) {
	e, _ := enrichers(t)
	a := sampleArticle(t)
	out := e.Enrich(a).Article
	if err := out.Validate(); err != nil {
		t.Fatal(err)
	}
	runes := []rune(a.Body)
	keys := map[string]bool{}
	for _, ent := range out.Entities {
		keys[ent.Key] = true
		for _, m := range ent.Mentions {
			if string(runes[m.Start:m.End]) != m.Text {
				t.Errorf("%s: [%d,%d) is %q, not %q", ent.Key, m.Start, m.End, string(runes[m.Start:m.End]), m.Text)
			}
		}
	}
	if len(out.Stances) == 0 {
		t.Fatal("no stances")
	}
	for _, s := range out.Stances {
		if !keys[s.Target] || !keys[s.Holder] && !strings.HasPrefix(s.Holder, "phrase:") {
			t.Errorf("stance %+v refers to an entity the article does not have", s)
		}
		if sen := string(runes[s.Sentence.Start:s.Sentence.End]); !strings.Contains(sen, strings.Fields(s.Cue)[0]) {
			t.Errorf("stance cue %q is not in its sentence %q", s.Cue, sen)
		}
	}
}

// BenchmarkEnrich measures a whole enrichment of the sample article with
// and without stance: stance must add at most 30% (issue 5).
func BenchmarkEnrich(b *testing.B) {
	withStance, without := enrichers(b)
	a := sampleArticle(b)
	tokens := withStance.Enrich(a).Tokens
	for _, bc := range []struct {
		name string
		e    *Enricher
	}{{"entities", without}, {"entities+stance", withStance}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(a.Body)))
			for b.Loop() {
				bc.e.Enrich(a)
			}
			b.ReportMetric(float64(tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
