// Package batch holds what both store implementations do to a batch before
// and after they write it: check each article against the rules of the
// schema, keep the newest enrichment of each article, and find the article
// at fault when the database refuses a batch.
package batch

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// Item is an article to write with its position in the caller's batch.
type Item struct {
	Index    int
	Enriched events.EnrichedArticle
}

// Prepare checks every article of a batch and returns, for each article ID,
// the enrichment that wins (the newest by EnrichedAt then EnricherVersion,
// the later in the batch on a tie), sorted by ID so that concurrent writers
// take row locks in one order. Times are converted to UTC microseconds, the
// precision both databases keep. The caller's articles are not modified.
//
// A refused article makes Prepare return an *store.ArticleError wrapping
// store.ErrRejected.
func Prepare(b []events.EnrichedArticle) ([]Item, error) {
	win := make(map[string]int, len(b))
	items := make([]Item, 0, len(b))
	for i := range b {
		if err := Check(&b[i]); err != nil {
			return nil, &store.ArticleError{Index: i, ID: b[i].Article.ID, Err: err}
		}
		a := normalize(b[i])
		j, seen := win[a.Article.ID]
		if !seen {
			win[a.Article.ID] = len(items)
			items = append(items, Item{Index: i, Enriched: a})
			continue
		}
		if !Newer(items[j].Enriched, a) {
			items[j] = Item{Index: i, Enriched: a}
		}
	}
	slices.SortFunc(items, func(x, y Item) int { return strings.Compare(x.Enriched.Article.ID, y.Enriched.Article.ID) })
	return items, nil
}

// Newer reports whether enrichment a is strictly newer than b.
func Newer(a, b events.EnrichedArticle) bool {
	if c := a.EnrichedAt.Compare(b.EnrichedAt); c != 0 {
		return c > 0
	}
	return cmp.Compare(a.EnricherVersion, b.EnricherVersion) > 0
}

// Time converts t to the form the stores keep.
func Time(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normalize(a events.EnrichedArticle) events.EnrichedArticle {
	a.EnrichedAt = Time(a.EnrichedAt)
	a.Article.FetchedAt = Time(a.Article.FetchedAt)
	if p := a.Article.PublishedAt; p != nil {
		t := Time(*p)
		a.Article.PublishedAt = &t
	}
	return a
}

// Check reports, wrapped in store.ErrRejected, why the schema would refuse
// an article: a missing key or time, a time outside years 1 to 9999, text
// that is not UTF-8 or holds a NUL byte, an unknown entity type, polarity or
// stance, a number that is not finite, or an entity key twice.
func Check(a *events.EnrichedArticle) error {
	if err := check(a); err != nil {
		return fmt.Errorf("%w: %w", store.ErrRejected, err)
	}
	return nil
}

func check(a *events.EnrichedArticle) error {
	r := &a.Article
	switch {
	case !events.IsArticleID(r.ID):
		return fmt.Errorf("article.id %q is not an article ID", clip(r.ID))
	case r.Source == "":
		return fmt.Errorf("article.source is empty")
	case a.EnricherVersion == "":
		return fmt.Errorf("enricher_version is empty")
	case a.EnrichedAt.IsZero():
		return fmt.Errorf("enriched_at is missing")
	case r.FetchedAt.IsZero():
		return fmt.Errorf("article.fetched_at is missing")
	}
	if err := checkTime("enriched_at", a.EnrichedAt); err != nil {
		return err
	}
	if err := checkTime("article.fetched_at", r.FetchedAt); err != nil {
		return err
	}
	if r.PublishedAt != nil {
		if err := checkTime("article.published_at", *r.PublishedAt); err != nil {
			return err
		}
	}
	if err := checkTexts(
		"article.url", r.URL, "article.source", r.Source, "article.source_kind", r.SourceKind,
		"article.title", r.Title, "article.body", r.Body, "article.byline", r.Byline,
		"article.language", r.Language, "article.content_hash", r.ContentHash,
		"enricher_version", a.EnricherVersion,
	); err != nil {
		return err
	}
	if a.Tone != nil && !finite(*a.Tone) {
		return fmt.Errorf("tone is %v", *a.Tone)
	}
	keys := make(map[string]bool, len(a.Entities))
	for i := range a.Entities {
		if err := checkEntity(&a.Entities[i]); err != nil {
			return fmt.Errorf("entities[%d].%w", i, err)
		}
		if keys[a.Entities[i].Key] {
			return fmt.Errorf("entities[%d].key %q appears twice", i, clip(a.Entities[i].Key))
		}
		keys[a.Entities[i].Key] = true
	}
	for i := range a.Stances {
		if err := checkStance(&a.Stances[i]); err != nil {
			return fmt.Errorf("stances[%d].%w", i, err)
		}
	}
	return nil
}

func checkEntity(e *events.Entity) error {
	switch {
	case e.Key == "":
		return fmt.Errorf("key is empty")
	case !slices.Contains(events.EntityTypes, e.Type):
		return fmt.Errorf("type %q is not an entity type", clip(e.Type))
	case !finite(e.Salience):
		return fmt.Errorf("salience is %v", e.Salience)
	}
	if err := checkTexts("key", e.Key, "name", e.Name, "kind", e.Kind, "country", e.Country); err != nil {
		return err
	}
	for j, m := range e.Mentions {
		if err := checkTexts("text", m.Text); err != nil {
			return fmt.Errorf("mentions[%d].%w", j, err)
		}
	}
	if s := e.Sentiment; s != nil {
		switch s.Polarity {
		case events.Negative, events.Neutral, events.Positive:
		default:
			return fmt.Errorf("sentiment.polarity %q is not negative, neutral or positive", clip(s.Polarity))
		}
		if !finite(s.Score) {
			return fmt.Errorf("sentiment.score is %v", s.Score)
		}
	}
	return nil
}

func checkStance(s *events.Stance) error {
	switch {
	case s.Holder == "":
		return fmt.Errorf("holder is empty")
	case s.Target == "":
		return fmt.Errorf("target is empty")
	}
	switch s.Stance {
	case events.Support, events.Oppose, events.NeutralStance:
	default:
		return fmt.Errorf("stance %q is not support, oppose or neutral", clip(s.Stance))
	}
	return checkTexts("holder", s.Holder, "holder_name", s.HolderName, "target", s.Target,
		"target_name", s.TargetName, "cue", s.Cue)
}

func checkTime(name string, t time.Time) error {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("%s is in year %d, outside 1 to 9999", name, y)
	}
	return nil
}

// checkTexts checks pairs of field name and value.
func checkTexts(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		name, s := pairs[i], pairs[i+1]
		if !utf8.ValidString(s) {
			return fmt.Errorf("%s is not valid UTF-8", name)
		}
		if strings.IndexByte(s, 0) >= 0 {
			return fmt.Errorf("%s holds a NUL byte", name)
		}
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

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

// Locate finds the article that makes a batch fail permanently. It tries
// each item alone with try, which must leave no trace (write in a
// transaction it rolls back), and returns the first permanent failure as an
// *store.ArticleError. It returns a transient error as it is, and nil when
// every article passes alone.
func Locate(ctx context.Context, items []Item, try func(context.Context, Item) error) error {
	for _, it := range items {
		err := try(ctx, it)
		switch {
		case err == nil:
		case store.IsTransient(err):
			return err
		default:
			return &store.ArticleError{Index: it.Index, ID: it.Enriched.Article.ID, Err: err}
		}
	}
	return nil
}
