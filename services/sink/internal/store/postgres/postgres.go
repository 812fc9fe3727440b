// Package postgres is the PostgreSQL store of the sink, for production and
// for Grafana, which reads its content tables directly.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/store/internal/batch"
	"github.com/newsflow/newsflow/services/sink/internal/store/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the key of the advisory lock that serialises migrations
// of one database across processes.
const migrationLock int64 = 0x6e657773666c6f77 // "newsflow"

// Store is a store.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithLogger makes the store log to l; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// Open connects to the database named by dsn (a URL or key=value string as
// libpq takes; pool_max_conns and the other pgxpool settings may be added)
// and migrates its schema to the newest version. Processes opening one
// database at once migrate it once.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	s := &Store{log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err) // not wrapped in ErrUnavailable: fix the DSN
	}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", classify(err))
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	all, err := migrate.Load(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, "SELECT version FROM schema_migrations")
		versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		applied := make(map[int]bool, len(versions))
		for _, v := range versions {
			applied[v] = true
		}
		for _, m := range migrate.Pending(all, applied) {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return err
			}
			s.log.InfoContext(ctx, "applied migration", "store", "postgres", "migration", m.Name)
		}
		return nil
	})
	if err != nil {
		if c := classify(err); errors.Is(c, store.ErrUnavailable) {
			err = c // a failure of the database, not of the migration
		}
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// Upsert implements store.Store.
func (s *Store) Upsert(ctx context.Context, b []events.EnrichedArticle) error {
	items, err := batch.Prepare(b)
	if err != nil || len(items) == 0 {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return write(ctx, tx, items) })
	if err == nil {
		return nil
	}
	err = classify(err)
	if !store.IsTransient(err) && len(items) > 1 {
		if located := batch.Locate(ctx, items, s.try); located != nil {
			return fmt.Errorf("postgres: upsert: %w", located)
		}
	}
	return fmt.Errorf("postgres: upsert: %w", err)
}

// errRollback ends a trial write.
var errRollback = errors.New("rollback")

// try writes one article in a transaction that it rolls back.
func (s *Store) try(ctx context.Context, it batch.Item) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
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

// write upserts the articles and, for those whose enrichment won, replaces
// their entities and stances. Items are sorted by ID and unique.
func write(ctx context.Context, tx pgx.Tx, items []batch.Item) error {
	var won []batch.Item
	var replaced []string
	for _, chunk := range chunks(items) {
		w, r, err := upsertArticles(ctx, tx, chunk)
		if err != nil {
			return err
		}
		won = append(won, w...)
		replaced = append(replaced, r...)
	}
	if len(won) == 0 {
		return nil
	}
	var q pgx.Batch
	// Only a replaced enrichment has child rows to remove; new articles,
	// the common case, skip the deletes.
	if len(replaced) > 0 {
		q.Queue("DELETE FROM article_entities WHERE article_id = ANY($1)", replaced)
		q.Queue("DELETE FROM stances WHERE article_id = ANY($1)", replaced)
	}
	if err := queueEntities(&q, won); err != nil {
		return err
	}
	queueStances(&q, won)
	return tx.SendBatch(ctx, &q).Close()
}

// maxChunkBytes bounds the text sent in one statement, far below the 1 GB
// limit of a PostgreSQL message, however large the batch's articles.
const maxChunkBytes = 64 << 20

// chunks splits items so that the title and body bytes of each part stay
// under maxChunkBytes, or each part is one article.
func chunks(items []batch.Item) [][]batch.Item {
	var out [][]batch.Item
	start, size := 0, 0
	for i, it := range items {
		n := len(it.Enriched.Article.Body) + len(it.Enriched.Article.Title)
		if i > start && size+n > maxChunkBytes {
			out = append(out, items[start:i])
			start, size = i, 0
		}
		size += n
	}
	return append(out, items[start:])
}

