package feed

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html/charset"

	"github.com/newsflow/newsflow/services/fetcher/internal/weburl"
)

// Sitemap is a parsed sitemap (URLs) or sitemap index (Sitemaps).
type Sitemap struct {
	Kind     Kind // KindSitemap, KindSitemapIndex or KindTextSitemap
	URLs     []SitemapURL
	Sitemaps []SitemapRef
	// Truncated is true when the document held more entries than
	// SitemapOptions.MaxURLs and the rest was not read.
	Truncated bool
	// Skipped counts entries dropped for a missing or non-http(s) loc.
	Skipped int
}

// SitemapURL is one <url> of a sitemap.
type SitemapURL struct {
	Loc     string // absolute http(s) URL
	LastMod *time.Time
	// News holds the Google News extension (<news:news>), when present.
	News *News
}

// News is the Google News sitemap extension of a URL.
type News struct {
	Title           string
	Language        string // ISO 639 code, as given
	PublicationName string
	PublicationDate *time.Time
	Keywords        string
}

// SitemapRef is one <sitemap> of a sitemap index.
type SitemapRef struct {
	Loc     string
	LastMod *time.Time
}

// Item converts a sitemap URL to a feed item: the link, and for news
// sitemaps the title, language and publication date (else lastmod).
func (u SitemapURL) Item() Item {
	it := Item{Link: u.Loc, Published: u.LastMod}
	if n := u.News; n != nil {
		it.Title, it.Language = n.Title, n.Language
		if n.PublicationDate != nil {
			it.Published = n.PublicationDate
		}
	}
	return it
}

// SitemapOptions bound sitemap parsing.
type SitemapOptions struct {
	// BaseURL resolves relative locs (the protocol forbids them; some
	// sites use them anyway).
	BaseURL string
	// MaxURLs caps the entries read from one document. Default 50000, the
	// protocol's own limit.
	MaxURLs int
	// MaxBytes caps the decompressed size of a gzip-compressed sitemap.
	// Default 64 MiB (the protocol allows 50 MB uncompressed).
	MaxBytes int64
}

func (o SitemapOptions) withDefaults() SitemapOptions {
	if o.MaxURLs <= 0 {
		o.MaxURLs = 50000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	return o
}

// Errors of sitemap parsing.
var (
	// ErrNotSitemap: the document is not a sitemap, sitemap index or list
	// of URLs.
	ErrNotSitemap = errors.New("feed: not a sitemap")
	// ErrTooLarge: a compressed sitemap expands beyond SitemapOptions.MaxBytes.
	ErrTooLarge = errors.New("feed: sitemap too large")
)

// maxLocLen is the longest loc kept; the protocol allows 2048 characters.
const maxLocLen = 4096

// ParseSitemap reads a sitemap, sitemap index, Google News sitemap or
// plain-text sitemap from r, gzip-compressed or not, as a stream: memory
// stays bounded by MaxURLs entries whatever the document's size.
func ParseSitemap(r io.Reader, opts SitemapOptions) (*Sitemap, error) {
	opts = opts.withDefaults()
	base, _ := url.Parse(opts.BaseURL)
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("feed: gzip sitemap: %w", err)
		}
		br = bufio.NewReader(&limitReader{r: zr, n: opts.MaxBytes})
	}
	head, _ := br.Peek(512)
	first := bytes.TrimLeft(trimBOM(head), " \t\r\n")
	if len(first) > 0 && first[0] != '<' {
		return parseTextSitemap(br, base, opts)
	}
	return parseXMLSitemap(br, base, opts)
}

type xmlLoc struct {
	Loc     string   `xml:"loc"`
	LastMod string   `xml:"lastmod"`
	News    *xmlNews `xml:"news"`
}

type xmlNews struct {
	Publication struct {
		Name     string `xml:"name"`
		Language string `xml:"language"`
	} `xml:"publication"`
	PublicationDate string `xml:"publication_date"`
	Title           string `xml:"title"`
	Keywords        string `xml:"keywords"`
}

