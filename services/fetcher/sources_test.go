package fetcher_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/pkg/stage/natstest"
	"github.com/newsflow/newsflow/services/fetcher"
	"github.com/newsflow/newsflow/services/fetcher/internal/coord"
	"github.com/newsflow/newsflow/services/fetcher/internal/testsite"
)

// sourcesConfig is a fetcher configuration reading the sources file
// written from yaml, allowed to fetch from the test site.
func sourcesConfig(t *testing.T, natsURL, yaml string) fetcher.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c := fetcher.DefaultConfig()
	c.Broker.URL = natsURL
	c.HTTPAddr = "off"
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	c.Registry = prometheus.NewRegistry()
	c.Sources = path
	c.AllowHosts = []string{testsite.AllowHost}
	c.PerHostRate = -1
	c.PerHostConcurrency = 8
	c.ReadTimeout = 200 * time.Millisecond
	c.MaxBodyBytes = 1 << 20
	c.FetchTimeout = 10 * time.Second
	return c
}

func jsFor(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// streamEvents returns every message of a stream.
func streamEvents(t *testing.T, js jetstream.JetStream, name string) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		out = append(out, m)
	}
	return out
}

func rawArticles(t *testing.T, js jetstream.JetStream) map[string]events.RawArticle {
	t.Helper()
	out := map[string]events.RawArticle{}
	for _, m := range streamEvents(t, js, events.StreamRaw) {
		a, err := events.DecodeRaw(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[a.ID]; dup {
			t.Errorf("article %s (%s) is in the raw stream twice", a.ID, a.URL)
		}
		if m.Subject != events.RawSubject(a.Source) || m.Header.Get(events.HeaderMsgID) != a.ID {
			t.Errorf("event %s on %s with Msg-Id %s", a.ID, m.Subject, m.Header.Get(events.HeaderMsgID))
		}
		out[a.URL] = a
	}
	return out
}

// metric sums the samples of a metric whose labels include want.
func metric(t *testing.T, g prometheus.Gatherer, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	sample:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue sample
				}
			}
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}

func TestFeedSourcesPublishTheirPagesText(t *testing.T) {
	srv := natstest.Start(t)
	site := testsite.Start(t)
	c := sourcesConfig(t, srv.ClientURL(), fmt.Sprintf(`
sources:
  - id: courier
    kind: feed
    url: %[1]s/rss-nocontent.xml
  - id: europa
    kind: feed
    url: %[1]s/latin1.xml
`, site.URL))
	c.Once = true
	var rec recorder
	c.Observe = rec.observe
	if err := fetcher.Run(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	js := jsFor(t, srv.ClientURL())
	got := rawArticles(t, js)
	if len(got) != len(testsite.Articles)+2 || rec.count("new") != len(got) {
		t.Fatalf("%d articles published (%v), want %d", len(got), rec.got, len(testsite.Articles)+2)
	}
	for _, art := range testsite.Articles {
		a, ok := got[site.PageURL(art.Slug)]
		if !ok {
			t.Errorf("no event for %s", art.Slug)
			continue
		}
		if a.Source != "courier" || a.SourceKind != events.KindFeed || a.Title != art.Title ||
			!strings.Contains(a.Body, art.Paras[0]) || !strings.Contains(a.Body, art.Paras[len(art.Paras)-1]) {
			t.Errorf("event for %s: %+v", art.Slug, a)
		}
		for _, b := range testsite.Boilerplate {
			if strings.Contains(a.Body, b) {
				t.Errorf("%s: body holds boilerplate %q", art.Slug, b)
			}
		}
	}
	var titles []string
	for _, a := range got {
		if a.Source == "europa" {
			titles = append(titles, a.Title)
			if !strings.Contains(a.Body, testsite.Latin1Text) {
				t.Errorf("ISO-8859-1 page body %q lacks %q", a.Body, testsite.Latin1Text)
			}
		}
	}
	slices.Sort(titles)
	if want := slices.Sorted(slices.Values(testsite.Latin1Titles)); !slices.Equal(titles, want) {
		t.Errorf("ISO-8859-1 feed titles %q, want %q", titles, want)
	}
	for _, m := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"newsflow_fetcher_polls_total", map[string]string{"source": "courier", "outcome": "ok"}, 1},
		{"newsflow_fetcher_articles_total", map[string]string{"source": "courier", "outcome": "new"}, float64(len(testsite.Articles))},
		// robots.txt once, two feeds, and the pages.
		{"newsflow_fetcher_http_requests_total", map[string]string{"class": "2xx"}, float64(1 + 2 + len(testsite.Articles) + 2)},
		{"newsflow_fetcher_fetches_total", map[string]string{"source": "europa", "outcome": "ok"}, 3}, // the feed, 2 pages
	} {
		if got := metric(t, c.Registry, m.name, m.labels); got != m.want {
			t.Errorf("%s%v = %v, want %v", m.name, m.labels, got, m.want)
		}
	}
	if metric(t, c.Registry, "newsflow_fetcher_http_response_bytes_total", map[string]string{"source": "courier"}) == 0 {
		t.Error("no response bytes counted")
	}
}

