package sources

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const example = `
sources:
  - id: reuters-world          # subject token: news.raw.<id>
    kind: feed                 # feed | sitemap | page | dir | push
    url: https://example.com/world/rss.xml
    interval: 5m               # poll period (feed, sitemap, page)
    max_items: 200             # items per poll (optional)
    rate: 1                    # requests per second to the host (optional)
    fetch_pages: true          # fetch and extract each item's page (default true)
  - id: courier-sitemap
    kind: sitemap
    url: https://news.example.org/sitemap-news.xml
  - id: one-page
    kind: page
    url: https://example.net/2026/03/04/story.html
    interval: 1h
  - id: teasers
    kind: feed
    url: http://feeds.example.com/teasers.json
    fetch_pages: false
  - id: inbox
    kind: dir
    path: /var/lib/newsflow/inbox
  - id: partner_push
    kind: push
`

func TestParseExample(t *testing.T) {
	got, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{
		{ID: "reuters-world", Kind: KindFeed, URL: "https://example.com/world/rss.xml", Interval: 5 * time.Minute, MaxItems: 200, Rate: 1, FetchPages: true},
		{ID: "courier-sitemap", Kind: KindSitemap, URL: "https://news.example.org/sitemap-news.xml", Interval: DefaultInterval, MaxItems: DefaultMaxItems, FetchPages: true},
		{ID: "one-page", Kind: KindPage, URL: "https://example.net/2026/03/04/story.html", Interval: time.Hour, MaxItems: DefaultMaxItems, FetchPages: true},
		{ID: "teasers", Kind: KindFeed, URL: "http://feeds.example.com/teasers.json", Interval: DefaultInterval, MaxItems: DefaultMaxItems},
		{ID: "inbox", Kind: KindDir, Path: "/var/lib/newsflow/inbox", FetchPages: true},
		{ID: "partner_push", Kind: KindPush, FetchPages: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d sources, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("source %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if !got[0].Polled() || got[4].Polled() || got[5].Polled() {
		t.Error("Polled is wrong")
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "sources: []\n", "# nothing yet\n", "sources:\n"} {
		got, err := Parse([]byte(in))
		if err != nil || len(got) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want no sources", in, got, err)
		}
	}
}

func TestParseErrorsNameTheSourceAndKey(t *testing.T) {
	feed := func(extra string) string {
		return "sources:\n  - id: a\n    kind: feed\n    url: https://example.com/rss\n" + extra
	}
	tests := []struct {
		name, in string
		want     []string // substrings of the error
	}{
		{"not YAML", "sources: [", []string{"yaml"}},
		{"not a list", "sources: {id: a}", []string{"cannot unmarshal"}},
		{"unknown top-level key", "source:\n  - id: a\n", []string{"field source not found"}},
		{"unknown key", feed("    intervall: 5m\n"), []string{"intervall"}},
		{"two documents", feed("---\nsources: []\n"), []string{"more than one"}},
		{"missing id", "sources:\n  - kind: feed\n    url: https://example.com/\n", []string{"sources[0]", "id: is missing"}},
		{"bad id", "sources:\n  - id: a.b\n    kind: dir\n    path: /x\n", []string{"sources[0] (a.b)", "id:"}},
		{"unicode id", "sources:\n  - id: nöws\n    kind: dir\n    path: /x\n", []string{"id:"}},
		{"duplicate id", feed("  - id: a\n    kind: dir\n    path: /x\n"), []string{"sources[1]", "also the id of sources[0]"}},
		{"missing kind", "sources:\n  - id: a\n    url: https://example.com/\n", []string{"kind: is missing"}},
		{"unknown kind", "sources:\n  - id: a\n    kind: rss\n", []string{`kind: "rss"`}},
		{"missing url", "sources:\n  - id: a\n    kind: feed\n", []string{"url: is missing"}},
		{"relative url", "sources:\n  - id: a\n    kind: feed\n    url: /rss.xml\n", []string{"url:", "not an http"}},
		{"ftp url", "sources:\n  - id: a\n    kind: sitemap\n    url: ftp://example.com/s.xml\n", []string{"url:"}},
		{"url with user", "sources:\n  - id: a\n    kind: page\n    url: https://u:p@example.com/\n", []string{"user info"}},
		{"path on a feed", feed("    path: /x\n"), []string{"path: is not used"}},
		{"dir without path", "sources:\n  - id: a\n    kind: dir\n", []string{"path: is missing"}},
		{"url on a dir", "sources:\n  - id: a\n    kind: dir\n    path: /x\n    url: https://example.com/\n", []string{"url: is not used"}},
		{"interval on a dir", "sources:\n  - id: a\n    kind: dir\n    path: /x\n    interval: 5m\n", []string{"not used by kind dir"}},
		{"url on push", "sources:\n  - id: a\n    kind: push\n    url: https://example.com/\n", []string{"not used by kind push"}},
		{"bad interval", feed("    interval: often\n"), []string{"interval:", "often"}},
		{"interval as number", feed("    interval: 300\n"), []string{"interval:"}},
		{"short interval", feed("    interval: 10ms\n"), []string{"interval: 10ms is not in"}},
		{"long interval", feed("    interval: 48h\n"), []string{"interval: 48h0m0s is not in"}},
		{"zero max_items", feed("    max_items: 0\n"), []string{"max_items: 0"}},
		{"huge max_items", feed("    max_items: 1000000\n"), []string{"max_items: 1000000"}},
		{"negative rate", feed("    rate: -1\n"), []string{"rate: -1"}},
		{"NaN rate", feed("    rate: .nan\n"), []string{"rate: NaN"}},
		{"rate as text", feed("    rate: fast\n"), []string{"cannot unmarshal"}},
		{"fetch_pages false on a sitemap", "sources:\n  - id: a\n    kind: sitemap\n    url: https://example.com/s.xml\n    fetch_pages: false\n", []string{"fetch_pages: false needs kind feed"}},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in))
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v does not wrap ErrInvalid", tt.name, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
}

