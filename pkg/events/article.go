package events

import "time"

// SchemaVersion is the version of the payloads this package encodes and decodes.
const SchemaVersion = 1

// Source kinds say what produced a raw article.
const (
	KindFeed    = "feed"
	KindSitemap = "sitemap"
	KindPage    = "page"
	KindDir     = "dir"
	KindPush    = "push"
)

// RawArticle is an article as the fetcher found it, published on
// news.raw.<source> with the article ID as Nats-Msg-Id.
type RawArticle struct {
	SchemaVersion int    `json:"schema_version"`
	ID            string `json:"id"`
	// Source is the ID of the configured source that produced the article.
	Source string `json:"source"`
	// SourceKind is one of the Kind constants.
	SourceKind string `json:"source_kind"`
	// URL is the canonical URL; empty for files and pushed text without one.
	URL         string     `json:"url,omitempty"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	Byline      string     `json:"byline,omitempty"`
	Language    string     `json:"language,omitempty"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	FetchedAt   time.Time  `json:"fetched_at"`
	// ContentHash is the hex SHA-256 of the normalised body (see ContentHash).
	ContentHash string `json:"content_hash"`
}

// EnrichedArticle is a raw article with what the enricher found in it,
// published on news.enriched.<source> with Msg-Id EnrichedMsgID(id, version).
type EnrichedArticle struct {
	SchemaVersion int        `json:"schema_version"`
	Article       RawArticle `json:"article"`
	// EnricherVersion names the enricher build and model versions that made
	// this event; the pair (Article.ID, EnricherVersion) identifies it.
	EnricherVersion string    `json:"enricher_version"`
	EnrichedAt      time.Time `json:"enriched_at"`
	Entities        []Entity  `json:"entities"`
	// Stances are holder -> target stances found in the text.
	Stances []Stance `json:"stances,omitempty"`
	// Tone is the document-level tone, GDELT style: the percentage of
	// positive words minus the percentage of negative words, in [-100, 100].
	Tone *float64 `json:"tone,omitempty"`
}

// Entity types as they appear in events and subjects.
const (
	TypePerson       = "person"
	TypeOrganization = "organization"
	TypeLocation     = "location"
	TypeMisc         = "misc"
)

// EntityTypes lists the valid entity types.
var EntityTypes = []string{TypePerson, TypeOrganization, TypeLocation, TypeMisc}

// Place kinds refine TypeLocation where the gazetteer links the entity.
const (
	PlaceCountry = "country"
	PlaceCity    = "city"
	PlaceRegion  = "region"
)

// Entity is one person, organisation, place or other name in an article,
// with all its mentions merged.
type Entity struct {
	// Key is stable across articles: "<type>:<slug of the canonical name>",
	// for example "location:russia" or "person:sergey-lavrov". See EntityKey.
	Key  string `json:"key"`
	Name string `json:"name"`
	Type string `json:"type"`
	// Kind is the place kind (country, city, region) for linked locations.
	Kind string `json:"kind,omitempty"`
	// Country is the ISO 3166-1 alpha-2 code of a linked place.
	Country  string    `json:"country,omitempty"`
	Mentions []Mention `json:"mentions"`
	// Salience in [0, 1] says how central the entity is to the article.
	Salience  float64    `json:"salience"`
	Sentiment *Sentiment `json:"sentiment,omitempty"`
}

// Mention is one occurrence of an entity in the body.
type Mention struct {
	Span
	Text string `json:"text"`
}

// Span is a range of the body in Unicode code points, End exclusive.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Polarities of an entity's treatment in an article.
const (
	Negative = "negative"
	Neutral  = "neutral"
	Positive = "positive"
)

// Sentiment is how the article treats an entity.
type Sentiment struct {
	Polarity string `json:"polarity"`
	// Score in [-1, 1]: negative below zero, positive above.
	Score float64 `json:"score"`
	// Evidence are the sentences that decided the polarity.
	Evidence []Span `json:"evidence,omitempty"`
}

// Stance values of a holder toward a target.
const (
	Support       = "support"
	Oppose        = "oppose"
	NeutralStance = "neutral"
)

// Stance says that a holder takes a stance toward a target, and where.
type Stance struct {
	// Holder is the key of the entity that takes the stance, or a
	// PhraseKey when the holder is not a named entity ("10 regional powers").
	Holder     string `json:"holder"`
	HolderName string `json:"holder_name"`
	Target     string `json:"target"` // entity key
	TargetName string `json:"target_name"`
	Stance     string `json:"stance"`
	// Cue is the word that carries the stance, such as "urged" or "condemned".
	Cue      string `json:"cue"`
	Sentence Span   `json:"sentence"`
}

// MentionEvent announces that an article mentions one entity. It is
// published on news.mentions.<type>.<slug> so consumers can follow one entity.
type MentionEvent struct {
	SchemaVersion   int        `json:"schema_version"`
	ArticleID       string     `json:"article_id"`
	Source          string     `json:"source"`
	URL             string     `json:"url,omitempty"`
	Title           string     `json:"title"`
	PublishedAt     *time.Time `json:"published_at,omitempty"`
	EnricherVersion string     `json:"enricher_version"`
	EnrichedAt      time.Time  `json:"enriched_at"`
	Entity          Entity     `json:"entity"`
	// Stances are the article's stances in which this entity is holder or target.
	Stances []Stance `json:"stances,omitempty"`
}

// Mentions builds one mention event per entity of an enriched article.
func (e *EnrichedArticle) Mentions() []MentionEvent {
	out := make([]MentionEvent, 0, len(e.Entities))
	for _, ent := range e.Entities {
		var st []Stance
		for _, s := range e.Stances {
			if s.Holder == ent.Key || s.Target == ent.Key {
				st = append(st, s)
			}
		}
		out = append(out, MentionEvent{
			SchemaVersion:   SchemaVersion,
			ArticleID:       e.Article.ID,
			Source:          e.Article.Source,
			URL:             e.Article.URL,
			Title:           e.Article.Title,
			PublishedAt:     e.Article.PublishedAt,
			EnricherVersion: e.EnricherVersion,
			EnrichedAt:      e.EnrichedAt,
			Entity:          ent,
			Stances:         st,
		})
	}
	return out
}