func parseXMLSitemap(r io.Reader, base *url.URL, opts SitemapOptions) (*Sitemap, error) {
	d := xml.NewDecoder(r)
	d.Strict = false
	d.CharsetReader = charset.NewReaderLabel
	sm := &Sitemap{}
	entry := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if sm.Kind == "" {
				return nil, ErrNotSitemap
			}
			return sm, nil
		}
		if err != nil {
			return sm, fmt.Errorf("feed: sitemap: %w", sitemapErr(err))
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		name := strings.ToLower(se.Name.Local)
		if sm.Kind == "" {
			switch name {
			case "urlset":
				sm.Kind, entry = KindSitemap, "url"
			case "sitemapindex":
				sm.Kind, entry = KindSitemapIndex, "sitemap"
			default:
				return nil, fmt.Errorf("%w: root element <%s>", ErrNotSitemap, se.Name.Local)
			}
			continue
		}
		if name != entry {
			if err := d.Skip(); err != nil {
				return sm, fmt.Errorf("feed: sitemap: %w", sitemapErr(err))
			}
			continue
		}
		if len(sm.URLs)+len(sm.Sitemaps) >= opts.MaxURLs {
			sm.Truncated = true
			return sm, nil
		}
		var x xmlLoc
		if err := d.DecodeElement(&x, &se); err != nil {
			return sm, fmt.Errorf("feed: sitemap: %w", sitemapErr(err))
		}
		loc := ""
		if len(x.Loc) <= maxLocLen {
			loc = weburl.Resolve(base, x.Loc)
		}
		if loc == "" {
			sm.Skipped++
			continue
		}
		if sm.Kind == KindSitemapIndex {
			sm.Sitemaps = append(sm.Sitemaps, SitemapRef{Loc: loc, LastMod: ParseW3CDate(x.LastMod)})
			continue
		}
		u := SitemapURL{Loc: loc, LastMod: ParseW3CDate(x.LastMod)}
		if n := x.News; n != nil {
			u.News = &News{
				Title:           plainText(n.Title),
				Language:        strings.TrimSpace(n.Publication.Language),
				PublicationName: plainText(n.Publication.Name),
				PublicationDate: ParseW3CDate(n.PublicationDate),
				Keywords:        strings.TrimSpace(n.Keywords),
			}
		}
		sm.URLs = append(sm.URLs, u)
	}
}

// sitemapErr keeps ErrTooLarge visible through the XML decoder's errors.
func sitemapErr(err error) error {
	var tl *tooLargeError
	if errors.As(err, &tl) {
		return ErrTooLarge
	}
	return err
}

func parseTextSitemap(r io.Reader, base *url.URL, opts SitemapOptions) (*Sitemap, error) {
	sm := &Sitemap{Kind: KindTextSitemap}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLocLen+2)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\uFEFF"))
		if line == "" {
			continue
		}
		if len(sm.URLs) >= opts.MaxURLs {
			sm.Truncated = true
			return sm, nil
		}
		loc := weburl.Resolve(base, line)
		if loc == "" {
			sm.Skipped++
			continue
		}
		sm.URLs = append(sm.URLs, SitemapURL{Loc: loc})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return sm, fmt.Errorf("%w: a line longer than %d bytes", ErrNotSitemap, maxLocLen)
		}
		return sm, fmt.Errorf("feed: text sitemap: %w", sitemapErr(err))
	}
	if len(sm.URLs) == 0 {
		return nil, ErrNotSitemap
	}
	return sm, nil
}

// tooLargeError is what limitReader returns past its cap.
type tooLargeError struct{ n int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("decompressed sitemap exceeds %d bytes", e.n)
}
func (e *tooLargeError) Unwrap() error { return ErrTooLarge }

