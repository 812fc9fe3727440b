// Package testsite serves a news site for the fetcher's tests: article
// pages wrapped in the boilerplate of real news sites, an RSS feed with
// CDATA, entities, tracking parameters and relative links, an ISO-8859-1
// feed, a news sitemap, a feed whose pages fail, and hostile endpoints
// (endless body, slow trickle, gzip bomb, redirect loop, redirect to a
// loopback address).
//
// The site listens on 127.0.0.2, so that tests allow-list only that
// address (AllowHost) and a redirect to 127.0.0.1 is refused by the SSRF
// guard; a canary listener on 127.0.0.1 counts any connection that would
// prove otherwise.
package testsite

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// AllowHost is the address tests allow-list for the site.
const AllowHost = "127.0.0.2"

// Site is a running test site.
type Site struct {
	*httptest.Server
	canary      net.Listener
	canaryConns atomic.Int64

	mu       sync.Mutex
	hits     map[string]int
	times    map[string][]time.Time
	articles []Article
}

// Start starts a site that stops when the test ends.
func Start(t testing.TB) *Site {
	t.Helper()
	s := &Site{hits: map[string]int{}, times: map[string][]time.Time{}, articles: slices.Clone(Articles)}
	gzipBomb() // made before serving, not while a client waits
	ln, err := net.Listen("tcp", AllowHost+":0")
	if err != nil {
		t.Fatalf("testsite: listen on %s: %v", AllowHost, err)
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Server.Listener.Close()
	s.Server.Listener = ln
	s.Server.Start()
	s.canary, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := s.canary.Accept()
			if err != nil {
				return
			}
			s.canaryConns.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() {
		s.Server.CloseClientConnections()
		s.Server.Close()
		s.canary.Close()
	})
	return s
}

// CanaryConnections is how many connections reached the loopback address
// that /hostile/to-loopback redirects to: a guard that works keeps it 0.
func (s *Site) CanaryConnections() int64 { return s.canaryConns.Load() }

// Hits is how many requests path received.
func (s *Site) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// Times are when path was requested.
func (s *Site) Times(path string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.times[path])
}

// Publish adds an article to the front of the feeds and the sitemap.
func (s *Site) Publish(a Article) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.articles = append([]Article{a}, s.articles...)
}

// Articles returns the articles the site lists now.
func (s *Site) Articles() []Article {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.articles)
}

// PageURL is the address of an article's page.
func (s *Site) PageURL(slug string) string { return s.URL + "/news/" + slug }

func (s *Site) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.times[r.URL.Path] = append(s.times[r.URL.Path], time.Now())
	arts := slices.Clone(s.articles)
	s.mu.Unlock()
	p := r.URL.Path
	switch {
	case p == "/robots.txt":
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	case p == "/rss.xml":
		s.conditional(w, r, "application/rss+xml; charset=utf-8", []byte(rss(arts, "/news/", true)))
	case p == "/rss-nocontent.xml":
		s.conditional(w, r, "application/rss+xml; charset=utf-8", []byte(rss(arts, "/news/", false)))
	case p == "/latin1.xml":
		w.Header().Set("Content-Type", "text/xml") // the charset is only in the XML declaration
		w.Write(latin1Feed())
	case p == "/sitemap.xml":
		s.conditional(w, r, "application/xml", []byte(sitemap(s.URL, arts)))
	case p == "/broken.xml":
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, brokenFeed())
	case p == "/hostile.xml":
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, hostileFeed())
	case strings.HasPrefix(p, "/news/"):
		slug := strings.TrimPrefix(p, "/news/")
		for _, a := range arts {
			if a.Slug == slug {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, Page(a, s.URL+"/news/"+slug))
				return
			}
		}
		http.NotFound(w, r)
	case strings.HasPrefix(p, "/latin/"):
		w.Header().Set("Content-Type", "text/html") // charset declared in a meta tag
		w.Write(latin1Page())
	case strings.HasPrefix(p, "/broken/"):
		http.Error(w, "upstream timed out", http.StatusServiceUnavailable)
	case strings.HasPrefix(p, "/hostile/"):
		hostile(w, r, s.canary.Addr().String())
	default:
		http.NotFound(w, r)
	}
}

// conditional serves body with an ETag, answering 304 to a matching
// If-None-Match.
func (s *Site) conditional(w http.ResponseWriter, r *http.Request, ct string, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Write(body)
}

