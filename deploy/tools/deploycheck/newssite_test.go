//go:build deploycheck

package deploycheck

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// storyKind is what a story's page does when the fetcher asks for it.
type storyKind int

const (
	// storyArticle: the page holds the article.
	storyArticle storyKind = iota
	// storyMembers: the page is under /members/, which robots.txt
	// disallows; the feed item has no text of its own.
	storyMembers
	// storyScripted: the page is a shell that a script fills in the
	// browser, without article text; the feed has the lead paragraph,
	// which is published instead.
	storyScripted
	// storyFlaky: the page answers 503 until the feed has been fetched
	// twice (the next poll), then serves the article; the feed item has
	// no text of its own.
	storyFlaky
	// storyDown: the page's server resets every connection; the feed item
	// has no text of its own.
	storyDown
)

// story is one item of a site's feed.
type story struct {
	n         int
	kind      storyKind
	title     string
	paras     []string
	published time.Time
}

// newsSite is a news web site on an httptest server on 127.0.0.1: an RSS
// 2.0 feed at /feed.xml (newest first, with ETag and Last-Modified, 304 to
// a matching If-None-Match) whose items link to pages in the boilerplate
// of real news sites, and a robots.txt that disallows /members/.
type newsSite struct {
	srv    *httptest.Server
	name   string
	bodies []string // article texts, paragraphs separated by blank lines
	// feedStatus, when not 0, answers every feed request with that status.
	feedStatus int

	mu          sync.Mutex
	stories     []story
	hits        map[string]int // by path
	notModified int            // 304 answers to the feed
	flakyServed int            // flaky pages served after failing
}

// startNewsSite starts a site that stops when the test ends.
func startNewsSite(t *testing.T, name string, bodies []string, feedStatus int) *newsSite {
	t.Helper()
	s := &newsSite{name: name, bodies: bodies, feedStatus: feedStatus, hits: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
	return s
}

// FeedURL is the address of the site's feed.
func (s *newsSite) FeedURL() string { return s.srv.URL + "/feed.xml" }

// publish adds a story of the given kind to the front of the feed.
func (s *newsSite) publish(kind storyKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.stories) + 1
	body := s.bodies[(n-1)%len(s.bodies)]
	var paras []string
	for _, p := range strings.Split(body, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	paras = append(paras, fmt.Sprintf("This is story %d of %s's live check.", n, s.name))
	title, _, _ := strings.Cut(paras[0], ",")
	if w := strings.Fields(title); len(w) > 12 {
		title = strings.Join(w[:12], " ")
	}
	s.stories = append(s.stories, story{n: n, kind: kind, title: strings.TrimSuffix(title, "."),
		paras: paras, published: time.Now().UTC().Truncate(time.Second)})
}

// publishEvery publishes a story every d, of kind(n) for the n-th story,
// until ctx ends.
func (s *newsSite) publishEvery(ctx context.Context, d time.Duration, kind func(n int) storyKind) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.mu.Lock()
			n := len(s.stories) + 1
			s.mu.Unlock()
			s.publish(kind(n))
		}
	}
}

// published is how many stories the site has published.
func (s *newsSite) published() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.stories)
}

// counts returns how often the feed answered 304 and how many flaky pages
// were served after failing.
func (s *newsSite) counts() (notModified, flakyServed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notModified, s.flakyServed
}

// path is where a story's page is.
func (st story) path() string {
	dir := "news"
	switch st.kind {
	case storyMembers:
		dir = "members"
	case storyScripted:
		dir = "live"
	}
	slug := strings.ToLower(strings.Join(strings.FieldsFunc(st.title, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}), "-"))
	return fmt.Sprintf("/%s/%s/%d-%s.html", dir, st.published.Format("2006/01/02"), st.n, slug)
}

func (s *newsSite) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	feedHits := s.hits["/feed.xml"]
	stories := append([]story(nil), s.stories...)
	s.mu.Unlock()
	switch p := r.URL.Path; {
	case p == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "# Robots of "+s.name+"\nUser-agent: *\nDisallow: /members/\nDisallow: /search\n\nSitemap: "+s.srv.URL+"/sitemap.xml\n")
	case p == "/feed.xml" && s.feedStatus != 0:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(s.feedStatus)
		fmt.Fprintf(w, "<html><body><h1>%d %s</h1><p>upstream connect error or disconnect/reset before headers</p></body></html>\n",
			s.feedStatus, http.StatusText(s.feedStatus))
	case p == "/feed.xml":
		s.feed(w, r, stories)
	default:
		for _, st := range stories {
			if st.path() != p {
				continue
			}
			switch st.kind {
			case storyDown:
				resetConnection(w)
				return
			case storyFlaky:
				if feedHits < 2 {
					w.Header().Set("Retry-After", "0")
					http.Error(w, "service unavailable", http.StatusServiceUnavailable)
					return
				}
				s.mu.Lock()
				s.flakyServed++
				s.mu.Unlock()
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "max-age=60")
			fmt.Fprint(w, s.page(st))
			return
		}
		http.NotFound(w, r)
	}
}

