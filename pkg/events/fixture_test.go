package events_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/events"
)

// The fixed values below are what the golden files hold. Changing them (or
// the encoding) changes the golden files: run go test -run Golden -update and
// review the diff, since consumers read these files as the contract.

const fixtureBody = "Russia’s Foreign Minister Sergey Lavrov urged the United Nations on Wednesday to convene a donors’ conference for Afghanistan as soon as possible. " +
	"Lavrov said the main burden should be borne by the countries whose troops were in Afghanistan for 20 years. " +
	"China, Pakistan and Türkiye backed the call at the talks in Moscow. " +
	"Washington declined to take part, citing technical reasons. " +
	"The Taliban welcomed the proposal."

const fixtureURL = "https://www.Example.com:443/world/2021/10/20/russia-urges-un-donor-conference/?utm_source=rss&utm_medium=feed#top"

// spanOf is the span, in code points, of the nth (from 1) occurrence of sub in s.
func spanOf(t testing.TB, s, sub string, nth int) events.Span {
	t.Helper()
	from := 0
	for n := 1; ; n++ {
		i := strings.Index(s[from:], sub)
		if i < 0 {
			t.Fatalf("spanOf: %q occurs fewer than %d times", sub, nth)
		}
		if n == nth {
			start := utf8.RuneCountInString(s[:from+i])
			return events.Span{Start: start, End: start + utf8.RuneCountInString(sub)}
		}
		from += i + len(sub)
	}
}

func mentionOf(t testing.TB, s, sub string, nth int) events.Mention {
	return events.Mention{Span: spanOf(t, s, sub, nth), Text: sub}
}

func fixtureRaw(t testing.TB) events.RawArticle {
	id, err := events.ArticleIDFromURL(fixtureURL)
	if err != nil {
		t.Fatal(err)
	}
	canonical, err := events.CanonicalURL(fixtureURL)
	if err != nil {
		t.Fatal(err)
	}
	published := time.Date(2021, 10, 20, 11, 30, 0, 0, time.FixedZone("", 3*3600))
	return events.RawArticle{
		SchemaVersion: events.SchemaVersion,
		ID:            id,
		Source:        "example-world",
		SourceKind:    events.KindFeed,
		URL:           canonical,
		Title:         "Russia urges UN donor conference for Afghanistan",
		Body:          fixtureBody,
		Byline:        "Staff reporter",
		Language:      "en",
		PublishedAt:   &published,
		FetchedAt:     time.Date(2021, 10, 20, 9, 14, 3, 512000000, time.UTC),
		ContentHash:   events.ContentHash(fixtureBody),
	}
}

