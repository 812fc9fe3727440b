package events_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/events"
)

// A rule case breaks one rule of the contract in an otherwise valid event.
type ruleCase[T any] struct {
	name   string
	break_ func(*T)
	field  string // the FieldError.Field that Validate must name
	// decodeErr is what decoding the encoded event gives; nil means ErrInvalid.
	decodeErr error
	// schemaGap, when set, says why the JSON Schema cannot refuse the event:
	// the tests then check that it does accept it, so the gap stays known.
	schemaGap string
	// noJSON, when set, says why the event has no faithful JSON form.
	noJSON string
}

const gapSpans = "JSON Schema cannot compare a span's end with its start or with the body's length"
const gapBytes = "JSON Schema's maxLength counts characters, the Go limit counts UTF-8 bytes"
const gapUTF8 = "JSON carries only valid UTF-8"

var rawCases = []ruleCase[events.RawArticle]{
	{name: "schema version 2", break_: func(a *events.RawArticle) { a.SchemaVersion = 2 }, field: "schema_version", decodeErr: events.ErrSchemaVersion},
	{name: "schema version 0", break_: func(a *events.RawArticle) { a.SchemaVersion = 0 }, field: "schema_version", decodeErr: events.ErrDecode},
	{name: "empty id", break_: func(a *events.RawArticle) { a.ID = "" }, field: "id"},
	{name: "upper-case id", break_: func(a *events.RawArticle) { a.ID = strings.ToUpper(a.ID) }, field: "id"},
	{name: "short id", break_: func(a *events.RawArticle) { a.ID = a.ID[:31] }, field: "id"},
	{name: "non-hex id", break_: func(a *events.RawArticle) { a.ID = "g" + a.ID[1:] }, field: "id"},
	{name: "empty source", break_: func(a *events.RawArticle) { a.Source = "" }, field: "source"},
	{name: "source too long", break_: func(a *events.RawArticle) { a.Source = strings.Repeat("s", events.MaxSourceBytes+1) }, field: "source"},
	{name: "source too long in bytes only", break_: func(a *events.RawArticle) { a.Source = strings.Repeat("é", 65) }, field: "source", schemaGap: gapBytes},
	{name: "unknown source kind", break_: func(a *events.RawArticle) { a.SourceKind = "rss" }, field: "source_kind"},
	{name: "empty source kind", break_: func(a *events.RawArticle) { a.SourceKind = "" }, field: "source_kind"},
	{name: "ftp url", break_: func(a *events.RawArticle) { a.URL = "ftp://example.com/a" }, field: "url"},
	{name: "url without scheme", break_: func(a *events.RawArticle) { a.URL = "example.com/a" }, field: "url"},
	{name: "title too long", break_: func(a *events.RawArticle) { a.Title = strings.Repeat("t", events.MaxTitleBytes+1) }, field: "title"},
	{name: "title not UTF-8", break_: func(a *events.RawArticle) { a.Title = "caf\xe9" }, field: "title", noJSON: gapUTF8},
	{name: "empty body", break_: func(a *events.RawArticle) { a.Body = "" }, field: "body"},
	{name: "blank body", break_: func(a *events.RawArticle) { a.Body = " \n\t\r\v\f " }, field: "body"},
	{name: "body of unicode spaces", break_: func(a *events.RawArticle) { a.Body = "\u00a0\u2003\u3000\u2028\u0085" }, field: "body"},
	{name: "body too long", break_: func(a *events.RawArticle) { a.Body = strings.Repeat("ab", events.MaxBodyBytes/2) + "c" }, field: "body"},
	{name: "body too long in bytes only", break_: func(a *events.RawArticle) { a.Body = strings.Repeat("ж", events.MaxBodyBytes/2+1) }, field: "body", schemaGap: gapBytes},
	{name: "body not UTF-8", break_: func(a *events.RawArticle) { a.Body += "\xff" }, field: "body", noJSON: gapUTF8},
	{name: "language too long", break_: func(a *events.RawArticle) { a.Language = "en-GB-oxendict-xx" }, field: "language"},
	{name: "zero fetched_at", break_: func(a *events.RawArticle) { a.FetchedAt = time.Time{} }, field: "fetched_at"},
	{name: "empty content hash", break_: func(a *events.RawArticle) { a.ContentHash = "" }, field: "content_hash"},
	{name: "short content hash", break_: func(a *events.RawArticle) { a.ContentHash = a.ContentHash[:63] }, field: "content_hash"},
	{name: "upper-case content hash", break_: func(a *events.RawArticle) { a.ContentHash = strings.ToUpper(a.ContentHash) }, field: "content_hash"},
	{name: "non-hex content hash", break_: func(a *events.RawArticle) { a.ContentHash = strings.Repeat("z", 64) }, field: "content_hash"},
}

