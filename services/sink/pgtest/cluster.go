package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Cluster is a PostgreSQL server running from a directory of its own,
// listening on 127.0.0.1 and on a unix socket in that directory, with
// durability turned off for speed: fsync, synchronous_commit and
// full_page_writes are off, so a crash of the machine may lose its data.
// The superuser is "postgres", authenticated by trust.
type Cluster struct {
	dir    string // holds data/, the socket and postgres.log
	ownDir bool   // made by StartCluster, removed by Close
	bin    string
	port   int
	cred   *syscall.Credential // nil unless running as root

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// StartCluster creates a cluster in dir (a new temporary directory when
// dir is empty, in memory where possible: see NEWSFLOW_PG_TMPDIR) and starts its server, returning once it accepts
// connections. Close stops it.
func StartCluster(ctx context.Context, dir string) (*Cluster, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		if c.cred, err = postgresUser(); err != nil {
			return nil, err
		}
	}
	if dir == "" {
		if dir, err = os.MkdirTemp(tempBase(), "newsflow-pg-"); err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
		c.ownDir = true
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if c.dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	fail := func(err error) (*Cluster, error) {
		if c.ownDir {
			os.RemoveAll(c.dir)
		}
		return nil, err
	}
	if c.cred != nil {
		if err := handOver(c.dir, c.cred); err != nil {
			return fail(err)
		}
	}
	if err := c.initdb(ctx); err != nil {
		return fail(err)
	}
	// Another process may take the free port before the server binds it:
	// try a few ports.
	for attempt := 0; ; attempt++ {
		if c.port, err = freePort(); err != nil {
			return fail(err)
		}
		err = c.start(ctx)
		if err == nil || attempt == 2 || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fail(err)
	}
	return c, nil
}

// tempBase returns where StartCluster makes its directory: $NEWSFLOW_PG_TMPDIR,
// else /dev/shm when it is a directory anyone may write (memory: creating
// databases is several times faster than on a busy disk), else the
// system's temporary directory.
func tempBase() string {
	if d := os.Getenv(EnvTmp); d != "" {
		return d
	}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() && fi.Mode().Perm()&0o002 != 0 {
		return "/dev/shm"
	}
	return os.TempDir()
}

// Binaries returns the directory holding initdb and postgres: $NEWSFLOW_PG_BIN,
// else the directory of initdb on PATH, else the newest
// /usr/lib/postgresql/<version>/bin (Debian and Ubuntu).
func Binaries() (string, error) {
	if d := os.Getenv(EnvBin); d != "" {
		return d, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	var best string
	bestVersion := -1.0
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			continue
		}
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		if err == nil && v > bestVersion {
			best, bestVersion = d, v
		}
	}
	if best == "" {
		return "", errors.New("pgtest: no initdb on PATH nor in /usr/lib/postgresql/*/bin")
	}
	return best, nil
}

// postgresUser returns the credentials of the "postgres" user, under which
// the server runs when this process is root.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, and PostgreSQL refuses root: need a \"postgres\" user: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgtest: user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// handOver gives dir to the user of cred and checks that the user can
// reach it.
func handOver(dir string, cred *syscall.Credential) error {
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(cred.Uid), int(cred.Gid))
	})
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok && st.Uid != cred.Uid && fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("pgtest: user postgres cannot reach %s: %s is not searchable by others", dir, p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	// If this process dies without stopping the server, the server shuts
	// down at once (SIGQUIT is PostgreSQL's immediate shutdown).
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGQUIT}
	return cmd
}

func (c *Cluster) initdb(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.dir, "data", "PG_VERSION")); err == nil {
		return nil // made by an earlier run
	}
	cmd := c.command(ctx, "initdb", "-D", filepath.Join(c.dir, "data"), "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

func (c *Cluster) start(ctx context.Context) error {
	logPath := filepath.Join(c.dir, "postgres.log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer log.Close() // the server keeps its own descriptor
	// Not bound to ctx: the server outlives this call.
	cmd := c.command(context.Background(), "postgres", "-D", filepath.Join(c.dir, "data"),
		"-p", strconv.Itoa(c.port), "-k", c.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "log_min_messages=warning")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	c.mu.Lock()
	c.cmd, c.done = cmd, done
	c.mu.Unlock()

	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgconn.Connect(cctx, c.DSN())
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("pgtest: postgres exited at start: %s", tail(logPath))
		case <-ctx.Done():
			c.Stop()
			return fmt.Errorf("pgtest: waiting for postgres: %w", ctx.Err())
		case <-deadline:
			c.Stop()
			return fmt.Errorf("pgtest: postgres did not accept connections within a minute: %s", tail(logPath))
		case <-tick.C:
		}
	}
}

// DSN returns the URL of the server's "postgres" database over TCP.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Dir returns the directory of the cluster's files.
func (c *Cluster) Dir() string { return c.dir }

// Stop shuts the server down, letting it end its sessions (a fast
// shutdown); after 30 seconds it is killed. The files stay: Restart starts
// the server again. Stopping a stopped server does nothing.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.cmd = nil
	c.mu.Unlock()
	if cmd == nil {
		return nil
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGKILL} {
		if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("pgtest: stop postgres: %w", err)
		}
		select {
		case <-done:
			return nil
		case <-time.After(30 * time.Second):
		}
	}
	return errors.New("pgtest: postgres did not exit")
}

// Restart stops the server if it runs and starts it again on the same port
// with the same data.
func (c *Cluster) Restart(ctx context.Context) error {
	if err := c.Stop(); err != nil {
		return err
	}
	return c.start(ctx)
}

// Close stops the server and, if StartCluster made the directory, removes it.
func (c *Cluster) Close() error {
	err := c.Stop()
	if c.ownDir {
		err = errors.Join(err, os.RemoveAll(c.dir))
	}
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last lines of a log file for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-10):], "\n")
}