const upsertArticlesSQL = `
INSERT INTO articles AS a (id, url, source, source_kind, title, body, byline, language,
	published_at, fetched_at, content_hash, schema_version, enricher_version, enriched_at, tone)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
	$7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::integer[],
	$13::text[], $14::timestamptz[], $15::float8[])
ON CONFLICT (id) DO UPDATE SET
	url = excluded.url, source = excluded.source, source_kind = excluded.source_kind,
	title = excluded.title, body = excluded.body, byline = excluded.byline,
	language = excluded.language, published_at = excluded.published_at,
	fetched_at = excluded.fetched_at, content_hash = excluded.content_hash,
	schema_version = excluded.schema_version, enricher_version = excluded.enricher_version,
	enriched_at = excluded.enriched_at, tone = excluded.tone, updated_at = now()
WHERE (excluded.enriched_at, excluded.enricher_version) >= (a.enriched_at, a.enricher_version)
RETURNING id, xmax = 0 AS inserted`

// upsertArticles writes the article rows and returns the items whose
// enrichment is now the stored one, and the IDs among them that replaced an
// earlier enrichment (the others are new: they have no child rows yet).
func upsertArticles(ctx context.Context, tx pgx.Tx, items []batch.Item) (won []batch.Item, replaced []string, err error) {
	n := len(items)
	var (
		id, url, source, kind, title, body = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		byline, lang, hash, version        = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		published                          = make([]*time.Time, n)
		fetched, enriched                  = make([]time.Time, n), make([]time.Time, n)
		schema                             = make([]int32, n)
		tone                               = make([]*float64, n)
	)
	for i, it := range items {
		e := &it.Enriched
		a := &e.Article
		id[i], url[i], source[i], kind[i], title[i], body[i] = a.ID, a.URL, a.Source, a.SourceKind, a.Title, a.Body
		byline[i], lang[i], hash[i], version[i] = a.Byline, a.Language, a.ContentHash, e.EnricherVersion
		published[i], fetched[i], enriched[i] = a.PublishedAt, a.FetchedAt, e.EnrichedAt
		schema[i], tone[i] = int32(e.SchemaVersion), e.Tone
	}
	rows, _ := tx.Query(ctx, upsertArticlesSQL, id, url, source, kind, title, body, byline, lang,
		published, fetched, hash, schema, version, enriched, tone)
	type result struct {
		ID       string
		Inserted bool
	}
	res, err := pgx.CollectRows(rows, pgx.RowToStructByPos[result])
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[string]bool, len(res))
	for _, r := range res {
		byID[r.ID] = true
		if !r.Inserted {
			replaced = append(replaced, r.ID)
		}
	}
	won = make([]batch.Item, 0, len(res))
	for _, it := range items {
		if byID[it.Enriched.Article.ID] {
			won = append(won, it)
		}
	}
	return won, replaced, nil
}

