// Package storetest is the test suite every store.Store implementation
// passes, with the fixtures and benchmarks that go with it.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// Open returns a new, empty store for one test; it closes the store when
// the test ends.
type Open func(t *testing.T) store.Store

// Run runs the suite against the stores that open returns.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"RoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"EmptyBatch", testEmptyBatch},
		{"Idempotent", testIdempotent},
		{"DuplicateInBatch", testDuplicateInBatch},
		{"NewerReplaces", testNewerReplaces},
		{"OlderIgnored", testOlderIgnored},
		{"SharedEntities", testSharedEntities},
		{"Stances", testStances},
		{"LargeBatch", testLargeBatch},
		{"Concurrent", testConcurrent},
		{"Rejected", testRejected},
		{"ContextCanceled", testContextCanceled},
		{"Stats", testStats},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func upsert(t *testing.T, s store.Store, b ...events.EnrichedArticle) {
	t.Helper()
	if err := s.Upsert(ctx(t), b); err != nil {
		t.Fatalf("Upsert(%d articles): %v", len(b), err)
	}
}

// Normalize returns a as a store gives it back: times in UTC to the
// microsecond, and nil for empty lists.
func Normalize(a events.EnrichedArticle) events.EnrichedArticle {
	tm := func(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
	a.EnrichedAt = tm(a.EnrichedAt)
	a.Article.FetchedAt = tm(a.Article.FetchedAt)
	if p := a.Article.PublishedAt; p != nil {
		t := tm(*p)
		a.Article.PublishedAt = &t
	}
	if len(a.Stances) == 0 {
		a.Stances = nil
	}
	if len(a.Entities) == 0 {
		a.Entities = nil
	}
	ents := slices.Clone(a.Entities)
	for i := range ents {
		if len(ents[i].Mentions) == 0 {
			ents[i].Mentions = nil
		}
		if s := ents[i].Sentiment; s != nil && len(s.Evidence) == 0 {
			c := *s
			c.Evidence = nil
			ents[i].Sentiment = &c
		}
	}
	a.Entities = ents
	return a
}

// mustGet fails the test unless the store holds want for want's ID.
func mustGet(t *testing.T, s store.Store, want events.EnrichedArticle) {
	t.Helper()
	got, err := s.Get(ctx(t), want.Article.ID)
	if err != nil {
		t.Fatalf("Get(%s): %v", want.Article.ID, err)
	}
	if w := Normalize(want); !reflect.DeepEqual(Normalize(got), w) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(w, "", " ")
		t.Fatalf("Get(%s) returned\n%s\nwant\n%s", want.Article.ID, gj, wj)
	}
}

func mustCount(t *testing.T, s store.Store, want int) {
	t.Helper()
	n, err := s.Count(ctx(t))
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	if n != want {
		t.Fatalf("Count = %d, want %d", n, want)
	}
}

func mustStats(t *testing.T, s store.Store) store.Stats {
	t.Helper()
	st, err := s.Stats(ctx(t))
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return st
}

// expectStats computes the Stats of a store holding exactly articles.
func expectStats(articles ...events.EnrichedArticle) store.Stats {
	var st store.Stats
	keys := map[string]bool{}
	for _, a := range articles {
		st.Articles++
		st.Mentions += len(a.Entities)
		st.Stances += len(a.Stances)
		for _, e := range a.Entities {
			keys[e.Key] = true
		}
		if t := a.EnrichedAt.UTC().Truncate(time.Microsecond); t.After(st.LastEnrichedAt) {
			st.LastEnrichedAt = t
		}
	}
	st.Entities = len(keys)
	return st
}

