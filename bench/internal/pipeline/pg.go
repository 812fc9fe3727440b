package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/newsflow/newsflow/bench/internal/corpus"
	"github.com/newsflow/newsflow/services/sink/pgtest"
)

// database is the throwaway PostgreSQL server of a run.
type database struct {
	cluster *pgtest.Cluster
	dsn     string
	pool    *pgxpool.Pool
	version string
	// commitTimes is whether per-row commit timestamps are available
	// (track_commit_timestamp); without them stored_at (the start of the
	// writing transaction) stands in for the commit time.
	commitTimes bool
	// statements is whether pg_stat_statements is on.
	statements bool
}

func startDatabase(ctx context.Context) (*database, error) {
	c, err := pgtest.StartCluster(ctx, "")
	if err != nil {
		return nil, err
	}
	db := &database{cluster: c}
	fail := func(err error) (*database, error) { c.Close(); return nil, err }
	// Commit timestamps give each article's exact commit time;
	// pg_stat_statements says where the server's time goes (optional).
	if err := execSQL(ctx, c.DSN(), "ALTER SYSTEM SET track_commit_timestamp = on"); err != nil {
		return fail(err)
	}
	if _, err := os.Stat(filepath.Join(c.Dir(), "..")); err == nil {
		_ = execSQL(ctx, c.DSN(), "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
	}
	if err := c.Restart(ctx); err != nil {
		return fail(err)
	}
	if db.dsn, err = pgtest.CreateDatabase(ctx, c.DSN(), "newsflow_bench"); err != nil {
		return fail(err)
	}
	if db.pool, err = pgxpool.New(ctx, db.dsn); err != nil {
		return fail(err)
	}
	if _, err := db.pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err == nil {
		db.statements = true
	}
	var track string
	if err := db.pool.QueryRow(ctx, "SELECT current_setting('server_version'), current_setting('track_commit_timestamp')").Scan(&db.version, &track); err != nil {
		db.pool.Close()
		return fail(err)
	}
	db.commitTimes = track == "on"
	return db, nil
}

func execSQL(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// pid is the server's main process, from postmaster.pid.
func (db *database) pid() (int, error) {
	b, err := os.ReadFile(filepath.Join(db.cluster.Dir(), "data", "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

func (db *database) close() error {
	if db.pool != nil {
		db.pool.Close()
	}
	return db.cluster.Close()
}

// count is the number of stored articles (0 before the sink created the table).
func (db *database) count(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, "SELECT count(*) FROM articles").Scan(&n)
	if err != nil && strings.Contains(err.Error(), "does not exist") {
		return 0, nil
	}
	return n, err
}

// stored is one article as the database has it.
type stored struct {
	phase              string
	n                  int
	fetched, enriched  time.Time
	committed, started time.Time // commit time; start of the writing transaction
}

// articles reads every stored benchmark article.
func (db *database) articles(ctx context.Context) ([]stored, error) {
	commit := "NULL::timestamptz"
	if db.commitTimes {
		commit = "pg_xact_commit_timestamp(xmin)"
	}
	rows, err := db.pool.Query(ctx, `SELECT substring(title || ' ' || body from 'nfbench-[a-z]+-[0-9]{6}'),
		fetched_at, enriched_at, `+commit+`, stored_at FROM articles`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stored
	for rows.Next() {
		var (
			marker    *string
			s         stored
			committed *time.Time
		)
		if err := rows.Scan(&marker, &s.fetched, &s.enriched, &committed, &s.started); err != nil {
			return nil, err
		}
		if marker == nil {
			continue
		}
		phase, n, ok := corpus.ParseMarker(*marker)
		if !ok {
			continue
		}
		s.phase, s.n = phase, n
		s.committed = s.started
		if committed != nil {
			s.committed = *committed
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read articles: %w", err)
	}
	return out, nil
}

// Statement is one kind of SQL statement and the server time it took.
type Statement struct {
	Query   string // normalised, on one line, cut at 120 characters
	Calls   int64
	TotalMS float64
	Rows    int64
}

// resetStatements starts pg_stat_statements' counts afresh.
func (db *database) resetStatements(ctx context.Context) {
	if db.statements {
		_, _ = db.pool.Exec(ctx, "SELECT pg_stat_statements_reset()")
	}
}

// topStatements returns the n statements of the benchmark database that
// took the most server time since the last reset, leaving out the
// harness's own queries.
func (db *database) topStatements(ctx context.Context, n int) ([]Statement, error) {
	if !db.statements {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT query, calls, total_exec_time, rows FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE 'SELECT count(*) FROM articles%'
		  AND query NOT LIKE 'SELECT substring(%'
		ORDER BY total_exec_time DESC LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Statement
	for rows.Next() {
		var s Statement
		if err := rows.Scan(&s.Query, &s.Calls, &s.TotalMS, &s.Rows); err != nil {
			return nil, err
		}
		s.Query = strings.Join(strings.Fields(s.Query), " ")
		if r := []rune(s.Query); len(r) > 120 {
			s.Query = string(r[:117]) + "..."
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
