package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newsflow/newsflow/pkg/events"

	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/store/postgres"
	"github.com/newsflow/newsflow/services/sink/internal/store/storetest"
	"github.com/newsflow/newsflow/services/sink/pgtest"
)

func execSQL(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryInt(t *testing.T, dsn, sql string) int {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	dsn := pgtest.Start(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), dsn)
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
	if n := queryInt(t, dsn, "SELECT count(*) FROM schema_migrations"); n != 1 {
		t.Errorf("schema_migrations has %d rows, want 1", n)
	}
}

func TestReopenKeepsData(t *testing.T) {
	dsn := pgtest.Start(t)
	s := open(t, dsn)
	a := storetest.Article(1, 0)
	if err := s.Upsert(t.Context(), []events.EnrichedArticle{a}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dsn)
	got, err := s.Get(t.Context(), a.Article.ID)
	if err != nil || got.Article.Title != a.Article.Title {
		t.Fatalf("after reopening, Get = %v, %v", got.Article.Title, err)
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
			dsn := pgtest.Start(t)
			s := open(t, dsn)
			execSQL(t, dsn, fmt.Sprintf(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN
					IF NEW.%s = '%s' THEN RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END IF;
					RETURN NEW;
				END $$;
				CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION refuse();`,
				tt.column, tt.value, tt.table))
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

func TestServerDownIsTransient(t *testing.T) {
	c := pgtest.NewCluster(t)
	dsn, err := pgtest.CreateDatabase(t.Context(), c.DSN(), "news")
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, dsn)
	if err := s.Upsert(t.Context(), storetest.Articles(0, 3, 0)); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err = s.Upsert(ctx, storetest.Articles(3, 6, 0))
	if err == nil || !store.IsTransient(err) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Upsert with the server down = %v, want ErrUnavailable", err)
	}
	if err := s.Ping(ctx); !store.IsTransient(err) {
		t.Errorf("Ping with the server down = %v, want a transient error", err)
	}
	if err := c.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The pool reconnects; the batch is retried as a sink would.
	if err := s.Upsert(t.Context(), storetest.Articles(3, 6, 0)); err != nil {
		t.Fatalf("Upsert after restart: %v", err)
	}
	if n, err := s.Count(t.Context()); n != 6 || err != nil {
		t.Errorf("Count = %d, %v; want 6", n, err)
	}
}

func TestOpenBadDSN(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := postgres.Open(ctx, "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"); err == nil || !store.IsTransient(err) {
		t.Errorf("Open of a closed port = %v, want a transient error", err)
	}
	if _, err := postgres.Open(ctx, "::not a dsn"); err == nil {
		t.Error("Open of a malformed DSN succeeded")
	}
}
