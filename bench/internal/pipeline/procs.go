package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/newsflow/newsflow/bench/internal/promtext"
)

// process is a program the harness started and stops.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	http string // host:port of /metrics and /readyz ("" for none)
	done chan struct{}
	err  error
}

// start runs path with args, its output into logDir/<name>.log. It is
// sent SIGTERM if the harness dies.
func start(name, path string, args []string, logDir, httpAddr string) (*process, error) {
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, http: httpAddr, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits for the exit, killing the process after
// grace.
func (p *process) stop(grace time.Duration) error {
	if p.exited() {
		return p.exitErr()
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return p.exitErr()
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not exit within %v of SIGTERM; killed", p.name, grace)
	}
}

func (p *process) exitErr() error {
	if p.err != nil {
		return fmt.Errorf("%s: %w (log: %s)", p.name, p.err, p.log)
	}
	return nil
}

// waitReady polls /readyz until it answers 200.
func (p *process) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if p.exited() {
			return fmt.Errorf("%s exited at start: %v; log %s:\n%s", p.name, p.err, p.log, tail(p.log))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.http+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready within %v; log %s:\n%s", p.name, timeout, p.log, tail(p.log))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// metrics reads the process's /metrics page.
func (p *process) metrics(ctx context.Context) (promtext.Set, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.http+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s metrics: %w", p.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s metrics: %s", p.name, resp.Status)
	}
	return promtext.Parse(resp.Body)
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// startNATS runs nats-server with JetStream on file storage in dir.
// With profAddr set, the server also serves /debug/pprof there.
func startNATS(ctx context.Context, bin, dir, logDir, profAddr string) (*process, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	mon, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	conf := filepath.Join(dir, "nats.conf")
	store := filepath.Join(dir, "jetstream")
	text := "listen: " + addr + "\nhttp: " + mon + "\nmax_payload: 8MB\nserver_name: newsflow-bench\n" +
		"jetstream {\n  store_dir: " + strconv.Quote(store) + "\n}\n"
	if profAddr != "" {
		text += "prof_port: " + port(profAddr) + "\n"
	}
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, "", err
	}
	p, err := start("nats-server", bin, []string{"-c", conf}, logDir, mon)
	if err != nil {
		return nil, "", err
	}
	// The monitoring endpoint's /healthz answers once JetStream is up.
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+mon+"/healthz?js-enabled-only=true", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, "nats://" + addr, nil
			}
		}
		if p.exited() || time.Now().After(deadline) || ctx.Err() != nil {
			p.stop(5 * time.Second)
			return nil, "", fmt.Errorf("nats-server did not start; log %s:\n%s", p.log, tail(p.log))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fetchProfile saves a CPU profile of seconds from a /debug/pprof server.
func fetchProfile(ctx context.Context, addr string, seconds int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds+30)*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet,
		"http://"+addr+"/debug/pprof/profile?seconds="+strconv.Itoa(seconds), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
