package poll

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/fetcher/internal/coord"
	"github.com/newsflow/newsflow/services/fetcher/internal/ingest"
	"github.com/newsflow/newsflow/services/fetcher/internal/sources"
	"github.com/newsflow/newsflow/services/fetcher/internal/testsite"
	"github.com/newsflow/newsflow/services/fetcher/internal/web"
)

// fakeOut is a Publisher that keeps what it is given.
type fakeOut struct {
	mu        sync.Mutex
	seen      map[string]bool
	published []events.RawArticle
	rejected  []rejection
	dups      int
	fail      error // returned by Submit when set
}

type rejection struct {
	source, origin string
	data           []byte
	cause          error
}

func (f *fakeOut) Seen(_ context.Context, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[id], nil
}

func (f *fakeOut) Submit(_ context.Context, a events.RawArticle, also ...string) (ingest.Outcome, error) {
	if err := a.Validate(); err != nil {
		return ingest.OutcomeSkipped, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return "", f.fail
	}
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	for _, id := range also {
		f.seen[id] = true
	}
	if f.seen[a.ID] {
		return ingest.OutcomeDuplicate, nil
	}
	f.seen[a.ID] = true
	f.published = append(f.published, a)
	return ingest.OutcomeNew, nil
}

func (f *fakeOut) Reject(_ context.Context, source, origin string, data []byte, cause error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejected = append(f.rejected, rejection{source, origin, data, cause})
	return nil
}

func (f *fakeOut) Duplicate(events.RawArticle) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dups++
}

func (f *fakeOut) byURL() map[string]events.RawArticle {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]events.RawArticle{}
	for _, a := range f.published {
		m[a.URL] = a
	}
	return m
}

// memAttempts is an Attempts in memory.
type memAttempts struct {
	mu sync.Mutex
	m  map[string]coord.Attempt
}

func (a *memAttempts) Get(_ context.Context, id string) (coord.Attempt, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.m[id], nil
}

func (a *memAttempts) Fail(_ context.Context, id, reason string, now time.Time) (coord.Attempt, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[string]coord.Attempt{}
	}
	at := a.m[id]
	at.Count++
	at.Reason, at.Last = reason, now
	a.m[id] = at
	return at, nil
}

func (a *memAttempts) Bury(_ context.Context, id, reason string, now time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[string]coord.Attempt{}
	}
	at := a.m[id]
	at.Dead, at.Reason, at.Last = true, reason, now
	a.m[id] = at
	return nil
}

func (a *memAttempts) Clear(_ context.Context, id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, id)
	return nil
}

type harness struct {
	site     *testsite.Site
	out      *fakeOut
	attempts *memAttempts
	metrics  *Metrics
	poller   *Poller
}

