// Package sqlite is the embedded SQLite store of the sink, the default when
// no PostgreSQL is configured. It needs no cgo (modernc.org/sqlite).
//
// The database runs in WAL mode: readers never block the writer. All writes
// of a process go through one connection; other processes writing the same
// file wait up to the busy timeout, then fail with a transient error.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/store/internal/batch"
	"github.com/newsflow/newsflow/services/sink/internal/store/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// timeLayout keeps times in UTC with a fixed width, so that text order is
// time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Store is a store.Store in an SQLite file.
type Store struct {
	w, r *sql.DB // w has one connection: the only writer of this process
	log  *slog.Logger

	busy time.Duration
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithLogger makes the store log to l; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithBusyTimeout sets how long a write waits for another process that
// holds the file's write lock; the default is 5s.
func WithBusyTimeout(d time.Duration) Option { return func(s *Store) { s.busy = d } }

// Open opens the database file at path, creating it if needed, and
// migrates its schema to the newest version.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	s := &Store{log: slog.New(slog.DiscardHandler), busy: 5 * time.Second}
	for _, o := range opts {
		o(s)
	}
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	name := "file:" + (&url.URL{Path: path}).EscapedPath()
	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", s.busy.Milliseconds()))
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", "synchronous(NORMAL)")
	w := url.Values{"_txlock": {"immediate"}, "_pragma": append([]string{"journal_mode(WAL)"}, common["_pragma"]...)}
	r := url.Values{"_pragma": append([]string{"query_only(1)"}, common["_pragma"]...)}

	var err error
	if s.w, err = sql.Open("sqlite", name+"?"+w.Encode()); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetConnMaxIdleTime(0)
	if err := s.migrate(ctx); err != nil {
		s.w.Close()
		return nil, err
	}
	// Readers open after the writer has switched the file to WAL.
	if s.r, err = sql.Open("sqlite", name+"?"+r.Encode()); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s.r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	all, err := migrate.Load(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	// BEGIN IMMEDIATE takes the file's write lock: a second process
	// migrating at once waits, then finds the migrations applied.
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TEXT NOT NULL) STRICT`); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return err
		}
		applied := map[int]bool{}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v] = true
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, m := range migrate.Pending(all, applied) {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.Version, m.Name, now()); err != nil {
				return err
			}
			s.log.InfoContext(ctx, "applied migration", "store", "sqlite", "migration", m.Name)
		}
		return nil
	})
	if err != nil {
		if c := classify(err); errors.Is(c, store.ErrUnavailable) {
			err = c // a failure of the database, not of the migration
		}
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// tx runs fn in a write transaction and commits it when fn returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Upsert implements store.Store.
func (s *Store) Upsert(ctx context.Context, b []events.EnrichedArticle) error {
	items, err := batch.Prepare(b)
	if err != nil || len(items) == 0 {
		return err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error { return write(ctx, tx, items) })
	if err == nil {
		return nil
	}
	err = classify(err)
	if !store.IsTransient(err) && len(items) > 1 {
		if located := batch.Locate(ctx, items, s.try); located != nil {
			return fmt.Errorf("sqlite: upsert: %w", located)
		}
	}
	return fmt.Errorf("sqlite: upsert: %w", err)
}

var errRollback = errors.New("rollback")

// try writes one article in a transaction that it rolls back.
func (s *Store) try(ctx context.Context, it batch.Item) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := write(ctx, tx, []batch.Item{it}); err != nil {
			return err
		}
		return errRollback
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return classify(err)
}

const (
	upsertArticleSQL = `INSERT INTO articles (id, url, source, source_kind, title, body, byline,
		language, published_at, fetched_at, content_hash, schema_version, enricher_version,
		enriched_at, tone, stored_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET
		url = excluded.url, source = excluded.source, source_kind = excluded.source_kind,
		title = excluded.title, body = excluded.body, byline = excluded.byline,
		language = excluded.language, published_at = excluded.published_at,
		fetched_at = excluded.fetched_at, content_hash = excluded.content_hash,
		schema_version = excluded.schema_version, enricher_version = excluded.enricher_version,
		enriched_at = excluded.enriched_at, tone = excluded.tone, updated_at = excluded.updated_at
	WHERE (excluded.enriched_at, excluded.enricher_version) >= (articles.enriched_at, articles.enricher_version)`
	upsertEntitySQL = `INSERT INTO entities (key, name, type, kind, country, named_at)
	VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (key) DO UPDATE SET
		name = excluded.name, kind = excluded.kind, country = excluded.country, named_at = excluded.named_at
	WHERE excluded.named_at > entities.named_at
		AND (entities.name, entities.kind, entities.country) IS NOT (excluded.name, excluded.kind, excluded.country)`
	insertMentionSQL = `INSERT INTO article_entities (article_id, entity_key, ord, name, kind, country,
		mention_count, mentions, salience, polarity, score, evidence, article_time)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertStanceSQL = `INSERT INTO stances (article_id, ord, holder, holder_name, target, target_name,
		stance, cue, sentence_start, sentence_end, article_time)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// write upserts the articles and, for those whose enrichment won, replaces
// their entities and stances.
func write(ctx context.Context, tx *sql.Tx, items []batch.Item) error {
	var stmts [6]*sql.Stmt
	for i, q := range []string{upsertArticleSQL, upsertEntitySQL, insertMentionSQL, insertStanceSQL,
		"DELETE FROM article_entities WHERE article_id = ?", "DELETE FROM stances WHERE article_id = ?"} {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		stmts[i] = st
	}
	article, entity, mention, stance, delMentions, delStances := stmts[0], stmts[1], stmts[2], stmts[3], stmts[4], stmts[5]

	stamp := now()
	won := make([]batch.Item, 0, len(items))
	for _, it := range items {
		e := &it.Enriched
		a := &e.Article
		var published *string
		if a.PublishedAt != nil {
			p := a.PublishedAt.Format(timeLayout)
			published = &p
		}
		res, err := article.ExecContext(ctx, a.ID, a.URL, a.Source, a.SourceKind, a.Title, a.Body,
			a.Byline, a.Language, published, a.FetchedAt.Format(timeLayout), a.ContentHash,
			e.SchemaVersion, e.EnricherVersion, e.EnrichedAt.Format(timeLayout), e.Tone, stamp, stamp)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			won = append(won, it)
		}
	}
	for _, e := range batch.EntityNames(won) {
		if _, err := entity.ExecContext(ctx, e.Key, e.Name, e.Type, e.Kind, e.Country, e.NamedAt.Format(timeLayout)); err != nil {
			return err
		}
	}
	for _, it := range won {
		id := it.Enriched.Article.ID
		at := batch.ArticleTime(&it.Enriched.Article).Format(timeLayout)
		if _, err := delMentions.ExecContext(ctx, id); err != nil {
			return err
		}
		if _, err := delStances.ExecContext(ctx, id); err != nil {
			return err
		}
		for j, x := range it.Enriched.Entities {
			ms, err := batch.Mentions(x.Mentions)
			if err != nil {
				return err
			}
			var polarity, evidence *string
			var score *float64
			if s := x.Sentiment; s != nil {
				ev, err := batch.Evidence(s.Evidence)
				if err != nil {
					return err
				}
				polarity, score, evidence = &s.Polarity, &s.Score, &ev
			}
			if _, err := mention.ExecContext(ctx, id, x.Key, j, x.Name, x.Kind, x.Country, len(x.Mentions),
				ms, x.Salience, polarity, score, evidence, at); err != nil {
				return err
			}
		}
		for j, x := range it.Enriched.Stances {
			if _, err := stance.ExecContext(ctx, id, j, x.Holder, x.HolderName, x.Target, x.TargetName,
				x.Stance, x.Cue, x.Sentence.Start, x.Sentence.End, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, id string) (events.EnrichedArticle, error) {
	// One read transaction: a snapshot that a concurrent write cannot tear.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return events.EnrichedArticle{}, fmt.Errorf("sqlite: get %q: %w", id, classify(err))
	}
	defer tx.Rollback()
	e, err := get(ctx, tx, id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return events.EnrichedArticle{}, fmt.Errorf("sqlite: get %q: %w", id, store.ErrNotFound)
	case err != nil:
		return events.EnrichedArticle{}, fmt.Errorf("sqlite: get %q: %w", id, classify(err))
	}
	return e, nil
}

func get(ctx context.Context, tx *sql.Tx, id string) (events.EnrichedArticle, error) {
	var e events.EnrichedArticle
	a := &e.Article
	var published sql.NullString
	var fetched, enriched string
	err := tx.QueryRowContext(ctx, `SELECT id, url, source, source_kind, title, body, byline, language,
			published_at, fetched_at, content_hash, schema_version, enricher_version, enriched_at, tone
		FROM articles WHERE id = ?`, id).Scan(&a.ID, &a.URL, &a.Source, &a.SourceKind, &a.Title,
		&a.Body, &a.Byline, &a.Language, &published, &fetched, &a.ContentHash, &e.SchemaVersion,
		&e.EnricherVersion, &enriched, &e.Tone)
	if err != nil {
		return e, err
	}
	a.SchemaVersion = e.SchemaVersion
	if a.FetchedAt, err = parseTime(fetched); err != nil {
		return e, err
	}
	if e.EnrichedAt, err = parseTime(enriched); err != nil {
		return e, err
	}
	if published.Valid {
		t, err := parseTime(published.String)
		if err != nil {
			return e, err
		}
		a.PublishedAt = &t
	}

	rows, err := tx.QueryContext(ctx, `SELECT ae.entity_key, ae.name, en.type, ae.kind, ae.country,
			ae.mentions, ae.salience, ae.polarity, ae.score, ae.evidence
		FROM article_entities ae JOIN entities en ON en.key = ae.entity_key
		WHERE ae.article_id = ? ORDER BY ae.ord`, id)
	if err != nil {
		return e, err
	}
	defer rows.Close()
	for rows.Next() {
		var x events.Entity
		var mentions []byte
		var polarity, evidence sql.NullString
		var score sql.NullFloat64
		if err := rows.Scan(&x.Key, &x.Name, &x.Type, &x.Kind, &x.Country, &mentions, &x.Salience,
			&polarity, &score, &evidence); err != nil {
			return e, err
		}
		if x.Mentions, err = batch.DecodeMentions(mentions); err != nil {
			return e, err
		}
		if polarity.Valid && score.Valid {
			x.Sentiment = &events.Sentiment{Polarity: polarity.String, Score: score.Float64}
			if x.Sentiment.Evidence, err = batch.DecodeEvidence([]byte(evidence.String)); err != nil {
				return e, err
			}
		}
		e.Entities = append(e.Entities, x)
	}
	if err := rows.Close(); err != nil {
		return e, err
	}

	srows, err := tx.QueryContext(ctx, `SELECT holder, holder_name, target, target_name, stance, cue,
			sentence_start, sentence_end
		FROM stances WHERE article_id = ? ORDER BY ord`, id)
	if err != nil {
		return e, err
	}
	defer srows.Close()
	for srows.Next() {
		var x events.Stance
		if err := srows.Scan(&x.Holder, &x.HolderName, &x.Target, &x.TargetName, &x.Stance, &x.Cue,
			&x.Sentence.Start, &x.Sentence.End); err != nil {
			return e, err
		}
		e.Stances = append(e.Stances, x)
	}
	return e, srows.Close()
}

// Count implements store.Store.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM articles").Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count: %w", classify(err))
	}
	return n, nil
}

// IDs implements store.Store.
func (s *Store) IDs(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id FROM articles ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("sqlite: ids: %w", classify(err))
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: ids: %w", classify(err))
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: ids: %w", classify(err))
	}
	return ids, nil
}

// Stats implements store.Store.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	var last sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM articles), (SELECT count(*) FROM entities),
		(SELECT count(*) FROM article_entities), (SELECT count(*) FROM stances),
		(SELECT max(enriched_at) FROM articles)`).Scan(&st.Articles, &st.Entities, &st.Mentions, &st.Stances, &last)
	if err != nil {
		return store.Stats{}, fmt.Errorf("sqlite: stats: %w", classify(err))
	}
	if last.Valid {
		if st.LastEnrichedAt, err = parseTime(last.String); err != nil {
			return store.Stats{}, fmt.Errorf("sqlite: stats: %w", err)
		}
	}
	return st, nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", classify(err))
	}
	if _, err := s.r.ExecContext(ctx, "SELECT 1 FROM schema_migrations LIMIT 1"); err != nil {
		return fmt.Errorf("sqlite: ping: %w", classify(err))
	}
	return nil
}

// Close implements store.Store. It checkpoints the WAL into the database file.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

func now() string { return time.Now().UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// classify wraps err in store.ErrRejected when SQLite blames the data (a
// constraint, a value too big or of the wrong type), and otherwise in
// store.ErrUnavailable: the file is locked or busy, I/O failed, the disk is
// full.
func classify(err error) error {
	if err == nil || store.IsTransient(err) || errors.Is(err, store.ErrRejected) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_RANGE:
			return fmt.Errorf("%w: %w", store.ErrRejected, err)
		}
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}
