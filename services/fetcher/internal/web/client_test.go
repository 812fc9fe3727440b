package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// sleepRecorder replaces real waits in tests: it records each wait and
// returns at once.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleepRecorder) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newTestClient returns a client for tests: no per-host rate limit and
// waits recorded instead of slept. It does not allow-list anything.
func newTestClient(t *testing.T, cfg Config, opts ...Option) *Client {
	t.Helper()
	c, _ := newRecordingClient(t, cfg, opts...)
	return c
}

func newRecordingClient(t *testing.T, cfg Config, opts ...Option) (*Client, *sleepRecorder) {
	t.Helper()
	if cfg.PerHostRate == 0 {
		cfg.PerHostRate = -1
	}
	c, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	rec := &sleepRecorder{}
	c.sleep = rec.sleep
	t.Cleanup(func() { c.Close() })
	return c, rec
}

// loopback is the allow-list entry for httptest servers.
var loopback = []string{"127.0.0.1"}

// newServer starts an httptest server whose robots.txt is robots (404 when
// empty) and whose other paths go to h.
func newServer(t *testing.T, robots string, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			if robots == "" {
				http.NotFound(w, r)
				return
			}
			fmt.Fprint(w, robots)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFetchOK(t *testing.T) {
	var robotsHits, hits atomic.Int32
	var gotUA, gotAccept string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			robotsHits.Add(1)
			fmt.Fprint(w, "User-agent: *\nDisallow: /private\n")
			return
		}
		hits.Add(1)
		gotUA, gotAccept = r.Header.Get("User-Agent"), r.Header.Get("Accept")
		w.Header().Set("Content-Type", "application/rss+xml; charset=ISO-8859-1")
		fmt.Fprint(w, "<rss/>")
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, Config{AllowHosts: loopback, UserAgent: "newsflow/1.2.3 (+https://example.org)"})
	for range 2 {
		resp, err := c.Fetch(context.Background(), srv.URL+"/feed.xml#frag")
		if err != nil {
			t.Fatal(err)
		}
		if string(resp.Body) != "<rss/>" || resp.StatusCode != 200 || resp.URL != srv.URL+"/feed.xml" ||
			resp.ContentType != "application/rss+xml" || resp.Charset != "iso-8859-1" {
			t.Errorf("response %+v", resp)
		}
	}
	if gotUA != "newsflow/1.2.3 (+https://example.org)" || gotAccept != DefaultAccept {
		t.Errorf("User-Agent %q, Accept %q", gotUA, gotAccept)
	}
	if robotsHits.Load() != 1 || hits.Load() != 2 {
		t.Errorf("robots.txt fetched %d times (want 1, cached), page %d times (want 2)", robotsHits.Load(), hits.Load())
	}
}

func TestBadURL(t *testing.T) {
	c := newTestClient(t, Config{})
	for _, u := range []string{"ftp://example.com/x", "/relative", "http://", "http://user:pw@example.com/", "file:///etc/passwd", "http://[::1"} {
		if _, err := c.Fetch(context.Background(), u); !errors.Is(err, ErrBadURL) {
			t.Errorf("Fetch(%q) = %v, want ErrBadURL", u, err)
		}
	}
}

func TestRobots(t *testing.T) {
	tests := []struct {
		name   string
		robots string // served body; "503" and "404" are status codes
		path   string
		allow  bool
	}{
		{"allowed path", "User-agent: *\nDisallow: /private\n", "/public/a", true},
		{"disallowed path", "User-agent: *\nDisallow: /private\n", "/private/a", false},
		{"our group wins over *", "User-agent: *\nAllow: /\n\nUser-agent: newsflow\nDisallow: /\n", "/a", false},
		{"other agent's rules ignored", "User-agent: otherbot\nDisallow: /\n", "/a", true},
		{"longest match", "User-agent: *\nDisallow: /news\nAllow: /news/public\n", "/news/public/1", true},
		{"query matched", "User-agent: *\nDisallow: /*?print=\n", "/a?print=1", false},
		{"404 allows all", "404", "/a", true},
		{"503 disallows all", "503", "/a", false},
		{"429 disallows all", "429", "/a", false},
		{"empty file allows all", "", "/a", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pageHits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					switch tt.robots {
					case "404":
						http.NotFound(w, r)
					case "503":
						w.WriteHeader(http.StatusServiceUnavailable)
					case "429":
						w.WriteHeader(http.StatusTooManyRequests)
					default:
						fmt.Fprint(w, tt.robots)
					}
					return
				}
				pageHits.Add(1)
				fmt.Fprint(w, "page")
			}))
			t.Cleanup(srv.Close)
			reg := prometheus.NewPedanticRegistry()
			m, err := NewMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			c := newTestClient(t, Config{AllowHosts: loopback, MaxRetries: -1}, WithObserver(m))
			_, err = c.Fetch(context.Background(), srv.URL+tt.path, ForSource("src"))
			if tt.allow {
				if err != nil {
					t.Fatalf("Fetch = %v, want allowed", err)
				}
				return
			}
			if !errors.Is(err, ErrRobots) || Reason(err) != "robots" {
				t.Fatalf("Fetch = %v, want ErrRobots", err)
			}
			if pageHits.Load() != 0 {
				t.Errorf("disallowed page was requested %d times", pageHits.Load())
			}
			if got := testutil.ToFloat64(m.robots.WithLabelValues("src")); got != 1 {
				t.Errorf("robots refusals metric = %v, want 1", got)
			}
		})
	}
}

