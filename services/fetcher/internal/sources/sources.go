// Package sources reads the fetcher's sources file: a YAML document listing
// the feeds, sitemaps, pages, inbox directories and push sources the fetcher
// turns into raw articles.
//
//	sources:
//	  - id: reuters-world          # subject token: news.raw.<id>
//	    kind: feed                 # feed | sitemap | page | dir | push
//	    url: https://example.com/world/rss.xml
//	    interval: 5m               # poll period (feed, sitemap, page)
//	    max_items: 200             # items per poll (optional)
//	    rate: 1                    # requests per second to the host (optional)
//	    fetch_pages: true          # fetch and extract each item's page (default true)
//	  - id: inbox
//	    kind: dir
//	    path: /var/lib/newsflow/inbox
package sources

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/newsflow/newsflow/pkg/events"
)

// Kinds of sources.
const (
	KindFeed    = events.KindFeed    // RSS, Atom or JSON Feed
	KindSitemap = events.KindSitemap // sitemap, sitemap index or news sitemap
	KindPage    = events.KindPage    // one article page
	KindDir     = events.KindDir     // a directory of text files
	KindPush    = events.KindPush    // articles POSTed to the push endpoint
)

// Defaults and limits of the per-source settings.
const (
	DefaultInterval = 5 * time.Minute
	MinInterval     = time.Second
	MaxInterval     = 24 * time.Hour
	DefaultMaxItems = 100
	MaxMaxItems     = 50000
	MaxRate         = 100
	// MaxFileBytes bounds the sources file.
	MaxFileBytes = 1 << 20
)

// Source is one configured source, defaults applied.
type Source struct {
	// ID names the source in subjects (news.raw.<id>), events and metric
	// labels: ASCII letters, digits, '-' and '_', unique in the file.
	ID   string
	Kind string
	// URL is the document polled (feed, sitemap, page kinds).
	URL string
	// Path is the watched directory (dir kind).
	Path string
	// Interval is the poll period (feed, sitemap, page kinds).
	Interval time.Duration
	// MaxItems caps the items taken from one poll.
	MaxItems int
	// Rate, when positive, lowers the request rate to the URL's host to
	// at most this many requests per second; zero keeps the global rate.
	Rate float64
	// FetchPages fetches and extracts each item's page; when false the
	// feed's own content is the article (feed kind only).
	FetchPages bool
}

// Polled reports whether the source is fetched on an interval.
func (s Source) Polled() bool {
	return s.Kind == KindFeed || s.Kind == KindSitemap || s.Kind == KindPage
}

// idPattern is what a source ID may look like: a subject token and a
// JetStream KV key.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ErrInvalid wraps every error of Parse about the file's content.
var ErrInvalid = errors.New("sources: invalid sources file")

type fileDoc struct {
	Sources []sourceDoc `yaml:"sources"`
}

type sourceDoc struct {
	ID         string  `yaml:"id"`
	Kind       string  `yaml:"kind"`
	URL        string  `yaml:"url"`
	Path       string  `yaml:"path"`
	Interval   string  `yaml:"interval"`
	MaxItems   *int    `yaml:"max_items"`
	Rate       float64 `yaml:"rate"`
	FetchPages *bool   `yaml:"fetch_pages"`
}

// Parse reads a sources file. Unknown keys, duplicate IDs and values out
// of range are errors naming the source and the key; the error wraps
// ErrInvalid. An empty list is valid.
func Parse(data []byte) ([]Source, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalid, len(data), MaxFileBytes)
	}
	var doc fileDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	// A second document in the stream is almost certainly a mistake.
	var extra any
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrInvalid)
	}
	out := make([]Source, 0, len(doc.Sources))
	ids := map[string]int{}
	for i, d := range doc.Sources {
		s, err := d.source()
		if err != nil {
			name := fmt.Sprintf("sources[%d]", i)
			if d.ID != "" {
				name += fmt.Sprintf(" (%s)", clip(d.ID))
			}
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, name, err)
		}
		if j, dup := ids[s.ID]; dup {
			return nil, fmt.Errorf("%w: sources[%d]: id: %q is also the id of sources[%d]", ErrInvalid, i, s.ID, j)
		}
		ids[s.ID] = i
		out = append(out, s)
	}
	return out, nil
}