func testRoundTrip(t *testing.T, open Open) {
	noSentiment := Article(1, 0)
	for i := range noSentiment.Entities {
		noSentiment.Entities[i].Sentiment = nil
	}
	noEvidence := Article(2, 0)
	noEvidence.Entities[0].Sentiment = &events.Sentiment{Polarity: events.Negative, Score: -1}
	noEvidence.Tone = nil
	noEvidence.Article.PublishedAt = nil
	local := Article(3, 0) // times in a zone and with nanoseconds
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	local.EnrichedAt = local.EnrichedAt.In(zone).Add(789 * time.Nanosecond)
	p := local.Article.PublishedAt.In(zone)
	local.Article.PublishedAt = &p
	emptyLists := minimalArticle()
	emptyLists.Article.ID = events.ArticleIDFromContent("empty lists")
	emptyLists.Entities = []events.Entity{}
	emptyLists.Stances = []events.Stance{}
	extreme := Article(4, 0)
	zero := 0.0
	extreme.Tone = &zero
	extreme.Entities[0].Salience = 0
	extreme.Entities[1].Salience = math.SmallestNonzeroFloat64
	extreme.Entities[2].Sentiment = &events.Sentiment{Polarity: events.Positive, Score: 1.0 / 3}
	old := Article(5, 0)
	t0 := time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC)
	old.Article.PublishedAt = &t0
	old.EnrichedAt = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)

	huge := Article(6, 0)
	huge.Article.Body += strings.Repeat("Ünïcödé filler. ", (events.MaxBodyBytes-len(huge.Article.Body))/len("Ünïcödé filler. "))
	huge.Article.ContentHash = events.ContentHash(huge.Article.Body)

	tests := []struct {
		name string
		a    events.EnrichedArticle
	}{
		{"full", Article(0, 0)},
		{"body at the size limit", huge},
		{"minimal", minimalArticle()},
		{"empty lists", emptyLists},
		{"no sentiment", noSentiment},
		{"sentiment without evidence, no tone, no publication time", noEvidence},
		{"times in a zone with nanoseconds", local},
		{"extreme numbers", extreme},
		{"extreme times", old},
		{"unicode", unicodeArticle()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			upsert(t, s, tt.a)
			mustGet(t, s, tt.a)
			mustCount(t, s, 1)
			if got, want := mustStats(t, s), expectStats(tt.a); got != want {
				t.Errorf("Stats = %+v, want %+v", got, want)
			}
		})
	}
}

func testNotFound(t *testing.T, open Open) {
	s := open(t)
	upsert(t, s, Article(1, 0))
	_, err := s.Get(ctx(t), Article(2, 0).Article.ID)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of an absent article: err = %v, want ErrNotFound", err)
	}
	if store.IsTransient(err) {
		t.Errorf("IsTransient(%v) = true, want false", err)
	}
}

func testEmptyBatch(t *testing.T, open Open) {
	s := open(t)
	for _, b := range [][]events.EnrichedArticle{nil, {}} {
		if err := s.Upsert(ctx(t), b); err != nil {
			t.Fatalf("Upsert(%#v): %v", b, err)
		}
	}
	mustCount(t, s, 0)
	if got := mustStats(t, s); got != (store.Stats{}) {
		t.Errorf("Stats of an empty store = %+v", got)
	}
	ids, err := s.IDs(ctx(t))
	if err != nil || len(ids) != 0 {
		t.Errorf("IDs = %v, %v; want none", ids, err)
	}
}

func testIdempotent(t *testing.T, open Open) {
	s := open(t)
	b := Articles(0, 20, 1)
	upsert(t, s, b...)
	first := mustStats(t, s)
	upsert(t, s, b...)
	upsert(t, s, b[5:10]...)
	if got := mustStats(t, s); got != first {
		t.Errorf("Stats after replays = %+v, want %+v", got, first)
	}
	if want := expectStats(b...); first != want {
		t.Errorf("Stats = %+v, want %+v", first, want)
	}
	mustCount(t, s, len(b))
	for _, a := range b {
		mustGet(t, s, a)
	}
}