func TestParseTooLarge(t *testing.T) {
	big := "# " + strings.Repeat("x", MaxFileBytes) + "\nsources: []\n"
	if _, err := Parse([]byte(big)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("Parse of a %d-byte file = %v, want a size error", len(big), err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(example))
	f.Add([]byte("sources: []"))
	f.Add([]byte("sources:\n  - id: a\n    kind: feed\n    url: https://example.com/\n    interval: 1s\n    max_items: 1\n    rate: 0.5\n"))
	f.Add([]byte("sources:\n  - &a {id: x, kind: dir, path: /p}\n  - *a\n"))
	f.Add([]byte("a: &a [*a, *a]"))
	f.Add([]byte("sources:\n  - id: a\n    kind: push\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		srcs, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		ids := map[string]bool{}
		for _, s := range srcs {
			if !idPattern.MatchString(s.ID) || ids[s.ID] {
				t.Fatalf("bad or duplicate ID %q accepted", s.ID)
			}
			ids[s.ID] = true
			if s.Polled() {
				if checkURL(s.URL) != nil || s.Interval < MinInterval || s.Interval > MaxInterval ||
					s.MaxItems < 1 || s.MaxItems > MaxMaxItems || !(s.Rate >= 0 && s.Rate <= MaxRate) {
					t.Fatalf("out-of-range polled source accepted: %+v", s)
				}
			} else if s.Interval != 0 || s.URL != "" && s.Kind == KindDir {
				t.Fatalf("settings of polled kinds on %+v", s)
			}
			if s.Kind == KindDir && s.Path == "" {
				t.Fatalf("dir source without a path accepted: %+v", s)
			}
		}
	})
}

// recorder collects what a Watcher reports.
type recorder struct {
	mu      sync.Mutex
	applied [][]Source
	failed  []error
}

func (r *recorder) apply(s []Source) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applied = append(r.applied, s)
}
func (r *recorder) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, err)
}
func (r *recorder) counts() (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.applied), len(r.failed)
}
func (r *recorder) last() []Source {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applied[len(r.applied)-1]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeAtomically replaces path the way editors and config tools do.
func writeAtomically(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestWatcherReloadsOnChangeAndSignal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sources.yaml")
	one := "sources:\n  - id: a\n    kind: dir\n    path: /a\n"
	writeAtomically(t, path, one)
	w, srcs, err := NewWatcher(path)
	if err != nil || len(srcs) != 1 {
		t.Fatalf("NewWatcher = %v, %v", srcs, err)
	}
	w.settle = 20 * time.Millisecond
	var rec recorder
	hup := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, hup, rec.apply, rec.fail) }()

	// A valid change is applied.
	writeAtomically(t, path, one+"  - id: b\n    kind: push\n")
	waitFor(t, "the change to be applied", func() bool { n, _ := rec.counts(); return n == 1 })
	if got := rec.last(); len(got) != 2 || got[1].ID != "b" {
		t.Errorf("applied %+v, want sources a and b", got)
	}

	// A broken file is reported, not applied.
	writeAtomically(t, path, "sources:\n  - id: a\n    kind: feeed\n")
	waitFor(t, "the broken file to be reported", func() bool { _, n := rec.counts(); return n == 1 })
	if n, _ := rec.counts(); n != 1 {
		t.Errorf("a broken file was applied")
	}
	if _, failed := rec.counts(); failed == 1 && !strings.Contains(rec.failed[0].Error(), "feeed") {
		t.Errorf("failure %v does not say what is wrong", rec.failed[0])
	}

	// Fixed again, then SIGHUP re-applies even without a change.
	writeAtomically(t, path, one)
	waitFor(t, "the fixed file to be applied", func() bool { n, _ := rec.counts(); return n == 2 })
	hup <- syscall.SIGHUP
	waitFor(t, "SIGHUP to reload", func() bool { n, _ := rec.counts(); return n == 3 })
	if got := rec.last(); len(got) != 1 || got[0].ID != "a" {
		t.Errorf("after SIGHUP applied %+v, want source a", got)
	}

	// A removed file is reported; the sources in force stay.
	os.Remove(path)
	hup <- syscall.SIGHUP
	waitFor(t, "the missing file to be reported", func() bool { _, n := rec.counts(); return n >= 2 })

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
