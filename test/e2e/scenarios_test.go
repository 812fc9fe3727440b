//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/test/e2e/internal/corpus"
)

// size picks a scenario's article count: the default run must stay well
// under 20 minutes on two cores; E2E_SOAK=1 runs the long version.
// E2E_SCALE (a factor, such as 0.1) shrinks or grows every size.
func size(normal, long int) int {
	n := normal
	if soak() {
		n = long
	}
	if f, err := strconv.ParseFloat(os.Getenv("E2E_SCALE"), 64); err == nil && f > 0 {
		n = max(int(float64(n)*f), 100)
	}
	return n
}

var (
	feedsOnce sync.Once
	feedsOK   bool
	feedsWhy  string
)

// fetcherReadsFeeds reports whether the fetcher image has feed sources
// (the -sources flag): the load then comes from the feed server, as in
// production; until then it comes through the inbox directory.
func fetcherReadsFeeds(t *testing.T) bool {
	feedsOnce.Do(func() {
		ctx := context.Background()
		c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
			ContainerRequest: testcontainers.ContainerRequest{
				Image: image("fetcher"), Cmd: []string{"-help"}, WaitingFor: wait.ForExit().WithExitTimeout(time.Minute),
			},
			Started: true,
		})
		if err != nil {
			feedsWhy = err.Error()
			return
		}
		defer c.Terminate(ctx)
		rc, err := c.Logs(ctx)
		if err != nil {
			feedsWhy = err.Error()
			return
		}
		defer rc.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := rc.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		feedsOK = strings.Contains(b.String(), "-sources")
		if !feedsOK {
			feedsWhy = "the fetcher has no -sources flag (feed sources not built yet)"
		}
	})
	if !feedsOK {
		t.Logf("load through the inbox directory: %s", feedsWhy)
	}
	return feedsOK
}

func loadSources() string {
	return fmt.Sprintf(`sources:
  - id: %s
    kind: feed
    url: %s/feed.xml
    interval: 1s
    max_items: 500
`, loadSourceID, feedBase)
}

// loader offers generated articles to the fetcher, through the feed
// server or the inbox directory.
type loader struct {
	s       *stack
	feed    bool
	total   int
	offered int
	step    int
	mu      sync.Mutex
}

func newLoader(t *testing.T, total int) (*loader, stackOptions) {
	l := &loader{total: total, step: 250}
	var o stackOptions
	if fetcherReadsFeeds(t) {
		l.feed = true
		o.sources = loadSources()
	}
	return l, o
}

func (l *loader) progress() (offered, total int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.offered, l.total
}

// offerNext offers the next step of articles. Through the feed it waits
// until the fetcher has published nearly all of the previous ones, so no
// article leaves the feed's window unseen.
func (l *loader) offerNext() (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.offered >= l.total {
		return false, nil
	}
	upto := min(l.offered+l.step, l.total)
	if l.feed {
		counts, err := l.s.countSubjects(events.StreamRaw, events.RawSubject(loadSourceID))
		if err != nil {
			return true, err
		}
		if int(counts[events.RawSubject(loadSourceID)]) < l.offered-100 {
			return true, nil // the fetcher is behind (or down): keep the window
		}
		if err := l.s.postOffer(upto); err != nil {
			return true, err
		}
	} else {
		for n := l.offered; n < upto; n++ {
			a := corpus.Generate(n)
			p := filepath.Join(l.s.inbox, fmt.Sprintf("article-%07d.txt", n))
			if err := os.WriteFile(p+".part", a.TextFile(), 0o644); err != nil {
				return true, err
			}
			if err := os.Rename(p+".part", p); err != nil {
				return true, err
			}
		}
	}
	l.offered = upto
	return true, nil
}

// start runs the loader in the background; the returned channel closes
// when every article is offered. A test that ends early stops it (and
// waits for it, so it never logs after the test).
func (l *loader) start(t *testing.T) <-chan struct{} {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.run(ctx, t, 250*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })
	return done
}

