package events

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits that validation enforces. Stages refuse larger events as poison.
const (
	MaxBodyBytes   = 4 << 20
	MaxTitleBytes  = 4 << 10
	MaxSourceBytes = 128
	MaxEntities    = 5000
	MaxMentions    = 10000 // per entity
	MaxStances     = 5000
)

// FieldError names the field that breaks a rule of the contract.
type FieldError struct {
	Field   string // JSON path, such as "entities[3].mentions[0].end"
	Problem string
}

func (e *FieldError) Error() string {
	return "events: invalid event: " + e.Field + ": " + e.Problem
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// Validate checks a raw article against the contract.
func (a *RawArticle) Validate() error { return a.validate("") }

func (a *RawArticle) validate(prefix string) error {
	f := func(name string) string { return prefix + name }
	switch {
	case a.SchemaVersion != SchemaVersion:
		return invalid(f("schema_version"), "is %d, want %d", a.SchemaVersion, SchemaVersion)
	case !IsArticleID(a.ID):
		return invalid(f("id"), "%q is not 32 lower-case hex digits", clip(a.ID))
	case a.Source == "":
		return invalid(f("source"), "is empty")
	case len(a.Source) > MaxSourceBytes:
		return invalid(f("source"), "is %d bytes, the limit is %d", len(a.Source), MaxSourceBytes)
	case !slices.Contains([]string{KindFeed, KindSitemap, KindPage, KindDir, KindPush}, a.SourceKind):
		return invalid(f("source_kind"), "%q is not feed, sitemap, page, dir or push", clip(a.SourceKind))
	case a.URL != "" && !strings.HasPrefix(a.URL, "http://") && !strings.HasPrefix(a.URL, "https://"):
		return invalid(f("url"), "%q is not an http or https URL", clip(a.URL))
	case len(a.Title) > MaxTitleBytes:
		return invalid(f("title"), "is %d bytes, the limit is %d", len(a.Title), MaxTitleBytes)
	case strings.TrimSpace(a.Body) == "":
		return invalid(f("body"), "is empty")
	case len(a.Body) > MaxBodyBytes:
		return invalid(f("body"), "is %d bytes, the limit is %d", len(a.Body), MaxBodyBytes)
	case !utf8.ValidString(a.Body):
		return invalid(f("body"), "is not valid UTF-8")
	case !utf8.ValidString(a.Title):
		return invalid(f("title"), "is not valid UTF-8")
	case len(a.Language) > 16:
		return invalid(f("language"), "%q is not a language tag", clip(a.Language))
	case a.FetchedAt.IsZero():
		return invalid(f("fetched_at"), "is missing")
	case !isHex(a.ContentHash, 64):
		return invalid(f("content_hash"), "%q is not a lower-case hex SHA-256", clip(a.ContentHash))
	}
	return nil
}

// Validate checks an enriched article against the contract, including that
// every mention and sentence span lies inside the body.
func (e *EnrichedArticle) Validate() error {
	if e.SchemaVersion != SchemaVersion {
		return invalid("schema_version", "is %d, want %d", e.SchemaVersion, SchemaVersion)
	}
	if err := e.Article.validate("article."); err != nil {
		return err
	}
	if err := validateEnrichment(e.EnricherVersion, e.EnrichedAt.IsZero()); err != nil {
		return err
	}
	if len(e.Entities) > MaxEntities {
		return invalid("entities", "has %d entities, the limit is %d", len(e.Entities), MaxEntities)
	}
	if len(e.Stances) > MaxStances {
		return invalid("stances", "has %d stances, the limit is %d", len(e.Stances), MaxStances)
	}
	bodyLen := utf8.RuneCountInString(e.Article.Body)
	seen := make(map[string]bool, len(e.Entities))
	for i := range e.Entities {
		if err := e.Entities[i].validate(bodyLen); err != nil {
			return within(err, "entities[%d].", i)
		}
		if seen[e.Entities[i].Key] {
			return invalid(fmt.Sprintf("entities[%d].key", i), "%q appears twice", clip(e.Entities[i].Key))
		}
		seen[e.Entities[i].Key] = true
	}
	for i := range e.Stances {
		if err := e.Stances[i].validate(bodyLen); err != nil {
			return within(err, "stances[%d].", i)
		}
	}
	if e.Tone != nil && (*e.Tone < -100 || *e.Tone > 100 || *e.Tone != *e.Tone) {
		return invalid("tone", "%v is outside [-100, 100]", *e.Tone)
	}
	return nil
}

// Validate checks a mention event against the contract.
func (m *MentionEvent) Validate() error {
	switch {
	case m.SchemaVersion != SchemaVersion:
		return invalid("schema_version", "is %d, want %d", m.SchemaVersion, SchemaVersion)
	case !IsArticleID(m.ArticleID):
		return invalid("article_id", "%q is not 32 lower-case hex digits", clip(m.ArticleID))
	case m.Source == "":
		return invalid("source", "is empty")
	case m.URL != "" && !strings.HasPrefix(m.URL, "http://") && !strings.HasPrefix(m.URL, "https://"):
		return invalid("url", "%q is not an http or https URL", clip(m.URL))
	}
	if err := validateEnrichment(m.EnricherVersion, m.EnrichedAt.IsZero()); err != nil {
		return err
	}
	if err := m.Entity.validate(-1); err != nil {
		return within(err, "entity.")
	}
	for i := range m.Stances {
		if err := m.Stances[i].validate(-1); err != nil {
			return within(err, "stances[%d].", i)
		}
	}
	return nil
}

func validateEnrichment(version string, zeroTime bool) error {
	switch {
	case version == "":
		return invalid("enricher_version", "is empty")
	case len(version) > 128 || strings.ContainsAny(version, " \t\r\n"):
		return invalid("enricher_version", "%q must be at most 128 bytes without spaces", clip(version))
	case zeroTime:
		return invalid("enriched_at", "is missing")
	}
	return nil
}

// validate checks an entity; bodyLen < 0 skips the bounds check of spans.
func (x *Entity) validate(bodyLen int) error {
	typ, slug, ok := strings.Cut(x.Key, ":")
	switch {
	case !slices.Contains(EntityTypes, x.Type):
		return invalid("type", "%q is not person, organization, location or misc", clip(x.Type))
	case !ok || typ != x.Type || slug == "":
		return invalid("key", "%q is not \"%s:<slug>\"", clip(x.Key), x.Type)
	case strings.TrimSpace(x.Name) == "":
		return invalid("name", "is empty")
	case x.Kind != "" && x.Kind != PlaceCountry && x.Kind != PlaceCity && x.Kind != PlaceRegion:
		return invalid("kind", "%q is not country, city or region", clip(x.Kind))
	case x.Country != "" && !isCountryCode(x.Country):
		return invalid("country", "%q is not an ISO 3166-1 alpha-2 code", clip(x.Country))
	case len(x.Mentions) > MaxMentions:
		return invalid("mentions", "has %d mentions, the limit is %d", len(x.Mentions), MaxMentions)
	case !(x.Salience >= 0 && x.Salience <= 1):
		return invalid("salience", "%v is outside [0, 1]", x.Salience)
	}
	for j, m := range x.Mentions {
		if err := m.Span.validate(bodyLen); err != nil {
			return within(err, "mentions[%d].", j)
		}
	}
	if s := x.Sentiment; s != nil {
		if s.Polarity != Negative && s.Polarity != Neutral && s.Polarity != Positive {
			return invalid("sentiment.polarity", "%q is not negative, neutral or positive", clip(s.Polarity))
		}
		if !(s.Score >= -1 && s.Score <= 1) {
			return invalid("sentiment.score", "%v is outside [-1, 1]", s.Score)
		}
		for j, ev := range s.Evidence {
			if err := ev.validate(bodyLen); err != nil {
				return within(err, "sentiment.evidence[%d].", j)
			}
		}
	}
	return nil
}

func (s *Stance) validate(bodyLen int) error {
	switch {
	case s.Holder == "":
		return invalid("holder", "is empty")
	case s.Target == "":
		return invalid("target", "is empty")
	case s.Stance != Support && s.Stance != Oppose && s.Stance != NeutralStance:
		return invalid("stance", "%q is not support, oppose or neutral", clip(s.Stance))
	}
	if err := s.Sentence.validate(bodyLen); err != nil {
		return within(err, "sentence.")
	}
	return nil
}

func (s Span) validate(bodyLen int) error {
	if s.Start < 0 {
		return invalid("start", "%d is negative", s.Start)
	}
	if s.End <= s.Start {
		return invalid("end", "span [%d, %d) is empty", s.Start, s.End)
	}
	if bodyLen >= 0 && s.End > bodyLen {
		return invalid("end", "%d is past the end of the body (%d characters)", s.End, bodyLen)
	}
	return nil
}

func isCountryCode(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}

// within adds the path of the value in which a *FieldError was found to
// its field. Paths are built only for errors, so validating a valid event
// allocates nothing for them.
func within(err error, format string, args ...any) error {
	if fe, ok := err.(*FieldError); ok {
		fe.Field = fmt.Sprintf(format, args...) + fe.Field
	}
	return err
}

// clip shortens a value quoted in an error so a huge field cannot make a huge error.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
