package push

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/fetcher/internal/ingest"
)

// Path is where articles are pushed.
const Path = "/v1/articles"

// Submit publishes an article once (an *ingest.Ingester's Submit).
type Submit func(ctx context.Context, a events.RawArticle, also ...string) (ingest.Outcome, error)

// Config of a Handler.
type Config struct {
	// Token is the bearer token clients must send; required.
	Token string
	// DefaultSource is the source of articles that name none.
	DefaultSource string
	// MaxBytes caps a request body; larger bodies are answered 413.
	MaxBytes int64
}

// Handler serves POST /v1/articles.
type Handler struct {
	cfg      Config
	token    [32]byte
	sources  atomic.Pointer[map[string]bool]
	submit   Submit
	requests *prometheus.CounterVec
	log      *slog.Logger
	now      func() time.Time
}

// New returns a handler publishing through submit; it registers
// newsflow_fetcher_push_requests_total{code} on reg.
func New(c Config, submit Submit, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) (*Handler, error) {
	switch {
	case c.Token == "":
		return nil, errors.New("push: a token is required")
	case c.DefaultSource == "":
		return nil, errors.New("push: a default source is required")
	case c.MaxBytes <= 0:
		return nil, errors.New("push: the body limit must be positive")
	}
	h := &Handler{
		cfg: c, token: sha256.Sum256([]byte(c.Token)), submit: submit, log: log, now: now,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_fetcher_push_requests_total",
			Help: "Requests to the push endpoint by HTTP status code.",
		}, []string{"code"}),
	}
	if err := reg.Register(h.requests); err != nil {
		return nil, fmt.Errorf("push metrics: %w", err)
	}
	h.SetSources(nil)
	return h, nil
}

// SetSources sets the push sources articles may name (besides the default
// source). It is safe to call while serving.
func (h *Handler) SetSources(ids []string) {
	m := map[string]bool{h.cfg.DefaultSource: true}
	for _, id := range ids {
		m[id] = true
	}
	h.sources.Store(&m)
}

// Routes returns the mux of the push listener.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+Path, h)
	mux.HandleFunc(Path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		h.reply(w, http.StatusMethodNotAllowed, answer{Error: r.Method + " is not allowed: POST articles to " + Path})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.reply(w, http.StatusNotFound, answer{Error: "not found: POST articles to " + Path})
	})
	return mux
}

type answer struct {
	ID        string `json:"id,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Error     string `json:"error,omitempty"`
}

// ServeHTTP handles one push.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="newsflow"`)
		h.reply(w, http.StatusUnauthorized, answer{Error: "missing or wrong bearer token (Authorization: Bearer <token>)"})
		return
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		h.reply(w, http.StatusUnsupportedMediaType, answer{Error: "no Content-Type: send application/json or text/plain"})
		return
	}
	if r.ContentLength > h.cfg.MaxBytes {
		h.reply(w, http.StatusRequestEntityTooLarge, answer{Error: fmt.Sprintf("the body is %d bytes, the limit is %d", r.ContentLength, h.cfg.MaxBytes)})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.reply(w, http.StatusRequestEntityTooLarge, answer{Error: fmt.Sprintf("the body is larger than %d bytes", h.cfg.MaxBytes)})
			return
		}
		h.reply(w, http.StatusBadRequest, answer{Error: "reading the body: " + err.Error()})
		return
	}
	req, err := Parse(ct, body, r.URL.Query())
	if err != nil {
		h.reply(w, status(err), answer{Error: err.Error()})
		return
	}
	source := req.Source
	if source == "" {
		source = h.cfg.DefaultSource
	}
	if !(*h.sources.Load())[source] {
		h.reply(w, http.StatusUnprocessableEntity, answer{Error: fmt.Sprintf("%v: source: %q is not a push source of the sources file", ErrUnprocessable, clip(source))})
		return
	}
	a, err := req.Article(source, h.now())
	if err != nil {
		h.reply(w, status(err), answer{Error: err.Error()})
		return
	}
	outcome, err := h.submit(r.Context(), a)
	switch {
	case errors.Is(err, events.ErrInvalid):
		h.reply(w, http.StatusUnprocessableEntity, answer{Error: err.Error()})
	case err != nil:
		h.log.Warn("pushed article not published", "id", a.ID, "source", source, "error", err)
		w.Header().Set("Retry-After", "5")
		h.reply(w, http.StatusServiceUnavailable, answer{Error: "the article could not be published now; try again later"})
	case outcome == ingest.OutcomeDuplicate:
		h.reply(w, http.StatusOK, answer{ID: a.ID, Duplicate: true})
	default:
		h.reply(w, http.StatusCreated, answer{ID: a.ID})
	}
}

// authorized compares the bearer token in constant time (of the token's
// digest, so that not even its length leaks).
func (h *Handler) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], h.token[:]) == 1
}

func status(err error) int {
	switch {
	case errors.Is(err, ErrMediaType):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	default:
		return http.StatusUnprocessableEntity
	}
}

func (h *Handler) reply(w http.ResponseWriter, code int, a answer) {
	h.requests.WithLabelValues(strconv.Itoa(code)).Inc()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(a)
}
