package batch

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/newsflow/newsflow/pkg/events"
)

// ArticleTime is the time charts use for an article: its publication time,
// or its fetch time when it has none. The schema computes the same value.
func ArticleTime(a *events.RawArticle) time.Time {
	if a.PublishedAt != nil {
		return Time(*a.PublishedAt)
	}
	return Time(a.FetchedAt)
}

// Mentions encodes mentions as the JSON of the event:
// [{"start":0,"end":6,"text":"Russia"}]. It never returns "null".
func Mentions(ms []events.Mention) (string, error) {
	if len(ms) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(ms)
	if err != nil {
		return "", fmt.Errorf("encode mentions: %w", err)
	}
	return string(b), nil
}

// Evidence encodes the evidence spans of a sentiment, [{"start":0,"end":9}].
func Evidence(spans []events.Span) (string, error) {
	if len(spans) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(spans)
	if err != nil {
		return "", fmt.Errorf("encode evidence: %w", err)
	}
	return string(b), nil
}

// DecodeMentions decodes what Mentions encoded; an empty list is nil.
func DecodeMentions(data []byte) ([]events.Mention, error) {
	var ms []events.Mention
	if err := json.Unmarshal(data, &ms); err != nil {
		return nil, fmt.Errorf("decode mentions: %w", err)
	}
	if len(ms) == 0 {
		return nil, nil
	}
	return ms, nil
}

// DecodeEvidence decodes what Evidence encoded; an empty list is nil.
func DecodeEvidence(data []byte) ([]events.Span, error) {
	var spans []events.Span
	if err := json.Unmarshal(data, &spans); err != nil {
		return nil, fmt.Errorf("decode evidence: %w", err)
	}
	if len(spans) == 0 {
		return nil, nil
	}
	return spans, nil
}

// EntityNames picks, for every entity key in items, the name, kind and
// country given by the newest enrichment, the later item on a tie, sorted
// by key.
func EntityNames(items []Item) []NamedEntity {
	idx := make(map[string]int)
	var out []NamedEntity
	for _, it := range items {
		for _, e := range it.Enriched.Entities {
			n := NamedEntity{Key: e.Key, Name: e.Name, Type: e.Type, Kind: e.Kind, Country: e.Country, NamedAt: it.Enriched.EnrichedAt}
			j, ok := idx[e.Key]
			switch {
			case !ok:
				idx[e.Key] = len(out)
				out = append(out, n)
			case !out[j].NamedAt.After(n.NamedAt):
				out[j] = n
			}
		}
	}
	slices.SortFunc(out, func(a, b NamedEntity) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// NamedEntity is a row of the entities table.
type NamedEntity struct {
	Key, Name, Type, Kind, Country string
	NamedAt                        time.Time
}
