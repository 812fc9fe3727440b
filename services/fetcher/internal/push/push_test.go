package push

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/fetcher/internal/ingest"
)

const token = "s3cret-token"

var now = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

// store is a Submit that keeps articles, once per ID.
type store struct {
	mu   sync.Mutex
	got  map[string]events.RawArticle
	fail error
}

func (s *store) submit(_ context.Context, a events.RawArticle, _ ...string) (ingest.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", s.fail
	}
	if err := a.Validate(); err != nil {
		return ingest.OutcomeSkipped, err
	}
	if _, ok := s.got[a.ID]; ok {
		return ingest.OutcomeDuplicate, nil
	}
	if s.got == nil {
		s.got = map[string]events.RawArticle{}
	}
	s.got[a.ID] = a
	return ingest.OutcomeNew, nil
}

func newHandler(t *testing.T, st *store) (*Handler, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	h, err := New(Config{Token: token, DefaultSource: "push", MaxBytes: 4096}, st.submit, reg,
		slog.New(slog.DiscardHandler), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	h.SetSources([]string{"partner"})
	return h, reg
}

type reply struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
	Error     string `json:"error"`
}

func do(t *testing.T, h http.Handler, method, target, auth, ct, body string) (int, reply, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r reply
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("%s %s: answer %q is not JSON: %v", method, target, rec.Body.String(), err)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("answer Content-Type %q", got)
	}
	return rec.Code, r, rec.Header()
}

func TestPushAnswers(t *testing.T) {
	const bearer = "Bearer " + token
	const js = "application/json"
	story := `{"url":"https://Example.com/2026/03/04/story?utm_source=x","title":"Harbour strike ends","body":"Dockers voted to accept the offer.","published_at":"2026-03-04T09:30:00+01:00","language":"en","byline":"Maria Okafor"}`
	storyID, _ := events.ArticleIDFromURL("https://example.com/2026/03/04/story")
	textID := events.ArticleIDFromContent("Dockers voted to accept the offer. They return on Wednesday.")
	tests := []struct {
		name           string
		method, target string
		auth, ct, body string
		code           int
		id             string // expected ID on success
		errHas         string // expected substring of the error
	}{
		{"no token", "POST", "/v1/articles", "", js, story, 401, "", "bearer token"},
		{"wrong token", "POST", "/v1/articles", "Bearer nope", js, story, 401, "", "bearer token"},
		{"basic auth", "POST", "/v1/articles", "Basic " + token, js, story, 401, "", "bearer token"},
		{"token prefix", "POST", "/v1/articles", "Bearer " + token[:5], js, story, 401, "", "bearer token"},
		{"no content type", "POST", "/v1/articles", bearer, "", story, 415, "", "Content-Type"},
		{"form", "POST", "/v1/articles", bearer, "application/x-www-form-urlencoded", "a=b", 415, "", "application/json or text/plain"},
		{"latin1 json", "POST", "/v1/articles", bearer, "application/json; charset=iso-8859-1", story, 415, "", "UTF-8"},
		{"too large", "POST", "/v1/articles", bearer, js, `{"body":"` + strings.Repeat("x", 5000) + `"}`, 413, "", "4096"},
		{"malformed json", "POST", "/v1/articles", bearer, js, `{"body": "x"`, 400, "", "invalid JSON"},
		{"trailing data", "POST", "/v1/articles", bearer, js, `{"body":"Some text."} {}`, 400, "", "after the object"},
		{"empty body", "POST", "/v1/articles", bearer, js, ``, 400, "", "invalid JSON"},
		{"array", "POST", "/v1/articles", bearer, js, `[1]`, 422, "", "JSON object"},
		{"number body", "POST", "/v1/articles", bearer, js, `{"body": 5}`, 422, "", "body: must be a string"},
		{"unknown field", "POST", "/v1/articles", bearer, js, `{"text":"x"}`, 422, "", `unknown field "text"`},
		{"missing body", "POST", "/v1/articles", bearer, js, `{"title":"t"}`, 422, "", "body: is empty"},
		{"bad url", "POST", "/v1/articles", bearer, js, `{"body":"Text.","url":"ftp://x/y"}`, 422, "", "url:"},
		{"bad date", "POST", "/v1/articles", bearer, js, `{"body":"Text.","published_at":"yesterday"}`, 422, "", "published_at:"},
		{"bad language", "POST", "/v1/articles", bearer, js, `{"body":"Text.","language":"English"}`, 422, "", "language:"},
		{"unknown source", "POST", "/v1/articles", bearer, js, `{"body":"Text.","source":"other"}`, 422, "", "source:"},
		{"json", "POST", "/v1/articles", bearer, js, story, 201, storyID, ""},
		{"json again", "POST", "/v1/articles", bearer, js, story, 200, storyID, ""},
		{"named push source", "POST", "/v1/articles", "bearer  " + token, "application/json; charset=utf-8",
			`{"body":"Partner copy of the story.","source":"partner"}`, 201, events.ArticleIDFromContent("Partner copy of the story."), ""},
		{"text", "POST", "/v1/articles", bearer, "text/plain", "date 2026-03-04\nDockers voted to accept the offer. They return on Wednesday.", 201, textID, ""},
		{"text not utf-8", "POST", "/v1/articles", bearer, "text/plain", "caf\xe9", 400, "", "UTF-8"},
		{"text empty", "POST", "/v1/articles", bearer, "text/plain", " \n", 422, "", "no text"},
		{"get", "GET", "/v1/articles", bearer, "", "", 405, "", "POST"},
		{"elsewhere", "POST", "/v2/articles", bearer, js, story, 404, "", "not found"},
	}
	st := &store{}
	h, reg := newHandler(t, st)
	routes := h.Routes()
	for _, tt := range tests {
		code, r, hdr := do(t, routes, tt.method, tt.target, tt.auth, tt.ct, tt.body)
		if code != tt.code {
			t.Errorf("%s: status %d (%+v), want %d", tt.name, code, r, tt.code)
			continue
		}
		if tt.id != "" && (r.ID != tt.id || r.Duplicate != (code == 200)) {
			t.Errorf("%s: answer %+v, want id %s", tt.name, r, tt.id)
		}
		if code >= 400 && (r.Error == "" || !strings.Contains(r.Error, tt.errHas)) {
			t.Errorf("%s: error %q, want it to mention %q", tt.name, r.Error, tt.errHas)
		}
		if code == 401 && hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
		}
	}
	a := st.got[storyID]
	if a.URL != "https://example.com/2026/03/04/story" || a.Title != "Harbour strike ends" || a.Byline != "Maria Okafor" ||
		a.Language != "en" || a.Source != "push" || a.SourceKind != events.KindPush || a.PublishedAt == nil ||
		!a.PublishedAt.Equal(time.Date(2026, 3, 4, 8, 30, 0, 0, time.UTC)) || !a.FetchedAt.Equal(now) {
		t.Errorf("stored JSON article %+v", a)
	}
	txt := st.got[textID]
	if txt.Title != "Dockers voted to accept the offer." || txt.PublishedAt == nil || txt.URL != "" {
		t.Errorf("stored text article %+v", txt)
	}
	if got := testutil.ToFloat64(h.requests.WithLabelValues("401")); got != 4 {
		t.Errorf("push_requests{code=401} = %v, want 4", got)
	}
	if n, _ := testutil.GatherAndCount(reg, "newsflow_fetcher_push_requests_total"); n == 0 {
		t.Error("push metrics not registered")
	}
}

