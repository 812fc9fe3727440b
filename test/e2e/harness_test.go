//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	dnetwork "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Settings read from the environment, so the same tests run here (images
// built by make images) and on a laptop (images pulled from a registry).
//
//	NEWSFLOW_IMAGE_PREFIX   default "newsflow/"
//	NEWSFLOW_IMAGE_TAG      default "dev"
//	NEWSFLOW_IMAGE_<NAME>   a whole image reference for one image, NAME one of
//	                        FETCHER, ENRICHER, SINK, NATS_SERVER, FEEDSRV,
//	                        POSTGRES (e.g. NEWSFLOW_IMAGE_POSTGRES=postgres:15)
//	E2E_SEED                seed of the random fault schedule (default: time)
//	E2E_SOAK=1              the long soak sizes
//	E2E_LOG_DIR             keep every container's log there (default: a
//	                        temporary directory, printed when a test fails)
func image(name string) string {
	key := "NEWSFLOW_IMAGE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if v := os.Getenv(key); v != "" {
		return v
	}
	prefix, ok := os.LookupEnv("NEWSFLOW_IMAGE_PREFIX")
	if !ok {
		prefix = envOr("IMAGE_PREFIX", "newsflow/")
	}
	tag := os.Getenv("NEWSFLOW_IMAGE_TAG")
	if tag == "" {
		tag = envOr("IMAGE_TAG", "dev")
	}
	return prefix + name + ":" + tag
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func soak() bool { return os.Getenv("E2E_SOAK") == "1" }

// seed returns the seed of a test's random choices, logged so a failing
// schedule can be replayed with E2E_SEED.
func seed(t *testing.T) uint64 {
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("E2E_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("E2E_SEED: %v", err)
		}
		s = n
	}
	t.Logf("random seed %d (E2E_SEED=%d replays this schedule)", s, s)
	return s
}

const (
	natsNodes    = 3
	stagePort    = "9090/tcp"
	memLimit     = 1 << 30 // per container
	feedBase     = "http://feedsrv:8080"
	loadSourceID = "load"
)

// node is one container of the stack.
type node struct {
	name  string // network alias: nats1, pg, fetcher, enricher1, ...
	kind  string // nats, pg, feedsrv, fetcher, enricher, sink
	c     testcontainers.Container
	kills int // SIGKILLs and SIGTERMs the test sent
}

func (n *node) id() string { return n.c.GetContainerID() }

// stack is the pipeline on a private Docker network: a three-node NATS
// cluster, PostgreSQL, the feed server, the fetcher, two enrichers and the sink.
type stack struct {
	t      *testing.T
	ctx    context.Context
	run    string
	docker client.APIClient
	net    *testcontainers.DockerNetwork
	logDir string
	inbox  string // host directory mounted as the fetcher's inbox

	nats      []*node
	pg        *node
	feed      *node
	fetcher   *node
	enrichers []*node
	sink      *node

	mu      sync.Mutex
	nc      *nats.Conn
	js      jetstream.JetStream
	feedAPI string // base URL of the feed server from the host
}

type stackOptions struct {
	// sources, if set, is the fetcher's sources file (feeds); otherwise
	// the fetcher reads the inbox directory only.
	sources string
	// extraFetcherArgs are appended to the fetcher's command line.
	extraFetcherArgs []string
}

func (s *stack) stages() []*node {
	return append(append([]*node{s.fetcher}, s.enrichers...), s.sink)
}

func (s *stack) all() []*node {
	out := append([]*node{}, s.nats...)
	out = append(out, s.pg, s.feed)
	return append(out, s.stages()...)
}

