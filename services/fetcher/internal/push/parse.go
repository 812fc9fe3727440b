// Package push is the fetcher's HTTP push endpoint: POST /v1/articles
// takes one article as JSON or as text in the newsflow text format,
// authenticated with a bearer token, and publishes it once.
package push

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/fetcher/internal/textfile"
)

// Request is the JSON body of POST /v1/articles. Body is required; the
// others are optional. PublishedAt is RFC 3339 or a date (2006-01-02).
type Request struct {
	URL         string `json:"url"`
	Title       string `json:"title"`
	Body        string `json:"body"`
	PublishedAt string `json:"published_at"`
	Language    string `json:"language"`
	Byline      string `json:"byline"`
	Source      string `json:"source"`
}

// Errors of Parse, by the HTTP status they answer.
var (
	// ErrMediaType: the Content-Type is not application/json or
	// text/plain in UTF-8 (415).
	ErrMediaType = errors.New("unsupported media type")
	// ErrMalformed: the body is not well-formed JSON or UTF-8 text (400).
	ErrMalformed = errors.New("malformed body")
	// ErrUnprocessable: the body is well-formed but not a usable article
	// (422).
	ErrUnprocessable = errors.New("unusable article")
)

// Parse reads a pushed body. contentType is the request's Content-Type;
// query holds the text format's optional "url" and "source" parameters.
// Errors wrap ErrMediaType, ErrMalformed or ErrUnprocessable and say what
// is wrong in words meant for the client.
func Parse(contentType string, body []byte, query url.Values) (Request, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Request{}, fmt.Errorf("%w: Content-Type %q: send application/json or text/plain", ErrMediaType, clip(contentType))
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "utf8" {
		return Request{}, fmt.Errorf("%w: charset %q: send UTF-8", ErrMediaType, clip(cs))
	}
	switch mt {
	case "application/json":
		return parseJSON(body)
	case "text/plain":
		return parseText(body, query)
	}
	return Request{}, fmt.Errorf("%w: %q: send application/json or text/plain", ErrMediaType, clip(mt))
}

func parseJSON(body []byte) (Request, error) {
	var req Request
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typ):
			field := typ.Field
			if field == "" {
				return Request{}, fmt.Errorf("%w: the body must be a JSON object, not %s", ErrUnprocessable, typ.Value)
			}
			return Request{}, fmt.Errorf("%w: %s: must be a string, not %s", ErrUnprocessable, field, typ.Value)
		case errors.As(err, &syntax), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return Request{}, fmt.Errorf("%w: invalid JSON: %v", ErrMalformed, err)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return Request{}, fmt.Errorf("%w: %s (fields are url, title, body, published_at, language, byline, source)",
				ErrUnprocessable, strings.TrimPrefix(err.Error(), "json: "))
		default:
			return Request{}, fmt.Errorf("%w: invalid JSON: %v", ErrMalformed, err)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Request{}, fmt.Errorf("%w: invalid JSON: data after the object", ErrMalformed)
	}
	return req, nil
}

func parseText(body []byte, query url.Values) (Request, error) {
	doc, err := textfile.Parse(body)
	switch {
	case errors.Is(err, textfile.ErrNotText):
		return Request{}, fmt.Errorf("%w: the body is not UTF-8 text", ErrMalformed)
	case err != nil:
		return Request{}, fmt.Errorf("%w: %v", ErrUnprocessable, err)
	}
	req := Request{Title: doc.Title, Body: doc.Body, URL: query.Get("url"), Source: query.Get("source")}
	if doc.Published != nil {
		req.PublishedAt = doc.Published.Format("2006-01-02")
	}
	return req, nil
}

// Article makes the raw article of a request for source, fetched at now.
// The article ID comes from the canonical URL, else from the body.
func (r Request) Article(source string, now time.Time) (events.RawArticle, error) {
	bad := func(format string, args ...any) (events.RawArticle, error) {
		return events.RawArticle{}, fmt.Errorf("%w: "+format, append([]any{ErrUnprocessable}, args...)...)
	}
	body := strings.TrimSpace(r.Body)
	if body == "" {
		return bad("body: is empty")
	}
	if !utf8.ValidString(body) || !utf8.ValidString(r.Title) || !utf8.ValidString(r.Byline) {
		return bad("text is not valid UTF-8")
	}
	a := events.RawArticle{
		SchemaVersion: events.SchemaVersion,
		Source:        source,
		SourceKind:    events.KindPush,
		Title:         strings.TrimSpace(r.Title),
		Body:          body,
		Byline:        strings.TrimSpace(r.Byline),
		Language:      strings.TrimSpace(r.Language),
		FetchedAt:     now.UTC(),
		ContentHash:   events.ContentHash(body),
	}
	if r.URL != "" {
		u, err := events.CanonicalURL(r.URL)
		if err != nil {
			return bad("url: %q is not an absolute http or https URL", clip(r.URL))
		}
		a.URL = u
		a.ID, _ = events.ArticleIDFromURL(u)
	} else {
		a.ID = events.ArticleIDFromContent(body)
	}
	if a.Title == "" {
		a.Title = textfile.FirstSentence(body, textfile.MaxTitleRunes)
	}
	if r.PublishedAt != "" {
		t, err := parseTime(strings.TrimSpace(r.PublishedAt))
		if err != nil {
			return bad("published_at: %q is not an RFC 3339 time (2026-03-04T09:30:00Z) or a date (2026-03-04)", clip(r.PublishedAt))
		}
		a.PublishedAt = &t
	}
	if a.Language != "" && !isLanguageTag(a.Language) {
		return bad("language: %q is not a language tag such as en or pt-BR", clip(a.Language))
	}
	if len(a.Byline) > 512 {
		return bad("byline: is %d bytes, the limit is 512", len(a.Byline))
	}
	if err := a.Validate(); err != nil {
		var fe *events.FieldError
		if errors.As(err, &fe) {
			return bad("%s: %s", fe.Field, fe.Problem)
		}
		return bad("%v", err)
	}
	return a, nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02", s)
	return t.UTC(), err
}

// isLanguageTag accepts BCP 47-looking tags: "en", "pt-BR", "zh-Hant-TW".
func isLanguageTag(s string) bool {
	if len(s) > 16 {
		return false
	}
	for i, part := range strings.Split(strings.ReplaceAll(s, "_", "-"), "-") {
		if len(part) == 0 || len(part) > 8 || i == 0 && (len(part) < 2 || len(part) > 3) {
			return false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) > 80 {
		return string([]rune(s)[:80]) + "..."
	}
	return s
}