func fixtureEnriched(t testing.TB) events.EnrichedArticle {
	b := fixtureBody
	sentence := func(first string) events.Span {
		// the sentence that starts with first and ends at the next ". " or the end
		i := strings.Index(b, first)
		if i < 0 {
			t.Fatalf("no sentence starts with %q", first)
		}
		end := strings.Index(b[i:], ". ")
		if end < 0 {
			end = len(b) - i
		} else {
			end++
		}
		return spanOf(t, b, b[i:i+end], 1)
	}
	s0, s1, s2, s3, s4 := sentence("Russia’s"), sentence("Lavrov said"), sentence("China,"), sentence("Washington"), sentence("The Taliban")
	tone := 1.35
	loc := func(name, kind, country string, salience float64, sent *events.Sentiment, ms ...events.Mention) events.Entity {
		return events.Entity{
			Key: events.EntityKey(events.TypeLocation, name), Name: name, Type: events.TypeLocation,
			Kind: kind, Country: country, Mentions: ms, Salience: salience, Sentiment: sent,
		}
	}
	lavrov := events.EntityKey(events.TypePerson, "Sergey Lavrov")
	return events.EnrichedArticle{
		SchemaVersion:   events.SchemaVersion,
		Article:         fixtureRaw(t),
		EnricherVersion: "enricher-0.3.1+gazetteer-2024.10",
		EnrichedAt:      time.Date(2021, 10, 20, 9, 14, 4, 101000000, time.UTC),
		Entities: []events.Entity{
			loc("Russia", events.PlaceCountry, "RU", 0.82,
				&events.Sentiment{Polarity: events.Neutral, Score: 0.05, Evidence: []events.Span{s0}},
				mentionOf(t, b, "Russia", 1)),
			{
				Key: lavrov, Name: "Sergey Lavrov", Type: events.TypePerson,
				Mentions: []events.Mention{mentionOf(t, b, "Sergey Lavrov", 1), mentionOf(t, b, "Lavrov", 2)},
				Salience: 0.91,
				Sentiment: &events.Sentiment{Polarity: events.Positive, Score: 0.35,
					Evidence: []events.Span{s2, s4}},
			},
			{
				Key: "organization:united-nations", Name: "United Nations", Type: events.TypeOrganization,
				Mentions:  []events.Mention{mentionOf(t, b, "United Nations", 1)},
				Salience:  0.64,
				Sentiment: &events.Sentiment{Polarity: events.Neutral, Score: 0},
			},
			loc("Afghanistan", events.PlaceCountry, "AF", 0.58,
				&events.Sentiment{Polarity: events.Negative, Score: -0.2, Evidence: []events.Span{s1}},
				mentionOf(t, b, "Afghanistan", 1), mentionOf(t, b, "Afghanistan", 2)),
			loc("China", events.PlaceCountry, "CN", 0.31,
				&events.Sentiment{Polarity: events.Positive, Score: 0.4, Evidence: []events.Span{s2}},
				mentionOf(t, b, "China", 1)),
			loc("Pakistan", events.PlaceCountry, "PK", 0.27, nil, mentionOf(t, b, "Pakistan", 1)),
			loc("Türkiye", events.PlaceCountry, "TR", 0.22, nil, mentionOf(t, b, "Türkiye", 1)),
			loc("Moscow", events.PlaceCity, "RU", 0.2, nil, mentionOf(t, b, "Moscow", 1)),
			loc("Washington", events.PlaceCity, "US", 0.35,
				&events.Sentiment{Polarity: events.Negative, Score: -0.45, Evidence: []events.Span{s3}},
				mentionOf(t, b, "Washington", 1)),
			{
				Key: "organization:taliban", Name: "Taliban", Type: events.TypeOrganization,
				Mentions:  []events.Mention{mentionOf(t, b, "Taliban", 1)},
				Salience:  0.3,
				Sentiment: &events.Sentiment{Polarity: events.Positive, Score: 0.5, Evidence: []events.Span{s4}},
			},
		},
		Stances: []events.Stance{
			{Holder: lavrov, HolderName: "Sergey Lavrov", Target: "organization:united-nations", TargetName: "United Nations",
				Stance: events.Support, Cue: "urged", Sentence: s0},
			{Holder: "location:china", HolderName: "China", Target: lavrov, TargetName: "Sergey Lavrov",
				Stance: events.Support, Cue: "backed", Sentence: s2},
			{Holder: "location:pakistan", HolderName: "Pakistan", Target: lavrov, TargetName: "Sergey Lavrov",
				Stance: events.Support, Cue: "backed", Sentence: s2},
			{Holder: "location:washington", HolderName: "Washington", Target: "location:russia", TargetName: "Russia",
				Stance: events.Oppose, Cue: "declined", Sentence: s3},
			{Holder: "organization:taliban", HolderName: "Taliban", Target: lavrov, TargetName: "Sergey Lavrov",
				Stance: events.Support, Cue: "welcomed", Sentence: s4},
		},
		Tone: &tone,
	}
}

// fixtureMention is the mention event of Sergey Lavrov in the fixture article.
func fixtureMention(t testing.TB) events.MentionEvent {
	e := fixtureEnriched(t)
	for _, m := range e.Mentions() {
		if m.Entity.Key == "person:sergey-lavrov" {
			return m
		}
	}
	t.Fatal("the fixture has no mention event of person:sergey-lavrov")
	return events.MentionEvent{}
}