// entity 1 of the fixture is Sergey Lavrov, with two mentions and evidence.
var enrichedCases = []ruleCase[events.EnrichedArticle]{
	{name: "schema version 2", break_: func(e *events.EnrichedArticle) { e.SchemaVersion = 2 }, field: "schema_version", decodeErr: events.ErrSchemaVersion},
	{name: "empty enricher version", break_: func(e *events.EnrichedArticle) { e.EnricherVersion = "" }, field: "enricher_version"},
	{name: "enricher version with a space", break_: func(e *events.EnrichedArticle) { e.EnricherVersion = "v 1" }, field: "enricher_version"},
	{name: "enricher version with a newline", break_: func(e *events.EnrichedArticle) { e.EnricherVersion = "v1\n" }, field: "enricher_version"},
	{name: "enricher version too long", break_: func(e *events.EnrichedArticle) { e.EnricherVersion = strings.Repeat("v", 129) }, field: "enricher_version"},
	{name: "enricher version too long in bytes only", break_: func(e *events.EnrichedArticle) { e.EnricherVersion = strings.Repeat("α", 65) }, field: "enricher_version", schemaGap: gapBytes},
	{name: "zero enriched_at", break_: func(e *events.EnrichedArticle) { e.EnrichedAt = time.Time{} }, field: "enriched_at"},
	{name: "too many entities", break_: func(e *events.EnrichedArticle) {
		e.Entities = make([]events.Entity, events.MaxEntities+1)
		for i := range e.Entities {
			e.Entities[i] = events.Entity{Key: "misc:x", Name: "x", Type: events.TypeMisc}
		}
	}, field: "entities"},
	{name: "too many stances", break_: func(e *events.EnrichedArticle) {
		e.Stances = make([]events.Stance, events.MaxStances+1)
		for i := range e.Stances {
			e.Stances[i] = e.Stances[0]
		}
	}, field: "stances"},
	{name: "unknown entity type", break_: func(e *events.EnrichedArticle) { e.Entities[1].Type = "company" }, field: "entities[1].type"},
	{name: "empty entity type", break_: func(e *events.EnrichedArticle) { e.Entities[1].Type = "" }, field: "entities[1].type"},
	{name: "key without type", break_: func(e *events.EnrichedArticle) { e.Entities[1].Key = "sergey-lavrov" }, field: "entities[1].key"},
	{name: "key of another type", break_: func(e *events.EnrichedArticle) { e.Entities[1].Key = "location:sergey-lavrov" }, field: "entities[1].key"},
	{name: "key without slug", break_: func(e *events.EnrichedArticle) { e.Entities[1].Key = "person:" }, field: "entities[1].key"},
	{name: "empty name", break_: func(e *events.EnrichedArticle) { e.Entities[1].Name = "" }, field: "entities[1].name"},
	{name: "blank name", break_: func(e *events.EnrichedArticle) { e.Entities[1].Name = " \u00a0\t" }, field: "entities[1].name"},
	{name: "unknown place kind", break_: func(e *events.EnrichedArticle) { e.Entities[0].Kind = "continent" }, field: "entities[0].kind"},
	{name: "lower-case country", break_: func(e *events.EnrichedArticle) { e.Entities[0].Country = "ru" }, field: "entities[0].country"},
	{name: "alpha-3 country", break_: func(e *events.EnrichedArticle) { e.Entities[0].Country = "RUS" }, field: "entities[0].country"},
	{name: "too many mentions", break_: func(e *events.EnrichedArticle) {
		m := e.Entities[1].Mentions[0]
		e.Entities[1].Mentions = make([]events.Mention, events.MaxMentions+1)
		for i := range e.Entities[1].Mentions {
			e.Entities[1].Mentions[i] = m
		}
	}, field: "entities[1].mentions"},
	{name: "salience above 1", break_: func(e *events.EnrichedArticle) { e.Entities[1].Salience = 1.01 }, field: "entities[1].salience"},
	{name: "negative salience", break_: func(e *events.EnrichedArticle) { e.Entities[1].Salience = -0.01 }, field: "entities[1].salience"},
	{name: "NaN salience", break_: func(e *events.EnrichedArticle) { e.Entities[1].Salience = math.NaN() }, field: "entities[1].salience", noJSON: "JSON has no NaN"},
	{name: "mention start negative", break_: func(e *events.EnrichedArticle) { e.Entities[1].Mentions[1].Start = -1 }, field: "entities[1].mentions[1].start"},
	{name: "empty mention span", break_: func(e *events.EnrichedArticle) {
		e.Entities[1].Mentions[1].End = e.Entities[1].Mentions[1].Start
	}, field: "entities[1].mentions[1].end", schemaGap: gapSpans},
	{name: "reversed mention span", break_: func(e *events.EnrichedArticle) {
		e.Entities[1].Mentions[1].End = e.Entities[1].Mentions[1].Start - 1
	}, field: "entities[1].mentions[1].end", schemaGap: gapSpans},
	{name: "mention past the body", break_: func(e *events.EnrichedArticle) {
		e.Entities[1].Mentions[1].End = utf8.RuneCountInString(e.Article.Body) + 1
	}, field: "entities[1].mentions[1].end", schemaGap: gapSpans},
	{name: "mention past the body in code points, inside it in bytes", break_: func(e *events.EnrichedArticle) {
		e.Entities[1].Mentions[1].End = len(e.Article.Body) - 1 // the body has multi-byte characters
	}, field: "entities[1].mentions[1].end", schemaGap: gapSpans},
	{name: "unknown polarity", break_: func(e *events.EnrichedArticle) { e.Entities[1].Sentiment.Polarity = "mixed" }, field: "entities[1].sentiment.polarity"},
	{name: "score below -1", break_: func(e *events.EnrichedArticle) { e.Entities[1].Sentiment.Score = -1.5 }, field: "entities[1].sentiment.score"},
	{name: "evidence start negative", break_: func(e *events.EnrichedArticle) { e.Entities[1].Sentiment.Evidence[1].Start = -3 }, field: "entities[1].sentiment.evidence[1].start"},
	{name: "evidence past the body", break_: func(e *events.EnrichedArticle) { e.Entities[1].Sentiment.Evidence[1].End = 1 << 20 }, field: "entities[1].sentiment.evidence[1].end", schemaGap: gapSpans},
	{name: "duplicate entity key", break_: func(e *events.EnrichedArticle) { e.Entities[2] = e.Entities[1] }, field: "entities[2].key", schemaGap: "JSON Schema cannot say that one property is unique among array items"},
	{name: "empty stance holder", break_: func(e *events.EnrichedArticle) { e.Stances[3].Holder = "" }, field: "stances[3].holder"},
	{name: "empty stance target", break_: func(e *events.EnrichedArticle) { e.Stances[3].Target = "" }, field: "stances[3].target"},
	{name: "unknown stance", break_: func(e *events.EnrichedArticle) { e.Stances[3].Stance = "against" }, field: "stances[3].stance"},
	{name: "stance sentence start negative", break_: func(e *events.EnrichedArticle) { e.Stances[3].Sentence.Start = -1 }, field: "stances[3].sentence.start"},
	{name: "stance sentence past the body", break_: func(e *events.EnrichedArticle) { e.Stances[3].Sentence.End = 100000 }, field: "stances[3].sentence.end", schemaGap: gapSpans},
	{name: "tone above 100", break_: func(e *events.EnrichedArticle) { e.Tone = ptr(100.5) }, field: "tone"},
	{name: "tone below -100", break_: func(e *events.EnrichedArticle) { e.Tone = ptr(-101.0) }, field: "tone"},
	{name: "NaN tone", break_: func(e *events.EnrichedArticle) { e.Tone = ptr(math.NaN()) }, field: "tone", noJSON: "JSON has no NaN"},
}