func TestHostileAndBrokenPagesEndCountedOrDeadLettered(t *testing.T) {
	srv := natstest.Start(t)
	site := testsite.Start(t)
	c := sourcesConfig(t, srv.ClientURL(), fmt.Sprintf(`
sources:
  - id: hostile
    kind: feed
    url: %[1]s/hostile.xml
  - id: broken
    kind: feed
    url: %[1]s/broken.xml
  - id: gone
    kind: feed
    url: %[1]s/no-such-feed.xml
`, site.URL))
	c.Once = true
	c.MaxItemAttempts = 1
	var rec recorder
	c.Observe = rec.observe
	if err := fetcher.Run(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	js := jsFor(t, srv.ClientURL())
	reasons := map[string]string{}
	for _, m := range streamEvents(t, js, events.StreamDLQ) {
		reasons[strings.TrimPrefix(m.Header.Get(stage.HeaderDLQSubject), site.URL+"/hostile/")] = m.Header.Get(stage.HeaderDLQReason)
		if m.Subject != "news.dlq.fetcher" {
			t.Errorf("dead letter on %s", m.Subject)
		}
	}
	for name, want := range map[string]string{
		"endless": "too large", "trickle": "timeout", "bomb": "too large", "loop": "redirect loop", "to-loopback": "refused",
	} {
		if !strings.Contains(reasons[name], want) {
			t.Errorf("dead letter of /hostile/%s has reason %q, want it to mention %q", name, reasons[name], want)
		}
	}
	if len(reasons) != len(testsite.Hostile) {
		t.Errorf("dead letters %v, want one per hostile page", reasons)
	}
	if n := site.CanaryConnections(); n != 0 {
		t.Errorf("%d connections reached 127.0.0.1", n)
	}
	// The broken pages' items are published from the feed's text.
	got := rawArticles(t, js)
	if len(got) != 2 || rec.count("skipped") != len(testsite.Hostile) {
		t.Errorf("%d published and %d skipped, want 2 and %d", len(got), rec.count("skipped"), len(testsite.Hostile))
	}
	for _, m := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"newsflow_fetcher_items_dead_lettered_total", map[string]string{"source": "hostile"}, 5},
		{"newsflow_fetcher_fallbacks_total", map[string]string{"source": "broken"}, 2},
		{"newsflow_fetcher_polls_total", map[string]string{"source": "gone", "outcome": "status_4xx"}, 1},
	} {
		if got := metric(t, c.Registry, m.name, m.labels); got != m.want {
			t.Errorf("%s%v = %v, want %v", m.name, m.labels, got, m.want)
		}
	}
}

func TestThreeReplicasPollEachFeedOncePerIntervalAndPublishEachArticleOnce(t *testing.T) {
	srv := natstest.Start(t)
	site := testsite.Start(t)
	const interval = time.Second
	// Each source's intervals start at its own phase (a hash of its ID).
	// Pick a second source whose phase is close to the first one's, and
	// start the replicas just after an interval begins, so that the first
	// polls of both sources happen early in an interval: every request
	// then lies in the interval whose lease it was made under.
	phase := func(id string) time.Duration {
		return coord.NextBoundary(id, interval, time.Unix(0, 0)).Sub(time.Unix(0, 0)) % interval
	}
	feedID, sitemapID := "courier", ""
	for i := 0; sitemapID == ""; i++ {
		id := fmt.Sprintf("courier-sitemap-%d", i)
		if d := (phase(id) - phase(feedID) + interval) % interval; d < interval/10 {
			sitemapID = id
		}
	}
	// Two sources list the same articles, so replicas race on items too.
	yaml := fmt.Sprintf(`
sources:
  - id: %[2]s
    kind: feed
    url: %[1]s/rss-nocontent.xml
    interval: 1s
  - id: %[3]s
    kind: sitemap
    url: %[1]s/sitemap.xml
    interval: 1s
`, site.URL, feedID, sitemapID)
	time.Sleep(time.Until(coord.NextBoundary(feedID, interval, time.Now())))
	var recs [3]recorder
	var cfgs [3]fetcher.Config
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	start := time.Now()
	for i := range cfgs {
		cfgs[i] = sourcesConfig(t, srv.ClientURL(), yaml)
		cfgs[i].Observe = recs[i].observe
		wg.Go(func() { errs <- fetcher.Run(ctx, cfgs[i]) })
	}
	time.Sleep(2 * interval)
	fresh := testsite.Article{
		Slug: "ferry-cancelled", Title: "Island ferry cancelled as storm approaches", Byline: "Ola Nordmann",
		Published: "2026-03-05T06:00:00Z", Lead: "No sailings until Friday.",
		Paras: []string{
			"All sailings of the island ferry were cancelled on Thursday as a storm with gusts of up to 120 kilometres an hour approached the coast, the operator said.",
			"The operator said passengers with tickets could travel on any sailing until the end of next week or ask for a refund at the harbour office or online.",
			"Forecasters expect the wind to ease on Friday afternoon, when the first crossing is planned to leave the mainland at four o'clock if the sea allows.",
		},
	}
	site.Publish(fresh)
	time.Sleep(5*interval/2 + interval/4)
	cancel()
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	for _, doc := range []struct{ path, source string }{{"/rss-nocontent.xml", feedID}, {"/sitemap.xml", sitemapID}} {
		// Each request belongs to the interval it was made in (identified
		// by the interval's end): one request per interval, in every
		// interval from the first to the last.
		times := site.Times(doc.path)
		var ends []time.Time
		for _, at := range times {
			ends = append(ends, coord.NextBoundary(doc.source, interval, at))
		}
		for i := 1; i < len(ends); i++ {
			switch gap := ends[i].Sub(ends[i-1]); {
			case gap == 0:
				t.Errorf("%s requested twice in the interval ending %s: two replicas polled it", doc.path, ends[i].Format("15:04:05.000"))
			case gap > interval:
				t.Errorf("%s not requested in the %d intervals before %s", doc.path, gap/interval-1, ends[i].Format("15:04:05.000"))
			}
		}
		if len(times) < 3 {
			t.Errorf("%s requested %d times in %s, want one per interval", doc.path, len(times), elapsed)
		}
		polls, skips := 0.0, 0.0
		for i := range cfgs {
			polls += metric(t, cfgs[i].Registry, "newsflow_fetcher_polls_total", map[string]string{"source": doc.source})
			skips += metric(t, cfgs[i].Registry, "newsflow_fetcher_lease_skips_total", map[string]string{"source": doc.source})
		}
		if int(polls) != len(times) {
			t.Errorf("%s: %v polls counted by the replicas, %d requests served", doc.source, polls, len(times))
		}
		if skips == 0 {
			t.Errorf("%s: no lease skips: the replicas did not compete", doc.source)
		}
	}

	js := jsFor(t, srv.ClientURL())
	got := rawArticles(t, js) // also fails on an article published twice
	want := len(testsite.Articles) + 1
	newCount := 0
	for i := range recs {
		newCount += recs[i].count("new")
	}
	if len(got) != want || newCount != want {
		t.Errorf("%d articles in the stream, %d published as new; want %d each", len(got), newCount, want)
	}
	if _, ok := got[site.PageURL(fresh.Slug)]; !ok {
		t.Error("the article published during the run was not picked up")
	}
}