// Page renders an article the way news sites do: cookie banner,
// navigation, share buttons, a related-stories box and an advert inside
// the text, comments, a newsletter box, a most-read list and a footer.
func Page(a Article, canonical string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	esc := html.EscapeString
	w("<!DOCTYPE html>\n<html lang=\"en\"><head>\n<meta charset=\"utf-8\">\n")
	w("<title>%s | The Eastmouth Courier</title>\n", esc(a.Title))
	w("<link rel=\"canonical\" href=%q>\n", canonical)
	w("<meta property=\"og:title\" content=%q>\n<meta property=\"og:site_name\" content=\"The Eastmouth Courier\">\n", a.Title)
	w("<meta property=\"article:published_time\" content=%q>\n", a.Published)
	w("<script>window.dataLayer=window.dataLayer||[];dataLayer.push({section:'news'});</script>\n")
	w("<style>.cookie{position:fixed;bottom:0}</style>\n</head><body>\n")
	w("<div class=\"cookie-consent\"><p>We use cookies to improve your experience and to show you personalised advertising.</p><button>Accept all</button></div>\n")
	w("<header class=\"site-header\"><a class=\"logo\" href=\"/\">The Eastmouth Courier</a><nav><ul>")
	for _, s := range []string{"Home", "Local", "World", "Business", "Sport", "Culture", "Opinion", "Puzzles"} {
		w("<li><a href=\"/%s\">%s</a></li>", strings.ToLower(s), s)
	}
	w("</ul></nav></header>\n<main><article class=\"story\">\n")
	w("<h1>%s</h1>\n", esc(a.Title))
	w("<div class=\"meta\"><span class=\"byline\">By %s</span> <time datetime=%q>%s</time></div>\n", esc(a.Byline), a.Published, a.Published[:10])
	w("<div class=\"share\"><a href=\"https://twitter.com/intent/tweet\">Share on X</a> <a href=\"https://facebook.com/sharer\">Share on Facebook</a></div>\n")
	w("<figure><img src=\"/img/%s.jpg\" alt=\"\"><figcaption>Photograph: Courier staff</figcaption></figure>\n", a.Slug)
	w("<div class=\"story-body\">\n")
	for i, para := range a.Paras {
		w("<p>%s</p>\n", esc(para))
		if i == 1 {
			w("<aside class=\"related\"><h3>Related</h3><ul><li><a href=\"/news/older-1\">Council approves new bus lanes along the seafront</a></li><li><a href=\"/news/older-2\">Weather warning for the weekend</a></li></ul></aside>\n")
			w("<div class=\"ad-slot\"><span>Advertisement</span><iframe src=\"/ads/1\"></iframe></div>\n")
		}
	}
	w("</div></article>\n")
	w("<section class=\"comments\"><h2>Comments (2)</h2><div class=\"comment\"><p>First! Great reporting as always.</p></div><div class=\"comment\"><p>About time somebody said it.</p></div></section>\n")
	w("<div class=\"newsletter\"><p>Sign up to the Morning Briefing newsletter and never miss a story.</p><form><input type=\"email\"><button>Subscribe</button></form></div>\n")
	w("<section class=\"most-read\"><h2>Most read</h2><ul>")
	for i := range 6 {
		w("<li><a href=\"/news/popular-%d\">Most read story number %d of the day</a></li>", i, i)
	}
	w("</ul></section>\n</main>\n<footer><p>© 2026 The Eastmouth Courier. All rights reserved.</p><a href=\"/privacy\">Privacy</a></footer>\n</body></html>\n")
	return b.String()
}

// Boilerplate are texts of Page that are not the article.
var Boilerplate = []string{
	"We use cookies", "Share on Facebook", "Council approves new bus lanes", "Advertisement",
	"Great reporting as always", "Morning Briefing newsletter", "Most read story", "All rights reserved",
}

// rss renders the site's RSS 2.0 feed: the channel link is relative (items
// resolve against the feed's URL), item links are relative and carry
// tracking parameters, descriptions are CDATA with entities, and with
// content the full text is in content:encoded.
func rss(arts []Article, prefix string, content bool) string {
	return rssHead + rssItems(arts, prefix, content) + "</channel>\n</rss>\n"
}

const rssHead = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>The Eastmouth Courier &#8211; Latest</title>
<link>/</link>
<description>News from Eastmouth &amp; the region</description>
<language>en-gb</language>
`

func rssItems(arts []Article, prefix string, content bool) string {
	var b strings.Builder
	for _, a := range arts {
		pub, _ := time.Parse(time.RFC3339, a.Published)
		fmt.Fprintf(&b, "<item>\n<title><![CDATA[%s]]></title>\n<link>%s%s?utm_source=rss&amp;utm_medium=feed</link>\n", a.Title, prefix, a.Slug)
		fmt.Fprintf(&b, "<guid isPermaLink=\"false\">courier-%s</guid>\n<dc:creator>%s</dc:creator>\n<pubDate>%s</pubDate>\n", a.Slug, html.EscapeString(a.Byline), pub.Format(time.RFC1123Z))
		fmt.Fprintf(&b, "<description><![CDATA[<p>%s</p>]]></description>\n", html.EscapeString(a.Lead))
		if content {
			b.WriteString("<content:encoded><![CDATA[")
			for _, p := range a.Paras {
				fmt.Fprintf(&b, "<p>%s</p>", html.EscapeString(p))
			}
			b.WriteString("]]></content:encoded>\n")
		}
		b.WriteString("</item>\n")
	}
	return b.String()
}

// Latin1Titles are the titles of the ISO-8859-1 feed, as UTF-8.
var Latin1Titles = []string{"Zürich: café owners protest against rent rises", "Señora Núñez wins the Ödenburg marathon"}

// Latin1Text is a sentence of the ISO-8859-1 page.
const Latin1Text = "Café owners in Zürich's old town closed their doors for an hour on Monday"

func latin1Feed() []byte {
	doc := `<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="2.0"><channel><title>Europa Nachrichten</title><link>/</link>