func TestRobotsCrawlDelayLowersRate(t *testing.T) {
	srv := newServer(t, "User-agent: *\nCrawl-delay: 5\n", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "x") })
	c := newTestClient(t, Config{AllowHosts: loopback, PerHostRate: 10, PerHostBurst: 5})
	if _, err := c.Fetch(context.Background(), srv.URL+"/a"); err != nil {
		t.Fatal(err)
	}
	if got := c.hosts.get(strings.TrimPrefix(srv.URL, "http://")).limiter.Limit(); got > 0.2+1e-9 {
		t.Errorf("rate after Crawl-delay 5 = %v/s, want <= 0.2", got)
	}
}

func TestLimitRateOnlyLowers(t *testing.T) {
	c := newTestClient(t, Config{AllowHosts: loopback, PerHostRate: 10})
	rate := func(host string) float64 { return float64(c.hosts.get(host).limiter.Limit()) }
	tests := []struct {
		url  string
		rps  float64
		host string
		want float64
	}{
		{"https://News.Example.com/rss", 2, "news.example.com", 2},
		{"https://news.example.com/other", 5, "news.example.com", 2}, // never raised
		{"https://news.example.com/other", 0.5, "news.example.com", 0.5},
		{"http://feeds.example.org:8080/x", 20, "feeds.example.org:8080", 10},
	}
	for _, tt := range tests {
		if err := c.LimitRate(tt.url, tt.rps); err != nil {
			t.Fatalf("LimitRate(%s, %v): %v", tt.url, tt.rps, err)
		}
		if got := rate(tt.host); got != tt.want {
			t.Errorf("after LimitRate(%s, %v): %s rate %v, want %v", tt.url, tt.rps, tt.host, got, tt.want)
		}
	}
	for _, bad := range []struct {
		url string
		rps float64
	}{{"ftp://example.com/", 1}, {"https://example.com/", 0}, {"https://example.com/", -1}} {
		if err := c.LimitRate(bad.url, bad.rps); err == nil {
			t.Errorf("LimitRate(%s, %v) = nil, want an error", bad.url, bad.rps)
		}
	}
}