var mentionCases = []ruleCase[events.MentionEvent]{
	{name: "schema version 0", break_: func(m *events.MentionEvent) { m.SchemaVersion = 0 }, field: "schema_version", decodeErr: events.ErrDecode},
	{name: "upper-case article id", break_: func(m *events.MentionEvent) { m.ArticleID = strings.ToUpper(m.ArticleID) }, field: "article_id"},
	{name: "empty source", break_: func(m *events.MentionEvent) { m.Source = "" }, field: "source"},
	{name: "mailto url", break_: func(m *events.MentionEvent) { m.URL = "mailto:desk@example.com" }, field: "url"},
	{name: "empty enricher version", break_: func(m *events.MentionEvent) { m.EnricherVersion = "" }, field: "enricher_version"},
	{name: "zero enriched_at", break_: func(m *events.MentionEvent) { m.EnrichedAt = time.Time{} }, field: "enriched_at"},
	{name: "unknown entity type", break_: func(m *events.MentionEvent) { m.Entity.Type = "company" }, field: "entity.type"},
	{name: "key of another type", break_: func(m *events.MentionEvent) { m.Entity.Key = "misc:sergey-lavrov" }, field: "entity.key"},
	{name: "mention start negative", break_: func(m *events.MentionEvent) { m.Entity.Mentions[0].Start = -1 }, field: "entity.mentions[0].start"},
	{name: "empty mention span", break_: func(m *events.MentionEvent) { m.Entity.Mentions[0].End = m.Entity.Mentions[0].Start }, field: "entity.mentions[0].end", schemaGap: gapSpans},
	{name: "salience above 1", break_: func(m *events.MentionEvent) { m.Entity.Salience = 2 }, field: "entity.salience"},
	{name: "unknown polarity", break_: func(m *events.MentionEvent) { m.Entity.Sentiment.Polarity = "" }, field: "entity.sentiment.polarity"},
	{name: "unknown stance", break_: func(m *events.MentionEvent) { m.Stances[1].Stance = "for" }, field: "stances[1].stance"},
	{name: "empty stance holder", break_: func(m *events.MentionEvent) { m.Stances[1].Holder = "" }, field: "stances[1].holder"},
}