// limitReader fails with a *tooLargeError after n bytes.
type limitReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.limit == 0 {
		l.limit = l.n
	}
	if l.n <= 0 {
		return 0, &tooLargeError{l.limit}
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// w3cLayouts are the W3C Datetime profiles sitemaps use, plus common
// deviations.
var w3cLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
	time.RFC1123Z,
	time.RFC1123,
}

// ParseW3CDate parses a sitemap date (W3C Datetime: "2024-05-01",
// "2024-05-01T10:30+02:00", ...) into UTC, or returns nil.
func ParseW3CDate(s string) *time.Time {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return nil
	}
	for _, layout := range w3cLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t
		}
	}
	return nil
}

// OpenFunc opens a document for streaming and returns its body and the
// URL it was finally fetched from. web.Client.Open adapts to it in a few
// lines.
type OpenFunc func(ctx context.Context, url string) (body io.ReadCloser, finalURL string, err error)

// WalkOptions bound WalkSitemaps.
type WalkOptions struct {
	SitemapOptions
	// MaxSitemaps caps how many documents are fetched, the root included.
	// Default 50.
	MaxSitemaps int
	// MaxDepth caps how deep indexes may nest (an index of indexes is
	// depth 2). Default 2.
	MaxDepth int
	// Since skips sitemaps of an index whose lastmod is before it (news
	// sites keep years of dated archives). Zero: skip none.
	Since time.Time
}

// WalkSitemaps fetches the sitemap at root and, when it is an index, the
// sitemaps it lists (breadth first, each fetched once), calling fn for
// every URL found. A child that fails is skipped and its error returned,
// joined with the others, after the walk; an error from fn or ctx stops
// the walk.
func WalkSitemaps(ctx context.Context, open OpenFunc, root string, opts WalkOptions, fn func(SitemapURL) error) error {
	if opts.MaxSitemaps <= 0 {
		opts.MaxSitemaps = 50
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 2
	}
	type job struct {
		url   string
		depth int
	}
	queue := []job{{root, 0}}
	seen := map[string]bool{root: true}
	var errs []error
	for fetched := 0; len(queue) > 0; fetched++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		j := queue[0]
		queue = queue[1:]
		if fetched >= opts.MaxSitemaps {
			errs = append(errs, fmt.Errorf("feed: sitemap walk stopped after %d documents, %d left", fetched, len(queue)+1))
			break
		}
		sm, err := openSitemap(ctx, open, j.url, opts.SitemapOptions)
		if err != nil {
			if j.depth == 0 {
				return err
			}
			errs = append(errs, err)
			if sm == nil {
				continue
			}
		}
		for _, u := range sm.URLs {
			if err := fn(u); err != nil {
				return err
			}
		}
		for _, ref := range sm.Sitemaps {
			if seen[ref.Loc] {
				continue
			}
			seen[ref.Loc] = true
			if j.depth+1 > opts.MaxDepth {
				errs = append(errs, fmt.Errorf("feed: sitemap %s nested deeper than %d", ref.Loc, opts.MaxDepth))
				continue
			}
			if !opts.Since.IsZero() && ref.LastMod != nil && ref.LastMod.Before(opts.Since) {
				continue
			}
			queue = append(queue, job{ref.Loc, j.depth + 1})
		}
	}
	return errors.Join(errs...)
}

// openSitemap fetches and parses one sitemap; on a parse error it returns
// what was read before it.
func openSitemap(ctx context.Context, open OpenFunc, u string, opts SitemapOptions) (*Sitemap, error) {
	body, final, err := open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("feed: sitemap %s: %w", u, err)
	}
	defer body.Close()
	if final != "" {
		opts.BaseURL = final
	} else {
		opts.BaseURL = u
	}
	sm, err := ParseSitemap(body, opts)
	if err != nil {
		return sm, fmt.Errorf("feed: sitemap %s: %w", u, err)
	}
	return sm, nil
}
