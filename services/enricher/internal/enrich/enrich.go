// Package enrich turns a raw article into an enriched article: text
// analysis, entity recognition, entity building, and stance.
package enrich

import (
	"time"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/entity"
	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/ner"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// Enricher enriches articles. It is safe for concurrent use.
type Enricher struct {
	rec     ner.Recognizer
	gz      *gazetteer.Gazetteer
	version string
	now     func() time.Time
}

// New returns an enricher stamping version into its events.
func New(rec ner.Recognizer, gz *gazetteer.Gazetteer, version string, now func() time.Time) *Enricher {
	return &Enricher{rec: rec, gz: gz, version: version, now: now}
}

// Version is the enricher version stamped into events.
func (e *Enricher) Version() string { return e.version }

// Result is an enriched article and what it took.
type Result struct {
	Article events.EnrichedArticle
	Tokens  int
}

// Enrich analyses a's body.
func (e *Enricher) Enrich(a events.RawArticle) Result {
	d := text.Analyze(a.Body)
	spans := e.rec.Recognize(d)
	ents := entity.Build(d, spans, e.gz)
	idx := text.NewRuneIndex(a.Body)
	out := events.EnrichedArticle{
		SchemaVersion:   events.SchemaVersion,
		Article:         a,
		EnricherVersion: e.version,
		EnrichedAt:      e.now().UTC(),
		Entities:        make([]events.Entity, 0, len(ents)),
	}
	for _, x := range ents {
		ev := events.Entity{
			Key: x.Key, Name: x.Name, Type: x.Type, Kind: x.Kind, Country: x.Country,
			Salience: x.Salience,
			Mentions: make([]events.Mention, len(x.Mentions)),
		}
		for i, m := range x.Mentions {
			ev.Mentions[i] = events.Mention{
				Span: events.Span{Start: idx.Rune(m.Start), End: idx.Rune(m.End)},
				Text: a.Body[m.Start:m.End],
			}
		}
		out.Entities = append(out.Entities, ev)
	}
	return Result{Article: out, Tokens: len(d.Tokens)}
}