func TestSourcesFileReload(t *testing.T) {
	srv := natstest.Start(t)
	site := testsite.Start(t)
	feedA := fmt.Sprintf("sources:\n  - id: courier\n    kind: feed\n    url: %s/rss-nocontent.xml\n    interval: 1s\n", site.URL)
	c := sourcesConfig(t, srv.ClientURL(), feedA)
	hup := make(chan os.Signal, 1)
	c.Reload = hup
	var rec recorder
	c.Observe = rec.observe
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fetcher.Run(ctx, c) }()
	waitUntil(t, "the feed's articles", func() bool { return rec.count("new") == len(testsite.Articles) })

	// A broken file is refused and counted; the feed goes on being polled.
	rewrite(t, c.Sources, feedA+"  - id: bad\n    kind: feed\n")
	waitUntil(t, "the reload error to be counted", func() bool {
		return metric(t, c.Registry, "newsflow_fetcher_sources_reloads_total", map[string]string{"outcome": "error"}) >= 1
	})
	hits := site.Hits("/rss-nocontent.xml")
	waitUntil(t, "the feed to be polled again", func() bool { return site.Hits("/rss-nocontent.xml") > hits })

	// A valid file adds a page source.
	rewrite(t, c.Sources, feedA+fmt.Sprintf("  - id: one-page\n    kind: page\n    url: %s/latin/page\n", site.URL))
	waitUntil(t, "the new page source's article", func() bool { return rec.count("new") == len(testsite.Articles)+1 })
	if metric(t, c.Registry, "newsflow_fetcher_sources", map[string]string{"kind": "page"}) != 1 {
		t.Error("sources{kind=page} is not 1")
	}

	// SIGHUP reloads; removing the feed stops its polls.
	rewriteInPlace(t, c.Sources, fmt.Sprintf("sources:\n  - id: one-page\n    kind: page\n    url: %s/latin/page\n", site.URL))
	okBefore := metric(t, c.Registry, "newsflow_fetcher_sources_reloads_total", map[string]string{"outcome": "ok"})
	hup <- syscall.SIGHUP
	waitUntil(t, "SIGHUP to reload", func() bool {
		return metric(t, c.Registry, "newsflow_fetcher_sources_reloads_total", map[string]string{"outcome": "ok"}) > okBefore &&
			metric(t, c.Registry, "newsflow_fetcher_sources", map[string]string{"kind": "feed"}) == 0
	})
	hits = site.Hits("/rss-nocontent.xml")
	time.Sleep(2500 * time.Millisecond)
	if site.Hits("/rss-nocontent.xml") != hits {
		t.Error("a removed source is still polled")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rewrite replaces a file by renaming a new one over it.
func rewrite(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// rewriteInPlace writes a file where it is, without touching its directory
// entry, as a reload by SIGHUP expects. The watcher may see it too.
func rewriteInPlace(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
