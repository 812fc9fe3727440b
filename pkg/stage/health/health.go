// Package health serves a stage's operational endpoints on one port:
// /metrics (Prometheus), /healthz (liveness) and /readyz (readiness).
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check reports whether a dependency is usable; nil means ready.
type Check func(ctx context.Context) error

// Server is the operational HTTP server of one stage.
type Server struct {
	mux     *http.ServeMux
	log     *slog.Logger
	timeout time.Duration

	mu     sync.Mutex
	checks map[string]Check
	live   error // set when the stage has failed for good
}

// New returns a server whose /metrics serves g.
func New(g prometheus.Gatherer, log *slog.Logger) *Server {
	s := &Server{mux: http.NewServeMux(), log: log, timeout: 2 * time.Second, checks: map[string]Check{}}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	return s
}

// Handle adds a handler to the server's mux, for stage-specific endpoints.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// AddCheck adds a readiness check under a name.
func (s *Server) AddCheck(name string, c Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks[name] = c
}

// Fail marks the stage as no longer alive: /healthz answers 503 with err.
func (s *Server) Fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = err
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	err := s.live
	s.mu.Unlock()
	if err != nil {
		http.Error(w, "failed: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	names := make([]string, 0, len(s.checks))
	for n := range s.checks {
		names = append(names, n)
	}
	checks := make(map[string]Check, len(s.checks))
	for n, c := range s.checks {
		checks[n] = c
	}
	s.mu.Unlock()
	sort.Strings(names)

	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	result := make(map[string]string, len(names))
	ready := true
	for _, n := range names {
		if err := checks[n](ctx); err != nil {
			result[n] = err.Error()
			ready = false
		} else {
			result[n] = "ok"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": ready, "checks": result})
}

// ServeHTTP serves the endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Listen listens on addr (":9090"; ":0" for any free port) and serves until
// ctx ends, then shuts down. It returns the bound address once listening;
// serving goes on in the background and done is closed when it stops.
func (s *Server) Listen(ctx context.Context, addr string) (bound string, done <-chan struct{}, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("health server", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr().String(), ch, nil
}
