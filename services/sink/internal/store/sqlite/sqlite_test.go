package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/store/sqlite"
	"github.com/newsflow/newsflow/services/sink/internal/store/storetest"
)

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, filepath.Join(t.TempDir(), "news.db")) })
}

func BenchmarkUpsert(b *testing.B) {
	for _, bc := range []struct {
		name   string
		size   int
		replay bool
	}{{"new/batch=100", 100, false}, {"new/batch=1000", 1000, false}, {"replay/batch=100", 100, true}} {
		b.Run(bc.name, func(b *testing.B) {
			storetest.BenchUpsert(b, open(b, filepath.Join(b.TempDir(), "news.db")), bc.size, bc.replay)
		})
	}
}
