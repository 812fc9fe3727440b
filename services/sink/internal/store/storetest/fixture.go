package storetest

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/events"
)

// Base is the EnrichedAt of Article(n, 0); later versions are later.
var Base = time.Date(2024, 5, 1, 9, 30, 0, 123456000, time.UTC)

// sharedEntities appear across articles, so their rows are shared.
var sharedEntities = []events.Entity{
	{Key: "location:russia", Name: "Russia", Type: events.TypeLocation, Kind: events.PlaceCountry, Country: "RU"},
	{Key: "location:china", Name: "China", Type: events.TypeLocation, Kind: events.PlaceCountry, Country: "CN"},
	{Key: "location:moscow", Name: "Moscow", Type: events.TypeLocation, Kind: events.PlaceCity, Country: "RU"},
	{Key: "location:pakistan", Name: "Pakistan", Type: events.TypeLocation, Kind: events.PlaceCountry, Country: "PK"},
	{Key: "organization:taliban", Name: "Taliban", Type: events.TypeOrganization},
	{Key: "organization:united-nations", Name: "United Nations", Type: events.TypeOrganization},
	{Key: "person:sergey-lavrov", Name: "Sergey Lavrov", Type: events.TypePerson},
	{Key: "misc:afghan", Name: "Afghan", Type: events.TypeMisc},
}

// Article returns a valid enriched article, the same for the same
// arguments: n picks the article (its ID, text and entities) and version
// its enrichment. Higher versions are enriched later, under another
// enricher version, and find other entities, sentiments and stances, so a
// test can tell which enrichment is stored.
func Article(n, version int) events.EnrichedArticle {
	var body strings.Builder
	var ents []events.Entity
	var stances []events.Stance
	pos := 0 // in code points
	write := func(s string) (start, end int) {
		start = pos
		body.WriteString(s)
		pos += utf8.RuneCountInString(s)
		return start, pos
	}
	mention := func(e *events.Entity, name string) {
		s, end := write(name)
		e.Mentions = append(e.Mentions, events.Mention{Span: events.Span{Start: s, End: end}, Text: name})
	}
	// Three shared entities, rotating with n and version, and one of the
	// article's own.
	for k := range 3 {
		ents = append(ents, sharedEntities[(n+version+k*3)%len(sharedEntities)])
	}
	ents = append(ents, events.Entity{
		Key: fmt.Sprintf("person:reporter-%d", n), Name: fmt.Sprintf("Reporter %d", n), Type: events.TypePerson,
	})
	polarities := []string{events.Negative, events.Neutral, events.Positive}
	for i := range ents {
		e := &ents[i]
		sStart := pos
		write("On day " + fmt.Sprint(n) + ", ")
		mention(e, e.Name)
		write(" said it was ready to talk. ")
		mention(e, e.Name)
		write(" repeated it. ")
		e.Salience = float64(4-i) / 4
		if (n+version+i)%4 != 3 { // some entities have no sentiment
			p := polarities[(n+version+i)%3]
			e.Sentiment = &events.Sentiment{
				Polarity: p,
				Score:    map[string]float64{events.Negative: -0.625, events.Neutral: 0, events.Positive: 0.75}[p],
				Evidence: []events.Span{{Start: sStart, End: pos - 1}},
			}
		}
	}
	for i := 0; i+1 < len(ents) && i < 1+version%3; i++ {
		sStart := pos
		write(ents[i].Name + " urged " + ents[i+1].Name + " to act.")
		stances = append(stances, events.Stance{
			Holder: ents[i].Key, HolderName: ents[i].Name,
			Target: ents[i+1].Key, TargetName: ents[i+1].Name,
			Stance: []string{events.Support, events.Oppose, events.NeutralStance}[(n+i)%3],
			Cue:    "urged", Sentence: events.Span{Start: sStart, End: pos},
		})
		write(" ")
	}
	text := body.String()
	published := Base.Add(time.Duration(n) * time.Minute).Add(-time.Hour)
	tone := float64(n%21) - 10.5
	a := events.EnrichedArticle{
		SchemaVersion: events.SchemaVersion,
		Article: events.RawArticle{
			SchemaVersion: events.SchemaVersion,
			ID:            events.ArticleIDFromContent(fmt.Sprintf("storetest article %d", n)),
			Source:        []string{"reuters", "tass", "dawn"}[n%3],
			SourceKind:    events.KindFeed,
			URL:           fmt.Sprintf("https://news.example/%d", n),
			Title:         fmt.Sprintf("Article %d", n),
			Body:          text,
			Byline:        fmt.Sprintf("Reporter %d", n),
			Language:      "en",
			PublishedAt:   &published,
			FetchedAt:     Base.Add(time.Duration(n) * time.Minute),
			ContentHash:   events.ContentHash(text),
		},
		EnricherVersion: fmt.Sprintf("enricher-1.%d", version),
		EnrichedAt:      Base.Add(time.Duration(n)*time.Minute + time.Duration(version)*time.Hour),
		Entities:        ents,
		Stances:         stances,
		Tone:            &tone,
	}
	if err := a.Validate(); err != nil {
		panic(fmt.Sprintf("storetest: fixture %d/%d is invalid: %v", n, version, err))
	}
	return a
}

