package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newsflow/newsflow/services/sink/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func query(t *testing.T, dsn, sql string, dest ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func execSQL(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestStartGivesFreshDatabases(t *testing.T) {
	a, b := pgtest.Start(t), pgtest.Start(t)
	if a == b {
		t.Fatalf("two calls gave one database: %s", a)
	}
	execSQL(t, a, "CREATE TABLE x (v int); INSERT INTO x VALUES (1)")
	var n int
	query(t, b, "SELECT count(*) FROM pg_tables WHERE tablename = 'x'", &n)
	if n != 0 {
		t.Errorf("database of %s sees the table made in %s", b, a)
	}
	var enc string
	query(t, a, "SHOW server_encoding", &enc)
	if enc != "UTF8" {
		t.Errorf("server_encoding = %s, want UTF8", enc)
	}
}

func TestDatabaseDroppedAfterTest(t *testing.T) {
	var dsn string
	t.Run("inner", func(t *testing.T) { dsn = pgtest.Start(t) })
	if t.Failed() || dsn == "" {
		t.Skip("no database")
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err == nil {
		conn.Close(ctx)
		t.Fatalf("database %s still exists after its test", cfg.Database)
	}
}

func TestClusterRestartKeepsData(t *testing.T) {
	if os.Getenv(pgtest.EnvDSN) != "" {
		t.Skip("uses its own cluster")
	}
	c := pgtest.NewCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn, err := pgtest.CreateDatabase(ctx, c.DSN(), "kept")
	if err != nil {
		t.Fatal(err)
	}
	execSQL(t, dsn, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if conn, err := pgx.Connect(ctx, dsn); err == nil {
		conn.Close(ctx)
		t.Fatal("connected to a stopped server")
	}
	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	var v int
	query(t, dsn, "SELECT v FROM kept", &v)
	if v != 42 {
		t.Errorf("after restart v = %d, want 42", v)
	}
}

func TestStartClusterInGivenDir(t *testing.T) {
	if os.Getenv(pgtest.EnvDSN) != "" {
		t.Skip("uses its own cluster")
	}
	dir, err := os.MkdirTemp("", "pgtest-dir-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgtest.StartCluster(ctx, dir)
	if err != nil {
		if _, berr := pgtest.Binaries(); berr != nil && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	var n int
	query(t, c.DSN(), "SELECT 1", &n)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + "/data/PG_VERSION"); err != nil {
		t.Errorf("Close removed a directory it did not make: %v", err)
	}
}

func TestExternalServer(t *testing.T) {
	if os.Getenv(pgtest.EnvDSN) != "" {
		t.Skip("already using an external server")
	}
	c := pgtest.NewCluster(t)
	cfg, err := pgx.ParseConfig(c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	for _, server := range []string{
		c.DSN(),
		fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", cfg.Port),
	} {
		t.Run(server, func(t *testing.T) {
			t.Setenv(pgtest.EnvDSN, server)
			var dsn string
			t.Run("inner", func(t *testing.T) {
				dsn = pgtest.Start(t)
				got, err := pgx.ParseConfig(dsn)
				if err != nil {
					t.Fatal(err)
				}
				if got.Port != cfg.Port || got.Database == "postgres" {
					t.Errorf("Start gave %s, want a new database on port %d", dsn, cfg.Port)
				}
				var one int
				query(t, dsn, "SELECT 1", &one)
			})
			if conn, err := pgx.Connect(t.Context(), dsn); err == nil {
				conn.Close(context.Background())
				t.Errorf("database of %s not dropped after its test", dsn)
			}
		})
	}
}

// Without PostgreSQL a test skips, unless CI=true: then it fails. The test
// runs itself in a child process with no binaries to find.
func TestMissingPostgresSkipsOrFailsUnderCI(t *testing.T) {
	if os.Getenv("PGTEST_CHILD") == "1" {
		pgtest.Start(t)
		t.Log("got a database")
		return
	}
	for _, tc := range []struct {
		ci, want string
		fails    bool
	}{{"", "--- SKIP", false}, {"true", "--- FAIL", true}} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMissingPostgresSkipsOrFailsUnderCI$", "-test.v")
			cmd.Env = append(os.Environ(), "PGTEST_CHILD=1", "CI="+tc.ci,
				pgtest.EnvBin+"="+t.TempDir(), pgtest.EnvDSN+"=")
			out, err := cmd.CombinedOutput()
			if (err != nil) != tc.fails || !strings.Contains(string(out), tc.want) {
				t.Errorf("child exited with %v, want failure=%v and %q in:\n%s", err, tc.fails, tc.want, out)
			}
		})
	}
}