func TestRedirects(t *testing.T) {
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/final":
			fmt.Fprint(w, "final")
		case p == "/a":
			http.Redirect(w, r, "/b", http.StatusMovedPermanently)
		case p == "/b":
			http.Redirect(w, r, "final", http.StatusTemporaryRedirect)
		case p == "/loop1":
			http.Redirect(w, r, "/loop2", http.StatusFound)
		case p == "/loop2":
			http.Redirect(w, r, "/loop1", http.StatusFound)
		case strings.HasPrefix(p, "/chain/"):
			var n int
			fmt.Sscanf(p, "/chain/%d", &n)
			http.Redirect(w, r, fmt.Sprintf("/chain/%d", n+1), http.StatusFound)
		case p == "/ftp":
			http.Redirect(w, r, "ftp://example.com/", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
	c := newTestClient(t, Config{AllowHosts: loopback, MaxRedirects: 3})
	resp, err := c.Fetch(context.Background(), srv.URL+"/a")
	if err != nil {
		t.Fatal(err)
	}
	if resp.URL != srv.URL+"/final" || resp.RequestURL != srv.URL+"/a" || resp.Redirects != 2 || string(resp.Body) != "final" {
		t.Errorf("response %+v", resp)
	}
	for _, tt := range []struct {
		path string
		want error
	}{
		{"/loop1", ErrRedirectLoop},
		{"/chain/0", ErrTooManyRedirects},
		{"/ftp", ErrBadURL},
		{"/missing", ErrStatus},
	} {
		if _, err := c.Fetch(context.Background(), srv.URL+tt.path); !errors.Is(err, tt.want) {
			t.Errorf("Fetch(%s) = %v, want %v", tt.path, err, tt.want)
		}
	}
}

func TestStatusError(t *testing.T) {
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	c := newTestClient(t, Config{AllowHosts: loopback})
	_, err := c.Fetch(context.Background(), srv.URL+"/x")
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusGone || !errors.Is(err, ErrStatus) {
		t.Fatalf("Fetch = %v, want StatusError 410", err)
	}
	if Reason(err) != "status_4xx" || Retryable(err) {
		t.Errorf("Reason %q Retryable %v", Reason(err), Retryable(err))
	}
}

func TestBodyCap(t *testing.T) {
	const max = 1 << 20
	var wrote atomic.Int64
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/declared" {
			w.Header().Set("Content-Length", fmt.Sprint(50<<20))
			w.WriteHeader(http.StatusOK)
			return
		}
		// An endless body.
		chunk := bytes.Repeat([]byte("<item>endless</item>\n"), 1000)
		for r.Context().Err() == nil {
			n, err := w.Write(chunk)
			wrote.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	c := newTestClient(t, Config{AllowHosts: loopback, MaxBodyBytes: max})
	for _, path := range []string{"/endless", "/declared"} {
		_, err := c.Fetch(context.Background(), srv.URL+path)
		if !errors.Is(err, ErrTooLarge) || Reason(err) != "too_large" || Retryable(err) {
			t.Errorf("Fetch(%s) = %v, want ErrTooLarge", path, err)
		}
	}
	// A larger cap for one fetch lets a body through.
	srv2 := newServer(t, "", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 2*max)) })
	if resp, err := c.Fetch(context.Background(), srv2.URL+"/big", WithMaxBytes(3*max)); err != nil || len(resp.Body) != 2*max {
		t.Errorf("Fetch with WithMaxBytes: %v", err)
	}
}

// gzipBomb returns one gzip member holding n zero bytes.
func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

func TestGzipBombRefused(t *testing.T) {
	const max = 1 << 20
	member := gzipBomb(t, 8<<20) // ~8 KB compressed
	const members = 128          // 1 GiB decompressed, ~1 MB on the wire
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/xml")
		for range members {
			if _, err := w.Write(member); err != nil {
				return
			}
		}
	})
	c := newTestClient(t, Config{AllowHosts: loopback, MaxBodyBytes: max})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.Fetch(context.Background(), srv.URL+"/sitemap.xml")
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "decompression") {
		t.Fatalf("Fetch = %v, want ErrTooLarge after decompression", err)
	}
	// Everything the test process allocated meanwhile, server included:
	// a few times the cap, nowhere near the 1 GiB the bomb expands to.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16*max {
		t.Errorf("allocated %d bytes fetching a bomb with a %d-byte cap", alloc, max)
	}
}

func TestContentEncodings(t *testing.T) {
	want := strings.Repeat("<rss><channel><title>café</title></channel></rss>\n", 100)
	for _, enc := range []string{"", "identity", "gzip", "x-gzip", "deflate", "deflate-raw", "br", "gzip, br"} {
		t.Run(enc, func(t *testing.T) {
			header := enc
			if enc == "deflate-raw" {
				header = "deflate"
			}
			srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
				if !strings.Contains(r.Header.Get("Accept-Encoding"), "br") {
					t.Errorf("Accept-Encoding %q", r.Header.Get("Accept-Encoding"))
				}
				w.Header().Set("Content-Encoding", header)
				w.Write(encodeForTest(t, enc, []byte(want)))
			})
			c := newTestClient(t, Config{AllowHosts: loopback})
			resp, err := c.Fetch(context.Background(), srv.URL+"/feed")
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != want {
				t.Errorf("decoded body differs: %q...", resp.Body[:min(40, len(resp.Body))])
			}
		})
	}
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "zstd")
		w.Write([]byte("whatever"))
	})
	c := newTestClient(t, Config{AllowHosts: loopback})
	if _, err := c.Fetch(context.Background(), srv.URL+"/x"); !errors.Is(err, ErrEncoding) {
		t.Errorf("zstd: %v, want ErrEncoding", err)
	}
}

