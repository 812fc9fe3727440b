//go:build deploycheck

package deploycheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"golang.org/x/sync/errgroup"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/services/enricher"
	"github.com/newsflow/newsflow/services/fetcher"
	"github.com/newsflow/newsflow/services/sink"
)

// violations records the permission violations a NATS server logs.
type violations struct {
	mu   sync.Mutex
	msgs []string
}

func (v *violations) record(format string, args []any) {
	msg := fmt.Sprintf(format, args...)
	if strings.Contains(strings.ToLower(msg), "violation") {
		v.mu.Lock()
		v.msgs = append(v.msgs, msg)
		v.mu.Unlock()
	}
}

func (v *violations) list() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.msgs...)
}

func (v *violations) Noticef(format string, args ...any) { v.record(format, args) }
func (v *violations) Warnf(format string, args ...any)   { v.record(format, args) }
func (v *violations) Fatalf(format string, args ...any)  { v.record(format, args) }
func (v *violations) Errorf(format string, args ...any)  { v.record(format, args) }
func (v *violations) Debugf(format string, args ...any)  { v.record(format, args) }
func (v *violations) Tracef(format string, args ...any)  {}

// startNATS starts a JetStream server with the accounts of
// deploy/nats/values.yaml, its monitoring port on, and returns its client
// URL and monitoring URL.
func startNATS(t *testing.T, v *violations) (clientURL, monitorURL string) {
	t.Helper()
	setPasswordEnv(t)
	dir := t.TempDir()
	conf, err := natsValues(t).ServerConfig(map[string]any{
		"host": "127.0.0.1", "port": -1, "http": "127.0.0.1:-1", "server_name": "deploycheck",
		"jetstream": map[string]any{"store_dir": filepath.Join(dir, "js")},
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(path, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts.NoSigs = true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.SetLoggerV2(v, false, false, false)
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL(), fmt.Sprintf("http://%s", s.MonitorAddr())
}

// sampleArticles returns the local stack's sample inbox files.
func sampleArticles(t testing.TB) map[string][]byte {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "deploy", "local", "stack", "inbox")
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no sample articles in %s: %v", dir, err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// sampleBodies returns the texts of the sample articles, without their
// date lines, in a fixed order.
func sampleBodies(t testing.TB) []string {
	t.Helper()
	var bodies []string
	for _, b := range sampleArticles(t) {
		text := string(b)
		if strings.HasPrefix(text, "date ") {
			_, text, _ = strings.Cut(text, "\n")
		}
		bodies = append(bodies, strings.TrimSpace(text))
	}
	sort.Strings(bodies)
	return bodies
}

// poisonFile is an inbox file the fetcher cannot read as text: it is
// dead-lettered.
var poisonFile = []byte("\xff\xfe\x00binary\x00\xff")

// stages runs the three stages against natsURL as the given NATS users
// until ctx ends.
type stageSet struct {
	Fetcher  fetcher.Config
	Enricher enricher.Config
	Sink     sink.Config
}

func newStageSet(natsURL, inbox, database string, users bool) stageSet {
	common := func(user string) stage.Common {
		c := stage.DefaultCommon()
		c.Broker.URL = natsURL
		c.HTTPAddr = "127.0.0.1:0"
		c.LogLevel = "error"
		c.DrainTimeout = 5 * time.Second
		if users {
			c.Broker.User, c.Broker.Password = user, passwords[user]
		}
		return c
	}
	f := fetcher.DefaultConfig()
	f.Common = common("fetcher")
	f.Inbox = inbox
	f.InboxSettle = 100 * time.Millisecond
	e := enricher.DefaultConfig()
	e.Common = common("enricher")
	s := sink.DefaultConfig()
	s.Common = common("sink")
	s.Database = database
	return stageSet{f, e, s}
}

func (ss stageSet) run(ctx context.Context) *errgroup.Group {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return sink.Run(gctx, ss.Sink) })
	g.Go(func() error { return enricher.Run(gctx, ss.Enricher) })
	g.Go(func() error { return fetcher.Run(gctx, ss.Fetcher) })
	return g
}

// asyncErrors connects as a user and collects the asynchronous errors the
// server sends it (permission violations).
func connectAs(t *testing.T, url, user string) (*nats.Conn, <-chan error) {
	t.Helper()
	errs := make(chan error, 16)
	nc, err := nats.Connect(url, nats.UserInfo(user, passwords[user]),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	return nc, errs
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	waitExplained(t, what, d, ok, nil)
}

// waitExplained is waitFor adding what explain says, if anything, to the
// failure.
func waitExplained(t *testing.T, what string, d time.Duration, ok func() bool, explain func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			if explain != nil {
				if why := explain(); why != "" {
					what += "; " + why
				}
			}
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestNATSPermissionsSufficeAndRestrict runs the pipeline with each stage
// logged in as its own user of deploy/nats/values.yaml: articles from an
// inbox and a feed flow to storage (the fetcher using all its KV buckets),
// every stage's poison reaches the DLQ, the server logs no permission
// violation; and each user is refused what it must not do.
func TestNATSPermissionsSufficeAndRestrict(t *testing.T) {
	var v violations
	url, _ := startNATS(t, &v)
	inbox := t.TempDir()
	for name, b := range sampleArticles(t) {
		if err := os.WriteFile(filepath.Join(inbox, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(inbox, "poison.txt"), poisonFile, 0o644); err != nil {
		t.Fatal(err)
	}
	// A feed, so that the fetcher also uses its poll leases, validators and
	// item attempts: an article, a page robots.txt disallows (an item
	// dead-lettered and marked so), and a page that fails once (an attempt
	// counted, then cleared); once every item is done the validators are
	// stored, and the next poll is a conditional GET answered 304.
	site := startNewsSite(t, "The Eastmouth Courier", sampleBodies(t), 0)
	for _, k := range []storyKind{storyArticle, storyMembers, storyFlaky} {
		site.publish(k)
	}
	ss := newStageSet(url, inbox, "sqlite:"+filepath.Join(t.TempDir(), "newsflow.db"), true)
	ss.Fetcher.Sources = sourcesFile(t, time.Second, map[string]*newsSite{"courier": site})
	ss.Fetcher.AllowHosts = []string{"127.0.0.1"}
	var mu sync.Mutex
	stored := map[string]bool{}
	ss.Sink.OnCommit = func(arts []events.EnrichedArticle) {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range arts {
			stored[a.Article.ID] = true
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := ss.run(ctx)
	defer func() {
		cancel()
		if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("stages: %v", err)
		}
	}()

	// Poison for the enricher and the sink, published by the operator.
	ctl, _ := connectAs(t, url, "newsctl")
	dlq := make(chan *nats.Msg, 16)
	if _, err := ctl.ChanSubscribe(events.SubjectDLQAll, dlq); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the enricher's consumer exists", 30*time.Second, func() bool {
		_, err := ctl.Request("$JS.API.CONSUMER.INFO.NEWS_RAW.enricher", nil, time.Second)
		return err == nil
	})
	js, err := ctl.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	for _, subj := range []string{"news.raw.deploycheck", "news.enriched.deploycheck"} {
		if _, err := js.Publish(subj, []byte("{not json"), nats.MsgId("poison-"+subj)); err != nil {
			t.Fatalf("publish poison to %s: %v", subj, err)
		}
	}
	// A missing permission often shows as work that never completes: the
	// waits name the violations the server logged.
	waitFor := func(t *testing.T, what string, d time.Duration, ok func() bool) {
		t.Helper()
		waitExplained(t, what, d, ok, func() string {
			if vs := v.list(); len(vs) > 0 {
				return "the server logged permission violations:\n" + strings.Join(vs, "\n")
			}
			return ""
		})
	}
	want := len(sampleArticles(t)) + 2 // the inbox, the feed's article and its flaky page
	waitFor(t, fmt.Sprintf("%d articles stored", want), 60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(stored) == want
	})
	waitFor(t, "the flaky page fetched again after failing, and the feed answered 304", 60*time.Second, func() bool {
		notModified, flakyServed := site.counts()
		return notModified > 0 && flakyServed > 0
	})
	deadStages := map[string]bool{}
	waitFor(t, "dead letters from the fetcher, the enricher and the sink", 30*time.Second, func() bool {
		for {
			select {
			case m := <-dlq:
				deadStages[m.Header.Get(stage.HeaderDLQStage)] = true
				continue
			default:
			}
			break
		}
		return deadStages["fetcher"] && deadStages["enricher"] && deadStages["sink"]
	})
	if vs := v.list(); len(vs) > 0 {
		t.Errorf("the stages hit permission violations:\n%s", strings.Join(vs, "\n"))
	}

	// What each user must not do.
	for _, tc := range []struct {
		user, op, subject string
	}{
		{"fetcher", "pub", "news.enriched.x"},
		{"fetcher", "pub", "news.dlq.sink"},
		{"fetcher", "pub", "$JS.API.STREAM.DELETE.NEWS_RAW"},
		{"enricher", "pub", "news.raw.x"},
		{"enricher", "pub", "$JS.API.CONSUMER.DELETE.NEWS_RAW.enricher"},
		{"sink", "pub", "news.enriched.x"},
		{"sink", "pub", "$JS.API.STREAM.PURGE.NEWS_ENRICHED"},
		{"sink", "sub", "news.raw.>"},
		{"reader", "pub", "news.enriched.x"},
		{"reader", "pub", "$JS.API.CONSUMER.CREATE.NEWS_RAW.mine"},
		{"reader", "sub", "news.dlq.>"},
	} {
		t.Run(tc.user+"/"+tc.op+"/"+tc.subject, func(t *testing.T) {
			nc, errs := connectAs(t, url, tc.user)
			if tc.op == "pub" {
				err = nc.Publish(tc.subject, []byte("x"))
			} else {
				_, err = nc.SubscribeSync(tc.subject)
			}
			if err == nil {
				err = nc.Flush()
			}
			if err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-errs:
				if !errors.Is(err, nats.ErrPermissionViolation) && !strings.Contains(strings.ToLower(err.Error()), "permissions violation") {
					t.Errorf("got %v, want a permissions violation", err)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("the server allowed %s to %s %s", tc.user, tc.op, tc.subject)
			}
		})
	}
	// The refusals above are logged: the recorder that found none for the
	// stages does see violations.
	if len(v.list()) == 0 {
		t.Error("the server logged none of the refusals: the violation recorder sees nothing")
	}
}
