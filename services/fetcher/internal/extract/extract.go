// Package extract turns one saved HTML page into an article: its title, main
// text without boilerplate, byline, publication time, language and canonical
// URL.
package extract

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/newsflow/newsflow/services/fetcher/internal/extract/shingle"
	"golang.org/x/net/html"
)

// Default limits, used when the matching Options field is zero.
const (
	// DefaultMaxBytes is the input size beyond which a page is cut.
	DefaultMaxBytes = 4 << 20
	// DefaultMaxNodes is the number of parsed HTML nodes beyond which a
	// page is refused with ErrTooComplex.
	DefaultMaxNodes = 200_000
	// DefaultMinWords is the number of words below which a text is not
	// taken as an article.
	DefaultMinWords = 10
)

var (
	// ErrNoContent means the page holds no article text.
	ErrNoContent = errors.New("extract: no article content")
	// ErrTooComplex means the page has more HTML nodes than allowed.
	ErrTooComplex = errors.New("extract: page too complex")
	// ErrBadURL means Options.URL is not an absolute http(s) URL.
	ErrBadURL = errors.New("extract: bad page URL")
)

// Extractor selects the algorithm that finds the main text.
type Extractor int

const (
	// Combined runs trafilatura and readability and keeps the better text
	// for each page. It is the default.
	Combined Extractor = iota
	// Trafilatura uses go-trafilatura alone (precision focus, with its own
	// fallbacks).
	Trafilatura
	// Readability uses go-readability (Readability.js port) alone.
	Readability
)

// String returns the extractor's name.
func (e Extractor) String() string {
	switch e {
	case Combined:
		return "combined"
	case Trafilatura:
		return "trafilatura"
	case Readability:
		return "readability"
	}
	return fmt.Sprintf("Extractor(%d)", int(e))
}

// ParseExtractor returns the Extractor named s (as String spells it).
func ParseExtractor(s string) (Extractor, error) {
	for _, e := range []Extractor{Combined, Trafilatura, Readability} {
		if s == e.String() {
			return e, nil
		}
	}
	return 0, fmt.Errorf("extract: unknown extractor %q (want combined, trafilatura or readability)", s)
}

// Options describe the page and bound the work. The zero value is usable.
type Options struct {
	// URL is the address the page was fetched from. When set it must be an
	// absolute http or https URL; relative canonical links resolve against it
	// and it becomes Article.URL.
	URL string
	// ContentType is the HTTP Content-Type header; its charset parameter
	// wins over the charset the page declares, as in browsers.
	ContentType string
	// MaxBytes cuts longer input before parsing (DefaultMaxBytes if zero).
	MaxBytes int
	// MaxNodes refuses pages with more HTML nodes (DefaultMaxNodes if zero).
	MaxNodes int
	// MinWords is the fewest words an article text may have
	// (DefaultMinWords if zero).
	MinWords int
	// Extractor picks the main-text algorithm (Combined if zero).
	Extractor Extractor
}

// Article is what Extract finds in a page. Fields it cannot find are empty.
type Article struct {
	// URL is Options.URL.
	URL string
	// CanonicalURL is the page's <link rel=canonical> or og:url, resolved
	// against the page URL; empty when the page declares none.
	CanonicalURL string
	Title        string
	// Text is the main text, paragraphs separated by "\n\n", without
	// navigation, captions, related links or comments.
	Text   string
	Byline string
	// PublishedAt is the publication time the page declares, nil if none.
	PublishedAt *time.Time
	// Language is an ISO 639-1 code ("en"), detected from the text or taken
	// from the page's declaration.
	Language string
	SiteName string
	// Charset is the name of the encoding the page was decoded from.
	Charset string
	// Truncated reports that the input was cut at Options.MaxBytes.
	Truncated bool
	// Extractor names the algorithm whose text was kept.
	Extractor string
}

// Extract finds the article in page, an HTML document in any charset.
// It returns ErrNoContent when there is no article text (fewer than
// Options.MinWords words; the Article found so far is returned with it),
// ErrTooComplex when
// the page exceeds Options.MaxNodes, and ErrBadURL for an invalid Options.URL.
func Extract(page []byte, opts Options) (Article, error) {
	maxBytes := opts.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	maxNodes := opts.MaxNodes
	if maxNodes <= 0 {
		maxNodes = DefaultMaxNodes
	}
	var pageURL *url.URL
	if opts.URL != "" {
		u, err := url.Parse(opts.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Article{}, fmt.Errorf("%w: %q", ErrBadURL, opts.URL)
		}
		pageURL = u
	}

	art := Article{URL: opts.URL}
	if len(page) > maxBytes {
		page = page[:maxBytes]
		art.Truncated = true
	}
	decoded, cs := decode(page, opts.ContentType)
	art.Charset = cs

	doc, err := html.Parse(bytes.NewReader(decoded))
	if err != nil {
		// Reading from memory cannot fail: the parser refused the
		// document's structure (elements nested too deep).
		return Article{}, fmt.Errorf("%w: %w", ErrTooComplex, err)
	}
	if n := countNodes(doc, maxNodes); n > maxNodes {
		return Article{}, fmt.Errorf("%w: more than %d nodes", ErrTooComplex, maxNodes)
	}

	meta := readMeta(doc, pageURL)
	chosen, others := extractBody(doc, pageURL, opts.Extractor)
	if chosen != nil {
		art.Text = strings.Join(chosen.paras, "\n\n")
		art.Extractor = chosen.extractor
	}
	art.fill(meta, chosen, others)
	minWords := opts.MinWords
	if minWords <= 0 {
		minWords = DefaultMinWords
	}
	if n := len(shingle.Tokens(art.Text)); n < minWords {
		return art, fmt.Errorf("%w: %d words", ErrNoContent, n)
	}
	return art, nil
}

// countNodes counts the nodes of doc, stopping once past limit.
func countNodes(doc *html.Node, limit int) int {
	n := 0
	var walk func(*html.Node)
	walk = func(x *html.Node) {
		for c := x.FirstChild; c != nil && n <= limit; c = c.NextSibling {
			n++
			walk(c)
		}
	}
	walk(doc)
	return n
}