func TestTimeouts(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		h    http.HandlerFunc
		want string
	}{
		{
			name: "slow trickle hits the total timeout",
			cfg:  Config{Timeout: 300 * time.Millisecond, IdleReadTimeout: 10 * time.Second},
			h: func(w http.ResponseWriter, r *http.Request) {
				for r.Context().Err() == nil {
					w.Write([]byte("<"))
					w.(http.Flusher).Flush()
					time.Sleep(20 * time.Millisecond)
				}
			},
			want: "whole fetch",
		},
		{
			name: "stalled body hits the idle timeout",
			cfg:  Config{Timeout: 10 * time.Second, IdleReadTimeout: 200 * time.Millisecond},
			h: func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte("<rss>"))
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			},
			want: "no body bytes",
		},
		{
			name: "no headers hits the response header timeout",
			cfg:  Config{Timeout: 10 * time.Second, ResponseHeaderTimeout: 200 * time.Millisecond},
			h:    func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			want: "timeout awaiting response headers",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, "", tt.h)
			tt.cfg.AllowHosts = loopback
			tt.cfg.MaxRetries = -1
			c := newTestClient(t, tt.cfg)
			_, err := c.Fetch(context.Background(), srv.URL+"/slow")
			if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Fetch = %v, want ErrTimeout mentioning %q", err, tt.want)
			}
			if Reason(err) != "timeout" || !Retryable(err) {
				t.Errorf("Reason %q Retryable %v", Reason(err), Retryable(err))
			}
		})
	}
}

func TestCallerCancel(t *testing.T) {
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := newTestClient(t, Config{AllowHosts: loopback})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	_, err := c.Fetch(ctx, srv.URL+"/x")
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("Fetch = %v, want context.Canceled", err)
	}
}

func TestRetryAfter(t *testing.T) {
	date := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
	tests := []struct {
		name       string
		retryAfter string
		status     int
		minWait    time.Duration
		maxWait    time.Duration
	}{
		{"429 seconds", "2", http.StatusTooManyRequests, 1900 * time.Millisecond, 2 * time.Second},
		{"503 http date", date(20 * time.Second), http.StatusServiceUnavailable, 15 * time.Second, 21 * time.Second},
		{"503 without header backs off", "", http.StatusServiceUnavailable, 50 * time.Millisecond, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) == 1 {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					w.WriteHeader(tt.status)
					return
				}
				fmt.Fprint(w, "ok")
			})
			c, rec := newRecordingClient(t, Config{AllowHosts: loopback, RetryBaseDelay: 100 * time.Millisecond})
			resp, err := c.Fetch(context.Background(), srv.URL+"/feed")
			if err != nil || string(resp.Body) != "ok" {
				t.Fatalf("Fetch = %v", err)
			}
			waits := rec.recorded()
			if hits.Load() != 2 || len(waits) != 1 || waits[0] < tt.minWait || waits[0] > tt.maxWait {
				t.Errorf("%d requests, waits %v; want 2 requests and one wait in [%s, %s]", hits.Load(), waits, tt.minWait, tt.maxWait)
			}
		})
	}
}

func TestLongRetryAfterCoolsHostDown(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c := newTestClient(t, Config{AllowHosts: loopback, MaxRetryAfter: time.Minute})
	_, err := c.Fetch(context.Background(), srv.URL+"/a")
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusTooManyRequests || se.RetryAfter != time.Hour || !Retryable(err) {
		t.Fatalf("Fetch = %v, want 429 with RetryAfter 1h", err)
	}
	// Other requests to the host fail fast instead of waiting an hour.
	_, err = c.Fetch(context.Background(), srv.URL+"/b")
	if !errors.Is(err, ErrCoolingDown) || Reason(err) != "cooling_down" || !Retryable(err) {
		t.Fatalf("second Fetch = %v, want ErrCoolingDown", err)
	}
	if hits.Load() != 1 {
		t.Errorf("server hit %d times, want 1", hits.Load())
	}
}

func TestCoolDownMakesOtherRequestsWait(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/busy" {
			w.Header().Set("Retry-After", "10")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		hits.Add(1)
		fmt.Fprint(w, "ok")
	})
	c, rec := newRecordingClient(t, Config{AllowHosts: loopback, MaxRetries: -1})
	if _, err := c.Fetch(context.Background(), srv.URL+"/busy"); !errors.Is(err, ErrStatus) {
		t.Fatalf("Fetch(/busy) = %v", err)
	}
	if _, err := c.Fetch(context.Background(), srv.URL+"/other"); err != nil {
		t.Fatal(err)
	}
	waits := rec.recorded()
	if len(waits) != 1 || waits[0] < 9*time.Second || waits[0] > 10*time.Second {
		t.Errorf("waits %v, want one of about 10s before /other", waits)
	}
}

