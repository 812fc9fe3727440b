// Package pgtest starts throwaway PostgreSQL servers from the binaries
// installed on the machine, for tests and benchmarks.
//
// Tests call Start for the DSN of a fresh, empty database. With TestMain
// calling Main, every test of the package shares one server, started on
// first use and stopped when the tests end; without it, each call starts
// its own server. A test that needs to stop or restart the server uses
// NewCluster. Programs use StartCluster.
//
// Environment:
//
//   - NEWSFLOW_TEST_PG_DSN: use this existing server instead of starting one
//     (Start creates and drops a database on it; the role needs CREATEDB).
//   - NEWSFLOW_PG_BIN: the directory of initdb and postgres; by default the
//     directory of initdb on PATH, else the newest /usr/lib/postgresql/*/bin.
//   - NEWSFLOW_PG_TMPDIR: where new clusters' directories go; by default
//     /dev/shm when it exists (in memory), else the temporary directory.
//   - CI=true: a test that cannot get a server fails instead of skipping.
//
// PostgreSQL refuses to run as root. When the process runs as root, the
// server runs as the "postgres" user (the data directory is handed to it),
// so that user must exist and reach the directory.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by this package.
const (
	EnvDSN = "NEWSFLOW_TEST_PG_DSN"
	EnvBin = "NEWSFLOW_PG_BIN"
	EnvTmp = "NEWSFLOW_PG_TMPDIR"
)

// shared is the server of a test binary whose TestMain calls Main.
var shared struct {
	sync.Mutex
	main    bool
	cluster *Cluster
	err     error
}

// Main runs the tests of a package with one shared server, which Start
// starts on first use; it stops the server when the tests are done and
// returns the exit code. Use it as:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	shared.Lock()
	shared.main = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.cluster != nil {
		if err := shared.cluster.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping the shared server: %v\n", err)
		}
		shared.cluster = nil
	}
	return code
}

// Start returns the DSN of a new, empty database that is dropped when the
// test ends. Without a server it skips the test, or fails it when CI=true.
func Start(t testing.TB) string {
	t.Helper()
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return database(t, dsn)
	}
	shared.Lock()
	if !shared.main {
		shared.Unlock()
		return database(t, NewCluster(t).DSN())
	}
	if shared.cluster == nil && shared.err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		shared.cluster, shared.err = StartCluster(ctx, "")
		cancel()
	}
	c, err := shared.cluster, shared.err
	shared.Unlock()
	if err != nil {
		unavailable(t, err)
	}
	return database(t, c.DSN())
}

// NewCluster starts a server for this test alone and stops it, removing
// its files, when the test ends. Without PostgreSQL binaries it skips the
// test, or fails it when CI=true. It ignores NEWSFLOW_TEST_PG_DSN.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := StartCluster(ctx, "")
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return c
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("pgtest: PostgreSQL is required when CI=true and could not be started: %v", err)
	}
	t.Skipf("pgtest: skipping, no PostgreSQL: %v (install postgresql, or set %s or %s)", err, EnvDSN, EnvBin)
}

// database creates a database on the server of serverDSN, drops it when the
// test ends, and returns its DSN.
func database(t testing.TB, serverDSN string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var b [6]byte
	rand.Read(b[:])
	name := "test_" + hex.EncodeToString(b[:])
	dsn, err := CreateDatabase(ctx, serverDSN, name)
	if err != nil {
		if os.Getenv(EnvDSN) != "" {
			t.Fatalf("pgtest: %s: %v", EnvDSN, err) // a configured server must work
		}
		unavailable(t, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := DropDatabase(ctx, serverDSN, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return dsn
}

// CreateDatabase creates database name on the server of serverDSN and
// returns a DSN for it: serverDSN with the database replaced.
func CreateDatabase(ctx context.Context, serverDSN, name string) (string, error) {
	dsn, err := withDatabase(serverDSN, name)
	if err != nil {
		return "", err
	}
	err = withConn(ctx, serverDSN, func(conn *pgx.Conn) error {
		sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
		var version int
		if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
			return err
		}
		if version >= 150000 {
			sql += " STRATEGY = FILE_COPY" // faster than copying a template through the WAL
		}
		_, err := conn.Exec(ctx, sql)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return dsn, nil
}

// DropDatabase drops database name on the server of serverDSN, closing the
// connections still open to it.
func DropDatabase(ctx context.Context, serverDSN, name string) error {
	err := withConn(ctx, serverDSN, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	})
	if err != nil {
		return fmt.Errorf("pgtest: drop database %s: %w", name, err)
	}
	return nil
}

func withConn(ctx context.Context, dsn string, fn func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return fn(conn)
}

var dbName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// withDatabase returns dsn with its database replaced by name.
func withDatabase(dsn, name string) (string, error) {
	if !dbName.MatchString(name) {
		return "", fmt.Errorf("pgtest: database name %q is not [a-z_][a-z0-9_]*", name)
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("pgtest: %w", err)
		}
		u.Path, u.RawPath = "/"+name, ""
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil // in key=value form, the last value counts
}
