package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/store/sqlite"
	"github.com/newsflow/newsflow/services/sink/internal/store/storetest"
)

// raw opens the file without the store, as another program would.
func raw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "news.db")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Open: %v", err)
	}
	var n int
	if err := raw(t, path).QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != 1 {
		t.Errorf("schema_migrations has %d rows (%v), want 1", n, err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "news.db")
	s := open(t, path)
	b := storetest.Articles(0, 5, 0)
	if err := s.Upsert(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	if n, err := s.Count(t.Context()); n != 5 || err != nil {
		t.Fatalf("after reopening, Count = %d, %v; want 5", n, err)
	}
	var mode string
	if err := raw(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestPathWithOddCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "news #1?x=y&z %20.db")
	s := open(t, path)
	if err := s.Upsert(t.Context(), storetest.Articles(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at the path given: %v", err)
	}
	s = open(t, path)
	if n, _ := s.Count(t.Context()); n != 1 {
		t.Errorf("Count = %d after reopening %q, want 1", n, path)
	}
}

func TestLockedFileIsTransient(t *testing.T) {
	path := filepath.Join(t.TempDir(), "news.db")
	ctx := t.Context()
	s, err := sqlite.Open(ctx, path, sqlite.WithBusyTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other := raw(t, path)
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	err = s.Upsert(ctx, storetest.Articles(0, 3, 0))
	if !errors.Is(err, store.ErrUnavailable) || !store.IsTransient(err) {
		t.Fatalf("Upsert while another process writes = %v, want ErrUnavailable", err)
	}
	// Readers are not blocked by a writer.
	if _, err := s.Count(ctx); err != nil {
		t.Errorf("Count while another process writes: %v", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(ctx, storetest.Articles(0, 3, 0)); err != nil {
		t.Fatalf("Upsert once the lock is released: %v", err)
	}
}

// A value that the database refuses and the store's own checks let
// through must still be traced to its article.
func TestDatabaseRefusalNamesTheArticle(t *testing.T) {
	tests := []struct {
		name, table, column, value string
		poison                     func(*events.EnrichedArticle)
	}{
		{"article row", "articles", "title", "refused", func(a *events.EnrichedArticle) { a.Article.Title = "refused" }},
		{"entity row", "article_entities", "name", "Refused", func(a *events.EnrichedArticle) { a.Entities[1].Name = "Refused" }},
		{"stance row", "stances", "cue", "refused", func(a *events.EnrichedArticle) { a.Stances[0].Cue = "refused" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "news.db")
			s := open(t, path)
			if _, err := raw(t, path).Exec(fmt.Sprintf(`CREATE TRIGGER refuse BEFORE INSERT ON %s
				WHEN NEW.%s = '%s' BEGIN SELECT RAISE(ABORT, 'refused'); END`, tt.table, tt.column, tt.value)); err != nil {
				t.Fatal(err)
			}
			b := storetest.Articles(0, 6, 1)
			tt.poison(&b[4])
			err := s.Upsert(t.Context(), b)
			var ae *store.ArticleError
			if !errors.As(err, &ae) || ae.Index != 4 || !errors.Is(err, store.ErrRejected) || store.IsTransient(err) {
				t.Fatalf("Upsert = %v, want a permanent ArticleError for article 4", err)
			}
			if n, _ := s.Count(t.Context()); n != 0 {
				t.Errorf("Count = %d after a refused batch, want 0", n)
			}
		})
	}
}

func TestOpenFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := sqlite.Open(ctx, ""); err == nil {
		t.Error("Open of an empty path succeeded")
	}
	if _, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "missing", "dir", "news.db")); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}
