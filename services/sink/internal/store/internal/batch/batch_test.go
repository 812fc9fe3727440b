package batch_test

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/store/internal/batch"
	"github.com/newsflow/newsflow/services/sink/internal/store/storetest"
)

func TestPrepareKeepsNewestPerArticleSortedByID(t *testing.T) {
	a0, a1, a2 := storetest.Article(0, 0), storetest.Article(0, 1), storetest.Article(0, 2)
	b0, b1 := storetest.Article(1, 0), storetest.Article(1, 1)
	c := storetest.Article(2, 0)
	retitled := c
	retitled.Article.Title = "later in the batch"
	tests := []struct {
		name  string
		batch []events.EnrichedArticle
		want  map[string]int // article ID -> index in batch of the winner
	}{
		{"empty", nil, map[string]int{}},
		{"distinct", []events.EnrichedArticle{c, a0, b0}, map[string]int{c.Article.ID: 0, a0.Article.ID: 1, b0.Article.ID: 2}},
		{"newest wins whatever the order", []events.EnrichedArticle{a1, b1, a2, b0, a0},
			map[string]int{a0.Article.ID: 2, b0.Article.ID: 1}},
		{"on a tie the later wins", []events.EnrichedArticle{c, retitled}, map[string]int{c.Article.ID: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := batch.Prepare(tt.batch)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			var ids []string
			for _, it := range items {
				got[it.Enriched.Article.ID] = it.Index
				ids = append(ids, it.Enriched.Article.ID)
				if want := storetest.Normalize(tt.batch[it.Index]); !reflect.DeepEqual(it.Enriched, want) {
					t.Errorf("item %d is not batch[%d] normalised", it.Index, it.Index)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("winners = %v, want %v", got, tt.want)
			}
			if !slices.IsSorted(ids) {
				t.Errorf("items not sorted by ID: %v", ids)
			}
		})
	}
}

func TestPrepareNormalisesTimesWithoutTouchingTheCaller(t *testing.T) {
	a := storetest.Article(0, 0)
	zone := time.FixedZone("X", 3600)
	pub := time.Date(2024, 1, 2, 3, 4, 5, 123456789, zone)
	a.Article.PublishedAt = &pub
	a.EnrichedAt = pub.Add(time.Hour)
	items, err := batch.Prepare([]events.EnrichedArticle{a})
	if err != nil {
		t.Fatal(err)
	}
	got := items[0].Enriched
	if want := time.Date(2024, 1, 2, 2, 4, 5, 123456000, time.UTC); *got.Article.PublishedAt != want {
		t.Errorf("PublishedAt = %v, want %v", *got.Article.PublishedAt, want)
	}
	if got.EnrichedAt.Location() != time.UTC || got.EnrichedAt.Nanosecond()%1000 != 0 {
		t.Errorf("EnrichedAt = %v, want UTC microseconds", got.EnrichedAt)
	}
	if pub.Nanosecond() != 123456789 || pub.Location() != zone || a.Article.PublishedAt != &pub {
		t.Errorf("Prepare changed the caller's article")
	}
}

func TestCheck(t *testing.T) {
	mod := func(f func(a *events.EnrichedArticle)) events.EnrichedArticle {
		a := storetest.Article(5, 2)
		f(&a)
		return a
	}
	tests := []struct {
		name  string
		a     events.EnrichedArticle
		field string // in the error; empty when valid
	}{
		{"valid", storetest.Article(5, 2), ""},
		{"valid without optional fields", mod(func(a *events.EnrichedArticle) {
			a.Article.PublishedAt, a.Tone, a.Entities, a.Stances = nil, nil, nil, nil
		}), ""},
		{"NaN tone is the only tone refused", mod(func(a *events.EnrichedArticle) { v := math.NaN(); a.Tone = &v }), "tone"},
		{"bad ID", mod(func(a *events.EnrichedArticle) { a.Article.ID = "ABC" }), "article.id"},
		{"no source", mod(func(a *events.EnrichedArticle) { a.Article.Source = "" }), "article.source"},
		{"no fetched_at", mod(func(a *events.EnrichedArticle) { a.Article.FetchedAt = time.Time{} }), "article.fetched_at"},
		{"published before year 1", mod(func(a *events.EnrichedArticle) {
			p := time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC)
			a.Article.PublishedAt = &p
		}), "article.published_at"},
		{"NUL in byline", mod(func(a *events.EnrichedArticle) { a.Article.Byline = "\x00" }), "article.byline"},
		{"bad UTF-8 in mention", mod(func(a *events.EnrichedArticle) { a.Entities[1].Mentions[0].Text = "\xff" }), "entities[1].mentions[0].text"},
		{"NUL in cue", mod(func(a *events.EnrichedArticle) { a.Stances[0].Cue = "x\x00" }), "stances[0].cue"},
		{"empty entity key", mod(func(a *events.EnrichedArticle) { a.Entities[2].Key = "" }), "entities[2].key"},
		{"infinite score", mod(func(a *events.EnrichedArticle) {
			a.Entities[0].Sentiment = &events.Sentiment{Polarity: events.Positive, Score: math.Inf(-1)}
		}), "entities[0].sentiment.score"},
		{"no target", mod(func(a *events.EnrichedArticle) { a.Stances[1].Target = "" }), "stances[1].target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := batch.Check(&tt.a)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if !errors.Is(err, store.ErrRejected) {
				t.Fatalf("Check = %v, want ErrRejected", err)
			}
			if !strings.Contains(err.Error(), tt.field+" ") {
				t.Errorf("Check = %q, want it to name %s", err, tt.field)
			}
		})
	}
}

