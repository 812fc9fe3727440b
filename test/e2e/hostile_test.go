//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/test/e2e/internal/feedsrv"
)

// hostileSources are feeds the fetcher polls in TestHostileFeeds, with
// words one of which its complaint about them must contain.
var hostileSources = []struct {
	id, path string
	words    []string
}{
	{"hostile-malformed", "/hostile/malformed.xml", []string{"pars", "xml", "unparsable", "EOF", "syntax"}},
	{"hostile-endless", "/hostile/endless.xml", []string{"too large", "limit", "bytes", "size", "timeout", "deadline"}},
	{"hostile-bomb", "/hostile/bomb.xml", []string{"too large", "limit", "bytes", "size", "decompress"}},
	{"hostile-loop", "/hostile/loop.xml", []string{"redirect"}},
	{"hostile-private", "/hostile/private.xml", []string{"refus", "private", "loopback", "not allowed", "forbidden", "guard"}},
	{"hostile-pages", "/hostile/pages.xml", nil},
}

// hostilePageWords: a dead letter of each hostile page must name its
// problem with one of these words.
var hostilePageWords = map[string][]string{
	"endless": {"too large", "limit", "bytes"},
	"bomb":    {"too large", "decompress", "bomb"},
	"loop":    {"redirect"},
	"private": {"refus", "private", "loopback", "guard"},
	"binary":  {"not html", "content type", "image/png"},
	"empty":   {"no article", "0 words", "empty", "no text"},
}

func containsAny(s string, words []string) bool {
	s = strings.ToLower(s)
	for _, w := range words {
		if strings.Contains(s, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

func hostileSourcesFile() string {
	var b strings.Builder
	b.WriteString(loadSources())
	for _, h := range hostileSources {
		fmt.Fprintf(&b, "  - id: %s\n    kind: feed\n    url: %s%s\n    interval: 5s\n    max_items: 50\n", h.id, feedBase, h.path)
	}
	return b.String()
}

// TestHostileFeeds points the fetcher at feeds and pages built to hurt it
// (malformed, endless, gzip bombs, redirect loops, redirects to its own
// loopback address, binary and empty pages) beside a normal feed. Each
// must end in a clear error, logged or dead-lettered; the fetcher must
// not crash nor grow its memory, and the normal feed must flow.
func TestHostileFeeds(t *testing.T) {
	if !fetcherReadsFeeds(t) {
		t.Skip("the fetcher image has no feed sources yet (-sources): nothing to point at the hostile feeds")
	}
	start := time.Now()
	articles := size(500, 2000)
	l := &loader{total: articles, step: 250, feed: true}
	s := startStack(t, stackOptions{sources: hostileSourcesFile(), extraFetcherArgs: []string{"-max-redirects", "5"}})
	l.s = s
	loadDone := l.start(t)

	// Let every hostile source be polled a few times.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		st := s.feedState()
		missing := []string{}
		for _, h := range hostileSources {
			if st.Requests[h.path] < 2 {
				missing = append(missing, h.path)
			}
		}
		for _, p := range feedsrv.HostilePages {
			if p != "private" && p != "loop" && st.Requests["/hostile/page/"+p] < 1 {
				missing = append(missing, "/hostile/page/"+p)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fetcher never requested %v (requests: %v)", missing, st.Requests)
		}
		time.Sleep(2 * time.Second)
	}
	<-loadDone
	s.waitSettled(loadSourceID, articles, 5*time.Minute)

	// Each hostile feed left a clear complaint in the log or the DLQ.
	logs := strings.ToLower(s.logs(s.fetcher))
	dl := s.deadLetters()
	for _, h := range hostileSources {
		if h.words == nil {
			continue
		}
		var evidence []string
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, h.id) || strings.Contains(line, h.path) {
				evidence = append(evidence, line)
			}
		}
		for _, d := range dl {
			if strings.Contains(d.subject, h.path) || strings.Contains(d.subject, h.id) {
				evidence = append(evidence, strings.ToLower(d.reason))
			}
		}
		found := ""
		for _, e := range evidence {
			if found == "" && containsAny(e, h.words) {
				found = e
			}
		}
		if found == "" {
			t.Errorf("%s: no log line or dead letter says what is wrong (want one of %v); lines about it: %.600s",
				h.id, h.words, strings.Join(evidence, "\n"))
		} else {
			t.Logf("%s: %.300s", h.id, found)
		}
	}
	// Each hostile page is one dead letter of the fetcher naming its problem.
	for _, p := range feedsrv.HostilePages {
		url := feedBase + "/hostile/page/" + p
		n := 0
		for _, d := range dl {
			if d.subject == url {
				n++
				if !containsAny(d.reason, hostilePageWords[p]) {
					t.Errorf("page %s: dead letter reason %q does not name the problem (%v)", p, d.reason, hostilePageWords[p])
				}
			}
		}
		if n != 1 {
			t.Errorf("page %s: %d dead letters, want 1", p, n)
		}
	}
	// Nothing from a hostile source was stored as an article.
	for _, h := range hostileSources {
		if n := s.storedCount(h.id); n > 0 {
			serials, other := s.stored(h.id)
			t.Errorf("%s: %d articles stored: %v %v", h.id, n, serials, other)
		}
	}
	exp := expectation{source: loadSourceID, articles: articles, dlq: map[string]int{}}
	for _, d := range dl {
		exp.dlq[d.stage+"/"+d.class]++ // checked one by one above
		if d.stage != "fetcher" || !strings.HasPrefix(d.subject, feedBase+"/hostile/page/") {
			t.Errorf("dead letter of something not hostile: %+v", d)
		}
	}
	r := report{scenario: "hostile feeds and pages", articles: articles, faults: fmt.Sprintf("%d hostile feeds, %d hostile pages", len(hostileSources)-1, len(feedsrv.HostilePages)), elapsed: time.Since(start)}
	r.lost, r.dups, r.dlq = s.verify(exp, nil, false)
	s.checkHealthy(&r)
	if r.peakMB["fetcher"] > 256 {
		t.Errorf("fetcher peak memory %.0f MiB: the bombs and endless bodies were not capped", r.peakMB["fetcher"])
	}
	r.log(t)
}

func (s *stack) feedState() feedsrv.State {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	u, err := s.feedURL("/admin/state")
	if err != nil {
		s.t.Fatal(err)
	}
	b, err := httpGet(ctx, u)
	if err != nil {
		s.t.Fatalf("feed server state: %v", err)
	}
	var st feedsrv.State
	if err := json.Unmarshal(b, &st); err != nil {
		s.t.Fatalf("feed server state: %v", err)
	}
	return st
}