// startStack starts the whole pipeline and returns once every stage is ready.
func startStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	ctx := context.Background()
	prov, err := testcontainers.NewDockerProvider()
	if err != nil {
		t.Fatalf("docker: %v", err)
	}
	t.Cleanup(func() { prov.Close() })
	s := &stack{
		t: t, ctx: ctx, docker: prov.Client(),
		run: fmt.Sprintf("%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), time.Now().Unix()%100000),
	}
	s.logDir = os.Getenv("E2E_LOG_DIR")
	if s.logDir == "" {
		s.logDir = filepath.Join(os.TempDir(), "newsflow-e2e")
	}
	s.logDir = filepath.Join(s.logDir, s.run)
	if err := os.MkdirAll(s.logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.inbox = filepath.Join(t.TempDir(), "inbox")
	if err := os.MkdirAll(s.inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	// The fetcher runs as an unprivileged user: let it read (and traverse to) the inbox.
	for p := s.inbox; p != "/" && p != filepath.Dir(p); p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o005 != 0o005 {
			_ = os.Chmod(p, fi.Mode().Perm()|0o005)
		}
	}

	s.net, err = network.New(ctx)
	if err != nil {
		t.Fatalf("network: %v", err)
	}
	t.Cleanup(s.teardown)

	// NATS, PostgreSQL and the feed server start together.
	var wg sync.WaitGroup
	errs := make(chan error, natsNodes+2)
	s.nats = make([]*node, natsNodes)
	for i := range natsNodes {
		wg.Go(func() {
			n, err := s.startNATS(i + 1)
			s.nats[i] = n
			errs <- err
		})
	}
	wg.Go(func() { var err error; s.pg, err = s.startPostgres(); errs <- err })
	wg.Go(func() { var err error; s.feed, err = s.startFeed(); errs <- err })
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("start stack: %v", err)
		}
	}
	s.waitJetStream()

	// The fetcher first: it declares the streams (R3) and the seen bucket.
	var files []testcontainers.ContainerFile
	if o.sources != "" {
		files = append(files, testcontainers.ContainerFile{
			Reader: strings.NewReader(o.sources), ContainerFilePath: "/data/sources.yaml", FileMode: 0o644,
		})
	}
	if s.fetcher, err = s.startStage("fetcher", "fetcher", s.fetcherArgs(o), files...); err != nil {
		t.Fatalf("start fetcher: %v", err)
	}
	wg = sync.WaitGroup{}
	errs = make(chan error, 3)
	s.enrichers = make([]*node, 2)
	for i := range 2 {
		wg.Go(func() {
			n, err := s.startStage(fmt.Sprintf("enricher%d", i+1), "enricher", s.consumerArgs())
			s.enrichers[i] = n
			errs <- err
		})
	}
	wg.Go(func() {
		var err error
		s.sink, err = s.startStage("sink", "sink", append(s.consumerArgs(),
			"-database", "postgres://postgres@pg:5432/postgres?sslmode=disable", "-batch", "256"))
		errs <- err
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("start stage: %v", err)
		}
	}
	t.Logf("stack %s up: logs in %s", s.run, s.logDir)
	return s
}

func (s *stack) natsURLs() string {
	var u []string
	for i := range natsNodes {
		u = append(u, fmt.Sprintf("nats://nats%d:4222", i+1))
	}
	return strings.Join(u, ",")
}

func (s *stack) commonArgs() []string {
	return []string{
		"-nats-url", s.natsURLs(), "-stream-replicas", "3", "-http-addr", ":9090",
		"-log-format", "json", "-drain-timeout", "15s", "-publish-timeout", "10s",
		"-nats-reconnect-wait", "500ms", "-max-msg-bytes", strconv.Itoa(8 << 20),
	}
}

// consumerArgs: short retry delays and many deliveries, so that the
// faults the tests make (a database down for tens of seconds) are ridden
// out by retries and never exhaust a message's deliveries.
func (s *stack) consumerArgs() []string {
	return append(s.commonArgs(),
		"-ack-wait", "10s", "-redelivery-backoff", "10s,15s,20s",
		"-retry-delays", "500ms,1s,2s,4s", "-max-deliver", "40")
}

func (s *stack) fetcherArgs(o stackOptions) []string {
	// The inbox carries the load until the fetcher reads feeds; then the
	// load comes from the feed and the inbox only from the bad-input test.
	inboxSource := loadSourceID
	if o.sources != "" {
		inboxSource = "inbox"
	}
	args := append(s.commonArgs(), "-inbox", "/inbox", "-inbox-source", inboxSource,
		"-inbox-rescan", "3s", "-inbox-settle", "300ms")
	if o.sources != "" {
		// The feed server is on a private address (allow-listed) and is
		// the only host: no per-host rate limit (the default is polite,
		// one request a second).
		args = append(args, "-sources", "/data/sources.yaml", "-allow-host", "feedsrv",
			"-per-host-rate", "-1", "-per-host-concurrency", "16", "-item-concurrency", "16")
	}
	return append(args, o.extraFetcherArgs...)
}

