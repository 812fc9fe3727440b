package events_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/events"
)

// benchArticle is a realistic enriched article: about 600 words, 20
// entities with 3 mentions each, sentiment with evidence, 10 stances.
func benchArticle(b *testing.B) events.EnrichedArticle {
	names := []struct{ typ, name string }{
		{events.TypeLocation, "Russia"}, {events.TypeLocation, "China"}, {events.TypeLocation, "Pakistan"},
		{events.TypeLocation, "India"}, {events.TypeLocation, "Iran"}, {events.TypeLocation, "Kazakhstan"},
		{events.TypeLocation, "Moscow"}, {events.TypeLocation, "Washington"}, {events.TypeLocation, "Afghanistan"},
		{events.TypeLocation, "Türkiye"}, {events.TypePerson, "Sergey Lavrov"}, {events.TypePerson, "Zamir Kabulov"},
		{events.TypePerson, "Abdul Salam Hanafi"}, {events.TypePerson, "Antony Blinken"}, {events.TypeOrganization, "United Nations"},
		{events.TypeOrganization, "Taliban"}, {events.TypeOrganization, "Security Council"}, {events.TypeOrganization, "World Bank"},
		{events.TypeMisc, "Moscow Format"}, {events.TypeMisc, "Soviet"},
	}
	filler := strings.Fields("the talks on Wednesday were held as officials said that aid to the country should not wait while its economy is close to collapse and the winter is near")
	var body strings.Builder
	var sentences []events.Span
	pos := 0 // in code points
	words := 0
	mentions := make([][]events.Mention, len(names))
	for s := 0; words < 600; s++ {
		start := pos
		write := func(w string) {
			if pos > start {
				body.WriteByte(' ')
				pos++
			}
			body.WriteString(w)
			pos += len([]rune(w))
			words += len(strings.Fields(w))
		}
		for i := range 12 {
			if i == 3 {
				k := s % len(names)
				m := events.Mention{Span: events.Span{Start: pos + 1, End: pos + 1 + len([]rune(names[k].name))}, Text: names[k].name}
				if pos == start {
					m.Start, m.End = pos, pos+len([]rune(names[k].name))
				}
				write(names[k].name)
				mentions[k] = append(mentions[k], m)
				continue
			}
			write(filler[(s*7+i)%len(filler)])
		}
		body.WriteString(".")
		pos++
		sentences = append(sentences, events.Span{Start: start, End: pos})
		body.WriteByte(' ')
		pos++
	}
	text := strings.TrimSpace(body.String())
	raw := events.RawArticle{
		SchemaVersion: events.SchemaVersion, ID: events.ArticleIDFromContent(text), Source: "bench",
		SourceKind: events.KindFeed, URL: "https://news.example.com/world/bench", Title: "A benchmark article",
		Body: text, Language: "en", FetchedAt: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), ContentHash: events.ContentHash(text),
	}
	e := events.EnrichedArticle{SchemaVersion: events.SchemaVersion, Article: raw, EnricherVersion: "bench-1", EnrichedAt: raw.FetchedAt.Add(time.Second)}
	for k, n := range names {
		e.Entities = append(e.Entities, events.Entity{
			Key: events.EntityKey(n.typ, n.name), Name: n.name, Type: n.typ, Mentions: mentions[k],
			Salience:  float64(len(names)-k) / float64(len(names)),
			Sentiment: &events.Sentiment{Polarity: events.Negative, Score: -0.25, Evidence: sentences[k : k+2]},
		})
	}
	for i := range 10 {
		h, g := e.Entities[10+i%4], e.Entities[i]
		e.Stances = append(e.Stances, events.Stance{Holder: h.Key, HolderName: h.Name, Target: g.Key, TargetName: g.Name,
			Stance: events.Oppose, Cue: "condemned", Sentence: sentences[i]})
	}
	tone := -2.5
	e.Tone = &tone
	if err := e.Validate(); err != nil {
		b.Fatal(err)
	}
	if w := len(strings.Fields(text)); w < 580 || w > 650 {
		b.Fatalf("benchmark article has %d words", w)
	}
	return e
}

func BenchmarkEncodeEnriched(b *testing.B) {
	e := benchArticle(b)
	data := mustEncode(b, e)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := events.Encode(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEnriched includes validation, as DecodeEnriched does.
func BenchmarkDecodeEnriched(b *testing.B) {
	data := mustEncode(b, benchArticle(b))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := events.DecodeEnriched(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateEnriched(b *testing.B) {
	e := benchArticle(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonicalURL(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := events.CanonicalURL(fmt.Sprintf("HTTPS://News.Example.com:443/world/./a/../story-%d/?utm_source=rss&b=2&a=1#c", i%64)); err != nil {
			b.Fatal(err)
		}
	}
}
