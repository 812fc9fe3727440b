package feed

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ts(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	t = t.UTC()
	return &t
}

func TestParseFeed(t *testing.T) {
	tests := []struct {
		file  string
		doc   string
		kind  Kind
		title string
		link  string
		lang  string
		items []Item
	}{
		{
			file: "rss2_cdata.xml", doc: "https://feeds.example.com/ledger/world.xml",
			kind: KindRSS, title: "The Daily Ledger – World", link: "https://news.example.com/", lang: "en-gb",
			items: []Item{
				{
					Link:      "https://news.example.com/world/2025/03/01/talks-resume",
					Title:     "Talks resume in Geneva & Vienna",
					Summary:   "<p>Diplomats met again on Saturday &mdash; the first time since January.</p>",
					Content:   "<p>Diplomats met again on <b>Saturday</b>.</p><p>“We are hopeful,” said the envoy.</p>",
					Author:    "Jane Doe",
					Published: ts("2025-03-01T08:30:00Z"),
					GUID:      "ledger-123456",
				},
				{
					// No <link>: the permalink guid is the link.
					Link:      "https://news.example.com/markets/2025/02/28/close",
					Title:     `Markets close higher — "a relief"`,
					Summary:   "Stocks rose 2% <b>today</b>.",
					Published: ts("2025-02-28T17:05:00Z"),
					GUID:      "https://news.example.com/markets/2025/02/28/close",
				},
				{Title: "No link, opaque guid", Summary: "An item a feed reader cannot open.", GUID: "tag:news.example.com,2025:789"},
				{
					// Relative to the site link, not to the feed on another host.
					Link:      "https://news.example.com/sport/2025/03/02/final?utm_source=rss",
					Title:     "Relative without slash",
					Published: ts("2025-03-03T01:00:00Z"),
				},
				{Title: "Opaque URL guid", GUID: "https://news.example.com/internal/555"},
			},
		},
		{
			file: "rss1.rdf", doc: "https://science.example.org/rss",
			kind: KindRSS, title: "Science Notes", link: "https://science.example.org/", lang: "de",
			items: []Item{{
				Link: "https://science.example.org/a/1", Title: "Neue Messungen am Polarkreis",
				Summary: "Forscher berichten über dünneres Eis.", Author: "Max Müller", Published: ts("2025-01-15T07:00:00Z"),
			}},
		},
		{
			file: "atom_xhtml.xml", doc: "https://blog.example.net/atom.xml",
			kind: KindAtom, title: "Carnet & notes", link: "https://blog.example.net/", lang: "fr",
			items: []Item{
				{
					Link:      "https://blog.example.net/posts/2025/02/resultats",
					Title:     "Élection municipale : les résultats",
					Summary:   "<p>Le maire sortant est <em>réélu</em>.</p>",
					Content:   `<p>Le maire sortant est <strong>réélu</strong> avec 54 % des voix.</p><p><a href="https://blog.example.net/posts/2025/02/chiffres">Les chiffres</a></p>`,
					Author:    "Claire Martin, Paul Durand",
					Published: ts("2025-02-10T09:15:00Z"),
					GUID:      "tag:blog.example.net,2025:42",
				},
				{
					Link: "https://other.example.org/story", Title: "Mise à jour seulement", Content: "Texte brut.",
					Published: ts("2025-02-11T08:00:00Z"), GUID: "tag:blog.example.net,2025:43",
				},
			},
		},
		{
			file: "feed.json", doc: "https://radio.example.com/feed.json",
			kind: KindJSONFeed, title: "Harbour Radio", link: "https://radio.example.com/", lang: "nl",
			items: []Item{
				{
					Link: "https://radio.example.com/news/ferry", Title: "Ferry service restored", Summary: "Service resumes.",
					Content: "<p>The ferry runs again after <b>three</b> days.</p>", Author: "Pieter de Vries",
					Published: ts("2025-03-04T05:00:00Z"), GUID: "2025-03-04-ferry",
				},
				{
					Link: "https://radio.example.com/news/storm", Title: "Storm warning & closures", Content: "Schools close early.",
					Published: ts("2025-03-04T07:30:00Z"), GUID: "2025-03-04-storm",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := ParseFeed(readTestdata(t, tt.file), "", tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if f.Kind != tt.kind || f.Title != tt.title || f.Link != tt.link || f.Language != tt.lang {
				t.Errorf("feed %s %q %q %q, want %s %q %q %q", f.Kind, f.Title, f.Link, f.Language, tt.kind, tt.title, tt.link, tt.lang)
			}
			if len(f.Items) != len(tt.items) {
				t.Fatalf("%d items, want %d", len(f.Items), len(tt.items))
			}
			for i, want := range tt.items {
				want.Language = tt.lang
				compareItem(t, i, f.Items[i], want)
			}
		})
	}
}

func compareItem(t *testing.T, i int, got, want Item) {
	t.Helper()
	gp, wp := got.Published, want.Published
	got.Published, want.Published = nil, nil
	if got != want {
		t.Errorf("item %d:\n got %+v\nwant %+v", i, got, want)
	}
	if (gp == nil) != (wp == nil) || (gp != nil && !gp.Equal(*wp)) {
		t.Errorf("item %d: published %v, want %v", i, gp, wp)
	}
}

// latinFeed is an RSS feed with characters outside ASCII; encode it to test
// charset handling.
const latinFeed = `<rss version="2.0"><channel><title>Le Monde en bref</title><link>https://fr.example.com/</link>
<item><title>Été : la fête à Besançon coûte 5 €</title><link>https://fr.example.com/a</link><description>Ça déménage « vraiment ».</description></item>
</channel></rss>`

func TestParseFeedCharsets(t *testing.T) {
	win1252 := func(s string) []byte {
		b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	latin1 := func(s string) []byte {
		b, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(strings.ReplaceAll(s, "€", "EUR")))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	utf16 := func(s string) []byte {
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const euroTitle = "Été : la fête à Besançon coûte 5 €"
	tests := []struct {
		name        string
		body        []byte
		contentType string
		title       string
	}{
		{"windows-1252 declared", append([]byte(`<?xml version="1.0" encoding="windows-1252"?>`), win1252(latinFeed)...), "text/xml", euroTitle},
		{"iso-8859-1 declared, header says utf-8", append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), latin1(latinFeed)...), "application/rss+xml; charset=utf-8", "Été : la fête à Besançon coûte 5 EUR"},
		{"iso-8859-1 in header only", latin1(latinFeed), "application/rss+xml; charset=iso-8859-1", "Été : la fête à Besançon coûte 5 EUR"},
		{"declared utf-8 but windows-1252", append([]byte(`<?xml version="1.0" encoding="utf-8"?>`), win1252(latinFeed)...), "", euroTitle},
		{"utf-8 with BOM", append([]byte("\xEF\xBB\xBF<?xml version='1.0' encoding='utf-8'?>"), latinFeed...), "", euroTitle},
		{"utf-16 with BOM", utf16(`<?xml version="1.0" encoding="UTF-16"?>` + latinFeed), "", euroTitle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFeed(tt.body, tt.contentType, "https://fr.example.com/rss")
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) != 1 || f.Items[0].Title != tt.title || f.Items[0].Summary != "Ça déménage « vraiment »." {
				t.Errorf("items %+v, want title %q", f.Items, tt.title)
			}
		})
	}
	if _, err := ParseFeed([]byte(`<?xml version="1.0" encoding="x-no-such-charset"?><rss/>`), "", ""); err == nil {
		t.Error("unknown charset: no error")
	}
}

