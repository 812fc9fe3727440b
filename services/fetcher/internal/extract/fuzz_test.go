package extract

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzExtract(f *testing.F) {
	f.Add([]byte(englishPage.html()), "")
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
