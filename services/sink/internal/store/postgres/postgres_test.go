package postgres_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/store/postgres"
	"github.com/newsflow/newsflow/services/sink/internal/store/storetest"
	"github.com/newsflow/newsflow/services/sink/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, pgtest.Start(t)) })
}

func BenchmarkUpsert(b *testing.B) {
	for _, bc := range []struct {
		name   string
		size   int
		replay bool
	}{{"new/batch=100", 100, false}, {"new/batch=1000", 1000, false}, {"replay/batch=100", 100, true}} {
		b.Run(bc.name, func(b *testing.B) {
			storetest.BenchUpsert(b, open(b, pgtest.Start(b)), bc.size, bc.replay)
		})
	}
}
