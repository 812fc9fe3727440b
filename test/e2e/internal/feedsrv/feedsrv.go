// Package feedsrv is the news site the end-to-end tests point the fetcher
// at: an RSS feed of generated articles (package corpus), their HTML
// pages, and hostile feeds and pages (malformed, endless, gzip bombs,
// redirect loops, redirects to refused addresses).
//
// The feed shows the newest Window articles among those offered so far;
// the test raises the offer with POST /admin/offer?upto=N as the pipeline
// keeps up, so nothing falls out of the window unseen and the set of
// articles offered is exact.
package feedsrv

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/newsflow/newsflow/test/e2e/internal/corpus"
)

// Config of a Server.
type Config struct {
	// Base is the URL the fetcher reaches the server at, such as
	// "http://feedsrv:8080"; feed links start with it.
	Base string
	// Window is how many of the newest offered articles the feed lists.
	Window int
	// Offered is how many articles are offered at start.
	Offered int
	// Limit caps how far /admin/offer may raise the offer.
	Limit int
	// EndlessBytes caps the hostile endless responses (a safety net: the
	// fetcher is expected to stop reading long before).
	EndlessBytes int64
	// BombBytes is the decompressed size of the gzip bombs.
	BombBytes int64
}

// DefaultConfig returns the settings the tests use unless told otherwise.
func DefaultConfig() Config {
	return Config{Base: "http://feedsrv:8080", Window: 500, Limit: 1_000_000, EndlessBytes: 1 << 30, BombBytes: 1 << 30}
}

// State is what GET /admin/state reports.
type State struct {
	Offered int `json:"offered"`
	// Requests counts requests by path ("/news/<n>" pages are counted
	// under "/news/").
	Requests map[string]int64 `json:"requests"`
}

// Server serves the site. Create it with New.
type Server struct {
	cfg  Config
	bomb []byte // gzip members that decompress to BombBytes

	mu       sync.Mutex
	offered  int
	requests map[string]int64
}

// New returns a server for c.
func New(c Config) (*Server, error) {
	if c.Base == "" || c.Window < 1 || c.Offered < 0 || c.Limit < c.Offered {
		return nil, fmt.Errorf("feedsrv: unusable config %+v", c)
	}
	bomb, err := gzipBomb(c.BombBytes)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: c, bomb: bomb, offered: c.Offered, requests: map[string]int64{}}, nil
}

// gzipBomb returns concatenated gzip members of 1 MiB of spaces each,
// decompressing to about size bytes from a few hundred kilobytes.
func gzipBomb(size int64) ([]byte, error) {
	var member bytes.Buffer
	zw, err := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(bytes.Repeat([]byte{' '}, 1<<20)); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	n := max(int(size>>20), 1)
	return bytes.Repeat(member.Bytes(), n), nil
}