func ptr[T any](v T) *T { return &v }

// checkFieldError checks that err is an ErrInvalid *FieldError naming field.
func checkFieldError(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one naming %s", field)
	}
	if !errors.Is(err, events.ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) is false", err)
	}
	var fe *events.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("%v is not a *FieldError", err)
	}
	if fe.Field != field {
		t.Errorf("FieldError.Field = %q, want %q (%v)", fe.Field, field, err)
	}
	if fe.Problem == "" || !strings.Contains(err.Error(), field) {
		t.Errorf("error %q should name the field and the problem", err)
	}
	if len(err.Error()) > 400 {
		t.Errorf("error is %d bytes long: values quoted in errors must be clipped", len(err.Error()))
	}
}

func TestValidateAcceptsFixtures(t *testing.T) {
	raw, enriched, mention := fixtureRaw(t), fixtureEnriched(t), fixtureMention(t)
	if err := raw.Validate(); err != nil {
		t.Errorf("raw: %v", err)
	}
	if err := enriched.Validate(); err != nil {
		t.Errorf("enriched: %v", err)
	}
	if err := mention.Validate(); err != nil {
		t.Errorf("mention: %v", err)
	}
}

func TestValidateRaw(t *testing.T) {
	for _, c := range rawCases {
		t.Run(c.name, func(t *testing.T) {
			a := fixtureRaw(t)
			c.break_(&a)
			checkFieldError(t, a.Validate(), c.field)

			// The same rule inside an enriched article names the nested field.
			e := fixtureEnriched(t)
			c.break_(&e.Article)
			checkFieldError(t, e.Validate(), "article."+c.field)
		})
	}
}