func queueEntities(q *pgx.Batch, items []batch.Item) error {
	named := batch.EntityNames(items)
	n := len(named)
	key, name, typ, kind, country, at := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	for i, e := range named {
		key[i], name[i], typ[i], kind[i], country[i], at[i] = e.Key, e.Name, e.Type, e.Kind, e.Country, e.NamedAt
	}
	// New entities are inserted; known ones are renamed only when a newer
	// enrichment names them differently, so that the rows of busy entities
	// are not locked by every batch.
	q.Queue(`INSERT INTO entities (key, name, type, kind, country, named_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
		ON CONFLICT (key) DO NOTHING`, key, name, typ, kind, country, at)
	q.Queue(`UPDATE entities e SET name = u.name, kind = u.kind, country = u.country, named_at = u.named_at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS u(key, name, kind, country, named_at)
		WHERE e.key = u.key AND u.named_at > e.named_at
			AND (e.name, e.kind, e.country) IS DISTINCT FROM (u.name, u.kind, u.country)`,
		key, name, kind, country, at)

	var (
		article, entity, ename, ekind, ecountry, mentions []string
		ord, count                                        []int32
		salience                                          []float64
		polarity, evidence                                []*string
		score                                             []*float64
		when                                              []time.Time
	)
	for _, it := range items {
		t := batch.ArticleTime(&it.Enriched.Article)
		for j, e := range it.Enriched.Entities {
			m, err := batch.Mentions(e.Mentions)
			if err != nil {
				return err
			}
			var pol, ev *string
			var sc *float64
			if s := e.Sentiment; s != nil {
				evj, err := batch.Evidence(s.Evidence)
				if err != nil {
					return err
				}
				pol, sc, ev = &s.Polarity, &s.Score, &evj
			}
			article = append(article, it.Enriched.Article.ID)
			entity = append(entity, e.Key)
			ord = append(ord, int32(j))
			ename, ekind, ecountry = append(ename, e.Name), append(ekind, e.Kind), append(ecountry, e.Country)
			count = append(count, int32(len(e.Mentions)))
			mentions = append(mentions, m)
			salience = append(salience, e.Salience)
			polarity, score, evidence = append(polarity, pol), append(score, sc), append(evidence, ev)
			when = append(when, t)
		}
	}
	q.Queue(`INSERT INTO article_entities (article_id, entity_key, ord, name, kind, country,
			mention_count, mentions, salience, polarity, score, evidence, article_time)
		SELECT a, k, o, n, ki, c, mc, m::jsonb, s, p, sc, ev::jsonb, t
		FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[],
			$7::integer[], $8::text[], $9::float8[], $10::text[], $11::float8[], $12::text[],
			$13::timestamptz[]) AS u(a, k, o, n, ki, c, mc, m, s, p, sc, ev, t)`,
		article, entity, ord, ename, ekind, ecountry, count, mentions, salience, polarity, score, evidence, when)
	return nil
}

func queueStances(q *pgx.Batch, items []batch.Item) {
	var (
		article, holder, holderName, target, targetName, stance, cue []string
		ord, start, end                                              []int32
		when                                                         []time.Time
	)
	for _, it := range items {
		t := batch.ArticleTime(&it.Enriched.Article)
		for j, s := range it.Enriched.Stances {
			article = append(article, it.Enriched.Article.ID)
			ord = append(ord, int32(j))
			holder, holderName = append(holder, s.Holder), append(holderName, s.HolderName)
			target, targetName = append(target, s.Target), append(targetName, s.TargetName)
			stance, cue = append(stance, s.Stance), append(cue, s.Cue)
			start, end = append(start, int32(s.Sentence.Start)), append(end, int32(s.Sentence.End))
			when = append(when, t)
		}
	}
	if len(article) == 0 {
		return
	}
	q.Queue(`INSERT INTO stances (article_id, ord, holder, holder_name, target, target_name,
			stance, cue, sentence_start, sentence_end, article_time)
		SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::text[],
			$7::text[], $8::text[], $9::integer[], $10::integer[], $11::timestamptz[])`,
		article, ord, holder, holderName, target, targetName, stance, cue, start, end, when)
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, id string) (events.EnrichedArticle, error) {
	var e events.EnrichedArticle
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			var err error
			e, err = get(ctx, tx, id)
			return err
		})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return events.EnrichedArticle{}, fmt.Errorf("postgres: get %q: %w", id, store.ErrNotFound)
	case err != nil:
		return events.EnrichedArticle{}, fmt.Errorf("postgres: get %q: %w", id, classify(err))
	}
	return e, nil
}

