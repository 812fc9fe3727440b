package feed_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/services/fetcher/internal/feed"
	"github.com/newsflow/newsflow/services/fetcher/internal/web"
	"golang.org/x/text/encoding/charmap"
)

// The tests below run the parsers on documents fetched by web.Client from
// httptest servers, as the fetcher does.

func newClient(t *testing.T, cfg web.Config) *web.Client {
	t.Helper()
	cfg.AllowHosts = []string{"127.0.0.1"} // httptest servers
	cfg.PerHostRate = -1
	c, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func serveFile(t *testing.T, name, contentType string) http.HandlerFunc {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(b)
	}
}

func fetchAndParse(t *testing.T, c *web.Client, u string) *feed.Feed {
	t.Helper()
	resp, err := c.Fetch(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if k := feed.Detect(resp.Header.Get("Content-Type"), resp.Body); !k.IsFeed() {
		t.Fatalf("%s detected as %s", u, k)
	}
	f, err := feed.ParseFeed(resp.Body, resp.Header.Get("Content-Type"), resp.URL)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFetchFeeds(t *testing.T) {
	latin := `<rss version="2.0"><channel><title>Nouvelles</title>
<item><title>Grève à Besançon : 5 € de plus</title><link>articles/greve</link></item></channel></rss>`
	latinBytes, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(latin))
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n") })
	mux.HandleFunc("/rss.xml", serveFile(t, "rss2_cdata.xml", "application/rss+xml"))
	mux.HandleFunc("/atom", serveFile(t, "atom_xhtml.xml", "text/html")) // a lying Content-Type
	mux.HandleFunc("/feed.json", serveFile(t, "feed.json", "application/feed+json"))
	mux.HandleFunc("/fr/latin.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=windows-1252")
		w.Write(latinBytes)
	})
	mux.HandleFunc("/old-feed", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/fr/latin.xml", http.StatusMovedPermanently)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := newClient(t, web.Config{})

	if f := fetchAndParse(t, c, srv.URL+"/rss.xml"); len(f.Items) != 5 || f.Items[0].Title != "Talks resume in Geneva & Vienna" {
		t.Errorf("rss: %+v", f)
	}
	if f := fetchAndParse(t, c, srv.URL+"/atom"); f.Kind != feed.KindAtom || len(f.Items) != 2 {
		t.Errorf("atom: %+v", f)
	}
	if f := fetchAndParse(t, c, srv.URL+"/feed.json"); f.Kind != feed.KindJSONFeed || len(f.Items) != 2 {
		t.Errorf("json feed: %+v", f)
	}
	// Relative links resolve against the final URL, after the redirect.
	f := fetchAndParse(t, c, srv.URL+"/old-feed")
	if len(f.Items) != 1 || f.Items[0].Title != "Grève à Besançon : 5 € de plus" || f.Items[0].Link != srv.URL+"/fr/articles/greve" {
		t.Errorf("latin feed: %+v", f.Items)
	}
	if _, err := c.Fetch(context.Background(), srv.URL+"/private/feed.xml"); !errors.Is(err, web.ErrRobots) {
		t.Errorf("robots: %v", err)
	}
}