func TestPerHostConcurrency(t *testing.T) {
	var inFlight, maxInFlight atomic.Int32
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		fmt.Fprint(w, "ok")
	})
	c := newTestClient(t, Config{AllowHosts: loopback, PerHostConcurrency: 2})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := c.Fetch(context.Background(), fmt.Sprintf("%s/%d", srv.URL, i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if m := maxInFlight.Load(); m > 2 || m < 1 {
		t.Errorf("max requests in flight = %d, want <= 2", m)
	}
}

func TestConditionalGet(t *testing.T) {
	const etag = `"v1"`
	const lastMod = "Wed, 21 Oct 2015 07:28:00 GMT"
	var full, notModified atomic.Int32
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag && r.Header.Get("If-Modified-Since") == lastMod {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		fmt.Fprint(w, "<rss/>")
	})
	store := &MemoryValidators{}
	c := newTestClient(t, Config{AllowHosts: loopback}, WithValidators(store))
	url := srv.URL + "/feed.xml"

	resp, err := c.Fetch(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Validator != (Validator{ETag: etag, LastModified: lastMod}) {
		t.Errorf("validator %+v", resp.Validator)
	}
	if _, err := c.Fetch(context.Background(), url); !errors.Is(err, ErrNotModified) || Reason(err) != "not_modified" {
		t.Fatalf("second Fetch = %v, want ErrNotModified", err)
	}
	if _, err := c.Fetch(context.Background(), url, Unconditional()); err != nil {
		t.Fatalf("unconditional Fetch = %v", err)
	}
	if full.Load() != 2 || notModified.Load() != 1 {
		t.Errorf("full %d, not modified %d; want 2 and 1", full.Load(), notModified.Load())
	}

	// Deferred: nothing stored until the caller says so.
	deferred := srv.URL + "/other.xml"
	resp, err = c.Fetch(context.Background(), deferred, DeferValidators())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.Get(context.Background(), deferred); ok {
		t.Fatal("validators stored although deferred")
	}
	if err := c.SaveValidators(context.Background(), resp); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Fetch(context.Background(), deferred); !errors.Is(err, ErrNotModified) {
		t.Errorf("Fetch after SaveValidators = %v, want ErrNotModified", err)
	}
}

// failingValidators fails every call.
type failingValidators struct{}

func (failingValidators) Get(context.Context, string) (Validator, bool, error) {
	return Validator{}, false, errors.New("kv down")
}
func (failingValidators) Put(context.Context, string, Validator) error { return errors.New("kv down") }

func TestValidatorStoreFailureFetchesUnconditionally(t *testing.T) {
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"x"`)
		fmt.Fprint(w, "body")
	})
	c := newTestClient(t, Config{AllowHosts: loopback}, WithValidators(failingValidators{}))
	for range 2 {
		if resp, err := c.Fetch(context.Background(), srv.URL+"/f"); err != nil || string(resp.Body) != "body" {
			t.Fatalf("Fetch = %v", err)
		}
	}
}

func TestOpenStreams(t *testing.T) {
	const size = 5 << 20
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for i := 0; i < size/len(chunk); i++ {
			w.Write(chunk)
		}
	})
	c := newTestClient(t, Config{AllowHosts: loopback, MaxBodyBytes: 1 << 20})
	resp, body, err := c.Open(context.Background(), srv.URL+"/big", WithMaxBytes(size))
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	n, err := io.Copy(io.Discard, body)
	if err != nil || n != size || resp.Body != nil {
		t.Errorf("streamed %d bytes, err %v", n, err)
	}
}

func TestMetrics(t *testing.T) {
	srv := newServer(t, "User-agent: *\nDisallow: /no\n", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "12345")
	})
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering twice did not fail")
	}
	c := newTestClient(t, Config{AllowHosts: loopback}, WithObserver(m))
	ctx := context.Background()
	c.Fetch(ctx, srv.URL+"/a", ForSource("s1"))
	c.Fetch(ctx, srv.URL+"/b", ForSource("s1"))
	c.Fetch(ctx, srv.URL+"/missing", ForSource("s1"))
	c.Fetch(ctx, srv.URL+"/no", ForSource("s2"))
	checks := []struct {
		c    prometheus.Collector
		want float64
	}{
		{m.requests.WithLabelValues("s1", "2xx"), 3}, // robots.txt and two pages
		{m.requests.WithLabelValues("s1", "4xx"), 1},
		{m.bytes.WithLabelValues("s1"), 10 + float64(len("User-agent: *\nDisallow: /no\n")) + float64(len("404 page not found\n"))},
		{m.fetches.WithLabelValues("s1", "ok"), 2},
		{m.fetches.WithLabelValues("s1", "status_4xx"), 1},
		{m.fetches.WithLabelValues("s2", "robots"), 1},
		{m.robots.WithLabelValues("s2"), 1},
		{m.robots.WithLabelValues("s1"), 0},
	}
	for i, ch := range checks {
		if got := testutil.ToFloat64(ch.c); got != ch.want {
			t.Errorf("check %d: got %v, want %v", i, got, ch.want)
		}
	}
	if n := testutil.CollectAndCount(m.seconds); n != 1 {
		t.Errorf("duration series = %d, want 1 (s1)", n)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg   Config
		field string
	}{
		{Config{Timeout: -1}, "Timeout"},
		{Config{MaxBodyBytes: -5}, "MaxBodyBytes"},
		{Config{PerHostConcurrency: -1}, "PerHostConcurrency"},
		{Config{RobotsTTL: -time.Second}, "RobotsTTL"},
		{Config{AllowHosts: []string{"1.2.3.4/99"}}, "AllowHosts"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", tt.cfg, err, tt.field)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	d := Config{}.withDefaults()
	if d.UserAgent != DefaultUserAgent || d.MaxBodyBytes != 16<<20 || d.MaxRedirects != 5 || d.PerHostRate != 1 || d.Timeout != time.Minute {
		t.Errorf("defaults %+v", d)
	}
}

func TestReasonAndRetryable(t *testing.T) {
	tests := []struct {
		err       error
		reason    string
		retryable bool
	}{
		{nil, "ok", false},
		{fmt.Errorf("x: %w", ErrRefused), "refused", false},
		{ErrRobots, "robots", false},
		{ErrTooLarge, "too_large", false},
		{ErrRedirectLoop, "redirects", false},
		{ErrTooManyRedirects, "redirects", false},
		{ErrNotModified, "not_modified", false},
		{fmt.Errorf("%w: x", ErrTimeout), "timeout", true},
		{ErrCoolingDown, "cooling_down", true},
		{ErrBadURL, "bad_url", false},
		{ErrEncoding, "encoding", false},
		{&StatusError{Code: 404}, "status_4xx", false},
		{&StatusError{Code: 429}, "status_4xx", true},
		{&StatusError{Code: 408}, "status_4xx", true},
		{fmt.Errorf("fetch: %w", &StatusError{Code: 502}), "status_5xx", true},
		{context.Canceled, "canceled", false},
		{errors.New("connection reset"), "network", true},
	}
	for _, tt := range tests {
		if r, rt := Reason(tt.err), Retryable(tt.err); r != tt.reason || rt != tt.retryable {
			t.Errorf("%v: Reason %q Retryable %v, want %q %v", tt.err, r, rt, tt.reason, tt.retryable)
		}
	}
}

func TestRobotsNetworkErrorNotCached(t *testing.T) {
	var robotsHits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			if robotsHits.Add(1) == 1 {
				// Drop the connection without an answer.
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			fmt.Fprint(w, "User-agent: *\nAllow: /\n")
			return
		}
		fmt.Fprint(w, "page")
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, Config{AllowHosts: loopback, MaxRetries: -1})
	_, err := c.Fetch(context.Background(), srv.URL+"/a")
	if err == nil || errors.Is(err, ErrRobots) || !Retryable(err) || !strings.Contains(err.Error(), "robots.txt") {
		t.Fatalf("first Fetch = %v, want a retryable robots.txt network error", err)
	}
	if resp, err := c.Fetch(context.Background(), srv.URL+"/a"); err != nil || string(resp.Body) != "page" {
		t.Fatalf("second Fetch = %v", err)
	}
	if robotsHits.Load() != 2 {
		t.Errorf("robots.txt fetched %d times, want 2", robotsHits.Load())
	}
}

func TestWithTimeout(t *testing.T) {
	srv := newServer(t, "", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := newTestClient(t, Config{AllowHosts: loopback, Timeout: time.Hour, ResponseHeaderTimeout: time.Hour})
	_, err := c.Fetch(context.Background(), srv.URL+"/x", WithTimeout(100*time.Millisecond))
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "100ms") {
		t.Fatalf("Fetch = %v, want the per-fetch timeout", err)
	}
}