func TestParseFeedNotAFeed(t *testing.T) {
	for _, body := range []string{"<html><body>hi</body></html>", "", "plain words", `{"a":1}`} {
		if _, err := ParseFeed([]byte(body), "", ""); err == nil {
			t.Errorf("ParseFeed(%q): no error", body)
		}
	}
}

func TestDetect(t *testing.T) {
	gz := gzipBytes(t, readTestdata(t, "sitemap_news.xml"))
	tests := []struct {
		name, contentType string
		body              []byte
		want              Kind
	}{
		{"rss", "application/rss+xml", readTestdata(t, "rss2_cdata.xml"), KindRSS},
		{"rss sent as text/html", "text/html; charset=utf-8", readTestdata(t, "rss2_cdata.xml"), KindRSS},
		{"rdf", "", readTestdata(t, "rss1.rdf"), KindRSS},
		{"atom", "application/xml", readTestdata(t, "atom_xhtml.xml"), KindAtom},
		{"json feed", "application/json", readTestdata(t, "feed.json"), KindJSONFeed},
		{"other json", "application/json", []byte(`{"version":"1"}`), KindUnknown},
		{"news sitemap", "text/xml", readTestdata(t, "sitemap_news.xml"), KindSitemap},
		{"gzipped sitemap", "application/x-gzip", gz, KindSitemap},
		{"index with comment and BOM", "", []byte("\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- generated --><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"/>"), KindSitemapIndex},
		{"text sitemap", "text/plain", []byte("https://a.example/1\nhttps://a.example/2\n"), KindTextSitemap},
		{"html doctype", "", []byte("<!DOCTYPE html><html><head></head></html>"), KindHTML},
		{"html by root", "application/octet-stream", []byte("<html lang=en><p>x</p></html>"), KindHTML},
		{"html by type", "text/html", []byte("<p>fragment</p>"), KindHTML},
		{"atom by type only", "application/atom+xml", []byte("<x/>"), KindAtom},
		{"utf-16 rss", "", append([]byte{0xFF, 0xFE}, utf16le("<rss version=\"2.0\"></rss>")...), KindRSS},
		{"empty", "", nil, KindUnknown},
		{"plain prose", "text/plain", []byte("hello there"), KindUnknown},
	}
	for _, tt := range tests {
		if got := Detect(tt.contentType, tt.body); got != tt.want {
			t.Errorf("%s: Detect = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func utf16le(s string) []byte {
	var b bytes.Buffer
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.Bytes()
}

func FuzzParseFeed(f *testing.F) {
	for _, name := range []string{"rss2_cdata.xml", "rss1.rdf", "atom_xhtml.xml", "feed.json"} {
		f.Add(readTestdata(f, name), "")
	}
	f.Add([]byte(`<?xml version="1.0" encoding="windows-1252"?><rss><channel><item><link>x</link></item></channel></rss>`), "text/xml; charset=latin1")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		fd, err := ParseFeed(body, contentType, "https://example.com/feed")
		if err != nil {
			return
		}
		for _, it := range fd.Items {
			if it.Link != "" && !strings.HasPrefix(it.Link, "http://") && !strings.HasPrefix(it.Link, "https://") {
				t.Fatalf("non-http link %q", it.Link)
			}
		}
	})
}

func FuzzDetect(f *testing.F) {
	f.Add("text/html", []byte("<rss/>"))
	f.Add("", []byte("\xFE\xFF\x00<"))
	f.Add("text/plain", []byte("https://x\n"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		_ = Detect(contentType, body)
	})
}

func FuzzToUTF8(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="windows-1252"?><rss>`+"\xe9"+`</rss>`), "")
	f.Add([]byte("\xff\xfe<\x00r\x00"), "")
	f.Add([]byte("caf\xe9"), "text/xml; charset=iso-8859-1")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		out, err := toUTF8(body, contentType)
		if err == nil && !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8 out of %q", body)
		}
	})
}
