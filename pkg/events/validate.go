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
	case !utf8.ValidString(a.Body) || !utf8.ValidString(a.Title):
		return invalid(f("body"), "is not valid UTF-8")
	case len(a.Language) > 16:
		return invalid(f("language"), "%q is not a language tag", clip(a.Language))
	case a.FetchedAt.IsZero():
		return invalid(f("fetched_at"), "is missing")
	case len(a.ContentHash) != 64:
		return invalid(f("content_hash"), "is not a hex SHA-256")
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
		p := fmt.Sprintf("entities[%d].", i)
		if err := e.Entities[i].validate(p, bodyLen); err != nil {
			return err
		}
		if seen[e.Entities[i].Key] {
			return invalid(p+"key", "%q appears twice", clip(e.Entities[i].Key))
		}
		seen[e.Entities[i].Key] = true
	}
	for i := range e.Stances {
		if err := e.Stances[i].validate(fmt.Sprintf("stances[%d].", i), bodyLen); err != nil {
			return err
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
	}
	if err := validateEnrichment(m.EnricherVersion, m.EnrichedAt.IsZero()); err != nil {
		return err
	}
	if err := m.Entity.validate("entity.", -1); err != nil {
		return err
	}
	for i := range m.Stances {
		if err := m.Stances[i].validate(fmt.Sprintf("stances[%d].", i), -1); err != nil {
			return err
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
func (x *Entity) validate(p string, bodyLen int) error {
	typ, slug, ok := strings.Cut(x.Key, ":")
	switch {
	case !slices.Contains(EntityTypes, x.Type):
		return invalid(p+"type", "%q is not person, organization, location or misc", clip(x.Type))
	case !ok || typ != x.Type || slug == "":
		return invalid(p+"key", "%q is not \"%s:<slug>\"", clip(x.Key), x.Type)
	case strings.TrimSpace(x.Name) == "":
		return invalid(p+"name", "is empty")
	case x.Kind != "" && x.Kind != PlaceCountry && x.Kind != PlaceCity && x.Kind != PlaceRegion:
		return invalid(p+"kind", "%q is not country, city or region", clip(x.Kind))
	case len(x.Mentions) > MaxMentions:
		return invalid(p+"mentions", "has %d mentions, the limit is %d", len(x.Mentions), MaxMentions)
	case !(x.Salience >= 0 && x.Salience <= 1):
		return invalid(p+"salience", "%v is outside [0, 1]", x.Salience)
	}
	for j, m := range x.Mentions {
		if err := m.Span.validate(fmt.Sprintf("%smentions[%d].", p, j), bodyLen); err != nil {
			return err
		}
	}
	if s := x.Sentiment; s != nil {
		if s.Polarity != Negative && s.Polarity != Neutral && s.Polarity != Positive {
			return invalid(p+"sentiment.polarity", "%q is not negative, neutral or positive", clip(s.Polarity))
		}
		if !(s.Score >= -1 && s.Score <= 1) {
			return invalid(p+"sentiment.score", "%v is outside [-1, 1]", s.Score)
		}
		for j, ev := range s.Evidence {
			if err := ev.validate(fmt.Sprintf("%ssentiment.evidence[%d].", p, j), bodyLen); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Stance) validate(p string, bodyLen int) error {
	switch {
	case s.Holder == "":
		return invalid(p+"holder", "is empty")
	case s.Target == "":
		return invalid(p+"target", "is empty")
	case s.Stance != Support && s.Stance != Oppose && s.Stance != NeutralStance:
		return invalid(p+"stance", "%q is not support, oppose or neutral", clip(s.Stance))
	}
	return s.Sentence.validate(p+"sentence.", bodyLen)
}

func (s Span) validate(p string, bodyLen int) error {
	if s.Start < 0 || s.End <= s.Start {
		return invalid(p+"end", "span [%d, %d) is empty or negative", s.Start, s.End)
	}
	if bodyLen >= 0 && s.End > bodyLen {
		return invalid(p+"end", "%d is past the end of the body (%d characters)", s.End, bodyLen)
	}
	return nil
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
