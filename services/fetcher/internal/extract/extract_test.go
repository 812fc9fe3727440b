package extract

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

func mustEncode(t *testing.T, enc *charmap.Charmap, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode to %v: %v", enc, err)
	}
	return b
}

func TestExtractPages(t *testing.T) {
	russianMeta := russianPage
	russianMeta.charsetMeta = "windows-1251"
	portugueseHeader := portuguesePage // charset only in the HTTP header

	tests := []struct {
		name        string
		page        testPage
		bytes       func(t *testing.T, html string) []byte
		opts        Options
		wantCanon   string
		wantByline  string
		wantPub     string // RFC 3339, "" for none
		wantLang    string
		wantCharset string
	}{
		{
			name:        "english utf-8 with JSON-LD",
			page:        englishPage,
			opts:        Options{URL: "https://www.dailybugle.example/politics/2024/03/05/council-budget?utm_source=feed"},
			wantCanon:   "https://www.dailybugle.example/politics/2024/03/05/council-budget",
			wantByline:  "Jane Roe, John Poe",
			wantPub:     "2024-03-05T09:30:00+01:00",
			wantLang:    "en",
			wantCharset: "utf-8",
		},
		{
			name:        "windows-1251 declared in meta only",
			page:        russianMeta,
			bytes:       func(t *testing.T, s string) []byte { return mustEncode(t, charmap.Windows1251, s) },
			opts:        Options{URL: "https://vesti.example/politika/byudzhet?from=rss"},
			wantCanon:   "https://vesti.example/politika/byudzhet",
			wantLang:    "ru",
			wantCharset: "windows-1251",
		},
		{
			name:        "iso-8859-1 declared in the HTTP header only",
			page:        portugueseHeader,
			bytes:       func(t *testing.T, s string) []byte { return mustEncode(t, charmap.ISO8859_1, s) },
			opts:        Options{URL: "https://gazeta.example/p/123", ContentType: "text/html; charset=ISO-8859-1"},
			wantCanon:   "https://gazeta.example/politica/orcamento-aprovado",
			wantLang:    "pt",
			wantCharset: "windows-1252", // the WHATWG name for the iso-8859-1 label
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.page.html()
			page := []byte(src)
			if tt.bytes != nil {
				page = tt.bytes(t, src)
			}
			art, err := Extract(page, tt.opts)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			for _, p := range tt.page.paras {
				if !strings.Contains(art.Text, p) {
					t.Errorf("text lacks paragraph %q\ntext:\n%s", p, art.Text)
				}
			}
			for _, b := range tt.page.boilerplate {
				if strings.Contains(art.Text, b) {
					t.Errorf("text holds boilerplate %q", b)
				}
			}
			if got, want := strings.Count(art.Text, "\n\n")+1, len(tt.page.paras); got != want {
				t.Errorf("text has %d paragraphs, want %d:\n%s", got, want, art.Text)
			}
			if art.Title != tt.page.title {
				t.Errorf("Title = %q, want %q", art.Title, tt.page.title)
			}
			if art.URL != tt.opts.URL {
				t.Errorf("URL = %q, want %q", art.URL, tt.opts.URL)
			}
			if art.CanonicalURL != tt.wantCanon {
				t.Errorf("CanonicalURL = %q, want %q", art.CanonicalURL, tt.wantCanon)
			}
			if tt.wantByline != "" && art.Byline != tt.wantByline {
				t.Errorf("Byline = %q, want %q", art.Byline, tt.wantByline)
			}
			switch {
			case tt.wantPub == "" && art.PublishedAt != nil:
				t.Errorf("PublishedAt = %v, want none", art.PublishedAt)
			case tt.wantPub != "":
				want, _ := time.Parse(time.RFC3339, tt.wantPub)
				if art.PublishedAt == nil || !art.PublishedAt.Equal(want) {
					t.Errorf("PublishedAt = %v, want %v", art.PublishedAt, want)
				}
			}
			if art.Language != tt.wantLang {
				t.Errorf("Language = %q, want %q", art.Language, tt.wantLang)
			}
			if art.Charset != tt.wantCharset {
				t.Errorf("Charset = %q, want %q", art.Charset, tt.wantCharset)
			}
			if art.SiteName != tt.page.site {
				t.Errorf("SiteName = %q, want %q", art.SiteName, tt.page.site)
			}
		})
	}
}

func TestExtractEachExtractor(t *testing.T) {
	for _, e := range []Extractor{Combined, Trafilatura, Readability} {
		t.Run(e.String(), func(t *testing.T) {
			art, err := Extract([]byte(englishPage.html()), Options{Extractor: e})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range englishPage.paras {
				if !strings.Contains(art.Text, p) {
					t.Errorf("text lacks paragraph %q", p)
				}
			}
			if art.Extractor == "" {
				t.Error("Extractor not reported")
			}
		})
	}
}

func TestExtractErrors(t *testing.T) {
	deep := strings.Repeat("<div>", 5000) + "<p>text</p>"
	tests := []struct {
		name string
		page string
		opts Options
		want error
	}{
		{"empty page", "", Options{}, ErrNoContent},
		{"navigation only", `<html><body><nav><a href="/">Home</a> <a href="/a">About</a></nav></body></html>`, Options{}, ErrNoContent},
		{"script only", `<html><head><script>document.write("hello")</script></head><body></body></html>`, Options{}, ErrNoContent},
		{"relative page URL", englishPage.html(), Options{URL: "/politics/x"}, ErrBadURL},
		{"non-http page URL", englishPage.html(), Options{URL: "ftp://example.com/x"}, ErrBadURL},
		{"too many nodes", englishPage.html(), Options{MaxNodes: 50}, ErrTooComplex},
		{"nested too deep", deep, Options{}, ErrTooComplex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Extract([]byte(tt.page), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestExtractTruncates(t *testing.T) {
	page := englishPage.html()
	// Cut right after the fourth paragraph: the rest is never read.
	cut := strings.Index(page, englishPage.paras[3]) + len(englishPage.paras[3])
	art, err := Extract([]byte(page), Options{MaxBytes: cut})
	if err != nil {
		t.Fatal(err)
	}
	if !art.Truncated {
		t.Error("Truncated = false")
	}
	if strings.Contains(art.Text, englishPage.paras[4]) {
		t.Error("text holds a paragraph past the size cap")
	}
	if !strings.Contains(art.Text, englishPage.paras[0]) {
		t.Error("text lacks the first paragraph")
	}
}

func TestParseExtractor(t *testing.T) {
	for _, e := range []Extractor{Combined, Trafilatura, Readability} {
		got, err := ParseExtractor(e.String())
		if err != nil || got != e {
			t.Errorf("ParseExtractor(%q) = %v, %v", e.String(), got, err)
		}
	}
	if _, err := ParseExtractor("boilerpipe"); err == nil {
		t.Error("ParseExtractor(boilerpipe): no error")
	}
}

// TestExtractConcurrent checks that Extract can serve several goroutines,
// as the fetcher's workers do (run with -race).
func TestExtractConcurrent(t *testing.T) {
	pages := [][]byte{[]byte(englishPage.html()), []byte(portuguesePage.html()), []byte(russianPage.html())}
	want := make([]string, len(pages))
	for i, p := range pages {
		art, err := Extract(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = art.Text
	}
	errs := make(chan error, 3*len(pages))
	for range 3 {
		for i, p := range pages {
			go func() {
				art, err := Extract(p, Options{})
				if err == nil && art.Text != want[i] {
					err = errors.New("text differs from the sequential run")
				}
				errs <- err
			}()
		}
	}
	for range 3 * len(pages) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