// sameEvent reports whether two events are equal, taking two times as equal
// when they are the same instant written with the same UTC offset (a decoded
// time's *time.Location depends on the machine's local zone), and a nil
// slice as equal to an empty one (an omitted "stances" and "stances": []
// mean the same).
func sameEvent(a, b any) bool {
	return reflect.DeepEqual(normalTimes(a), normalTimes(b))
}

func normalTimes(v any) any {
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(deepCopy(reflect.ValueOf(v)))
	return rv.Interface()
}

var timeType = reflect.TypeFor[time.Time]()

// deepCopy copies v, replacing every time.Time by the same instant and
// offset in an anonymous fixed zone and every empty slice by nil.
func deepCopy(v reflect.Value) reflect.Value {
	switch {
	case v.Type() == timeType:
		t := v.Interface().(time.Time)
		_, off := t.Zone()
		return reflect.ValueOf(t.In(time.FixedZone("", off)))
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(deepCopy(v.Elem()))
		return p
	case v.Kind() == reflect.Slice:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			s.Index(i).Set(deepCopy(v.Index(i)))
		}
		return s
	case v.Kind() == reflect.Struct:
		s := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			s.Field(i).Set(deepCopy(v.Field(i)))
		}
		return s
	}
	return v
}

// gen makes random valid events: varied lengths, scripts, optional fields,
// time zones and spans, for the tests that check that the JSON Schema and
// Validate agree.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, 0x6e657773))} }

var genWords = []string{
	"the", "minister", "said", "talks", "Moscow", "Türkiye", "Kyiv", "São", "Paulo", "Москва",
	"北京", "東京", "café", "naïve", "O’Brien", "U.S.", "🙂", "ünïcödé", "Δελφοί", "القاهرة",
	"council", "2021", "e\u0301", "a*b", "x>y", "tab\there", "\u00a0", "\"quoted\"", `back\slash`,
	"<html>", "&amp;", "line\nbreak", "\u2028", "\x00nul",
}

func (g *gen) words(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString([]string{" ", " ", " ", "\n", "  ", "\t"}[g.r.IntN(6)])
		}
		b.WriteString(genWords[g.r.IntN(len(genWords))])
	}
	return b.String()
}

func (g *gen) time() time.Time {
	sec := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix() + g.r.Int64N(30*365*24*3600)
	t := time.Unix(sec, g.r.Int64N(1e9))
	switch g.r.IntN(3) {
	case 0:
		t = t.Truncate(time.Second)
	case 1:
		t = t.Truncate(time.Millisecond)
	}
	if g.r.IntN(2) == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", (g.r.IntN(26*4)-12*4)*15*60))
}

func (g *gen) span(bodyLen int) events.Span {
	start := g.r.IntN(bodyLen)
	return events.Span{Start: start, End: start + 1 + g.r.IntN(bodyLen-start)}
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) raw() events.RawArticle {
	body := g.words(1 + g.r.IntN(120))
	if strings.TrimSpace(body) == "" {
		body += " x"
	}
	a := events.RawArticle{
		SchemaVersion: events.SchemaVersion,
		ID:            events.ArticleIDFromContent(body),
		Source:        fmt.Sprintf("src-%d.%s", g.r.IntN(100), genWords[g.r.IntN(len(genWords))]),
		SourceKind:    []string{events.KindFeed, events.KindSitemap, events.KindPage, events.KindDir, events.KindPush}[g.r.IntN(5)],
		Title:         g.words(g.r.IntN(12)),
		Body:          body,
		FetchedAt:     g.time(),
		ContentHash:   events.ContentHash(body),
	}
	if len(a.Title) > events.MaxTitleBytes {
		a.Title = ""
	}
	if g.r.IntN(2) == 0 {
		a.URL = fmt.Sprintf("https://news%d.example/%s?p=%d", g.r.IntN(10), g.hex(8), g.r.IntN(1000))
		id, err := events.ArticleIDFromURL(a.URL)
		if err != nil {
			panic(err)
		}
		a.ID = id
	}
	if g.r.IntN(2) == 0 {
		a.Byline = g.words(1 + g.r.IntN(3))
	}
	if g.r.IntN(2) == 0 {
		a.Language = []string{"en", "ru", "zh-Hant-TW", "pt-BR", "x-klingon-16byte"}[g.r.IntN(5)]
	}
	if g.r.IntN(2) == 0 {
		p := g.time()
		a.PublishedAt = &p
	}
	return a
}

