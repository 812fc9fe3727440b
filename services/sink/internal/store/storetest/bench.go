package storetest

import (
	"context"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// BenchUpsert measures Upsert of batches of size articles into s and
// reports articles/s and rows/s (rows of articles, article_entities and
// stances). With replay, every batch is one written before, as when a
// sink redelivers; otherwise every batch is of new articles.
func BenchUpsert(b *testing.B, s store.Store, size int, replay bool) {
	ctx := context.Background()
	if replay {
		batch := Articles(0, size, 0)
		if err := s.Upsert(ctx, batch); err != nil {
			b.Fatal(err)
		}
		run(b, s, func(int) []events.EnrichedArticle { return batch })
		return
	}
	next := 1_000_000
	run(b, s, func(int) []events.EnrichedArticle {
		batch := Articles(next, next+size, 0)
		next += size
		return batch
	})
}

func run(b *testing.B, s store.Store, batch func(int) []events.EnrichedArticle) {
	ctx := context.Background()
	articles, rows := 0, 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		bt := batch(i)
		for _, a := range bt {
			rows += Rows(a)
		}
		articles += len(bt)
		b.StartTimer()
		if err := s.Upsert(ctx, bt); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(articles)/sec, "articles/s")
	b.ReportMetric(float64(rows)/sec, "rows/s")
}
