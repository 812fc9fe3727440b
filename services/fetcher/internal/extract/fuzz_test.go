package extract

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func FuzzExtract(f *testing.F) {
	// Seeds stay small: the fuzzer stalls on mutating a full test page.
	f.Add([]byte(`<html lang=en><title>T</title><article><h1>T</h1><p>`+strings.Repeat("Words of the article body. ", 12)+`</p><p>Related: <a href="/x">more</a></p></article>`), "")
	f.Add([]byte(`<meta charset="windows-1251"><p>`+"\xcf\xf0\xe8\xe2\xe5\xf2 "+strings.Repeat("word ", 30)), "")
	f.Add([]byte("\xff\xfe<\x00p\x00>\x00"), "text/html; charset=utf-16")
	f.Add([]byte(`<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"x"}</script><article><p>`+strings.Repeat("text ", 40)), "text/html")
	f.Fuzz(func(t *testing.T, page []byte, contentType string) {
		art, err := Extract(page, Options{ContentType: contentType, MaxBytes: 1 << 16, MaxNodes: 5000})
		if err != nil && !errors.Is(err, ErrNoContent) && !errors.Is(err, ErrTooComplex) {
			t.Fatalf("unexpected error: %v", err)
		}
		for name, s := range map[string]string{"text": art.Text, "title": art.Title, "byline": art.Byline, "canonical": art.CanonicalURL} {
			if !utf8.ValidString(s) {
				t.Fatalf("%s is not valid UTF-8: %q", name, s)
			}
		}
		if err == nil && strings.TrimSpace(art.Text) == "" {
			t.Fatal("no error but no text")
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`<meta charset="koi8-r"><p>`+"\xf0\xd2\xc9"), "")
	f.Add([]byte("\xef\xbb\xbf<p>x</p>"), "text/html; charset=latin1")
	f.Add([]byte(`<meta http-equiv="content-type" content="text/html; charset='`), "")
	f.Fuzz(func(t *testing.T, page []byte, contentType string) {
		out, name := decode(page, contentType)
		if !utf8.Valid(out) {
			t.Fatalf("decode(%q, %q) is not valid UTF-8 (%s)", page, contentType, name)
		}
		if name == "" {
			t.Fatal("no encoding name")
		}
	})
}

// FuzzPageParsing covers the parsing this package owns without the
// third-party extractors: metadata, JSON-LD, text rendering and cleaning.
func FuzzPageParsing(f *testing.F) {
	f.Add(`<title>T</title><h1>T</h1><p>Body <a href="/x">link</a></p>`, "https://www.dailybugle.example/a/b")
	f.Add(`<base href="//x"><link rel=canonical href="../../c?d#e"><meta property="og:url" content=" ">`, "http://h/")
	f.Add(`<html lang="pt_BR"><time itemprop="datePublished" datetime="1574157600000"></time><table><tr><td>a<br>b</td></tr></table>`, "")
	f.Fuzz(func(t *testing.T, page, rawURL string) {
		doc, err := html.Parse(strings.NewReader(page))
		if err != nil {
			return
		}
		var pageURL *url.URL
		if u, err := url.Parse(rawURL); err == nil && u.IsAbs() {
			pageURL = u
		}
		m := readMeta(doc, pageURL)
		if m.canonical != "" {
			u, err := url.Parse(m.canonical)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Fragment != "" {
				t.Fatalf("canonical %q is not an absolute http(s) URL without fragment", m.canonical)
			}
		}
		for _, trimmed := range []bool{false, true} {
			paras := renderText(doc, trimmed)
			for _, p := range paras {
				if p == "" || strings.Contains(p, "\n\n") || strings.TrimSpace(p) != p {
					t.Fatalf("bad paragraph %q", p)
				}
			}
			cleaned := clean(paras, collectTexts(doc, m.title))
			if len(cleaned) > len(paras) {
				t.Fatalf("clean added paragraphs")
			}
		}
	})
}