func get(ctx context.Context, tx pgx.Tx, id string) (events.EnrichedArticle, error) {
	var e events.EnrichedArticle
	a := &e.Article
	var schema int32
	err := tx.QueryRow(ctx, `SELECT id, url, source, source_kind, title, body, byline, language,
			published_at, fetched_at, content_hash, schema_version, enricher_version, enriched_at, tone
		FROM articles WHERE id = $1`, id).Scan(&a.ID, &a.URL, &a.Source, &a.SourceKind, &a.Title,
		&a.Body, &a.Byline, &a.Language, &a.PublishedAt, &a.FetchedAt, &a.ContentHash, &schema,
		&e.EnricherVersion, &e.EnrichedAt, &e.Tone)
	if err != nil {
		return e, err
	}
	e.SchemaVersion, a.SchemaVersion = int(schema), int(schema)
	a.FetchedAt, e.EnrichedAt = a.FetchedAt.UTC(), e.EnrichedAt.UTC()
	if a.PublishedAt != nil {
		*a.PublishedAt = a.PublishedAt.UTC()
	}

	rows, _ := tx.Query(ctx, `SELECT ae.entity_key, ae.name, en.type, ae.kind, ae.country,
			ae.mentions, ae.salience, ae.polarity, ae.score, ae.evidence
		FROM article_entities ae JOIN entities en ON en.key = ae.entity_key
		WHERE ae.article_id = $1 ORDER BY ae.ord`, id)
	e.Entities, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (events.Entity, error) {
		var x events.Entity
		var mentions, evidence []byte
		var polarity *string
		var score *float64
		if err := r.Scan(&x.Key, &x.Name, &x.Type, &x.Kind, &x.Country, &mentions, &x.Salience,
			&polarity, &score, &evidence); err != nil {
			return x, err
		}
		var err error
		if x.Mentions, err = batch.DecodeMentions(mentions); err != nil {
			return x, err
		}
		if polarity != nil && score != nil {
			x.Sentiment = &events.Sentiment{Polarity: *polarity, Score: *score}
			if x.Sentiment.Evidence, err = batch.DecodeEvidence(evidence); err != nil {
				return x, err
			}
		}
		return x, nil
	})
	if err != nil {
		return e, err
	}

	rows, _ = tx.Query(ctx, `SELECT holder, holder_name, target, target_name, stance, cue,
			sentence_start, sentence_end
		FROM stances WHERE article_id = $1 ORDER BY ord`, id)
	e.Stances, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (events.Stance, error) {
		var x events.Stance
		var start, end int32
		err := r.Scan(&x.Holder, &x.HolderName, &x.Target, &x.TargetName, &x.Stance, &x.Cue, &start, &end)
		x.Sentence = events.Span{Start: int(start), End: int(end)}
		return x, err
	})
	if len(e.Stances) == 0 {
		e.Stances = nil
	}
	return e, err
}

// Count implements store.Store.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM articles").Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count: %w", classify(err))
	}
	return n, nil
}

// IDs implements store.Store.
func (s *Store) IDs(ctx context.Context) ([]string, error) {
	rows, _ := s.pool.Query(ctx, "SELECT id FROM articles ORDER BY id")
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: ids: %w", classify(err))
	}
	return ids, nil
}

// Stats implements store.Store. It counts every row of the content
// tables: call it at most every few seconds on a large database.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	var last *time.Time
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM articles), (SELECT count(*) FROM entities),
		(SELECT count(*) FROM article_entities), (SELECT count(*) FROM stances),
		(SELECT max(enriched_at) FROM articles)`).Scan(&st.Articles, &st.Entities, &st.Mentions, &st.Stances, &last)
	if err != nil {
		return store.Stats{}, fmt.Errorf("postgres: stats: %w", classify(err))
	}
	if last != nil {
		st.LastEnrichedAt = last.UTC()
	}
	return st, nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", classify(err))
	}
	return nil
}

// Close implements store.Store. It waits for connections in use to be
// returned to the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// classify wraps err in store.ErrRejected when the database blames the data
// (SQLSTATE classes 22 data exception, 23 integrity constraint violation, 54
// program limit exceeded, P0 raised by a trigger), and otherwise in
// store.ErrUnavailable: connection failures, 40 transaction rollback
// (serialization failure, deadlock), 53 insufficient resources (too many
// connections, disk full), 57 operator intervention (shutdown, statement
// timeout) and errors of the client.
func classify(err error) error {
	if err == nil || store.IsTransient(err) || errors.Is(err, store.ErrRejected) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 {
		switch pgErr.Code[:2] {
		case "22", "23", "54", "P0":
			return fmt.Errorf("%w: %w", store.ErrRejected, err)
		}
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}