// Offer raises the number of offered articles to upto (never lowers it).
func (s *Server) Offer(upto int) error {
	if upto > s.cfg.Limit {
		return fmt.Errorf("feedsrv: %d is above the limit %d", upto, s.cfg.Limit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offered = max(s.offered, upto)
	return nil
}

// State reports the offer and the requests served.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Offered: s.offered, Requests: make(map[string]int64, len(s.requests))}
	for k, v := range s.requests {
		st.Requests[k] = v
	}
	return st
}

func (s *Server) count(path string) {
	if strings.HasPrefix(path, "/news/") {
		path = "/news/"
	}
	s.mu.Lock()
	s.requests[path]++
	s.mu.Unlock()
}

// Handler returns the site's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /feed.xml", s.feed)
	mux.HandleFunc("GET /news/{n}", s.page)
	mux.HandleFunc("GET /robots.txt", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("POST /admin/offer", s.offer)
	mux.HandleFunc("GET /admin/state", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.State())
	})
	// Hostile feeds.
	mux.HandleFunc("GET /hostile/malformed.xml", s.malformed)
	mux.HandleFunc("GET /hostile/endless.xml", s.endless)
	mux.HandleFunc("GET /hostile/bomb.xml", s.gzipBomb)
	mux.HandleFunc("GET /hostile/loop.xml", s.redirectLoop)
	mux.HandleFunc("GET /hostile/private.xml", s.redirectPrivate)
	mux.HandleFunc("GET /hostile/pages.xml", s.hostilePagesFeed)
	// Hostile pages, linked from /hostile/pages.xml.
	mux.HandleFunc("GET /hostile/page/endless", s.endless)
	mux.HandleFunc("GET /hostile/page/bomb", s.gzipBomb)
	mux.HandleFunc("GET /hostile/page/loop", s.redirectLoop)
	mux.HandleFunc("GET /hostile/page/private", s.redirectPrivate)
	mux.HandleFunc("GET /hostile/page/binary", s.binary)
	mux.HandleFunc("GET /hostile/page/empty", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.count(r.URL.Path)
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) offer(w http.ResponseWriter, r *http.Request) {
	upto, err := strconv.Atoi(r.URL.Query().Get("upto"))
	if err != nil || upto < 0 {
		http.Error(w, "upto: want a non-negative integer", http.StatusBadRequest)
		return
	}
	if err := s.Offer(upto); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) feed(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	to := s.offered
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	_, _ = w.Write(corpus.RSS(s.cfg.Base, max(0, to-s.cfg.Window), to))
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	s.mu.Lock()
	offered := s.offered
	s.mu.Unlock()
	if err != nil || n < 0 || n >= offered || strconv.Itoa(n) != r.PathValue("n") {
		http.NotFound(w, r)
		return
	}
	a := corpus.Generate(n)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Last-Modified", a.Published.Format(http.TimeFormat))
	_, _ = w.Write(a.HTML())
}

func (s *Server) malformed(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Broken</title><item><title>Unclosed <b>tag</title><link>http://feedsrv:8080/news/0</lin")
}

// endless streams an ever-growing document until the client hangs up or
// EndlessBytes are sent.
func (s *Server) endless(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	fl, _ := w.(http.Flusher)
	chunk := []byte(strings.Repeat("<item><title>more</title><description>and more and more</description></item>\n", 128))
	if _, err := w.Write([]byte("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Endless</title>\n")); err != nil {
		return
	}
	for sent := int64(0); sent < s.cfg.EndlessBytes; sent += int64(len(chunk)) {
		if r.Context().Err() != nil {
			return
		}
		if _, err := w.Write(chunk); err != nil {
			return
		}
		if fl != nil {
			fl.Flush()
		}
	}
}

func (s *Server) gzipBomb(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(s.bomb)))
	_, _ = w.Write(s.bomb)
}

// redirectLoop sends the client back and forth between two URLs.
func (s *Server) redirectLoop(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Path + "?hop=1"
	if r.URL.Query().Get("hop") != "" {
		next = r.URL.Path
	}
	http.Redirect(w, r, next, http.StatusFound)
}

// redirectPrivate redirects to the fetcher's own loopback interface, an
// address the fetcher must refuse before connecting (and which, should
// the guard fail, reaches only the fetcher's container).
func (s *Server) redirectPrivate(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "http://127.0.0.1:9090/metrics", http.StatusFound)
}

func (s *Server) binary(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 0xff, 0x13}, 4096)...))
}

// hostilePagesFeed is a valid feed whose items link to the hostile pages.
func (s *Server) hostilePagesFeed(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Hostile pages</title><link>" + s.cfg.Base + "/</link><description>x</description>\n")
	for _, p := range HostilePages {
		fmt.Fprintf(&b, "<item><title>Hostile %s</title><link>%s/hostile/page/%s</link><pubDate>%s</pubDate></item>\n",
			p, s.cfg.Base, p, corpus.Epoch.Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>\n")
	_, _ = w.Write([]byte(b.String()))
}

// HostileFeeds are the paths of the hostile feeds.
var HostileFeeds = []string{"/hostile/malformed.xml", "/hostile/endless.xml", "/hostile/bomb.xml", "/hostile/loop.xml", "/hostile/private.xml"}

// HostilePages are the names of the pages /hostile/pages.xml links to.
var HostilePages = []string{"endless", "bomb", "loop", "private", "binary", "empty"}

// ListenAndServe serves h on addr until ctx ends.
func ListenAndServe(ctx context.Context, addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
