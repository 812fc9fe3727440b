package feed

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestParseSitemapNews(t *testing.T) {
	for _, compressed := range []bool{false, true} {
		t.Run(fmt.Sprint("gzip=", compressed), func(t *testing.T) {
			body := readTestdata(t, "sitemap_news.xml")
			if compressed {
				body = gzipBytes(t, body)
			}
			sm, err := ParseSitemap(bytes.NewReader(body), SitemapOptions{BaseURL: "https://news.example.com/sitemap-news.xml"})
			if err != nil {
				t.Fatal(err)
			}
			if sm.Kind != KindSitemap || len(sm.URLs) != 3 || sm.Skipped != 2 || sm.Truncated {
				t.Fatalf("sitemap %s, %d URLs, %d skipped, truncated %v", sm.Kind, len(sm.URLs), sm.Skipped, sm.Truncated)
			}
			first := sm.URLs[0]
			wantNews := News{
				Title: "Banks agree & merge: what it means", Language: "en", PublicationName: "The Daily Ledger",
				Keywords: "banking, mergers",
			}
			if first.Loc != "https://news.example.com/business/2025/03/05/merger" || first.News == nil {
				t.Fatalf("first URL %+v", first)
			}
			gotNews := *first.News
			gotNews.PublicationDate = nil
			if gotNews != wantNews || !first.News.PublicationDate.Equal(*ts("2025-03-05T09:45:00Z")) || !first.LastMod.Equal(*ts("2025-03-05T11:00:00Z")) {
				t.Errorf("news %+v (date %v, lastmod %v)", gotNews, first.News.PublicationDate, first.LastMod)
			}
			it := first.Item()
			if it.Link != first.Loc || it.Title != wantNews.Title || it.Language != "en" || !it.Published.Equal(*first.News.PublicationDate) {
				t.Errorf("item %+v", it)
			}
			if sm.URLs[1].News.Title != "Summit opens today" || !sm.URLs[1].News.PublicationDate.Equal(*ts("2025-03-05T00:00:00Z")) {
				t.Errorf("second news %+v", sm.URLs[1].News)
			}
			plain := sm.URLs[2]
			if plain.Loc != "https://news.example.com/plain" || plain.News != nil || !plain.LastMod.Equal(*ts("2025-03-01T00:00:00Z")) {
				t.Errorf("plain URL %+v", plain)
			}
		})
	}
}

func TestParseSitemapIndexAndText(t *testing.T) {
	index := `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://ex.com/sitemap-2025-03.xml</loc><lastmod>2025-03-05</lastmod></sitemap>
  <sitemap><loc>/sitemap-2025-02.xml.gz</loc></sitemap>
</sitemapindex>`
	sm, err := ParseSitemap(strings.NewReader(index), SitemapOptions{BaseURL: "https://ex.com/sitemap.xml"})
	if err != nil {
		t.Fatal(err)
	}
	if sm.Kind != KindSitemapIndex || len(sm.Sitemaps) != 2 || sm.Sitemaps[1].Loc != "https://ex.com/sitemap-2025-02.xml.gz" ||
		!sm.Sitemaps[0].LastMod.Equal(*ts("2025-03-05T00:00:00Z")) || len(sm.URLs) != 0 {
		t.Errorf("index %+v", sm)
	}

	text := "\uFEFFhttps://ex.com/a\n\n  https://ex.com/b  \r\nmailto:x@ex.com\n"
	sm, err = ParseSitemap(strings.NewReader(text), SitemapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sm.Kind != KindTextSitemap || len(sm.URLs) != 2 || sm.URLs[1].Loc != "https://ex.com/b" || sm.Skipped != 1 {
		t.Errorf("text sitemap %+v", sm)
	}
}

func TestParseSitemapErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
	}{
		{"rss is not a sitemap", `<rss version="2.0"><channel/></rss>`, ErrNotSitemap},
		{"empty", "", ErrNotSitemap},
		{"prose", "hello world\n", ErrNotSitemap},
	}
	for _, tt := range tests {
		if _, err := ParseSitemap(strings.NewReader(tt.body), SitemapOptions{}); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// A truncated document yields what was read and an error.
	sm, err := ParseSitemap(strings.NewReader(`<urlset><url><loc>https://a.example/1</loc></url><url><loc>https://a.exa`), SitemapOptions{})
	if err == nil || sm == nil || len(sm.URLs) != 1 {
		t.Errorf("truncated: %v, %+v", err, sm)
	}
}