// run offers every article, a step at a time, pacing steps by every.
func (l *loader) run(ctx context.Context, t *testing.T, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		more, err := l.offerNext()
		if err != nil {
			t.Logf("offer: %v (retrying)", err)
		}
		if !more {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// scenario runs load through a fresh stack while fault runs, then checks
// the end state and logs the report.
func scenario(t *testing.T, name string, articles int, fault func(s *stack, l *loader, m *meter) string) {
	start := time.Now()
	l, o := newLoader(t, articles)
	s := startStack(t, o)
	l.s = s
	m := newMeter(s)
	loadDone := l.start(t)

	faults := "none"
	if fault != nil {
		faults = fault(s, l, m)
	}
	<-loadDone
	s.waitSettled(loadSourceID, articles, time.Duration(articles/15+300)*time.Second)
	r := report{scenario: name, articles: articles, faults: faults, elapsed: time.Since(start)}
	r.lost, r.dups, r.dlq = s.verify(expectation{source: loadSourceID, articles: articles, dlq: map[string]int{}}, m, fault != nil)
	s.checkHealthy(&r)
	r.log(t)
}

// waitStored blocks until at least n articles of the load are stored.
func waitStored(s *stack, n int, within time.Duration) {
	deadline := time.Now().Add(within)
	for s.storedCount(loadSourceID) < n && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
	}
}

// TestSteadyLoad: at least 20,000 articles through the whole pipeline,
// no faults; every counter must agree exactly.
func TestSteadyLoad(t *testing.T) {
	scenario(t, "steady load", size(20000, 100000), nil)
}

// TestKillStages: every stage (the fetcher, both enrichers, the sink) is
// killed with SIGKILL at random moments while articles flow, and started
// again, until each has died at least twice.
func TestKillStages(t *testing.T) {
	articles := size(10000, 40000)
	scenario(t, "kill -9 stages", articles, func(s *stack, l *loader, m *meter) string {
		rng := newRand(seed(t))
		minKills := 2
		if soak() {
			minKills = 6
		}
		kills := 0
		// Kill until every stage died minKills times and most articles are
		// stored, so deaths fall while all the stages are busy.
		deadline := time.Now().Add(time.Duration(articles/15+300) * time.Second)
		for time.Now().Before(deadline) {
			allDone := true
			for _, n := range s.stages() {
				if n.kills < minKills {
					allDone = false
				}
			}
			if allDone && s.storedCount(loadSourceID) >= articles*4/5 {
				break
			}
			time.Sleep(time.Duration(1500+rng.IntN(3500)) * time.Millisecond)
			stages := s.stages()
			n := stages[rng.IntN(len(stages))]
			s.kill(n)
			m.ended(n, false)
			kills++
			time.Sleep(time.Duration(200+rng.IntN(1500)) * time.Millisecond)
			s.start(n)
			t.Logf("killed and restarted %s (stored %d)", n.name, s.storedCount(loadSourceID))
		}
		var per []string
		for _, n := range s.stages() {
			per = append(per, fmt.Sprintf("%s %d", n.name, n.kills))
		}
		return fmt.Sprintf("%d SIGKILLs (%s)", kills, strings.Join(per, ", "))
	})
}

// TestNATSNodeFaults: one NATS node is stopped and started again, then
// another is cut off the network and reconnected, while articles flow.
func TestNATSNodeFaults(t *testing.T) {
	articles := size(10000, 40000)
	scenario(t, "NATS node stop and partition", articles, func(s *stack, l *loader, m *meter) string {
		waitStored(s, articles/5, 5*time.Minute)
		grace := 20 * time.Second
		if code := s.terminate(s.nats[1], grace); code != 0 {
			t.Logf("nats2 exited %d on SIGTERM", code)
		}
		t.Log("nats2 stopped")
		time.Sleep(8 * time.Second)
		s.start(s.nats[1])
		t.Log("nats2 started again")
		waitStored(s, articles*11/20, 5*time.Minute)
		s.disconnect(s.nats[2])
		t.Log("nats3 cut off the network")
		time.Sleep(15 * time.Second)
		s.reconnect(s.nats[2])
		t.Log("nats3 reconnected")
		return "nats2 stopped 8 s; nats3 partitioned 15 s"
	})
}

// TestPostgresRestart: the database is restarted (a fast shutdown) and
// later killed with SIGKILL and started again, while articles flow.
func TestPostgresRestart(t *testing.T) {
	articles := size(10000, 40000)
	scenario(t, "PostgreSQL restart", articles, func(s *stack, l *loader, m *meter) string {
		waitStored(s, articles/4, 5*time.Minute)
		s.terminate(s.pg, 20*time.Second)
		t.Log("postgres stopped")
		time.Sleep(6 * time.Second)
		s.start(s.pg)
		t.Log("postgres started again")
		waitStored(s, articles*3/5, 5*time.Minute)
		s.kill(s.pg)
		t.Log("postgres killed")
		time.Sleep(4 * time.Second)
		s.start(s.pg)
		t.Log("postgres started again")
		return "stop 6 s + SIGKILL 4 s"
	})
}

// TestRollingRestart: every stage in turn gets SIGTERM, must exit 0 within
// its grace period, and is started again, like a Kubernetes rollout.
func TestRollingRestart(t *testing.T) {
	articles := size(10000, 40000)
	scenario(t, "SIGTERM rolling restart", articles, func(s *stack, l *loader, m *meter) string {
		waitStored(s, articles/10, 5*time.Minute)
		rounds := 1
		if soak() {
			rounds = 3
		}
		n := 0
		for range rounds {
			for _, st := range s.stages() {
				m.scrape(st)
				code := s.terminate(st, 30*time.Second)
				// The last scrape came before SIGTERM: the drain's counts are
				// lost from the meter, so this life is not exact either.
				m.ended(st, false)
				if code != 0 {
					t.Errorf("%s exited %d on SIGTERM, want 0", st.name, code)
				}
				s.start(st)
				n++
				time.Sleep(2 * time.Second)
			}
		}
		return fmt.Sprintf("%d SIGTERMs, every exit 0", n)
	})
}