func (s *stack) request(name, img string, cmd []string, ports []string, ws wait.Strategy) testcontainers.GenericContainerRequest {
	return testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Name:           "nf-" + s.run + "-" + name,
			Image:          img,
			Cmd:            cmd,
			ExposedPorts:   ports,
			Networks:       []string{s.net.Name},
			NetworkAliases: map[string][]string{s.net.Name: {name}},
			WaitingFor:     ws,
			Labels:         map[string]string{"newsflow.e2e.run": s.run},
			HostConfigModifier: func(hc *container.HostConfig) {
				hc.Memory = memLimit
				hc.MemorySwap = memLimit
				// Published on the loopback interface only: the test reaches
				// them there, and nothing else on the network can.
				hc.PortBindings = dnetwork.PortMap{}
				for _, p := range ports {
					hc.PortBindings[dnetwork.MustParsePort(p)] = []dnetwork.PortBinding{
						{HostIP: netip.AddrFrom4([4]byte{127, 0, 0, 1}), HostPort: "0"}}
				}
			},
		},
	}
}

func (s *stack) create(req testcontainers.GenericContainerRequest, name, kind string) (*node, error) {
	req.Started = true
	c, err := testcontainers.GenericContainer(s.ctx, req)
	n := &node{name: name, kind: kind, c: c}
	if err != nil {
		if c != nil {
			s.saveLogs(n)
		}
		return n, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}

func natsConfig(i int) string {
	var routes []string
	for j := range natsNodes {
		routes = append(routes, fmt.Sprintf("nats-route://nats%d:6222", j+1))
	}
	return fmt.Sprintf(`server_name: nats%d
port: 4222
http_port: 8222
# Above the streams' 8 MiB so that JetStream, not the protocol, refuses
# oversized events (the bad-input test checks its error).
max_payload: 16MB
jetstream {
  store_dir: "/data/jetstream"
  max_file_store: 8GB
  max_memory_store: 256MB
}
cluster {
  name: newsflow
  listen: 0.0.0.0:6222
  routes: [%s]
  no_advertise: true
}
`, i, strings.Join(routes, ", "))
}

func (s *stack) startNATS(i int) (*node, error) {
	name := fmt.Sprintf("nats%d", i)
	req := s.request(name, image("nats-server"), []string{"--config", "/etc/newsflow-nats.conf"},
		[]string{"4222/tcp", "8222/tcp"},
		wait.ForHTTP("/varz").WithPort("8222/tcp").WithStartupTimeout(time.Minute))
	req.Files = []testcontainers.ContainerFile{{
		Reader: strings.NewReader(natsConfig(i)), ContainerFilePath: "/etc/newsflow-nats.conf", FileMode: 0o644,
	}}
	return s.create(req, name, "nats")
}

func (s *stack) startPostgres() (*node, error) {
	req := s.request("pg", image("postgres"), nil, []string{"5432/tcp"},
		wait.ForListeningPort("5432/tcp").SkipInternalCheck().WithStartupTimeout(time.Minute))
	// Honoured by the official postgres image; the image built here is
	// initialised already and ignores them.
	req.Env = map[string]string{"POSTGRES_HOST_AUTH_METHOD": "trust", "POSTGRES_USER": "postgres"}
	n, err := s.create(req, "pg", "pg")
	if err != nil {
		return n, err
	}
	s.pg = n
	return n, s.waitPostgres(time.Minute)
}

func (s *stack) startFeed() (*node, error) {
	req := s.request("feedsrv", image("feedsrv"), []string{"-base", feedBase, "-window", "500"},
		[]string{"8080/tcp"}, wait.ForHTTP("/healthz").WithPort("8080/tcp").WithStartupTimeout(time.Minute))
	return s.create(req, "feedsrv", "feedsrv")
}

func (s *stack) startStage(name, kind string, args []string, files ...testcontainers.ContainerFile) (*node, error) {
	req := s.request(name, image(kind), args, []string{stagePort},
		wait.ForHTTP("/readyz").WithPort(stagePort).WithStartupTimeout(2*time.Minute).WithPollInterval(200*time.Millisecond))
	req.Files = files
	if kind == "fetcher" {
		mod := req.HostConfigModifier
		req.HostConfigModifier = func(hc *container.HostConfig) {
			mod(hc)
			hc.Binds = append(hc.Binds, s.inbox+":/inbox:ro")
		}
	}
	return s.create(req, name, kind)
}

// addr returns host:port where the host reaches a container port. A
// container that is stopped or cut off the network has none.
func (s *stack) addr(n *node, port string) (string, error) {
	var err error
	for range 20 {
		var p dnetwork.Port
		if p, err = n.c.MappedPort(s.ctx, port); err == nil {
			return "127.0.0.1:" + strconv.Itoa(int(p.Num())), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("%s: port %s: %w", n.name, port, err)
}

// hostPort is addr for the test's own goroutine: it fails the test.
func (s *stack) hostPort(n *node, port string) string {
	s.t.Helper()
	a, err := s.addr(n, port)
	if err != nil {
		s.t.Fatal(err)
	}
	return a
}

// conn returns the test's own connection to the cluster; it fails the
// test when no node can be reached. Goroutines use connect.
func (s *stack) conn() (*nats.Conn, jetstream.JetStream) {
	s.t.Helper()
	nc, js, err := s.connect()
	if err != nil {
		s.t.Fatal(err)
	}
	return nc, js
}

// connect returns the test's own connection to the cluster, through the
// ports mapped on the host of the nodes that have them (the servers do not
// advertise their container addresses, and the client ignores any it
// learns).
func (s *stack) connect() (*nats.Conn, jetstream.JetStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nc != nil && !s.nc.IsClosed() {
		return s.nc, s.js, nil
	}
	var urls []string
	var errs []error
	for _, n := range s.nats {
		a, err := s.addr(n, "4222/tcp")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		urls = append(urls, "nats://"+a)
	}
	if len(urls) == 0 {
		return nil, nil, fmt.Errorf("no NATS node reachable: %v", errs)
	}
	nc, err := nats.Connect(strings.Join(urls, ","), nats.IgnoreDiscoveredServers(), nats.MaxReconnects(-1),
		nats.ReconnectWait(200*time.Millisecond), nats.RetryOnFailedConnect(true), nats.Name("e2e-test"))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	s.nc, s.js = nc, js
	return nc, js, nil
}

// resetConn drops the test's connection, after a node's ports changed.
func (s *stack) resetConn() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nc != nil {
		s.nc.Close()
		s.nc = nil
	}
}

// waitJetStream waits until the cluster has a meta leader and answers
// JetStream requests.
func (s *stack) waitJetStream() {
	s.t.Helper()
	_, js := s.conn()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(s.ctx, 3*time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("JetStream cluster not ready: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// kill sends SIGKILL (kill -9) to a container and waits until it is gone.
func (s *stack) kill(n *node) {
	s.t.Helper()
	n.kills++
	if _, err := s.docker.ContainerKill(s.ctx, n.id(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		s.t.Fatalf("kill %s: %v", n.name, err)
	}
	s.waitExited(n, 30*time.Second)
}

// terminate sends SIGTERM, waits for the exit (docker's own SIGKILL
// comes after grace) and returns the exit code.
func (s *stack) terminate(n *node, grace time.Duration) int {
	s.t.Helper()
	n.kills++
	if err := n.c.Stop(s.ctx, &grace); err != nil {
		s.t.Fatalf("stop %s: %v", n.name, err)
	}
	st := s.waitExited(n, grace+30*time.Second)
	return st.ExitCode
}

func (s *stack) waitExited(n *node, within time.Duration) *container.State {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, err := n.c.State(s.ctx)
		if err != nil {
			s.t.Fatalf("state of %s: %v", n.name, err)
		}
		if !st.Running {
			return st
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s still running %v after the signal", n.name, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// start starts a stopped container again and waits until it is ready.
func (s *stack) start(n *node) {
	s.t.Helper()
	s.saveLogs(n) // the log of the run that ended, before it grows
	if err := n.c.Start(s.ctx); err != nil {
		s.saveLogs(n)
		s.t.Fatalf("restart %s: %v", n.name, err)
	}
	switch n.kind {
	case "pg":
		if err := s.waitPostgres(time.Minute); err != nil {
			s.t.Fatal(err)
		}
	case "nats":
		s.resetConn()
	}
}

// disconnect cuts a container off the stack's network.
func (s *stack) disconnect(n *node) {
	s.t.Helper()
	if _, err := s.docker.NetworkDisconnect(s.ctx, s.net.ID, client.NetworkDisconnectOptions{Container: n.id(), Force: true}); err != nil {
		s.t.Fatalf("disconnect %s: %v", n.name, err)
	}
	if n.kind == "nats" {
		s.resetConn()
	}
}

// reconnect attaches a container to the stack's network again, under its alias.
func (s *stack) reconnect(n *node) {
	s.t.Helper()
	_, err := s.docker.NetworkConnect(s.ctx, s.net.ID, client.NetworkConnectOptions{
		Container: n.id(), EndpointConfig: &dnetwork.EndpointSettings{Aliases: []string{n.name}},
	})
	if err != nil {
		s.t.Fatalf("reconnect %s: %v", n.name, err)
	}
	if n.kind == "nats" {
		s.resetConn()
	}
}

// inspect returns a container's state: running, restarts, OOM kills.
func (s *stack) inspect(n *node) container.InspectResponse {
	s.t.Helper()
	res, err := s.docker.ContainerInspect(s.ctx, n.id(), client.ContainerInspectOptions{})
	if err != nil {
		s.t.Fatalf("inspect %s: %v", n.name, err)
	}
	return res.Container
}

// memory returns a container's current and peak memory use (peak: the
// cgroup's max_usage where the kernel reports it, cgroup v1; else current).
func (s *stack) memory(n *node) (usage, peak uint64) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	res, err := s.docker.ContainerStats(ctx, n.id(), client.ContainerStatsOptions{Stream: false})
	if err != nil {
		s.t.Fatalf("stats of %s: %v", n.name, err)
	}
	defer res.Body.Close()
	var st container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		s.t.Fatalf("stats of %s: %v", n.name, err)
	}
	peak = max(st.MemoryStats.MaxUsage, st.MemoryStats.Usage)
	return st.MemoryStats.Usage, peak
}

// saveLogs appends a container's log to <logDir>/<name>.log.
func (s *stack) saveLogs(n *node) {
	if n == nil || n.c == nil {
		return
	}
	rc, err := n.c.Logs(context.Background())
	if err != nil {
		return
	}
	defer rc.Close()
	f, err := os.OpenFile(filepath.Join(s.logDir, n.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = io.Copy(f, rc)
}

// logs returns a container's whole log.
func (s *stack) logs(n *node) string {
	rc, err := n.c.Logs(s.ctx)
	if err != nil {
		s.t.Fatalf("logs of %s: %v", n.name, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func (s *stack) teardown() {
	s.resetConn()
	for _, n := range s.all() {
		s.saveLogs(n)
	}
	if s.t.Failed() {
		s.t.Logf("container logs: %s", s.logDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for _, n := range s.all() {
		if n != nil && n.c != nil {
			wg.Go(func() {
				timeout := time.Duration(0)
				_ = n.c.Stop(ctx, &timeout)
				_ = n.c.Terminate(ctx)
			})
		}
	}
	wg.Wait()
	if s.net != nil {
		_ = s.net.Remove(ctx)
	}
}

// feedURL is the feed server's admin API as the host reaches it.
func (s *stack) feedURL(path string) (string, error) {
	a, err := s.addr(s.feed, "8080/tcp")
	return "http://" + a + path, err
}

func httpGet(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b, nil
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed>>1|1)) }