func testDuplicateInBatch(t *testing.T, open Open) {
	retitled := Article(1, 1)
	retitled.Article.Title = "Retitled"
	tests := []struct {
		name  string
		batch []events.EnrichedArticle
		want  events.EnrichedArticle
	}{
		{"older then newer", []events.EnrichedArticle{Article(1, 0), Article(1, 2)}, Article(1, 2)},
		{"newer then older", []events.EnrichedArticle{Article(1, 2), Article(1, 0)}, Article(1, 2)},
		{"same enrichment twice, last wins", []events.EnrichedArticle{Article(1, 1), retitled}, retitled},
		{"three times", []events.EnrichedArticle{Article(1, 1), Article(1, 3), Article(1, 2)}, Article(1, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			b := append([]events.EnrichedArticle{Article(0, 0)}, tt.batch...)
			b = append(b, Article(2, 0))
			upsert(t, s, b...)
			mustCount(t, s, 3)
			mustGet(t, s, tt.want)
			mustGet(t, s, Article(0, 0))
			if got, want := mustStats(t, s), expectStats(Article(0, 0), tt.want, Article(2, 0)); got != want {
				t.Errorf("Stats = %+v, want %+v", got, want)
			}
		})
	}
}

func testNewerReplaces(t *testing.T, open Open) {
	tests := []struct {
		name        string
		first, then events.EnrichedArticle
	}{
		{"later enriched_at", Article(7, 0), Article(7, 1)},
		{"much later, other entities", Article(7, 0), Article(7, 5)},
		{"same enriched_at, greater version", Article(7, 0), func() events.EnrichedArticle {
			a := Article(7, 1)
			a.EnrichedAt = Article(7, 0).EnrichedAt
			return a
		}()},
		{"same enrichment again, changed", Article(7, 0), func() events.EnrichedArticle {
			a := Article(7, 0)
			a.Article.Title = "Corrected"
			a.Entities = a.Entities[:1]
			a.Stances = nil
			return a
		}()},
		{"enrichment that finds nothing", Article(7, 0), func() events.EnrichedArticle {
			a := Article(7, 1)
			a.Entities, a.Stances = nil, nil
			return a
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			upsert(t, s, tt.first, Article(8, 0))
			upsert(t, s, tt.then)
			mustGet(t, s, tt.then)
			mustGet(t, s, Article(8, 0))
			mustCount(t, s, 2)
			st := mustStats(t, s)
			want := expectStats(tt.then, Article(8, 0))
			// Entities rows stay when no article mentions them any more.
			st.Entities, want.Entities = 0, 0
			if st != want {
				t.Errorf("Stats = %+v, want %+v", st, want)
			}
		})
	}
}

func testOlderIgnored(t *testing.T, open Open) {
	tests := []struct {
		name          string
		stored, older events.EnrichedArticle
	}{
		{"earlier enriched_at", Article(7, 2), Article(7, 1)},
		{"earlier enriched_at, greater version", Article(7, 2), func() events.EnrichedArticle {
			a := Article(7, 1)
			a.EnricherVersion = "enricher-9"
			return a
		}()},
		{"same enriched_at, lesser version", Article(7, 2), func() events.EnrichedArticle {
			a := Article(7, 1)
			a.EnrichedAt = Article(7, 2).EnrichedAt
			return a
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			upsert(t, s, tt.stored)
			before := mustStats(t, s)
			upsert(t, s, tt.older, Article(8, 0))
			mustGet(t, s, tt.stored)
			mustGet(t, s, Article(8, 0))
			if got, want := mustStats(t, s), expectStats(tt.stored, Article(8, 0)); got != want {
				t.Errorf("Stats = %+v, want %+v (before: %+v)", got, want, before)
			}
		})
	}
}