// TestFiftyMegabyteFeedRefused documents a decision: feeds are parsed in
// memory (gofeed builds the whole feed), so a feed larger than the size cap
// (16 MiB by default) is refused by the client while streaming, before it
// is held in memory. Large sitemaps are streamed instead (see
// TestFetchLargeSitemapStreamed).
func TestFiftyMegabyteFeedRefused(t *testing.T) {
	const size = 50 << 20
	item := []byte("<item><title>Filler</title><link>https://x.example/a</link><description>" + strings.Repeat("lorem ipsum ", 80) + "</description></item>\n")
	var written int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>`)
		for written < size {
			n, err := w.Write(item)
			written += int64(n)
			if err != nil {
				return
			}
		}
		io.WriteString(w, "</channel></rss>")
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, web.Config{})
	_, err := c.Fetch(context.Background(), srv.URL+"/huge.xml")
	if !errors.Is(err, web.ErrTooLarge) {
		t.Fatalf("Fetch(50 MB feed) = %v, want ErrTooLarge", err)
	}
}

func TestFetchSitemapIndex(t *testing.T) {
	var srv *httptest.Server
	news, err := os.ReadFile(filepath.Join("testdata", "sitemap_news.xml"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "User-agent: *\nDisallow: /secret\nSitemap: %s/sitemap_index.xml\n", srv.URL)
	})
	mux.HandleFunc("/sitemap_index.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>%[1]s/sitemap-news.xml</loc><lastmod>2025-03-05T11:00:00Z</lastmod></sitemap>
  <sitemap><loc>/sitemap-pages.xml.gz</loc></sitemap>
  <sitemap><loc>%[1]s/secret/sitemap.xml</loc></sitemap>
</sitemapindex>`, srv.URL)
	})
	mux.HandleFunc("/sitemap-news.xml", func(w http.ResponseWriter, r *http.Request) {
		// Compressed in transit.
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(news)
		zw.Close()
	})
	mux.HandleFunc("/sitemap-pages.xml.gz", func(w http.ResponseWriter, r *http.Request) {
		// A compressed file, served as such.
		w.Header().Set("Content-Type", "application/x-gzip")
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		fmt.Fprintf(zw, `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>%s/about</loc></url><url><loc>/contact</loc></url></urlset>`, srv.URL)
		zw.Close()
		w.Write(buf.Bytes())
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := newClient(t, web.Config{})
	open := func(ctx context.Context, u string) (io.ReadCloser, string, error) {
		resp, body, err := c.Open(ctx, u, web.WithMaxBytes(64<<20))
		if err != nil {
			return nil, "", err
		}
		return body, resp.URL, nil
	}
	var items []feed.Item
	err = feed.WalkSitemaps(context.Background(), open, srv.URL+"/sitemap_index.xml", feed.WalkOptions{}, func(u feed.SitemapURL) error {
		items = append(items, u.Item())
		return nil
	})
	if !errors.Is(err, web.ErrRobots) {
		t.Errorf("walk error %v, want the robots-disallowed child reported", err)
	}
	var links []string
	for _, it := range items {
		links = append(links, it.Link)
	}
	want := []string{
		"https://news.example.com/business/2025/03/05/merger",
		"https://news.example.com/world/2025/03/05/summit",
		"https://news.example.com/plain",
		srv.URL + "/about",
		srv.URL + "/contact",
	}
	if strings.Join(links, " ") != strings.Join(want, " ") {
		t.Errorf("links %v\nwant %v", links, want)
	}
	if items[0].Title != "Banks agree & merge: what it means" || items[0].Language != "en" || items[0].Published == nil {
		t.Errorf("news item %+v", items[0])
	}
}

// TestFetchLargeSitemapStreamed streams a sitemap larger than the client's
// default cap through Open and ParseSitemap with bounded memory: parsing
// stops at MaxURLs.
func TestFetchLargeSitemapStreamed(t *testing.T) {
	const urls = 200_000 // ~20 MB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`)
		for i := range urls {
			if _, err := fmt.Fprintf(w, "<url><loc>https://big.example.com/a/%d</loc><lastmod>2025-03-05</lastmod></url>\n", i); err != nil {
				return
			}
		}
		io.WriteString(w, "</urlset>")
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, web.Config{MaxBodyBytes: 1 << 20})
	_, body, err := c.Open(context.Background(), srv.URL+"/sitemap.xml", web.WithMaxBytes(64<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	sm, err := feed.ParseSitemap(body, feed.SitemapOptions{MaxURLs: 50_000})
	if err != nil {
		t.Fatal(err)
	}
	if !sm.Truncated || len(sm.URLs) != 50_000 || sm.URLs[49_999].Loc != "https://big.example.com/a/49999" {
		t.Errorf("truncated %v, %d URLs", sm.Truncated, len(sm.URLs))
	}
}
