package sink_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage/broker"
	"github.com/newsflow/newsflow/pkg/stage/natstest"
	"github.com/newsflow/newsflow/services/sink"
	"github.com/newsflow/newsflow/services/sink/internal/store"
	"github.com/newsflow/newsflow/services/sink/internal/store/storetest"
	"github.com/newsflow/newsflow/services/sink/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type env struct {
	url string
	js  jetstream.JetStream
	nc  *nats.Conn
}

func newEnv(t *testing.T) *env {
	srv := natstest.Start(t)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	if err := broker.EnsureStreams(context.Background(), js, broker.Defaults()); err != nil {
		t.Fatal(err)
	}
	return &env{url: srv.ClientURL(), js: js, nc: nc}
}

func (e *env) publish(t *testing.T, a events.EnrichedArticle) {
	t.Helper()
	data, err := events.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	e.publishRaw(t, events.EnrichedSubject(a.Article.Source), events.EnrichedMsgID(a.Article.ID, a.EnricherVersion), data)
}

func (e *env) publishRaw(t *testing.T, subject, id string, data []byte) {
	t.Helper()
	h := nats.Header{}
	h.Set(events.HeaderMsgID, id)
	if _, err := e.js.PublishMsg(context.Background(), &nats.Msg{Subject: subject, Header: h, Data: data}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) streamMsgs(t *testing.T, name string) uint64 {
	s, err := e.js.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func (e *env) settled(durable string) bool {
	c, err := e.js.Consumer(context.Background(), events.StreamEnriched, durable)
	if err != nil {
		return false
	}
	info, err := c.Info(context.Background())
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0
}

func config(url, database string, reg *prometheus.Registry) sink.Config {
	c := sink.DefaultConfig()
	c.Broker.URL = url
	c.HTTPAddr = "off"
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	c.Registry = reg
	c.Database = database
	c.Consumer.AckWait = 2 * time.Second
	c.Consumer.BackOff = nil
	c.Consumer.RetryDelays = []time.Duration{50 * time.Millisecond}
	c.Consumer.InfoInterval = 100 * time.Millisecond
	c.Consumer.Batch = 32
	return c
}

func start(t *testing.T, c sink.Config) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sink.Run(ctx, c) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sink.Run: %v", err)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func databases(t *testing.T) map[string]string {
	return map[string]string{
		"sqlite":   "sqlite:" + filepath.Join(t.TempDir(), "newsflow.db"),
		"postgres": pgtest.Start(t),
	}
}

func openStore(t *testing.T, database string) store.Store {
	st, err := sink.OpenStore(context.Background(), database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// N articles in, exactly N stored; duplicates and redeliveries stored once;
// an undecodable message dead-lettered while the sink goes on.
func TestSinkStoresEachArticleOnce(t *testing.T) {
	for name, database := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			const n = 200
			var want []string
			for i := range n {
				a := storetest.Article(i, 1)
				e.publish(t, a)
				want = append(want, a.Article.ID)
			}
			e.publish(t, storetest.Article(3, 1)) // the same event again: de-duplicated by the stream
			// A newer enrichment of article 5 under another version: a second
			// message, one stored article.
			e.publish(t, storetest.Article(5, 2))
			e.publishRaw(t, "news.enriched.test", "junk", []byte(`{"schema_version":1,"article":`))
			e.publishRaw(t, "news.enriched.test", "v2", []byte(`{"schema_version":2}`))

			reg := prometheus.NewRegistry()
			stop := start(t, config(e.url, database, reg))
			waitFor(t, "dead letters", func() bool { return e.streamMsgs(t, events.StreamDLQ) == 2 })
			waitFor(t, "consumer settled", func() bool { return e.settled("sink") })
			stop()

			st := openStore(t, database)
			ids, err := st.IDs(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Fatalf("stored %d IDs, want exactly the %d published", len(ids), len(want))
			}
			got, err := st.Get(context.Background(), storetest.Article(5, 2).Article.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.EnricherVersion != storetest.Article(5, 2).EnricherVersion {
				t.Errorf("article 5 has enrichment %q, want the newer one", got.EnricherVersion)
			}
			if v := testutil.ToFloat64(counter(t, reg, "newsflow_sink_messages_total", "dead_letter")); v != 2 {
				t.Errorf("dead_letter outcomes = %v, want 2", v)
			}
		})
	}
}

func counter(t *testing.T, reg *prometheus.Registry, name, outcome string) prometheus.Collector {
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "x", Help: "x"},
						func() float64 { return m.GetCounter().GetValue() })
				}
			}
		}
	}
	t.Fatalf("no %s{outcome=%q}", name, outcome)
	return nil
}

// A sink process killed (SIGKILL) mid-batch, before it could ack, and
// restarted stores everything exactly once.
func TestSinkKilledMidBatchLosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a sink process")
	}
	e := newEnv(t)
	database := "sqlite:" + filepath.Join(t.TempDir(), "newsflow.db")
	const n = 2000
	for i := range n {
		e.publish(t, storetest.Article(i, 1))
	}
	bin := filepath.Join(t.TempDir(), "sink")
	build := exec.Command("go", "build", "-o", bin, "./cmd/sink")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	run := func() *exec.Cmd {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(),
			"NEWSFLOW_NATS_URL="+e.url, "NEWSFLOW_DATABASE="+database, "NEWSFLOW_HTTP_ADDR=off",
			"NEWSFLOW_BATCH=16", "NEWSFLOW_ACK_WAIT=2s", "NEWSFLOW_REDELIVERY_BACKOFF=2s", "NEWSFLOW_LOG_LEVEL=warn")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	st := openStore(t, database)
	count := func() int {
		n, err := st.Count(context.Background())
		if err != nil {
			return -1
		}
		return n
	}
	kills := 0
	for round := 0; round < 3 && count() < n; round++ {
		cmd := run()
		before := count()
		waitFor(t, "progress", func() bool { return count() > before+100 || count() == n })
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		kills++
	}
	cmd := run()
	waitFor(t, "consumer settled", func() bool { return e.settled("sink") && count() == n })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sink did not exit cleanly on SIGTERM: %v", err)
	}
	ids, err := st.IDs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != n || len(slices.Compact(ids)) != n {
		t.Fatalf("stored %d IDs after %d kills, want %d distinct", len(ids), kills, n)
	}
	if got := e.streamMsgs(t, events.StreamDLQ); got != 0 {
		t.Fatalf("%d dead letters", got)
	}
	t.Logf("%d articles stored exactly once across %d kills", n, kills)
}
