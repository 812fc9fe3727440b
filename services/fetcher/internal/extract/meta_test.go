package extract

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

func TestParseJSONLD(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []ldArticle
	}{
		{"plain article", `{"@context":"https://schema.org","@type":"NewsArticle","headline":"H","datePublished":"2024-01-02","author":{"@type":"Person","name":"Ann Lee"}}`,
			[]ldArticle{{rank: 0, headline: "H", published: "2024-01-02", authors: []string{"Ann Lee"}}}},
		{"graph with website and breadcrumbs", `{"@graph":[{"@type":"WebSite","name":"S"},{"@type":"BreadcrumbList"},{"@type":["Article","BlogPosting"],"headline":"H2","author":[{"name":"A"},{"name":"B"},"C",{"name":"A"}],"publisher":{"name":"Pub"},"inLanguage":"de-DE"}]}`,
			[]ldArticle{{rank: 1, headline: "H2", authors: []string{"A", "B", "C"}, publisher: "Pub", language: "de-DE"}}},
		{"top-level array", `[{"@type":"Organization","name":"O"},{"@type":"https://schema.org/ReportageNewsArticle","headline":"H3","creator":"Z"}]`,
			[]ldArticle{{rank: 0, headline: "H3", authors: []string{"Z"}}}},
		{"author URL skipped", `{"@type":"NewsArticle","author":["https://example.com/staff/a","Real Name"]}`,
			[]ldArticle{{rank: 0, authors: []string{"Real Name"}}}},
		{"trailing commas and raw newlines repaired", "{\"@type\":\"NewsArticle\",\"headline\":\"Line one\nline two\",\"author\":{\"name\":\"X\",},}",
			[]ldArticle{{rank: 0, headline: "Line one line two", authors: []string{"X"}}}},
		{"comment wrapper repaired", "<!--\n{\"@type\":\"NewsArticle\",\"headline\":\"W\"}\n-->",
			[]ldArticle{{rank: 0, headline: "W"}}},
		{"nested mainEntity", `{"@type":"WebPage","mainEntity":{"@type":"NewsArticle","headline":"Inner"}}`,
			[]ldArticle{{rank: 2}, {rank: 0, headline: "Inner"}}},
		{"not an article", `{"@type":"Recipe","name":"Soup"}`, nil},
		{"garbage", `{{{ not json`, nil},
		{"empty", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseJSONLD([]byte(tt.in)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseJSONLD = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBestLD(t *testing.T) {
	got := bestLD([]ldArticle{
		{rank: 2, headline: "Page title", published: "2020-01-01", language: "en"},
		{rank: 0, headline: "Article headline", authors: []string{"A"}},
	})
	want := ldArticle{headline: "Article headline", published: "2020-01-01", language: "en", authors: []string{"A"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bestLD = %+v, want %+v", got, want)
	}
}

func TestParseTime(t *testing.T) {
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2019-11-19T11:00:09.000Z", utc("2019-11-19T11:00:09Z"), true},
		{"2024-03-05T09:30:00+01:00", utc("2024-03-05T08:30:00Z"), true},
		{"2019-11-19T10:00:00.000+0000", utc("2019-11-19T10:00:00Z"), true},
		{"2019-11-19T10:00:00", utc("2019-11-19T10:00:00Z"), true},
		{"2019-11-19 10:00:00", utc("2019-11-19T10:00:00Z"), true},
		{"2019-11-19", utc("2019-11-19T00:00:00Z"), true},
		{"20191119", utc("2019-11-19T00:00:00Z"), true},
		{"Tue, 19 Nov 2019 10:00:00 GMT", utc("2019-11-19T10:00:00Z"), true},
		{"Tue, 19 Nov 2019 10:00:00 -0500", utc("2019-11-19T15:00:00Z"), true},
		{"November 19, 2019", utc("2019-11-19T00:00:00Z"), true},
		{"1574157600", utc("2019-11-19T10:00:00Z"), true},
		{"1574157600000", utc("2019-11-19T10:00:00Z"), true},
		{"0001-01-01T00:00:00Z", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
		{"42", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseTime(tt.in)
		if ok != tt.ok || ok && !got.Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReadMeta(t *testing.T) {
	page := func(head string) string {
		return "<html lang=\"en-GB\"><head>" + head + "</head><body><p>x</p></body></html>"
	}
	base, _ := url.Parse("https://news.example/section/story.html?utm_source=x#top")
	tests := []struct {
		name    string
		html    string
		pageURL *url.URL
		check   func(t *testing.T, m pageMeta)
	}{
		{"relative canonical", page(`<link rel="canonical" href="../other/story.html#frag">`), base, func(t *testing.T, m pageMeta) {
			if m.canonical != "https://news.example/other/story.html" {
				t.Errorf("canonical = %q", m.canonical)
			}
		}},
		{"canonical beats og:url", page(`<meta property="og:url" content="https://og.example/a"><link rel="alternate canonical" href="https://c.example/a">`), base, func(t *testing.T, m pageMeta) {
			if m.canonical != "https://c.example/a" {
				t.Errorf("canonical = %q", m.canonical)
			}
		}},
		{"og:url when no canonical", page(`<meta property="og:url" content="/from-og">`), base, func(t *testing.T, m pageMeta) {
			if m.canonical != "https://news.example/from-og" {
				t.Errorf("canonical = %q", m.canonical)
			}
		}},
		{"base href", page(`<base href="https://cdn.example/root/"><link rel="canonical" href="story">`), base, func(t *testing.T, m pageMeta) {
			if m.canonical != "https://cdn.example/root/story" {
				t.Errorf("canonical = %q", m.canonical)
			}
		}},
		{"relative canonical without page URL", page(`<link rel="canonical" href="/x">`), nil, func(t *testing.T, m pageMeta) {
			if m.canonical != "" {
				t.Errorf("canonical = %q, want none", m.canonical)
			}
		}},
		{"javascript canonical refused", page(`<link rel="canonical" href="javascript:alert(1)">`), base, func(t *testing.T, m pageMeta) {
			if m.canonical != "" {
				t.Errorf("canonical = %q, want none", m.canonical)
			}
		}},
		{"meta dates and author", page(`<meta name="author" content="Sam Stone"><meta property="article:published_time" content="2021-06-01T08:00:00Z"><meta name="date" content="2000-01-01">`), base, func(t *testing.T, m pageMeta) {
			if m.byline != "Sam Stone" {
				t.Errorf("byline = %q", m.byline)
			}
			if m.published == nil || m.published.Format(time.RFC3339) != "2021-06-01T08:00:00Z" {
				t.Errorf("published = %v", m.published)
			}
			if m.language != "en" {
				t.Errorf("language = %q", m.language)
			}
		}},
		{"JSON-LD beats meta", page(`<meta name="author" content="Meta Name"><meta property="article:published_time" content="2021-06-01T08:00:00Z"><script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2022-02-02T02:02:02Z","author":{"name":"LD Name"},"inLanguage":"fr"}</script>`), base, func(t *testing.T, m pageMeta) {
			if m.byline != "LD Name" || m.published == nil || m.published.Year() != 2022 || m.language != "fr" {
				t.Errorf("meta = %+v", m)
			}
		}},
		{"microdata time", `<html><body><article><time itemprop="datePublished dateCreated" datetime="2018-09-24T16:45:00+03:00">24 Sep</time></article></body></html>`, base, func(t *testing.T, m pageMeta) {
			if m.published == nil || !m.published.Equal(time.Date(2018, 9, 24, 13, 45, 0, 0, time.UTC)) {
				t.Errorf("published = %v", m.published)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader(tt.html))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, readMeta(doc, tt.pageURL))
		})
	}
}

func TestNormLang(t *testing.T) {
	for in, want := range map[string]string{"pt-BR": "pt", "en_US": "en", "RU": "ru", "": "", "english": "", "x1": "", "zh-Hans-CN": "zh"} {
		if got := normLang(in); got != want {
			t.Errorf("normLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseJSONLD(f *testing.F) {
	f.Add([]byte(`{"@graph":[{"@type":"NewsArticle","headline":"H","author":[{"name":"A"}]}]}`))
	f.Add([]byte(`[{"@type":["Article"],"author":{"name":{"name":"x"}},"datePublished":5}]`))
	f.Add([]byte("<!--{\"@type\":\"NewsArticle\",}-->"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, a := range parseJSONLD(data) {
			if a.rank < 0 || a.rank > 2 {
				t.Fatalf("rank %d", a.rank)
			}
		}
	})
}

func FuzzParseTime(f *testing.F) {
	f.Add("2019-11-19T11:00:09.000Z")
	f.Add("1574157600")
	f.Add("Tue, 19 Nov 2019 10:00:00 GMT")
	f.Fuzz(func(t *testing.T, s string) {
		if tm, ok := parseTime(s); ok && (tm.Year() < 1989 || tm.Year() > 2101) {
			t.Fatalf("parseTime(%q) accepted implausible %v", s, tm)
		}
	})
}