<item><title>` + Latin1Titles[0] + `</title><link>/latin/zurich-cafes</link>
<description>Die Cafés in Zürich schlossen für eine Stunde.</description><pubDate>Mon, 02 Mar 2026 10:00:00 +0100</pubDate></item>
<item><title>` + Latin1Titles[1] + `</title><link>/latin/marathon</link>
<description>Señora Núñez gewann den Marathon in Ödenburg mit großem Vorsprung.</description><pubDate>Sun, 01 Mar 2026 18:00:00 +0100</pubDate></item>
</channel></rss>
`
	out, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(doc))
	if err != nil {
		panic(err)
	}
	return out
}

func latin1Page() []byte {
	page := `<!DOCTYPE html><html lang="en"><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<title>Zürich cafés | Europa</title></head><body><nav><a href="/">Startseite</a> <a href="/welt">Welt</a></nav>
<article><h1>Zürich: café owners protest against rent rises</h1>
<p>` + Latin1Text + ` to protest against rent rises of up to forty percent announced by the city's largest landlord.</p>
<p>The owners of more than sixty cafés, bakeries and small restaurants taped notices to their windows explaining why they were shut, and many gathered in the square outside the town hall.</p>
<p>A spokeswoman for the landlord said the rents had not been raised for a decade and were still below market levels in comparable streets of the city.</p>
</article><footer>© Europa Nachrichten</footer></body></html>`
	out, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(page))
	if err != nil {
		panic(err)
	}
	return out
}

// sitemap renders a Google News sitemap of the articles.
func sitemap(base string, arts []Article) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
`)
	for _, a := range arts {
		fmt.Fprintf(&b, "<url><loc>%s/news/%s</loc><news:news><news:publication><news:name>The Eastmouth Courier</news:name><news:language>en</news:language></news:publication>", base, a.Slug)
		fmt.Fprintf(&b, "<news:publication_date>%s</news:publication_date><news:title>%s</news:title></news:news></url>\n", a.Published, html.EscapeString(a.Title))
	}
	b.WriteString("</urlset>\n")
	return b.String()
}

// BrokenFull and BrokenShort are the items of /broken.xml: both pages
// answer 503; the first item has its full text in the feed, the second
// only a one-line summary.
var (
	BrokenFull  = Articles[1]
	BrokenShort = Articles[2]
)

func brokenFeed() string {
	return rssHead + rssItems([]Article{BrokenFull}, "/broken/", true) +
		rssItems([]Article{BrokenShort}, "/broken/", false) + "</channel>\n</rss>\n"
}

// Hostile lists the endpoints of /hostile.xml, by what they do.
var Hostile = []string{"endless", "trickle", "bomb", "loop", "to-loopback"}

func hostileFeed() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Hostile</title><link>/</link>`)
	for i, h := range Hostile {
		// No description: nothing to fall back on.
		fmt.Fprintf(&b, "<item><title>Hostile %s</title><link>/hostile/%s</link><pubDate>Mon, 0%d Mar 2026 10:00:00 +0000</pubDate></item>", h, h, i+1)
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

// TrickleEvery is how often /hostile/trickle sends a byte.
const TrickleEvery = 300 * time.Millisecond

func hostile(w http.ResponseWriter, r *http.Request, canary string) {
	switch strings.TrimPrefix(r.URL.Path, "/hostile/") {
	case "endless":
		w.Header().Set("Content-Type", "text/html")
		chunk := bytes.Repeat([]byte("<p>all work and no play makes jack a dull boy</p>\n"), 1000)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case "trickle":
		w.Header().Set("Content-Type", "text/html")
		f, _ := w.(http.Flusher)
		for i := 0; i < 100 && r.Context().Err() == nil; i++ {
			w.Write([]byte("<"))
			if f != nil {
				f.Flush()
			}
			select {
			case <-r.Context().Done():
			case <-time.After(TrickleEvery):
			}
		}
	case "bomb":
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipBomb())
	case "loop":
		http.Redirect(w, r, "/hostile/loop-back", http.StatusFound)
	case "loop-back":
		http.Redirect(w, r, "/hostile/loop", http.StatusFound)
	case "to-loopback":
		http.Redirect(w, r, "http://"+canary+"/admin", http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

var (
	bombOnce sync.Once
	bomb     []byte
)

// gzipBomb is 32 MiB of zeros, gzip-compressed to about 32 KiB.
func gzipBomb() []byte {
	bombOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zeros := make([]byte, 1<<20)
		for range 32 {
			zw.Write(zeros)
		}
		zw.Close()
		bomb = buf.Bytes()
	})
	return bomb
}
