package extract

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ldArticle is the part of one schema.org JSON-LD object that describes an
// article.
type ldArticle struct {
	rank      int // lower is a better match for "the article of this page"
	headline  string
	published string
	authors   []string
	publisher string
	language  string
}

const (
	maxLDDepth   = 16
	maxLDObjects = 256
)

// parseJSONLD decodes the content of one <script type="application/ld+json">
// and returns the article-like objects in it (Article and its subtypes,
// BlogPosting, WebPage, ...), in document order. Malformed JSON is repaired
// where that is cheap (HTML comment wrappers, control characters, trailing
// commas); what cannot be decoded yields nothing.
func parseJSONLD(data []byte) []ldArticle {
	values := decodeJSONValues(data)
	if values == nil {
		values = decodeJSONValues(repairJSON(data))
	}
	var out []ldArticle
	seen := 0
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > maxLDDepth || seen > maxLDObjects {
			return
		}
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e, depth+1)
			}
		case map[string]any:
			seen++
			if rank, ok := articleRank(v["@type"]); ok {
				out = append(out, ldArticle{
					rank:      rank,
					headline:  ldString(v["headline"]),
					published: firstNonEmpty(ldString(v["datePublished"]), ldString(v["dateCreated"]), ldString(v["uploadDate"])),
					authors:   ldNames(v["author"], 0),
					publisher: firstNonEmpty(ldNames(v["publisher"], 0)...),
					language:  ldString(v["inLanguage"]),
				})
				if len(out[len(out)-1].authors) == 0 {
					out[len(out)-1].authors = ldNames(v["creator"], 0)
				}
			}
			for k, e := range v {
				if k == "@graph" || k == "mainEntity" || k == "mainEntityOfPage" || k == "hasPart" || k == "itemListElement" || k == "item" {
					walk(e, depth+1)
				}
			}
		}
	}
	for _, v := range values {
		walk(v, 0)
	}
	return out
}

// decodeJSONValues decodes one or more concatenated JSON values; nil if the
// first one is malformed.
func decodeJSONValues(data []byte) []any {
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []any
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			if len(out) == 0 {
				return nil
			}
			return out
		}
		out = append(out, v)
	}
}

var (
	trailingComma = regexp.MustCompile(`,\s*([}\]])`)
	htmlWrapper   = regexp.MustCompile(`^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$`)
)

// repairJSON fixes the common ways JSON-LD in the wild is broken.
func repairJSON(data []byte) []byte {
	data = htmlWrapper.ReplaceAll(bytes.TrimSpace(data), nil)
	data = bytes.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, data)
	return trailingComma.ReplaceAll(data, []byte("$1"))
}

// articleRank tells whether a schema.org @type describes an article and how
// specific it is.
func articleRank(t any) (int, bool) {
	best, ok := 99, false
	for _, s := range ldStrings(t) {
		s = strings.TrimPrefix(strings.TrimPrefix(s, "http://schema.org/"), "https://schema.org/")
		r := -1
		switch {
		case s == "NewsArticle" || s == "ReportageNewsArticle" || s == "AnalysisNewsArticle" ||
			s == "OpinionNewsArticle" || s == "BackgroundNewsArticle" || s == "ReviewNewsArticle":
			r = 0
		case strings.HasSuffix(s, "Article") || s == "BlogPosting" || s == "LiveBlogPosting" || s == "Report":
			r = 1
		case s == "WebPage" || s == "ItemPage":
			r = 2
		}
		if r >= 0 && r < best {
			best, ok = r, true
		}
	}
	return best, ok
}

// bestLD merges the article objects, the most specific first.
func bestLD(arts []ldArticle) ldArticle {
	var m ldArticle
	for rank := 0; rank <= 2; rank++ {
		for _, a := range arts {
			if a.rank != rank {
				continue
			}
			m.headline = firstNonEmpty(m.headline, a.headline)
			m.published = firstNonEmpty(m.published, a.published)
			m.publisher = firstNonEmpty(m.publisher, a.publisher)
			m.language = firstNonEmpty(m.language, a.language)
			if len(m.authors) == 0 {
				m.authors = a.authors
			}
		}
	}
	return m
}

// ldString returns a JSON string (or the first of an array of strings),
// trimmed.
func ldString(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
				return strings.TrimSpace(s)
			}
		}
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

func ldStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ldNames returns the names of a schema.org Person/Organization value: a
// string, an object with "name", or an array of either. URLs are skipped.
func ldNames(v any, depth int) []string {
	if depth > 3 {
		return nil
	}
	var out []string
	add := func(s string) {
		s = strings.Join(strings.Fields(s), " ")
		if s == "" || strings.Contains(s, "://") || len(s) > 200 {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	switch v := v.(type) {
	case string:
		add(v)
	case map[string]any:
		switch name := v["name"].(type) {
		case string:
			add(name)
		default:
			for _, s := range ldNames(name, depth+1) {
				add(s)
			}
		}
	case []any:
		for _, e := range v {
			for _, s := range ldNames(e, depth+1) {
				add(s)
			}
		}
	}
	return out
}

// timeLayouts are the formats publication times are found in, most common
// first. Times without a zone are taken as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 -07:00",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
	"20060102",
	"2006/01/02 15:04:05",
	"2006/01/02",
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	time.RFC850,
	time.ANSIC,
	time.UnixDate,
	"January 2, 2006 15:04",
	"January 2, 2006",
	"Jan 2, 2006",
	"2 January 2006",
}

// parseTime parses a publication time in one of the common machine formats
// (ISO 8601 variants, RFC 1123, Unix seconds or milliseconds). Years outside
// 1990-2100 are refused as implausible.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	plausible := func(t time.Time) bool { return t.Year() >= 1990 && t.Year() <= 2100 }
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && len(s) >= 9 {
		var t time.Time
		switch {
		case len(s) >= 13:
			t = time.UnixMilli(n).UTC()
		case len(s) >= 9 && len(s) <= 11:
			t = time.Unix(n, 0).UTC()
		}
		if plausible(t) {
			return t, true
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if plausible(t) {
				return t, true
			}
			return time.Time{}, false
		}
	}
	return time.Time{}, false
}