// Load reads and parses the sources file at path.
func Load(path string) ([]Source, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	srcs, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return srcs, nil
}

func (d sourceDoc) source() (Source, error) {
	s := Source{ID: d.ID, Kind: d.Kind, URL: strings.TrimSpace(d.URL), Path: d.Path, Rate: d.Rate, FetchPages: true}
	switch {
	case s.ID == "":
		return Source{}, errors.New("id: is missing")
	case len(s.ID) > events.MaxSourceBytes:
		return Source{}, fmt.Errorf("id: is %d bytes, the limit is %d", len(s.ID), events.MaxSourceBytes)
	case !idPattern.MatchString(s.ID):
		return Source{}, fmt.Errorf("id: %q may hold only ASCII letters, digits, '-' and '_'", clip(s.ID))
	}
	polled := false
	switch s.Kind {
	case KindFeed, KindSitemap, KindPage:
		polled = true
		if s.URL == "" {
			return Source{}, fmt.Errorf("url: is missing (kind %s)", s.Kind)
		}
		if err := checkURL(s.URL); err != nil {
			return Source{}, fmt.Errorf("url: %w", err)
		}
		if s.Path != "" {
			return Source{}, fmt.Errorf("path: is not used by kind %s", s.Kind)
		}
	case KindDir:
		if s.Path == "" {
			return Source{}, errors.New("path: is missing (kind dir)")
		}
		if s.URL != "" {
			return Source{}, errors.New("url: is not used by kind dir")
		}
	case KindPush:
		if s.URL != "" || s.Path != "" {
			return Source{}, errors.New("url, path: are not used by kind push")
		}
	case "":
		return Source{}, errors.New("kind: is missing (feed, sitemap, page, dir or push)")
	default:
		return Source{}, fmt.Errorf("kind: %q is not feed, sitemap, page, dir or push", clip(s.Kind))
	}
	if !polled && (d.Interval != "" || d.MaxItems != nil || d.Rate != 0 || d.FetchPages != nil) {
		return Source{}, fmt.Errorf("interval, max_items, rate, fetch_pages: are not used by kind %s", s.Kind)
	}
	if !polled {
		return s, nil
	}
	s.Interval = DefaultInterval
	if d.Interval != "" {
		iv, err := time.ParseDuration(d.Interval)
		if err != nil {
			return Source{}, fmt.Errorf("interval: %q is not a duration such as 30s or 5m", clip(d.Interval))
		}
		if iv < MinInterval || iv > MaxInterval {
			return Source{}, fmt.Errorf("interval: %s is not in %s..%s", iv, MinInterval, MaxInterval)
		}
		s.Interval = iv
	}
	s.MaxItems = DefaultMaxItems
	if d.MaxItems != nil {
		if *d.MaxItems < 1 || *d.MaxItems > MaxMaxItems {
			return Source{}, fmt.Errorf("max_items: %d is not in 1..%d", *d.MaxItems, MaxMaxItems)
		}
		s.MaxItems = *d.MaxItems
	}
	if !(s.Rate >= 0 && s.Rate <= MaxRate) { // also refuses NaN
		return Source{}, fmt.Errorf("rate: %v is not in 0..%d requests per second", d.Rate, MaxRate)
	}
	if d.FetchPages != nil {
		s.FetchPages = *d.FetchPages
		if !s.FetchPages && s.Kind != KindFeed {
			return Source{}, fmt.Errorf("fetch_pages: false needs kind feed (a %s has no content of its own)", s.Kind)
		}
	}
	return s, nil
}

// checkURL accepts absolute http and https URLs with a host.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q: %w", clip(raw), err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q is not an http or https URL", clip(raw))
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%q has no host", clip(raw))
	}
	if u.User != nil {
		return fmt.Errorf("%q has user info", clip(raw))
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