// resetConnection closes the request's connection with a TCP reset.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "no hijacking", http.StatusInternalServerError)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// feed serves the RSS feed of the 20 newest stories.
func (s *newsSite) feed(w http.ResponseWriter, r *http.Request, stories []story) {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
<title>%s &#8211; Latest news</title>
<link>%s/</link>
<atom:link href="%s/feed.xml" rel="self" type="application/rss+xml"/>
<description>The latest stories from %s</description>
<language>en-gb</language>
<generator>Newsroom CMS 4.2</generator>
<ttl>5</ttl>
`, esc(s.name), s.srv.URL, s.srv.URL, esc(s.name))
	lastMod := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := len(stories) - 1; i >= 0 && i >= len(stories)-20; i-- {
		st := stories[i]
		if i == len(stories)-1 {
			lastMod = st.published
			fmt.Fprintf(&b, "<lastBuildDate>%s</lastBuildDate>\n", st.published.Format(time.RFC1123Z))
		}
		desc := "" // nothing to publish without the page
		if st.kind == storyScripted || st.kind == storyArticle {
			desc = fmt.Sprintf("<description><![CDATA[<p>%s</p>]]></description>\n", esc(st.paras[0]))
		}
		fmt.Fprintf(&b, `<item>
<title><![CDATA[%s]]></title>
<link>%s%s?utm_source=rss&amp;utm_medium=feed&amp;utm_campaign=latest</link>
<guid isPermaLink="false">%s-story-%d</guid>
<dc:creator>Live Check Desk</dc:creator>
<category>News</category>
<pubDate>%s</pubDate>
%s<media:thumbnail url="%s/img/%d.jpg" width="240" height="160"/>
</item>
`, st.title, s.srv.URL, st.path(), strings.ReplaceAll(strings.ToLower(s.name), " ", "-"), st.n,
			st.published.Format(time.RFC1123Z), desc, s.srv.URL, st.n)
	}
	b.WriteString("</channel>\n</rss>\n")
	body := []byte(b.String())
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", lastMod.Format(http.TimeFormat))
	w.Header().Set("Cache-Control", "max-age=60")
	if r.Header.Get("If-None-Match") == etag {
		s.mu.Lock()
		s.notModified++
		s.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Write(body)
}

// page renders a story's page as news sites do: cookie banner, navigation,
// share buttons, JSON-LD, an advert and a related box inside the text, a
// newsletter box, a most-read list and a footer. A scripted page is an
// empty shell for a script.
func (s *newsSite) page(st story) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	esc := html.EscapeString
	canonical := s.srv.URL + st.path()
	pub := st.published.Format(time.RFC3339)
	w("<!DOCTYPE html>\n<html lang=\"en-GB\"><head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	title := st.title
	if st.kind == storyScripted {
		title = "Live" // the script sets the title
	}
	w("<title>%s | %s</title>\n<link rel=\"canonical\" href=%q>\n", esc(title), esc(s.name), canonical)
	w("<meta property=\"og:type\" content=\"article\">\n<meta property=\"og:title\" content=%q>\n<meta property=\"og:site_name\" content=%q>\n", st.title, s.name)
	w("<meta property=\"article:published_time\" content=%q>\n", pub)
	w("<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"NewsArticle\",\"headline\":%q,\"datePublished\":%q,\"author\":[{\"@type\":\"Person\",\"name\":\"Live Check Desk\"}]}</script>\n", st.title, pub)
	w("<script>window.dataLayer=window.dataLayer||[];dataLayer.push({section:'news',story:%d});</script>\n", st.n)
	if st.kind == storyScripted {
		w("</head><body>\n<div id=\"root\"></div>\n<noscript>Please enable JavaScript.</noscript>\n")
		w("<script src=\"/static/live.%d.js\" defer></script>\n</body></html>\n", st.n)
		return b.String()
	}
	w("</head><body>\n<div class=\"cookie-consent\"><p>We use cookies to improve your experience and to show you personalised advertising.</p><button>Accept all</button></div>\n")
	w("<header class=\"site-header\"><a class=\"logo\" href=\"/\">%s</a><nav><ul>", esc(s.name))
	for _, sec := range []string{"Home", "World", "Business", "Sport", "Culture", "Opinion"} {
		w("<li><a href=\"/%s\">%s</a></li>", strings.ToLower(sec), sec)
	}
	w("</ul></nav></header>\n<main>\n<article class=\"story\">\n<h1>%s</h1>\n", esc(st.title))
	w("<div class=\"meta\"><span class=\"byline\">By Live Check Desk</span> <time datetime=%q>%s</time></div>\n", pub, st.published.Format("2 January 2006"))
	w("<div class=\"share\"><a href=\"https://twitter.com/intent/tweet\">Share on X</a> <a href=\"https://facebook.com/sharer\">Share on Facebook</a></div>\n<div class=\"story-body\">\n")
	for i, para := range st.paras {
		w("<p>%s</p>\n", esc(para))
		if i == 1 {
			w("<aside class=\"related\"><h3>Related</h3><ul><li><a href=\"/news/older-1\">Council approves new bus lanes along the seafront</a></li></ul></aside>\n")
			w("<div class=\"ad-slot\"><span>Advertisement</span><iframe src=\"/ads/1\"></iframe></div>\n")
		}
	}
	w("</div></article>\n")
	w("<div class=\"newsletter\"><p>Sign up to the Morning Briefing newsletter and never miss a story.</p><form><input type=\"email\"><button>Subscribe</button></form></div>\n")
	w("<section class=\"most-read\"><h2>Most read</h2><ul>")
	for i := range 5 {
		w("<li><a href=\"/news/popular-%d\">Most read story number %d of the day</a></li>", i, i)
	}
	w("</ul></section>\n</main>\n<footer><p>© 2026 %s. All rights reserved.</p><a href=\"/privacy\">Privacy</a></footer>\n</body></html>\n", esc(s.name))
	return b.String()
}

// sourcesFile writes a fetcher sources file polling each site's feed
// every interval, under the given IDs.
func sourcesFile(t *testing.T, interval time.Duration, sites map[string]*newsSite) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("sources:\n")
	for _, id := range sortedKeys(sites) {
		fmt.Fprintf(&b, "  - id: %s\n    kind: feed\n    url: %s\n    interval: %s\n", id, sites[id].FeedURL(), interval)
	}
	path := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