func TestPushTextWithQueryParameters(t *testing.T) {
	st := &store{}
	h, _ := newHandler(t, st)
	code, r, _ := do(t, h.Routes(), "POST", "/v1/articles?source=partner&url="+url.QueryEscape("https://example.com/a"),
		"Bearer "+token, "text/plain; charset=utf-8", "Headline\n\nThe text of the story.")
	id, _ := events.ArticleIDFromURL("https://example.com/a")
	if code != 201 || r.ID != id {
		t.Fatalf("status %d %+v, want 201 with id %s", code, r, id)
	}
	if a := st.got[id]; a.Source != "partner" || a.Title != "Headline" || a.Body != "The text of the story." {
		t.Errorf("stored %+v", a)
	}
}

func TestPushTransientFailureAnswers503(t *testing.T) {
	st := &store{fail: errors.New("nats: timeout")}
	h, _ := newHandler(t, st)
	code, r, hdr := do(t, h.Routes(), "POST", "/v1/articles", "Bearer "+token, "application/json", `{"body":"Some text."}`)
	if code != 503 || hdr.Get("Retry-After") == "" || strings.Contains(r.Error, "nats") {
		t.Errorf("status %d %+v %v, want 503 with Retry-After and no internals", code, r, hdr)
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	st := &store{}
	for _, c := range []Config{
		{DefaultSource: "push", MaxBytes: 1},
		{Token: "t", MaxBytes: 1},
		{Token: "t", DefaultSource: "push"},
	} {
		if _, err := New(c, st.submit, prometheus.NewRegistry(), slog.New(slog.DiscardHandler), time.Now); err == nil {
			t.Errorf("New(%+v) = nil error", c)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("application/json", []byte(`{"url":"https://example.com/a","title":"T","body":"B","published_at":"2026-03-04","language":"en","byline":"X","source":"s"}`), "")
	f.Add("application/json; charset=utf-8", []byte(`{"body":"\u00e9\ud800"}`), "")
	f.Add("text/plain", []byte("date 2026-03-04\nTitle\n\nBody text."), "url=https://example.com/x&source=s")
	f.Add("text/plain; charset=latin1", []byte("x"), "")
	f.Add("application/json", []byte(`{"body":"x"}{"body":"y"}`), "")
	f.Add("multipart/form-data; boundary=x", []byte("--x--"), "")
	f.Fuzz(func(t *testing.T, ct string, body []byte, query string) {
		q, _ := url.ParseQuery(query)
		req, err := Parse(ct, body, q)
		if err != nil {
			if !errors.Is(err, ErrMediaType) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnprocessable) {
				t.Fatalf("Parse error %v has no class", err)
			}
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("error message %q is not UTF-8", err)
			}
			return
		}
		a, err := req.Article("push", now)
		if err != nil {
			if !errors.Is(err, ErrUnprocessable) {
				t.Fatalf("Article error %v is not ErrUnprocessable", err)
			}
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("Article returned an invalid event: %v", err)
		}
		if a.URL == "" && a.ID != events.ArticleIDFromContent(a.Body) {
			t.Fatalf("ID %s is not the content ID of the body", a.ID)
		}
		if a.URL != "" {
			if id, _ := events.ArticleIDFromURL(a.URL); id != a.ID {
				t.Fatalf("ID %s is not the ID of the URL %s", a.ID, a.URL)
			}
		}
	})
}