func TestPrepareNamesTheRefusedArticle(t *testing.T) {
	b := storetest.Articles(0, 4, 0)
	b[2].Entities[0].Type = "animal"
	_, err := batch.Prepare(b)
	var ae *store.ArticleError
	if !errors.As(err, &ae) || ae.Index != 2 || ae.ID != b[2].Article.ID {
		t.Fatalf("Prepare = %v, want an ArticleError for article 2", err)
	}
}

func TestEntityNamesNewestWins(t *testing.T) {
	at := func(n, h int, name string) batch.Item {
		a := storetest.Article(n, 0)
		a.EnrichedAt = storetest.Base.Add(time.Duration(h) * time.Hour)
		a.Entities = []events.Entity{{Key: "person:x", Name: name, Type: events.TypePerson}, {Key: "misc:a", Name: "A", Type: events.TypeMisc}}
		return batch.Item{Enriched: a}
	}
	got := batch.EntityNames([]batch.Item{at(0, 2, "New"), at(1, 1, "Old"), at(2, 2, "Tie, later")})
	if len(got) != 2 || got[0].Key != "misc:a" || got[1].Key != "person:x" {
		t.Fatalf("EntityNames = %+v, want misc:a then person:x", got)
	}
	if got[1].Name != "Tie, later" || !got[1].NamedAt.Equal(storetest.Base.Add(2*time.Hour)) {
		t.Errorf("person:x = %+v, want the name of the later of the newest", got[1])
	}
}

func TestArticleTime(t *testing.T) {
	a := storetest.Article(0, 0)
	if got := batch.ArticleTime(&a.Article); !got.Equal(*a.Article.PublishedAt) {
		t.Errorf("ArticleTime = %v, want the publication time %v", got, *a.Article.PublishedAt)
	}
	a.Article.PublishedAt = nil
	if got := batch.ArticleTime(&a.Article); !got.Equal(a.Article.FetchedAt) {
		t.Errorf("ArticleTime = %v, want the fetch time %v", got, a.Article.FetchedAt)
	}
}

func FuzzMentions(f *testing.F) {
	f.Add(0, 6, "Russia", 7, 9, "中国")
	f.Add(-1, 0, "", 1<<30, 1<<31, "\"\\\n\u2028")
	f.Fuzz(func(t *testing.T, s1, e1 int, t1 string, s2, e2 int, t2 string) {
		in := []events.Mention{{Span: events.Span{Start: s1, End: e1}, Text: t1}, {Span: events.Span{Start: s2, End: e2}, Text: t2}}
		enc, err := batch.Mentions(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := batch.DecodeMentions([]byte(enc))
		if err != nil {
			t.Fatalf("decode %s: %v", enc, err)
		}
		if len(out) != 2 || out[0].Span != in[0].Span || out[1].Span != in[1].Span {
			t.Fatalf("round trip of %+v gave %+v", in, out)
		}
		// Invalid UTF-8 is replaced by encoding/json; Check refuses it first.
		for i := range in {
			if isValid(in[i].Text) && out[i].Text != in[i].Text {
				t.Fatalf("text %q came back as %q", in[i].Text, out[i].Text)
			}
		}
	})
}

func isValid(s string) bool { return utf8.ValidString(s) }

// FuzzDecode feeds stored JSON columns that were damaged or written by
// another program: decoding must fail or succeed, never panic, and what
// decodes must encode again.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`[{"start":0,"end":6,"text":"Russia"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[{"start":"x"}]`))
	f.Add([]byte(`[{"start":1e400}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if ms, err := batch.DecodeMentions(data); err == nil {
			if _, err := batch.Mentions(ms); err != nil {
				t.Fatalf("decoded %q but cannot encode %+v: %v", data, ms, err)
			}
		}
		if spans, err := batch.DecodeEvidence(data); err == nil {
			if _, err := batch.Evidence(spans); err != nil {
				t.Fatalf("decoded %q but cannot encode %+v: %v", data, spans, err)
			}
		}
	})
}

// FuzzPrepare puts arbitrary text and numbers into an article: Prepare
// must not panic, and must refuse exactly what the databases would.
func FuzzPrepare(f *testing.F) {
	f.Add("title", "enricher-1", "person", "positive", 0.5, "support")
	f.Add("a\x00b", "", "animal", "mixed", math.NaN(), "")
	f.Add("\xff", "v 1", "misc", "neutral", math.Inf(1), "oppose")
	f.Fuzz(func(t *testing.T, title, version, typ, polarity string, score float64, stance string) {
		a := storetest.Article(1, 1)
		a.Article.Title, a.EnricherVersion = title, version
		a.Entities[0].Type = typ
		a.Entities[0].Sentiment = &events.Sentiment{Polarity: polarity, Score: score}
		a.Stances[0].Stance = stance
		_, err := batch.Prepare([]events.EnrichedArticle{a})
		valid := isValid(title) && isValid(version) && !strings.Contains(title+version, "\x00") &&
			version != "" && slices.Contains(events.EntityTypes, typ) &&
			slices.Contains([]string{events.Negative, events.Neutral, events.Positive}, polarity) &&
			!math.IsNaN(score) && !math.IsInf(score, 0) &&
			slices.Contains([]string{events.Support, events.Oppose, events.NeutralStance}, stance)
		if valid != (err == nil) {
			t.Fatalf("Prepare = %v, but the article is valid=%v", err, valid)
		}
		if err != nil && !errors.Is(err, store.ErrRejected) {
			t.Fatalf("Prepare = %v, want ErrRejected", err)
		}
	})
}
