package fetcher_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage/natstest"
	"github.com/newsflow/newsflow/services/fetcher"
	"github.com/newsflow/newsflow/services/fetcher/internal/testsite"
)

// probe runs `fetcher probe args...` and returns the events it printed.
func probe(t *testing.T, args ...string) ([]events.RawArticle, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := fetcher.Probe(context.Background(), append([]string{"-per-host-rate=-1"}, args...), &stdout, &stderr, "test")
	var out []events.RawArticle
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 8<<20)
	for sc.Scan() {
		a, err := events.DecodeRaw(sc.Bytes())
		if err != nil {
			t.Fatalf("probe printed a line that is not a raw article event: %v\n%s", err, sc.Text())
		}
		if err := a.Validate(); err != nil {
			t.Errorf("probe printed an invalid event: %v", err)
		}
		out = append(out, a)
	}
	return out, stderr.String(), err
}

func TestProbeFeedPrintsOneEventPerItemWithThePageText(t *testing.T) {
	site := testsite.Start(t)
	got, stderr, err := probe(t, "--allow-host", testsite.AllowHost, site.URL+"/rss-nocontent.xml")
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, stderr)
	}
	if len(got) != len(testsite.Articles) {
		t.Fatalf("probe printed %d events, want %d\n%s", len(got), len(testsite.Articles), stderr)
	}
	for i, art := range testsite.Articles {
		a := got[i]
		if a.URL != site.PageURL(art.Slug) || a.Source != "probe" || a.SourceKind != events.KindFeed || a.Title != art.Title {
			t.Errorf("event %d: %s %s %s %q", i, a.URL, a.Source, a.SourceKind, a.Title)
		}
		for _, p := range art.Paras {
			if !strings.Contains(a.Body, p) {
				t.Errorf("%s: body lacks the page's paragraph %q", art.Slug, p)
			}
		}
		if strings.Contains(a.Body, "Morning Briefing") {
			t.Errorf("%s: body holds the page's newsletter box", art.Slug)
		}
	}
	if site.Hits("/news/"+testsite.Articles[0].Slug) != 1 {
		t.Error("probe did not fetch the item's page")
	}
}

func TestProbeKinds(t *testing.T) {
	site := testsite.Start(t)
	allow := "-allow-host=" + testsite.AllowHost
	tests := []struct {
		name   string
		args   []string
		events int
		kind   string
		errHas string // in the error, or in stderr when the probe succeeds
	}{
		{"sitemap", []string{allow, site.URL + "/sitemap.xml"}, len(testsite.Articles), events.KindSitemap, ""},
		{"page", []string{allow, site.PageURL(testsite.Articles[1].Slug)}, 1, events.KindPage, ""},
		{"max items", []string{allow, "-max-items", "2", site.URL + "/rss-nocontent.xml"}, 2, events.KindFeed, "2 not processed"},
		{"feed text only", []string{allow, "-pages=false", site.URL + "/rss.xml"}, len(testsite.Articles), events.KindFeed, ""},
		{"hostile pages", []string{allow, "-read-timeout=150ms", "-max-body-bytes=1048576", site.URL + "/hostile.xml"}, 0, "", "skipped " + site.URL + "/hostile/to-loopback"},
		{"not found", []string{allow, site.URL + "/nothing.xml"}, 0, "", "404"},
		{"loopback refused", []string{site.URL + "/rss.xml"}, 0, "", "refused"},
		{"no URL", []string{allow}, 0, "", "want one URL"},
		{"bad source", []string{allow, "-source", "a.b", site.URL + "/rss.xml"}, 0, "", "-source"},
	}
	for _, tt := range tests {
		got, stderr, err := probe(t, tt.args...)
		if len(got) != tt.events {
			t.Errorf("%s: %d events, want %d\n%s", tt.name, len(got), tt.events, stderr)
		}
		for _, a := range got {
			if a.SourceKind != tt.kind {
				t.Errorf("%s: event of kind %s, want %s", tt.name, a.SourceKind, tt.kind)
			}
		}
		msg := stderr
		if err != nil {
			msg = err.Error()
		}
		if tt.errHas != "" && !strings.Contains(msg, tt.errHas) {
			t.Errorf("%s: %q does not mention %q", tt.name, msg, tt.errHas)
		}
	}
	if n := site.CanaryConnections(); n != 0 {
		t.Errorf("%d connections reached 127.0.0.1", n)
	}
}

func TestMainDispatchesCommands(t *testing.T) {
	page := testsite.Page(testsite.Articles[0], "https://courier.example/news/harbour-strike-ends")
	var stdout, stderr bytes.Buffer
	code := fetcher.Main(context.Background(), []string{"extract", "--url", "https://courier.example/news/x"},
		strings.NewReader(page), &stdout, &stderr, func(string) string { return "" }, "test")
	if code != 0 {
		t.Fatalf("fetcher extract exit code %d: %s", code, stderr.String())
	}
	var out struct {
		URL, Title, Text, Byline, Language string
		PublishedAt                        *string `json:"published_at"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("fetcher extract printed %q: %v", stdout.String(), err)
	}
	if !strings.Contains(out.Text, testsite.Articles[0].Paras[0]) || out.PublishedAt == nil || out.Language != "en" {
		t.Errorf("fetcher extract printed %+v", out)
	}

	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"probe"}, 2},
		{[]string{"probe", "-h"}, 0},
		{[]string{"-h"}, 0},
		{[]string{"-no-such-flag"}, 2},
		{[]string{}, 2}, // no sources
	} {
		stdout.Reset()
		stderr.Reset()
		if code := fetcher.Main(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" }, "test"); code != tt.code {
			t.Errorf("fetcher %q exit code %d, want %d (%s)", tt.args, code, tt.code, stderr.String())
		}
	}
}

func TestPushEndpointPublishes(t *testing.T) {
	srv := natstest.Start(t)
	c := sourcesConfig(t, srv.ClientURL(), "sources:\n  - id: partner\n    kind: push\n")
	c.PushAddr = "127.0.0.1:0"
	c.PushToken = "tok"
	addr := make(chan string, 1)
	c.PushListening = func(a string) { addr <- a }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fetcher.Run(ctx, c) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	post := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", base+"/v1/articles", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	story := `{"url":"https://example.com/a","body":"Dockers voted to accept the pay offer on Tuesday."}`
	id, _ := events.ArticleIDFromURL("https://example.com/a")
	for i, want := range []struct {
		body string
		code int
		has  string
	}{
		{story, 201, `"id":"` + id + `"`},
		{story, 200, `"duplicate":true`},
		{`{"body":"A partner's story.","source":"partner"}`, 201, `"id"`},
		{`{"body":"Another story.","source":"elsewhere"}`, 422, "source"},
	} {
		code, body := post(want.body)
		if code != want.code || !strings.Contains(body, want.has) {
			t.Errorf("push %d: %d %s, want %d with %s", i, code, body, want.code, want.has)
		}
	}
	got := rawArticles(t, jsFor(t, srv.ClientURL()))
	if a, ok := got["https://example.com/a"]; !ok || a.Source != "push" || a.SourceKind != events.KindPush || len(got) != 2 {
		t.Errorf("raw stream holds %v", got)
	}
	for _, a := range got {
		if a.URL == "" && a.Source != "partner" {
			t.Errorf("pushed article without URL on source %s", a.Source)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