func TestValidateEnriched(t *testing.T) {
	for _, c := range enrichedCases {
		t.Run(c.name, func(t *testing.T) {
			e := fixtureEnriched(t)
			c.break_(&e)
			checkFieldError(t, e.Validate(), c.field)
		})
	}
}

func TestValidateMention(t *testing.T) {
	for _, c := range mentionCases {
		t.Run(c.name, func(t *testing.T) {
			m := fixtureMention(t)
			c.break_(&m)
			checkFieldError(t, m.Validate(), c.field)
		})
	}
}

// TestValidateMentionSpansUnbounded: a mention event carries no body, so its
// spans are checked for shape only.
func TestValidateMentionSpansUnbounded(t *testing.T) {
	m := fixtureMention(t)
	m.Entity.Mentions[0] = events.Mention{Span: events.Span{Start: 1 << 30, End: 1<<30 + 5}, Text: "far"}
	m.Stances[0].Sentence = events.Span{Start: 1 << 30, End: 1<<30 + 500}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateOptionalFields(t *testing.T) {
	e := fixtureEnriched(t)
	e.Article.URL, e.Article.Byline, e.Article.Language, e.Article.PublishedAt, e.Article.Title = "", "", "", nil, ""
	e.Entities[0].Kind, e.Entities[0].Country, e.Entities[0].Sentiment, e.Entities[0].Mentions = "", "", nil, nil
	e.Stances, e.Tone = nil, nil
	if err := e.Validate(); err != nil {
		t.Fatalf("optional fields left out: %v", err)
	}
	e.Entities = nil
	if err := e.Validate(); err != nil {
		t.Fatalf("no entities: %v", err)
	}
}

// TestDecodeRefusesBrokenRules: the rules hold on the wire too, so a
// consumer can rely on what Decode* returns.
func TestDecodeRefusesBrokenRules(t *testing.T) {
	for _, c := range rawCases {
		if c.noJSON != "" {
			continue
		}
		t.Run("raw/"+c.name, func(t *testing.T) {
			a := fixtureRaw(t)
			c.break_(&a)
			_, err := events.DecodeRaw(mustEncode(t, a))
			checkDecodeErr(t, err, c.decodeErr, c.field)
		})
	}
	for _, c := range enrichedCases {
		if c.noJSON != "" {
			continue
		}
		t.Run("enriched/"+c.name, func(t *testing.T) {
			e := fixtureEnriched(t)
			c.break_(&e)
			_, err := events.DecodeEnriched(mustEncode(t, e))
			checkDecodeErr(t, err, c.decodeErr, c.field)
		})
	}
	for _, c := range mentionCases {
		if c.noJSON != "" {
			continue
		}
		t.Run("mention/"+c.name, func(t *testing.T) {
			m := fixtureMention(t)
			c.break_(&m)
			_, err := events.DecodeMention(mustEncode(t, m))
			checkDecodeErr(t, err, c.decodeErr, c.field)
		})
	}
}

func checkDecodeErr(t *testing.T, err, want error, field string) {
	t.Helper()
	if want == nil {
		checkFieldError(t, err, field)
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("decode error %v, want %v", err, want)
	}
}

func mustEncode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := events.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