// Articles returns Article(from, version) ... Article(to-1, version).
func Articles(from, to, version int) []events.EnrichedArticle {
	out := make([]events.EnrichedArticle, 0, to-from)
	for n := from; n < to; n++ {
		out = append(out, Article(n, version))
	}
	return out
}

// Rows counts the rows an article adds to articles, article_entities and
// stances.
func Rows(a events.EnrichedArticle) int { return 1 + len(a.Entities) + len(a.Stances) }

// unicodeArticle has text in several scripts, with mentions whose
// code-point offsets differ from their byte offsets.
func unicodeArticle() events.EnrichedArticle {
	a := Article(9001, 0)
	body := "Москва — 🇷🇺 ✓ «Лавров» заявил: 中国 supports naïve café e\u0301 ﷺ العربية.\nSecond line\ttab."
	runes := []rune(body)
	span := func(s string) events.Span {
		i := strings.Index(body, s)
		start := utf8.RuneCountInString(body[:i])
		return events.Span{Start: start, End: start + utf8.RuneCountInString(s)}
	}
	a.Article.Body = body
	a.Article.Title = "Лавров: «中国» 🇷🇺"
	a.Article.Byline = "Ĳsbrand Ørsted"
	a.Article.ContentHash = events.ContentHash(body)
	a.Entities = []events.Entity{
		{Key: "location:moscow", Name: "Москва", Type: events.TypeLocation, Kind: events.PlaceCity, Country: "RU",
			Mentions: []events.Mention{{Span: span("Москва"), Text: "Москва"}}, Salience: 0.5,
			Sentiment: &events.Sentiment{Polarity: events.Neutral, Evidence: []events.Span{{Start: 0, End: len(runes)}}}},
		{Key: "person:sergey-lavrov", Name: "Лавров", Type: events.TypePerson,
			Mentions: []events.Mention{{Span: span("Лавров"), Text: "Лавров"}}, Salience: 1},
		{Key: "location:china", Name: "中国", Type: events.TypeLocation, Kind: events.PlaceCountry, Country: "CN",
			Mentions: []events.Mention{{Span: span("中国"), Text: "中国"}}, Salience: 0.25,
			Sentiment: &events.Sentiment{Polarity: events.Positive, Score: 0.5}},
	}
	a.Stances = []events.Stance{{
		Holder: "person:sergey-lavrov", HolderName: "Лавров", Target: "location:china", TargetName: "中国",
		Stance: events.Support, Cue: "заявил", Sentence: events.Span{Start: 0, End: len(runes)},
	}}
	return a
}

// minimalArticle has only what the contract requires.
func minimalArticle() events.EnrichedArticle {
	return events.EnrichedArticle{
		SchemaVersion: events.SchemaVersion,
		Article: events.RawArticle{
			SchemaVersion: events.SchemaVersion,
			ID:            events.ArticleIDFromContent("minimal"),
			Source:        "inbox",
			SourceKind:    events.KindDir,
			Body:          "Nothing happened.",
			FetchedAt:     Base,
			ContentHash:   events.ContentHash("Nothing happened."),
		},
		EnricherVersion: "enricher-0",
		EnrichedAt:      Base,
	}
}