func newHarness(t *testing.T, c Config) *harness {
	t.Helper()
	site := testsite.Start(t)
	client, err := web.New(web.Config{
		AllowHosts: []string{testsite.AllowHost}, PerHostRate: -1, PerHostConcurrency: 8,
		MaxBodyBytes: 1 << 20, IdleReadTimeout: 100 * time.Millisecond, ResponseHeaderTimeout: 2 * time.Second,
		Timeout: 10 * time.Second, MaxRetries: -1,
	}, web.WithValidators(&web.MemoryValidators{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{site: site, out: &fakeOut{}, attempts: &memAttempts{}, metrics: m}
	h.poller = New(client, h.out, h.attempts, m, nil, time.Now, c)
	return h
}

func (h *harness) source(kind, path string) sources.Source {
	return sources.Source{ID: "courier", Kind: kind, URL: h.site.URL + path, Interval: time.Minute, MaxItems: 100, FetchPages: true}
}

// checkPageArticle checks that a is the article of the site's page for art.
func checkPageArticle(t *testing.T, site *testsite.Site, a events.RawArticle, art testsite.Article, kind string) {
	t.Helper()
	wantURL := site.PageURL(art.Slug)
	wantID, _ := events.ArticleIDFromURL(wantURL)
	if a.URL != wantURL || a.ID != wantID {
		t.Errorf("%s: URL %q ID %s, want %q %s", art.Slug, a.URL, a.ID, wantURL, wantID)
	}
	if a.Title != art.Title || a.Source != "courier" || a.SourceKind != kind || a.Language != "en" && a.Language != "en-gb" {
		t.Errorf("%s: title %q source %q kind %q language %q", art.Slug, a.Title, a.Source, a.SourceKind, a.Language)
	}
	if !strings.Contains(a.Byline, art.Byline) {
		t.Errorf("%s: byline %q, want %q", art.Slug, a.Byline, art.Byline)
	}
	if want, _ := time.Parse(time.RFC3339, art.Published); a.PublishedAt == nil || !a.PublishedAt.Equal(want) {
		t.Errorf("%s: published %v, want %v", art.Slug, a.PublishedAt, want)
	}
	for _, p := range []string{art.Paras[0], art.Paras[len(art.Paras)-1]} {
		if !strings.Contains(a.Body, p) {
			t.Errorf("%s: body lacks the paragraph %q\nbody: %s", art.Slug, p, a.Body)
		}
	}
	for _, b := range testsite.Boilerplate {
		if strings.Contains(a.Body, b) {
			t.Errorf("%s: body holds boilerplate %q", art.Slug, b)
		}
	}
	if err := a.Validate(); err != nil {
		t.Error(err)
	}
}

func TestFeedItemsBecomeArticlesFromTheirPages(t *testing.T) {
	h := newHarness(t, Config{})
	src := h.source(sources.KindFeed, "/rss-nocontent.xml")
	r := h.poller.Poll(context.Background(), src)
	if r.Outcome != OutcomeOK || r.New != len(testsite.Articles) || r.Failed+r.DeadLettered+r.Deferred != 0 {
		t.Fatalf("first poll %+v, want %d new", r, len(testsite.Articles))
	}
	got := h.out.byURL()
	for _, art := range testsite.Articles {
		// The feed's links are relative, under a relative channel link, and
		// carry utm_ parameters: the article URL is absolute and clean.
		a, ok := got[h.site.PageURL(art.Slug)]
		if !ok {
			t.Errorf("no article for %s; got %v", art.Slug, slices.Collect(maps.Keys(got)))
			continue
		}
		checkPageArticle(t, h.site, a, art, sources.KindFeed)
		if n := h.site.Hits("/news/" + art.Slug); n != 1 {
			t.Errorf("page %s fetched %d times, want 1", art.Slug, n)
		}
	}

	// Unchanged feed: a conditional GET answered 304, nothing fetched.
	r = h.poller.Poll(context.Background(), src)
	if r.Outcome != "not_modified" || r.New != 0 {
		t.Errorf("second poll %+v, want not_modified", r)
	}

	// A new story: only its page is fetched, the others are known.
	fresh := testsite.Article{
		Slug: "bridge-closed", Title: "Old bridge closed after inspectors find cracks", Byline: "Nina Petrova",
		Published: "2026-03-05T07:15:00Z", Lead: "The bridge will stay shut for months.",
		Paras: []string{
			"The old stone bridge over the river Ouse was closed to traffic on Thursday after inspectors found cracks in two of its arches, the city council said.",
			"Buses will be diverted over the ring road for at least three months while engineers decide whether the arches can be repaired or must be rebuilt.",
			"Shop owners on both banks said the closure would cut them off from customers who usually walk across from the station, and asked the council for help with their rents.",
			"The bridge, which dates from 1764, carried about eleven thousand vehicles a day before it was closed, according to the council's most recent traffic count.",
		},
	}
	h.site.Publish(fresh)
	r = h.poller.Poll(context.Background(), src)
	if r.Outcome != OutcomeOK || r.New != 1 || r.Duplicate != len(testsite.Articles) {
		t.Errorf("third poll %+v, want 1 new and %d duplicates", r, len(testsite.Articles))
	}
	checkPageArticle(t, h.site, h.out.byURL()[h.site.PageURL(fresh.Slug)], fresh, sources.KindFeed)
	for _, art := range testsite.Articles {
		if n := h.site.Hits("/news/" + art.Slug); n != 1 {
			t.Errorf("page %s fetched %d times after three polls, want 1", art.Slug, n)
		}
	}
	if got := testutil.ToFloat64(h.metrics.Polls.WithLabelValues("courier", "not_modified")); got != 1 {
		t.Errorf("polls{not_modified} = %v, want 1", got)
	}
}

func netListen(host string) (net.Listener, error) { return net.Listen("tcp", host+":0") }

func TestLatin1FeedAndPages(t *testing.T) {
	h := newHarness(t, Config{})
	r := h.poller.Poll(context.Background(), h.source(sources.KindFeed, "/latin1.xml"))
	if r.Outcome != OutcomeOK || r.New != 2 {
		t.Fatalf("poll %+v, want 2 new", r)
	}
	var titles []string
	for _, a := range h.out.published {
		titles = append(titles, a.Title)
		if !strings.Contains(a.Body, testsite.Latin1Text) {
			t.Errorf("%s: body %q lacks %q (decoded from ISO-8859-1)", a.URL, a.Body, testsite.Latin1Text)
		}
	}
	slices.Sort(titles)
	want := slices.Sorted(slices.Values(testsite.Latin1Titles))
	if !slices.Equal(titles, want) {
		t.Errorf("titles %q, want %q", titles, want)
	}
}

func TestFeedTextWithoutPages(t *testing.T) {
	h := newHarness(t, Config{})
	src := h.source(sources.KindFeed, "/rss.xml")
	src.FetchPages = false
	r := h.poller.Poll(context.Background(), src)
	if r.New != len(testsite.Articles) {
		t.Fatalf("poll %+v, want %d new", r, len(testsite.Articles))
	}
	for _, art := range testsite.Articles {
		a := h.out.byURL()[h.site.PageURL(art.Slug)]
		if want := strings.Join(art.Paras, "\n\n"); a.Body != want {
			t.Errorf("%s: body from content:encoded\n got %q\nwant %q", art.Slug, a.Body, want)
		}
		if h.site.Hits("/news/"+art.Slug) != 0 {
			t.Errorf("page %s fetched although fetch_pages is false", art.Slug)
		}
	}
}

func TestPageFailureFallsBackToFeedText(t *testing.T) {
	h := newHarness(t, Config{MaxAttempts: 2})
	src := h.source(sources.KindFeed, "/broken.xml")
	fullURL := h.site.URL + "/broken/" + testsite.BrokenFull.Slug
	shortURL := h.site.URL + "/broken/" + testsite.BrokenShort.Slug

	// Poll 1: the page of the item with full text fails (503): the feed's
	// text is the article. The other item has only a summary: it is tried
	// again later, hoping the page comes back.
	r := h.poller.Poll(context.Background(), src)
	if r.New != 1 || r.Failed != 1 || r.Done() {
		t.Fatalf("first poll %+v, want 1 new and 1 failed", r)
	}
	full := h.out.byURL()[fullURL]
	if want := strings.Join(testsite.BrokenFull.Paras, "\n\n"); full.Body != want || full.Title != testsite.BrokenFull.Title {
		t.Errorf("fallback article %q: %q, want the feed's text %q", full.Title, full.Body, want)
	}
	if got := testutil.ToFloat64(h.metrics.Fallbacks.WithLabelValues("courier")); got != 1 {
		t.Errorf("fallbacks = %v, want 1", got)
	}
	if got := testutil.ToFloat64(h.metrics.ItemFailures.WithLabelValues("courier", "status_5xx")); got != 1 {
		t.Errorf("item failures{status_5xx} = %v, want 1", got)
	}

	// Poll 2: out of attempts, the summary is better than nothing.
	r = h.poller.Poll(context.Background(), src)
	if r.New != 1 || r.Duplicate != 1 || !r.Done() {
		t.Fatalf("second poll %+v, want 1 new and 1 duplicate", r)
	}
	short := h.out.byURL()[shortURL]
	if short.Body != testsite.BrokenShort.Lead {
		t.Errorf("summary article body %q, want %q", short.Body, testsite.BrokenShort.Lead)
	}
	if n := h.site.Hits("/broken/" + testsite.BrokenShort.Slug); n != 2 {
		t.Errorf("failing page fetched %d times, want 2 (one per attempt)", n)
	}
	if len(h.attempts.m) != 0 {
		t.Errorf("attempts %v left after the item was published", h.attempts.m)
	}
}

func TestHostilePagesAreDeadLetteredWithTheirReason(t *testing.T) {
	h := newHarness(t, Config{MaxAttempts: 1})
	src := h.source(sources.KindFeed, "/hostile.xml")
	r := h.poller.Poll(context.Background(), src)
	if r.DeadLettered != len(testsite.Hostile) || r.New != 0 {
		t.Fatalf("poll %+v, want %d dead-lettered", r, len(testsite.Hostile))
	}
	want := map[string]struct {
		err    error
		reason string
	}{
		"endless":     {web.ErrTooLarge, "too_large"},
		"trickle":     {web.ErrTimeout, "timeout"},
		"bomb":        {web.ErrTooLarge, "too_large"},
		"loop":        {web.ErrRedirectLoop, "redirects"},
		"to-loopback": {web.ErrRefused, "refused"},
	}
	got := map[string]bool{}
	for _, rj := range h.out.rejected {
		name := strings.TrimPrefix(rj.origin, h.site.URL+"/hostile/")
		w, ok := want[name]
		if !ok {
			t.Errorf("unexpected dead letter %s: %v", rj.origin, rj.cause)
			continue
		}
		got[name] = true
		if !errors.Is(rj.cause, w.err) {
			t.Errorf("%s dead-lettered with %v, want %v", name, rj.cause, w.err)
		}
		if rj.source != "courier" || !strings.Contains(string(rj.data), rj.origin) {
			t.Errorf("%s: dead letter source %q data %s", name, rj.source, rj.data)
		}
	}
	if len(got) != len(want) {
		t.Errorf("dead letters for %v, want all of %v", got, testsite.Hostile)
	}
	if n := testutil.ToFloat64(h.metrics.DeadLettered.WithLabelValues("courier", "too_large")); n != 2 {
		t.Errorf("dead_lettered{too_large} = %v, want 2", n)
	}
	if n := h.site.CanaryConnections(); n != 0 {
		t.Errorf("%d connections reached 127.0.0.1: the redirect was not refused before connecting", n)
	}

	// Dead items are not fetched again.
	hits := h.site.Hits("/hostile/endless")
	r = h.poller.Poll(context.Background(), src)
	if r.DeadLettered != 0 || len(h.out.rejected) != len(testsite.Hostile) || h.site.Hits("/hostile/endless") != hits {
		t.Errorf("second poll %+v refetched or re-dead-lettered buried items", r)
	}
}

func TestRetryableFailureIsTriedAgainThenDeadLettered(t *testing.T) {
	h := newHarness(t, Config{MaxAttempts: 3})
	src := h.source(sources.KindFeed, "/hostile.xml")
	for poll := 1; poll <= 3; poll++ {
		h.poller.Poll(context.Background(), src)
		trickled := false
		for _, rj := range h.out.rejected {
			trickled = trickled || strings.HasSuffix(rj.origin, "/trickle")
		}
		if trickled != (poll == 3) {
			t.Errorf("after poll %d the slow page is dead-lettered: %v, want %v", poll, trickled, poll == 3)
		}
	}
	if n := h.site.Hits("/hostile/trickle"); n != 3 {
		t.Errorf("slow page fetched %d times, want 3", n)
	}
}

func TestSitemapSource(t *testing.T) {
	h := newHarness(t, Config{})
	src := h.source(sources.KindSitemap, "/sitemap.xml")
	r := h.poller.Poll(context.Background(), src)
	if r.Outcome != OutcomeOK || r.New != len(testsite.Articles) {
		t.Fatalf("poll %+v, want %d new", r, len(testsite.Articles))
	}
	for _, art := range testsite.Articles {
		checkPageArticle(t, h.site, h.out.byURL()[h.site.PageURL(art.Slug)], art, sources.KindSitemap)
	}
	if r := h.poller.Poll(context.Background(), src); r.Outcome != "not_modified" {
		t.Errorf("second poll %+v, want not_modified", r)
	}
}

func TestPageSourcePublishesOnce(t *testing.T) {
	h := newHarness(t, Config{})
	art := testsite.Articles[2]
	src := h.source(sources.KindPage, "/news/"+art.Slug)
	if r := h.poller.Poll(context.Background(), src); r.New != 1 {
		t.Fatalf("poll %+v, want 1 new", r)
	}
	checkPageArticle(t, h.site, h.out.published[0], art, sources.KindPage)
	if r := h.poller.Poll(context.Background(), src); r.Duplicate != 1 || h.site.Hits("/news/"+art.Slug) != 1 {
		t.Errorf("second poll %+v fetched the published page again", r)
	}
}

func TestMaxItemsTakesTheNewestAndDefersTheRest(t *testing.T) {
	h := newHarness(t, Config{})
	src := h.source(sources.KindSitemap, "/sitemap.xml")
	src.MaxItems = 2
	r := h.poller.Poll(context.Background(), src)
	if r.New != 2 || r.Deferred != 2 || r.Done() {
		t.Fatalf("first poll %+v, want 2 new and 2 deferred", r)
	}
	for _, art := range testsite.Articles[:2] { // newest first
		if _, ok := h.out.byURL()[h.site.PageURL(art.Slug)]; !ok {
			t.Errorf("newest article %s not taken first", art.Slug)
		}
	}
	// Validators were not stored: the next poll reads the sitemap again.
	r = h.poller.Poll(context.Background(), src)
	if r.Outcome != OutcomeOK || r.New != 2 || r.Duplicate != 2 || !r.Done() {
		t.Errorf("second poll %+v, want the 2 deferred items", r)
	}
}

func TestTransientPublishFailureIsRetriedWithoutCountingAnAttempt(t *testing.T) {
	h := newHarness(t, Config{MaxAttempts: 1})
	h.out.fail = errors.New("nats: no responders")
	src := h.source(sources.KindFeed, "/rss.xml")
	r := h.poller.Poll(context.Background(), src)
	if r.Failed != len(testsite.Articles) || r.DeadLettered != 0 || r.Done() {
		t.Fatalf("poll with NATS down %+v, want every item failed", r)
	}
	if len(h.attempts.m) != 0 {
		t.Errorf("publish failures counted as item attempts: %v", h.attempts.m)
	}
	h.out.fail = nil
	if r := h.poller.Poll(context.Background(), src); r.Outcome != OutcomeOK || r.New != len(testsite.Articles) {
		t.Errorf("poll after recovery %+v: the feed must be read again (validators not stored)", r)
	}
}

func TestCanonicalURLOfThePage(t *testing.T) {
	var srvURL string
	page := func(canonical string) string {
		return testsite.Page(testsite.Articles[0], canonical)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title><link>%[1]s/</link>
<item><title>Same site</title><link>%[1]s/story?id=7</link></item>
<item><title>Other site</title><link>%[1]s/other?id=8</link></item>
</channel></rss>`, srvURL)
		case "/story":
			fmt.Fprint(w, page(srvURL+"/2026/03/04/harbour-strike-ends"))
		case "/other":
			fmt.Fprint(w, page("https://elsewhere.example/2026/03/04/harbour-strike-ends"))
		default:
			http.NotFound(w, r)
		}
	}))
	ln, err := netListen(testsite.AllowHost)
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	srvURL = srv.URL
	client, _ := web.New(web.Config{AllowHosts: []string{testsite.AllowHost}, PerHostRate: -1})
	defer client.Close()
	out := &fakeOut{}
	p := New(client, out, nil, nil, nil, time.Now, Config{})
	r := p.Poll(context.Background(), sources.Source{ID: "x", Kind: sources.KindFeed, URL: srv.URL + "/feed", MaxItems: 10, FetchPages: true})
	if r.New != 2 {
		t.Fatalf("poll %+v, want 2 new", r)
	}
	got := out.byURL()
	canon := srv.URL + "/2026/03/04/harbour-strike-ends"
	if _, ok := got[canon]; !ok {
		t.Errorf("the same-site canonical URL is not the article's: %v", slices.Collect(maps.Keys(got)))
	}
	if _, ok := got[srv.URL+"/other?id=8"]; !ok {
		t.Errorf("a canonical URL on another site was trusted: %v", slices.Collect(maps.Keys(got)))
	}
	// The feed's link is remembered too, so the next poll skips the item.
	linkID, _ := events.ArticleIDFromURL(srv.URL + "/story?id=7")
	if !out.seen[linkID] {
		t.Error("the item's link ID was not marked as seen")
	}
}
