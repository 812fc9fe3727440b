package feed

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"

	"github.com/newsflow/newsflow/services/fetcher/internal/weburl"
)

// Item is one entry of a feed or sitemap.
type Item struct {
	// Link is the absolute http(s) URL of the article, "" when the entry
	// has none.
	Link string
	// Title is plain text: markup stripped, entities decoded.
	Title string
	// Summary is the entry's description or summary, HTML or text as the
	// feed has it.
	Summary string
	// Content is the entry's full content (content:encoded, Atom content,
	// JSON Feed content_html), HTML.
	Content string
	// Author names the authors, comma-separated.
	Author string
	// Published is the publication time, else the update time; nil when
	// the feed gives neither or they do not parse.
	Published *time.Time
	// GUID is the entry's RSS guid, Atom id or JSON Feed id.
	GUID string
	// Language is the entry's or its feed's language, when given.
	Language string
}

// Feed is a parsed RSS, Atom or JSON feed.
type Feed struct {
	Kind     Kind
	Title    string
	Link     string // the site's home page, absolute
	Language string
	Items    []Item
}

// ErrNotFeed: the document is not an RSS, Atom or JSON feed.
var ErrNotFeed = errors.New("feed: not an RSS, Atom or JSON feed")

// ParseFeed parses an RSS 2.0, RSS 1.0, Atom or JSON feed. contentType
// (the Content-Type header, may be empty) helps find the charset; docURL is
// the URL the feed was fetched from, against which relative links resolve
// (for RSS and JSON Feed, against the feed's own site link when that is
// absolute, since relative item links are meant relative to the site).
func ParseFeed(body []byte, contentType, docURL string) (*Feed, error) {
	utf, err := toUTF8(body, contentType)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimLeft(utf, " \t\r\n"); len(t) > 0 && t[0] == '{' &&
		sniff(t) != KindJSONFeed && !bytes.Contains(t, []byte(`"items"`)) {
		return nil, fmt.Errorf("%w: JSON without a JSON Feed version or items", ErrNotFeed)
	}
	p := gofeed.NewParser()
	p.RSSTranslator = permalinkTranslator{}
	gf, err := p.Parse(bytes.NewReader(utf))
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, ErrNotFeed
	}
	if err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	doc, _ := url.Parse(docURL)
	f := &Feed{Title: plainText(gf.Title), Language: strings.TrimSpace(gf.Language)}
	switch gf.FeedType {
	case "rss":
		f.Kind = KindRSS
	case "atom":
		f.Kind = KindAtom
	case "json":
		f.Kind = KindJSONFeed
	}
	f.Link = weburl.Resolve(doc, gf.Link)
	base := doc
	if f.Kind != KindAtom && f.Link != "" {
		base, _ = url.Parse(f.Link)
	}
	f.Items = make([]Item, 0, len(gf.Items))
	for _, gi := range gf.Items {
		if gi == nil {
			continue
		}
		it := Item{
			Title:    plainText(gi.Title),
			Summary:  strings.TrimSpace(gi.Description),
			Content:  strings.TrimSpace(gi.Content),
			GUID:     strings.TrimSpace(gi.GUID),
			Author:   authors(gi),
			Language: f.Language,
		}
		it.Link = weburl.Resolve(base, gi.Link)
		if it.Link == "" {
			for _, l := range gi.Links {
				if it.Link = weburl.Resolve(base, l); it.Link != "" {
					break
				}
			}
		}
		if it.Link == "" && isPermaLinkGUID(gi) {
			it.Link = weburl.Resolve(base, gi.GUID)
		}
		switch {
		case gi.PublishedParsed != nil:
			t := gi.PublishedParsed.UTC()
			it.Published = &t
		case gi.UpdatedParsed != nil:
			t := gi.UpdatedParsed.UTC()
			it.Published = &t
		}
		f.Items = append(f.Items, it)
	}
	return f, nil
}

// isPermaLinkGUID reports whether an RSS guid is the item's URL: the guid
// looks like a URL and is not marked isPermaLink="false".
func isPermaLinkGUID(gi *gofeed.Item) bool {
	g := strings.TrimSpace(gi.GUID)
	if !strings.HasPrefix(g, "http://") && !strings.HasPrefix(g, "https://") {
		return false
	}
	return gi.Custom[customNotPermalink] == ""
}

// customNotPermalink marks, in gofeed.Item.Custom, an RSS guid with
// isPermaLink="false".
const customNotPermalink = "newsflow_guid_not_permalink"

// permalinkTranslator is gofeed's RSS translator that also keeps the guid's
// isPermaLink flag, which the universal item drops.
type permalinkTranslator struct{ gofeed.DefaultRSSTranslator }

func (t permalinkTranslator) Translate(in any) (*gofeed.Feed, error) {
	f, err := t.DefaultRSSTranslator.Translate(in)
	src, ok := in.(*rss.Feed)
	if err != nil || !ok || len(src.Items) != len(f.Items) {
		return f, err
	}
	for i, it := range src.Items {
		if it != nil && it.GUID != nil && strings.EqualFold(strings.TrimSpace(it.GUID.IsPermalink), "false") && f.Items[i] != nil {
			if f.Items[i].Custom == nil {
				f.Items[i].Custom = map[string]string{}
			}
			f.Items[i].Custom[customNotPermalink] = "true"
		}
	}
	return f, nil
}

func authors(gi *gofeed.Item) string {
	var names []string
	seen := map[string]bool{}
	for _, p := range gi.Authors {
		if p == nil {
			continue
		}
		n := plainText(p.Name)
		if n == "" {
			n = strings.TrimSpace(p.Email)
		}
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

var (
	tags       = regexp.MustCompile(`<[^>]*>`)
	whitespace = regexp.MustCompile(`\s+`)
)

// plainText turns a title that may carry markup or escaped entities
// (CDATA titles often do) into plain text.
func plainText(s string) string {
	if strings.ContainsRune(s, '<') {
		s = tags.ReplaceAllString(s, " ")
	}
	s = html.UnescapeString(s)
	return strings.TrimSpace(whitespace.ReplaceAllString(s, " "))
}
