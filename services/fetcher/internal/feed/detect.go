package feed

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"strings"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/unicode"
)

// Kind is what a document is.
type Kind string

// Document kinds.
const (
	KindUnknown      Kind = "unknown"
	KindRSS          Kind = "rss"  // RSS 2.0, 0.9x and RSS 1.0 (RDF)
	KindAtom         Kind = "atom" // Atom 1.0 (and 0.3)
	KindJSONFeed     Kind = "jsonfeed"
	KindSitemap      Kind = "sitemap"      // <urlset>, news sitemaps included
	KindSitemapIndex Kind = "sitemapindex" // <sitemapindex>
	KindTextSitemap  Kind = "textsitemap"  // one URL per line
	KindHTML         Kind = "html"
)

// IsFeed reports whether k is parsed by ParseFeed.
func (k Kind) IsFeed() bool { return k == KindRSS || k == KindAtom || k == KindJSONFeed }

// IsSitemap reports whether k is parsed by ParseSitemap.
func (k Kind) IsSitemap() bool {
	return k == KindSitemap || k == KindSitemapIndex || k == KindTextSitemap
}

// sniffLen is how much of a document Detect looks at.
const sniffLen = 8 << 10

// Detect says what body is. The document's first element decides when it
// is a feed or sitemap root (servers often send feeds as text/html or
// text/plain); otherwise the Content-Type does. A gzip-compressed body (a
// sitemap.xml.gz) is looked into.
func Detect(contentType string, body []byte) Kind {
	head := body[:min(len(body), sniffLen)]
	if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			head, _ = io.ReadAll(io.LimitReader(zr, sniffLen))
		}
	}
	if bytes.HasPrefix(head, bomUTF16BE) || bytes.HasPrefix(head, bomUTF16LE) {
		if out, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder().Bytes(head[:len(head)&^1]); err == nil {
			head = out
		}
	}
	if k := sniff(head); k != KindUnknown {
		return k
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/rss+xml", "application/rdf+xml":
		return KindRSS
	case "application/atom+xml":
		return KindAtom
	case "application/feed+json":
		return KindJSONFeed
	case "text/html", "application/xhtml+xml":
		return KindHTML
	case "text/plain":
		if looksLikeURLList(head) {
			return KindTextSitemap
		}
	}
	return KindUnknown
}

// sniff classifies a document by its first bytes alone.
func sniff(head []byte) Kind {
	trimmed := bytes.TrimLeft(trimBOM(head), " \t\r\n")
	if len(trimmed) == 0 {
		return KindUnknown
	}
	switch trimmed[0] {
	case '{':
		if bytes.Contains(trimmed, []byte("jsonfeed.org/version")) {
			return KindJSONFeed
		}
		return KindUnknown
	case '<':
	default:
		if looksLikeURLList(trimmed) {
			return KindTextSitemap
		}
		return KindUnknown
	}
	lower := bytes.ToLower(trimmed[:min(len(trimmed), 64)])
	if bytes.HasPrefix(lower, []byte("<!doctype html")) {
		return KindHTML
	}
	d := xml.NewDecoder(bytes.NewReader(trimmed))
	d.Strict = false
	d.CharsetReader = charset.NewReaderLabel
	for {
		tok, err := d.RawToken()
		if err != nil {
			return KindUnknown
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch strings.ToLower(se.Name.Local) {
		case "rss", "rdf":
			return KindRSS
		case "feed":
			return KindAtom
		case "urlset":
			return KindSitemap
		case "sitemapindex":
			return KindSitemapIndex
		case "html":
			return KindHTML
		}
		return KindUnknown
	}
}

// looksLikeURLList reports whether the first lines of b are http(s) URLs.
func looksLikeURLList(b []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(b))
	lines := 0
	for sc.Scan() && lines < 5 {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "http://") && !strings.HasPrefix(line, "https://") {
			return false
		}
		lines++
	}
	return lines > 0 && !errors.Is(sc.Err(), bufio.ErrTooLong)
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16BE = []byte{0xFE, 0xFF}
	bomUTF16LE = []byte{0xFF, 0xFE}
)

// trimBOM drops a UTF-8 byte order mark.
func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, bomUTF8) }