func testSharedEntities(t *testing.T, open Open) {
	s := open(t)
	a, b := Article(0, 0), Article(0+len(sharedEntities), 0) // the same shared entities
	a2 := Article(1, 0)
	a2.Entities[0].Name = "Renamed " + a2.Entities[0].Name // this article names it otherwise
	upsert(t, s, a, b)
	upsert(t, s, a2)
	mustGet(t, s, a)
	mustGet(t, s, b)
	mustGet(t, s, a2)
	if got, want := mustStats(t, s), expectStats(a, b, a2); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

func testStances(t *testing.T, open Open) {
	s := open(t)
	a := Article(3, 2) // three stances
	if len(a.Stances) != 3 {
		t.Fatalf("fixture has %d stances, want 3", len(a.Stances))
	}
	// Two identical stances in one article are two rows.
	a.Stances = append(a.Stances, a.Stances[0])
	upsert(t, s, a)
	mustGet(t, s, a)
	if st := mustStats(t, s); st.Stances != 4 {
		t.Errorf("Stats.Stances = %d, want 4", st.Stances)
	}
	b := Article(3, 3) // fewer stances
	upsert(t, s, b)
	mustGet(t, s, b)
	if st := mustStats(t, s); st.Stances != len(b.Stances) {
		t.Errorf("after re-enrichment Stats.Stances = %d, want %d", st.Stances, len(b.Stances))
	}
}

func testLargeBatch(t *testing.T, open Open) {
	s := open(t)
	b := Articles(0, 1000, 0)
	upsert(t, s, b...)
	mustCount(t, s, len(b))
	ids, err := s.IDs(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, len(b))
	for i, a := range b {
		want[i] = a.Article.ID
	}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("IDs differ from the IDs written")
	}
	for i := 0; i < len(b); i += 97 {
		mustGet(t, s, b[i])
	}
	if got, want := mustStats(t, s), expectStats(b...); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

// testConcurrent has writers upsert overlapping batches of different
// enrichments at once, in shuffled orders; each article must end with its
// newest enrichment, once.
func testConcurrent(t *testing.T, open Open) {
	s := open(t)
	const (
		writers  = 6
		articles = 60
		versions = 4
	)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for round := range 8 {
				from := r.IntN(articles - 20)
				b := Articles(from, from+20, (w+round)%versions)
				r.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
				if err := s.Upsert(ctx(t), b); err != nil {
					errs <- fmt.Errorf("writer %d, round %d: %w", w, round, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	// Find what was written: replay the writers' choices.
	newest := map[int]int{}
	for w := range writers {
		r := rand.New(rand.NewPCG(uint64(w), 1))
		for round := range 8 {
			from := r.IntN(articles - 20)
			r.Shuffle(20, func(int, int) {})
			for n := from; n < from+20; n++ {
				if v, ok := newest[n]; !ok || v < (w+round)%versions {
					newest[n] = (w + round) % versions
				}
			}
		}
	}
	mustCount(t, s, len(newest))
	var want []events.EnrichedArticle
	for n, v := range newest {
		want = append(want, Article(n, v))
		mustGet(t, s, Article(n, v))
	}
	if got, w := mustStats(t, s), expectStats(want...); got.Articles != w.Articles || got.Mentions != w.Mentions || got.Stances != w.Stances {
		t.Errorf("Stats = %+v, want %+v", got, w)
	}
}

func testRejected(t *testing.T, open Open) {
	bad := func(f func(*events.EnrichedArticle)) events.EnrichedArticle {
		a := Article(2, 0)
		f(&a)
		return a
	}
	tests := []struct {
		name string
		a    events.EnrichedArticle
	}{
		{"NUL in title", bad(func(a *events.EnrichedArticle) { a.Article.Title = "a\x00b" })},
		{"invalid UTF-8 in body", bad(func(a *events.EnrichedArticle) { a.Article.Body = "caf\xe9" })},
		{"no ID", bad(func(a *events.EnrichedArticle) { a.Article.ID = "" })},
		{"no enricher version", bad(func(a *events.EnrichedArticle) { a.EnricherVersion = "" })},
		{"no enriched_at", bad(func(a *events.EnrichedArticle) { a.EnrichedAt = time.Time{} })},
		{"year 10000", bad(func(a *events.EnrichedArticle) { a.Article.FetchedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) })},
		{"unknown entity type", bad(func(a *events.EnrichedArticle) { a.Entities[0].Type = "animal" })},
		{"entity key twice", bad(func(a *events.EnrichedArticle) { a.Entities[1].Key = a.Entities[0].Key })},
		{"unknown polarity", bad(func(a *events.EnrichedArticle) {
			a.Entities[0].Sentiment = &events.Sentiment{Polarity: "mixed"}
		})},
		{"NaN salience", bad(func(a *events.EnrichedArticle) { a.Entities[0].Salience = math.NaN() })},
		{"infinite tone", bad(func(a *events.EnrichedArticle) { inf := math.Inf(1); a.Tone = &inf })},
		{"unknown stance", bad(func(a *events.EnrichedArticle) { a.Stances[0].Stance = "admire" })},
		{"stance without holder", bad(func(a *events.EnrichedArticle) { a.Stances[0].Holder = "" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			b := []events.EnrichedArticle{Article(0, 0), Article(1, 0), tt.a, Article(3, 0)}
			err := s.Upsert(ctx(t), b)
			var ae *store.ArticleError
			switch {
			case err == nil:
				t.Fatal("Upsert accepted the batch")
			case store.IsTransient(err):
				t.Fatalf("IsTransient(%v) = true, want false", err)
			case !errors.Is(err, store.ErrRejected):
				t.Fatalf("err = %v, want ErrRejected", err)
			case !errors.As(err, &ae):
				t.Fatalf("err = %v, want an *ArticleError", err)
			case ae.Index != 2 || ae.ID != tt.a.Article.ID:
				t.Fatalf("ArticleError names article %d (%s), want 2 (%s)", ae.Index, ae.ID, tt.a.Article.ID)
			}
			mustCount(t, s, 0) // nothing of the batch
			// What the sink does next: the batch without the culprit.
			upsert(t, s, slices.Delete(b, ae.Index, ae.Index+1)...)
			mustCount(t, s, 3)
		})
	}
}

func testContextCanceled(t *testing.T, open Open) {
	s := open(t)
	upsert(t, s, Article(0, 0))
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	err := s.Upsert(c, Articles(1, 50, 0))
	if err == nil {
		t.Fatal("Upsert with a canceled context succeeded")
	}
	if !store.IsTransient(err) {
		t.Errorf("IsTransient(%v) = false, want true", err)
	}
	if _, err := s.Get(c, Article(0, 0).Article.ID); err == nil || !store.IsTransient(err) {
		t.Errorf("Get with a canceled context: err = %v, want a transient error", err)
	}
	if _, err := s.Count(c); err == nil {
		t.Error("Count with a canceled context succeeded")
	}
	if err := s.Ping(c); err == nil {
		t.Error("Ping with a canceled context succeeded")
	}
	// The store still works, and holds nothing of the canceled batch.
	mustCount(t, s, 1)
	mustGet(t, s, Article(0, 0))

	// A context that ends during a large write.
	c, cancel = context.WithCancel(ctx(t))
	go func() { time.Sleep(time.Millisecond); cancel() }() // the outcome may go either way
	err = s.Upsert(c, Articles(1000, 1500, 0))
	n, cerr := s.Count(ctx(t))
	switch {
	case cerr != nil:
		t.Fatal(cerr)
	case err == nil && n != 501, n != 1 && n != 501:
		// An error while committing may leave the outcome unknown to the
		// client, so an error with the batch written is allowed.
		t.Errorf("after Upsert returned %v, Count = %d: a batch must be written whole or not at all", err, n)
	case err != nil && !store.IsTransient(err):
		t.Errorf("IsTransient(%v) = false, want true", err)
	}
}

func testStats(t *testing.T, open Open) {
	s := open(t)
	b := append(Articles(0, 10, 1), unicodeArticle(), minimalArticle())
	upsert(t, s, b...)
	if got, want := mustStats(t, s), expectStats(b...); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	if err := s.Ping(ctx(t)); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
