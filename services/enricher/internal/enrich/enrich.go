// Package enrich turns a raw article into an enriched article: text
// analysis, entity recognition, entity building, and stance.
package enrich

import (
	"time"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/entity"
	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/ner"
	"github.com/newsflow/newsflow/services/enricher/internal/stance"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// Enricher enriches articles. It is safe for concurrent use.
type Enricher struct {
	rec     ner.Recognizer
	gz      *gazetteer.Gazetteer
	stance  *stance.Analyzer // nil: no stance
	version string
	now     func() time.Time
}

// New returns an enricher stamping version into its events. st may be nil.
func New(rec ner.Recognizer, gz *gazetteer.Gazetteer, st *stance.Analyzer, version string, now func() time.Time) *Enricher {
	return &Enricher{rec: rec, gz: gz, stance: st, version: version, now: now}
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
	span := func(start, end int) events.Span { return events.Span{Start: idx.Rune(start), End: idx.Rune(end)} }
	sentence := func(i int) events.Span { s := d.Sentences[i]; return span(s.Start, s.End) }

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
			ev.Mentions[i] = events.Mention{Span: span(m.Start, m.End), Text: a.Body[m.Start:m.End]}
		}
		out.Entities = append(out.Entities, ev)
	}
	if e.stance == nil {
		return Result{Article: out, Tokens: len(d.Tokens)}
	}

	res := e.stance.Analyze(d, ents)
	for i, s := range res.Sentiments {
		sent := &events.Sentiment{Polarity: s.Polarity, Score: s.Score}
		for _, si := range s.Evidence {
			sent.Evidence = append(sent.Evidence, sentence(si))
		}
		out.Entities[i].Sentiment = sent
	}
	for _, t := range res.Stances {
		st := events.Stance{
			Target: ents[t.Target].Key, TargetName: ents[t.Target].Name,
			Stance: t.Stance, Cue: t.Cue, Sentence: sentence(t.Sentence),
		}
		if t.Holder >= 0 {
			st.Holder, st.HolderName = ents[t.Holder].Key, ents[t.Holder].Name
		} else {
			// A holder that is not a named entity ("10 regional powers").
			st.Holder, st.HolderName = events.PhraseKey(t.HolderText), t.HolderText
		}
		if st.Holder == st.Target || st.Holder == events.PhraseKey("") {
			continue
		}
		out.Stances = append(out.Stances, st)
	}
	tone := res.Tone
	out.Tone = &tone
	return Result{Article: out, Tokens: len(d.Tokens)}
}