// sitemapStream generates a sitemap of n URLs without holding it in memory,
// and counts the bytes read from it.
type sitemapStream struct {
	n, i int
	buf  []byte
	read int64
}

func newSitemapStream(n int) *sitemapStream {
	return &sitemapStream{n: n, buf: []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">` + "\n")}
}

func (s *sitemapStream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.i <= s.n {
		if s.i == s.n {
			s.buf = append(s.buf, "</urlset>\n"...)
		} else {
			s.buf = fmt.Appendf(s.buf, "<url><loc>https://news.example.com/section/2025/03/05/story-%d</loc><lastmod>2025-03-05T10:%02d:00Z</lastmod>"+
				"<news:news><news:publication><news:name>Ledger</news:name><news:language>en</news:language></news:publication>"+
				"<news:publication_date>2025-03-05T10:00:00Z</news:publication_date><news:title>Story number %d</news:title></news:news></url>\n", s.i, s.i%60, s.i)
		}
		s.i++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	s.read += int64(n)
	return n, nil
}

func TestParseSitemapCapsURLs(t *testing.T) {
	// About 50 MB of sitemap; parsing stops at the cap, long before the end.
	const total = 150_000
	src := newSitemapStream(total)
	sm, err := ParseSitemap(src, SitemapOptions{MaxURLs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !sm.Truncated || len(sm.URLs) != 1000 || sm.URLs[999].News.Title != "Story number 999" {
		t.Fatalf("truncated %v, %d URLs", sm.Truncated, len(sm.URLs))
	}
	if src.read > 1<<20 {
		t.Errorf("read %d bytes to get 1000 URLs", src.read)
	}
}

func TestParseSitemapWholeLargeStream(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 17 MB")
	}
	const total = 50_000 // the protocol maximum, ~17 MB of XML
	src := newSitemapStream(total)
	sm, err := ParseSitemap(src, SitemapOptions{MaxURLs: total})
	if err != nil {
		t.Fatal(err)
	}
	if len(sm.URLs) != total || sm.Truncated || src.read < 15<<20 {
		t.Errorf("%d URLs from %d bytes, truncated %v", len(sm.URLs), src.read, sm.Truncated)
	}
}

func TestParseSitemapGzipBomb(t *testing.T) {
	// 16 MiB of spaces after the root element: 16 KB compressed.
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write([]byte("<urlset>"))
	space := bytes.Repeat([]byte(" "), 1<<20)
	for range 16 {
		zw.Write(space)
	}
	zw.Close()
	_, err := ParseSitemap(&buf, SitemapOptions{MaxBytes: 1 << 20})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ParseSitemap(bomb) = %v, want ErrTooLarge", err)
	}
}

func TestParseW3CDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339, "" for nil
	}{
		{"2025-03-05", "2025-03-05T00:00:00Z"},
		{"2025-03", "2025-03-01T00:00:00Z"},
		{"2025", "2025-01-01T00:00:00Z"},
		{"2025-03-05T10:30+02:00", "2025-03-05T08:30:00Z"},
		{"2025-03-05T10:30:15.25Z", "2025-03-05T10:30:15.25Z"},
		{"2025-03-05T10:30:15+0100", "2025-03-05T09:30:15Z"},
		{"2025-03-05 10:30:15", "2025-03-05T10:30:15Z"},
		{" 2025-03-05T10:30:15Z ", "2025-03-05T10:30:15Z"},
		{"yesterday", ""},
		{"", ""},
		{"2025-13-01", ""},
	}
	for _, tt := range tests {
		got := ParseW3CDate(tt.in)
		switch {
		case tt.want == "" && got != nil:
			t.Errorf("ParseW3CDate(%q) = %v, want nil", tt.in, got)
		case tt.want != "" && (got == nil || !got.Equal(*ts(tt.want))):
			t.Errorf("ParseW3CDate(%q) = %v, want %s", tt.in, got, tt.want)
		}
	}
}

// memOpen serves documents from a map, as an OpenFunc.
func memOpen(docs map[string]string, opened *[]string) OpenFunc {
	return func(_ context.Context, u string) (io.ReadCloser, string, error) {
		*opened = append(*opened, u)
		d, ok := docs[u]
		if !ok {
			return nil, "", fmt.Errorf("404 %s", u)
		}
		return io.NopCloser(strings.NewReader(d)), u, nil
	}
}