func (g *gen) entity(i, bodyLen int) events.Entity {
	typ := events.EntityTypes[g.r.IntN(len(events.EntityTypes))]
	name := fmt.Sprintf("%s %d", g.words(1+g.r.IntN(3)), i)
	e := events.Entity{
		Key:      events.EntityKey(typ, name),
		Name:     name,
		Type:     typ,
		Salience: []float64{0, 1, g.r.Float64()}[g.r.IntN(3)],
	}
	if typ == events.TypeLocation && g.r.IntN(2) == 0 {
		e.Kind = []string{events.PlaceCountry, events.PlaceCity, events.PlaceRegion}[g.r.IntN(3)]
		e.Country = string(rune('A'+g.r.IntN(26))) + string(rune('A'+g.r.IntN(26)))
	}
	switch n := g.r.IntN(6); n {
	case 0: // null
	default:
		e.Mentions = make([]events.Mention, n-1) // n == 1: []
		for j := range e.Mentions {
			e.Mentions[j] = events.Mention{Span: g.span(bodyLen), Text: g.words(1)}
		}
	}
	if g.r.IntN(2) == 0 {
		s := &events.Sentiment{
			Polarity: []string{events.Negative, events.Neutral, events.Positive}[g.r.IntN(3)],
			Score:    []float64{-1, 1, 0, 2*g.r.Float64() - 1}[g.r.IntN(4)],
		}
		for range g.r.IntN(3) {
			s.Evidence = append(s.Evidence, g.span(bodyLen))
		}
		e.Sentiment = s
	}
	return e
}

func (g *gen) enriched() events.EnrichedArticle {
	a := g.raw()
	bodyLen := utf8.RuneCountInString(a.Body)
	e := events.EnrichedArticle{
		SchemaVersion:   events.SchemaVersion,
		Article:         a,
		EnricherVersion: fmt.Sprintf("enricher-%d.%d+model-%s", g.r.IntN(5), g.r.IntN(20), []string{"α", "crf", "2024-11"}[g.r.IntN(3)]),
		EnrichedAt:      g.time(),
	}
	switch n := g.r.IntN(25); n {
	case 0: // null
	default:
		e.Entities = make([]events.Entity, n-1)
		for i := range e.Entities {
			e.Entities[i] = g.entity(i, bodyLen)
		}
	}
	for i := range g.r.IntN(8) {
		st := events.Stance{
			Holder: fmt.Sprintf("person:holder-%d", i), HolderName: g.words(1),
			Target: fmt.Sprintf("location:target-%d", i), TargetName: g.words(1),
			Stance: []string{events.Support, events.Oppose, events.NeutralStance}[g.r.IntN(3)],
			Cue:    g.words(1), Sentence: g.span(bodyLen),
		}
		e.Stances = append(e.Stances, st)
	}
	if g.r.IntN(2) == 0 {
		tone := []float64{-100, 100, 0, 200*g.r.Float64() - 100}[g.r.IntN(4)]
		e.Tone = &tone
	}
	return e
}

func (g *gen) mention() events.MentionEvent {
	for {
		e := g.enriched()
		if ms := e.Mentions(); len(ms) > 0 {
			return ms[g.r.IntN(len(ms))]
		}
	}
}