func TestWalkSitemaps(t *testing.T) {
	urlset := func(locs ...string) string {
		var b strings.Builder
		b.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`)
		for _, l := range locs {
			fmt.Fprintf(&b, "<url><loc>%s</loc></url>", l)
		}
		return b.String() + "</urlset>"
	}
	docs := map[string]string{
		"https://ex.com/index.xml": `<sitemapindex>
			<sitemap><loc>https://ex.com/a.xml</loc><lastmod>2025-03-01</lastmod></sitemap>
			<sitemap><loc>https://ex.com/b.xml</loc></sitemap>
			<sitemap><loc>https://ex.com/old.xml</loc><lastmod>2020-01-01</lastmod></sitemap>
			<sitemap><loc>https://ex.com/missing.xml</loc></sitemap>
			<sitemap><loc>https://ex.com/nested.xml</loc></sitemap>
			<sitemap><loc>https://ex.com/a.xml</loc></sitemap>
		</sitemapindex>`,
		"https://ex.com/a.xml":      urlset("https://ex.com/1", "https://ex.com/2"),
		"https://ex.com/b.xml":      urlset("https://ex.com/3"),
		"https://ex.com/old.xml":    urlset("https://ex.com/old"),
		"https://ex.com/nested.xml": `<sitemapindex><sitemap><loc>https://ex.com/deep.xml</loc></sitemap><sitemap><loc>https://ex.com/index.xml</loc></sitemap></sitemapindex>`,
		"https://ex.com/deep.xml":   urlset("https://ex.com/deep"),
	}
	var opened, got []string
	err := WalkSitemaps(context.Background(), memOpen(docs, &opened), "https://ex.com/index.xml",
		WalkOptions{Since: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		func(u SitemapURL) error { got = append(got, u.Loc); return nil })
	if err == nil || !strings.Contains(err.Error(), "missing.xml") {
		t.Errorf("error %v, want the missing child reported", err)
	}
	want := "https://ex.com/1 https://ex.com/2 https://ex.com/3 https://ex.com/deep"
	if strings.Join(got, " ") != want {
		t.Errorf("URLs %v, want %s", got, want)
	}
	wantOpened := "https://ex.com/index.xml https://ex.com/a.xml https://ex.com/b.xml https://ex.com/missing.xml https://ex.com/nested.xml https://ex.com/deep.xml"
	if strings.Join(opened, " ") != wantOpened {
		t.Errorf("opened %v", opened)
	}

	// Depth and count limits.
	opened = nil
	err = WalkSitemaps(context.Background(), memOpen(docs, &opened), "https://ex.com/index.xml",
		WalkOptions{MaxDepth: 1, MaxSitemaps: 3}, func(SitemapURL) error { return nil })
	if err == nil || len(opened) != 3 {
		t.Errorf("limited walk: %v, opened %v", err, opened)
	}
	// The root failing fails the walk.
	if err := WalkSitemaps(context.Background(), memOpen(docs, &opened), "https://ex.com/nope.xml", WalkOptions{}, func(SitemapURL) error { return nil }); err == nil {
		t.Error("missing root: no error")
	}
	// fn stops the walk.
	stop := errors.New("stop")
	if err := WalkSitemaps(context.Background(), memOpen(docs, &opened), "https://ex.com/a.xml", WalkOptions{}, func(SitemapURL) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn error: %v", err)
	}
}

func FuzzParseSitemap(f *testing.F) {
	f.Add(readTestdata(f, "sitemap_news.xml"))
	f.Add([]byte(`<sitemapindex><sitemap><loc>/a.xml</loc><lastmod>2025-01</lastmod></sitemap></sitemapindex>`))
	f.Add([]byte("https://a.example/1\nhttps://a.example/2\n"))
	f.Add(gzipBytes(f, []byte(`<urlset><url><loc>https://a/</loc></url></urlset>`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		sm, err := ParseSitemap(bytes.NewReader(body), SitemapOptions{BaseURL: "https://example.com/sitemap.xml", MaxURLs: 100, MaxBytes: 1 << 20})
		if err != nil || sm == nil {
			return
		}
		if n := len(sm.URLs) + len(sm.Sitemaps); n > 100 {
			t.Fatalf("%d entries past the cap", n)
		}
		for _, u := range sm.URLs {
			if !strings.HasPrefix(u.Loc, "http://") && !strings.HasPrefix(u.Loc, "https://") {
				t.Fatalf("loc %q", u.Loc)
			}
		}
	})
}

func FuzzParseW3CDate(f *testing.F) {
	f.Add("2025-03-05T10:30+02:00")
	f.Add("2025")
	f.Fuzz(func(t *testing.T, s string) {
		if d := ParseW3CDate(s); d != nil && d.Location() != time.UTC {
			t.Fatalf("not UTC: %v", d)
		}
	})
}
