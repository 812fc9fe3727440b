package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultAccept is the Accept header sent when a fetch names none: feeds
// first, then XML (sitemaps), then HTML pages.
const DefaultAccept = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, " +
	"application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, application/xhtml+xml;q=0.8, */*;q=0.5"

// Client fetches documents from the web safely and politely; see the
// package documentation. It is safe for concurrent use.
type Client struct {
	cfg        Config
	http       *http.Client
	transport  *http.Transport
	hosts      *hostTable
	robots     *robotsCache
	validators Validators
	obs        Observer
	log        *slog.Logger
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
}

// Option configures a Client beyond its Config.
type Option func(*Client)

// WithValidators keeps ETag and Last-Modified in v and makes conditional
// GETs. Without it every fetch is unconditional.
func WithValidators(v Validators) Option { return func(c *Client) { c.validators = v } }

// WithObserver reports requests and fetch outcomes to o, for example a
// *Metrics.
func WithObserver(o Observer) Option { return func(c *Client) { c.obs = o } }

// WithLogger logs robots.txt and validator store problems to l.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// New returns a Client for cfg, or an error naming the first invalid field.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	g, err := newGuard(cfg.AllowHosts)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                  nil, // a proxy would dial on our behalf, past the guard
		DialContext:            g.dialer(dialer),
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    cfg.TLSHandshakeTimeout,
		ResponseHeaderTimeout:  cfg.ResponseHeaderTimeout,
		DisableCompression:     true, // decodeBody decompresses, with a cap
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    cfg.PerHostConcurrency,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 1 << 20,
	}
	c := &Client{
		cfg:       cfg,
		transport: tr,
		http: &http.Client{
			Transport: tr,
			// Redirects are followed by open, so that every hop passes
			// robots.txt, the host limits and the loop check.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		robots: &robotsCache{},
		obs:    nopObserver{},
		log:    slog.New(slog.DiscardHandler),
		now:    time.Now,
		sleep:  sleepCtx,
	}
	for _, o := range opts {
		o(c)
	}
	c.hosts = &hostTable{cfg: cfg, now: c.now, sleep: func(ctx context.Context, d time.Duration) error { return c.sleep(ctx, d) }}
	return c, nil
}

// LimitRate lowers the request rate to the host of rawURL to at most
// perSecond requests per second, for a source that asks to be fetched more
// gently than Config.PerHostRate. It never raises a host's rate; a
// robots.txt Crawl-delay still lowers it further.
func (c *Client) LimitRate(rawURL string, perSecond float64) error {
	u, err := parseHTTPURL(rawURL)
	if err != nil {
		return err
	}
	if !(perSecond > 0) {
		return fmt.Errorf("web: rate %v is not positive", perSecond)
	}
	c.hosts.lower(strings.ToLower(u.Host), rate.Limit(perSecond))
	return nil
}

// Close releases idle connections. The Client must not be used afterwards.
func (c *Client) Close() error {
	c.transport.CloseIdleConnections()
	return nil
}

// Response is a fetched document.
type Response struct {
	// URL is the final URL, after redirects.
	URL string
	// RequestURL is the URL asked for.
	RequestURL string
	StatusCode int
	Header     http.Header
	// ContentType is the media type of Content-Type, lowercased, without
	// parameters ("application/rss+xml"); Charset is its charset parameter.
	ContentType string
	Charset     string
	// Body is the decoded (decompressed) body; nil from Open.
	Body []byte
	// Redirects is how many redirects were followed.
	Redirects int
	// Validator holds the ETag and Last-Modified of the answer.
	Validator Validator
	FetchedAt time.Time
}

// FetchOption adjusts one fetch.
type FetchOption func(*fetchOptions)

type fetchOptions struct {
	timeout      time.Duration
	source       string
	accept       string
	maxBytes     int64
	conditional  bool
	deferSave    bool
	extraHeaders http.Header
}

// ForSource labels the fetch's metrics with the configured source ID.
func ForSource(id string) FetchOption { return func(o *fetchOptions) { o.source = id } }

// WithAccept sets the Accept header (default DefaultAccept).
func WithAccept(mediaTypes string) FetchOption {
	return func(o *fetchOptions) { o.accept = mediaTypes }
}

// WithMaxBytes overrides Config.MaxBodyBytes for this fetch, for example
// to stream a 50 MB sitemap through Open.
func WithMaxBytes(n int64) FetchOption {
	return func(o *fetchOptions) {
		if n > 0 {
			o.maxBytes = n
		}
	}
}

// WithTimeout overrides Config.Timeout for this fetch, for example for a
// large sitemap streamed through Open.
func WithTimeout(d time.Duration) FetchOption {
	return func(o *fetchOptions) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// Unconditional fetches without sending or storing validators.
func Unconditional() FetchOption { return func(o *fetchOptions) { o.conditional = false } }

// DeferValidators sends stored validators but does not store the new ones:
// the caller calls SaveValidators once it has processed the document, so a
// failure in between does not turn the next poll into a 304 that hides
// unprocessed content. By default validators are stored as soon as the
// whole body has been read.
func DeferValidators() FetchOption { return func(o *fetchOptions) { o.deferSave = true } }

// SaveValidators stores the validators of resp, if any, for resp.URL.
func (c *Client) SaveValidators(ctx context.Context, resp *Response) error {
	if c.validators == nil || resp == nil || (resp.Validator == Validator{}) {
		return nil
	}
	if err := c.validators.Put(ctx, resp.URL, resp.Validator); err != nil {
		return fmt.Errorf("web: storing validators: %w", err)
	}
	return nil
}

// Fetch GETs rawURL and returns the whole decoded body. Errors wrap the
// package's sentinel errors: a 304 to a conditional GET is ErrNotModified,
// a non-2xx final answer a *StatusError.
func (c *Client) Fetch(ctx context.Context, rawURL string, opts ...FetchOption) (*Response, error) {
	resp, body, err := c.Open(ctx, rawURL, opts...)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	resp.Body = data
	return resp, nil
}

// Open is Fetch for streaming: it returns once the headers of the final
// answer are in, with the decoded body to read. Reading is bounded by the
// same caps and timeouts as Fetch: the total timeout runs until Close. The
// caller must Close the body; the host's concurrency slot is held until
// then.
func (c *Client) Open(ctx context.Context, rawURL string, opts ...FetchOption) (*Response, io.ReadCloser, error) {
	o := fetchOptions{maxBytes: c.cfg.MaxBodyBytes, conditional: true, accept: DefaultAccept, timeout: c.cfg.Timeout}
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancelIdle := context.WithCancelCause(ctx)
	ctx, cancelTotal := context.WithTimeoutCause(ctx, o.timeout,
		fmt.Errorf("%w: the whole fetch took longer than %s", ErrTimeout, o.timeout))
	cancel := func() { cancelTotal(); cancelIdle(nil) }

	resp, hr, err := c.open(ctx, rawURL, o)
	if err != nil {
		cancel()
		c.obs.ObserveFetch(o.source, Reason(err))
		return nil, nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	r, err := decodeBody(hr.Body, hr.Header.Get("Content-Encoding"), o.maxBytes)
	if err != nil {
		discard(hr.Body)
		cancel()
		c.obs.ObserveFetch(o.source, Reason(err))
		return nil, nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	b := &body{r: r, raw: hr.Body, ctx: ctx, cancel: cancel}
	// The idle timer runs only while a Read waits on the server, so a
	// caller that pauses between reads is not cut off.
	b.idle = time.AfterFunc(time.Hour, func() {
		cancelIdle(fmt.Errorf("%w: no body bytes for %s", ErrTimeout, c.cfg.IdleReadTimeout))
	})
	b.idle.Stop()
	b.idleAfter = c.cfg.IdleReadTimeout
	b.onClose = func(readErr error, complete bool) {
		if complete && readErr == nil && o.conditional && !o.deferSave {
			if err := c.SaveValidators(ctx, resp); err != nil {
				c.log.LogAttrs(ctx, slog.LevelWarn, "validators not stored", slog.String("url", resp.URL), slog.String("error", err.Error()))
			}
		}
		c.obs.ObserveFetch(o.source, Reason(readErr))
	}
	return resp, b, nil
}

// open follows redirects from rawURL to a 2xx answer, checking robots.txt
// and sending stored validators at every hop.
func (c *Client) open(ctx context.Context, rawURL string, o fetchOptions) (*Response, *http.Response, error) {
	u, err := parseHTTPURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for hops := 0; ; hops++ {
		key := u.String()
		if seen[key] {
			return nil, nil, fmt.Errorf("%w: back to %s after %d redirects", ErrRedirectLoop, u.Redacted(), hops)
		}
		seen[key] = true
		if !c.cfg.IgnoreRobots {
			if err := c.checkRobots(ctx, u, o.source); err != nil {
				return nil, nil, err
			}
		}
		xo := exchangeOptions{source: o.source, accept: o.accept}
		if c.validators != nil && o.conditional {
			v, ok, err := c.validators.Get(ctx, key)
			if err != nil {
				c.log.LogAttrs(ctx, slog.LevelWarn, "validators not read, fetching unconditionally", slog.String("url", key), slog.String("error", err.Error()))
			} else if ok {
				xo.validator = &v
			}
		}
		hr, err := c.exchange(ctx, u, xo)
		if err != nil {
			return nil, nil, err
		}
		code := hr.StatusCode
		switch {
		case isRedirect(code) && hr.Header.Get("Location") != "":
			loc := hr.Header.Get("Location")
			discard(hr.Body)
			if hops >= c.cfg.MaxRedirects {
				return nil, nil, fmt.Errorf("%w: more than %d", ErrTooManyRedirects, c.cfg.MaxRedirects)
			}
			next, err := u.Parse(loc)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: redirect to %q: %w", ErrBadURL, loc, err)
			}
			if u, err = checkHTTPURL(next); err != nil {
				return nil, nil, fmt.Errorf("redirect: %w", err)
			}
			continue
		case code == http.StatusNotModified && xo.validator != nil:
			discard(hr.Body)
			return nil, nil, ErrNotModified
		case code < 200 || code >= 300:
			ra, _ := ParseRetryAfter(hr.Header.Get("Retry-After"), c.now())
			discard(hr.Body)
			return nil, nil, &StatusError{Code: code, RetryAfter: ra}
		}
		if hr.ContentLength > o.maxBytes {
			discard(hr.Body)
			return nil, nil, fmt.Errorf("%w: Content-Length %d exceeds %d", ErrTooLarge, hr.ContentLength, o.maxBytes)
		}
		resp := &Response{
			URL:        key,
			RequestURL: rawURL,
			StatusCode: code,
			Header:     hr.Header,
			Redirects:  hops,
			Validator:  Validator{ETag: hr.Header.Get("ETag"), LastModified: hr.Header.Get("Last-Modified")},
			FetchedAt:  c.now(),
		}
		if mt, params, err := mime.ParseMediaType(hr.Header.Get("Content-Type")); err == nil {
			resp.ContentType, resp.Charset = mt, strings.ToLower(params["charset"])
		}
		return resp, hr, nil
	}
}

type exchangeOptions struct {
	source    string
	accept    string
	validator *Validator
}

// exchange sends one GET to u within the host's limits and returns the
// answer, retrying 408, 429 and 5xx answers while the wait they ask for is
// acceptable. The returned body must be closed: that frees the host slot.
func (c *Client) exchange(ctx context.Context, u *url.URL, o exchangeOptions) (*http.Response, error) {
	host := strings.ToLower(u.Host)
	for attempt := 0; ; attempt++ {
		release, err := c.hosts.acquire(ctx, host)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			release()
			return nil, fmt.Errorf("%w: %w", ErrBadURL, err)
		}
		req.Header.Set("User-Agent", c.cfg.UserAgent)
		req.Header.Set("Accept", o.accept)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		if v := o.validator; v != nil {
			if v.ETag != "" {
				req.Header.Set("If-None-Match", v.ETag)
			}
			if v.LastModified != "" {
				req.Header.Set("If-Modified-Since", v.LastModified)
			}
		}
		start := time.Now()
		hr, err := c.http.Do(req)
		if err != nil {
			release()
			c.obs.ObserveRequest(o.source, "error", 0, time.Since(start))
			return nil, classify(ctx, err)
		}
		hr.Body = &trackedBody{rc: hr.Body, release: release, done: func(n int64) {
			c.obs.ObserveRequest(o.source, statusClass(hr.StatusCode), n, time.Since(start))
		}}
		if !retryableStatus(hr.StatusCode) {
			return hr, nil
		}
		delay, ok := ParseRetryAfter(hr.Header.Get("Retry-After"), c.now())
		if !ok {
			delay = backoff(c.cfg.RetryBaseDelay, attempt)
		}
		c.hosts.coolDown(host, delay)
		deadline, hasDeadline := ctx.Deadline()
		if attempt >= c.cfg.MaxRetries || delay > c.cfg.MaxRetryAfter || (hasDeadline && c.now().Add(delay).After(deadline)) {
			return hr, nil
		}
		discard(hr.Body)
	}
}

// retryableStatus reports whether an answer asks to try again later.
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests ||
		code == http.StatusInternalServerError || code == http.StatusBadGateway ||
		code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// backoff is base·2^attempt with equal jitter.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt, 16)
	return d/2 + rand.N(d/2+1)
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// classify wraps a transport error with ErrTimeout when it is one.
func classify(ctx context.Context, err error) error {
	if errors.Is(err, ErrRefused) {
		return err
	}
	if ctx.Err() != nil {
		if cause := ctxErr(ctx); cause != ctx.Err() {
			return fmt.Errorf("%w (%w)", cause, err)
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return err
}

// parseHTTPURL parses an absolute http or https URL.
func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	return checkHTTPURL(u)
}

// checkHTTPURL accepts absolute http and https URLs with a host and no
// user info, and drops the fragment.
func checkHTTPURL(u *url.URL) (*url.URL, error) {
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: scheme %q is not http or https", ErrBadURL, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q has no host", ErrBadURL, u.Redacted())
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: %q has user info", ErrBadURL, u.Redacted())
	}
	v := *u
	v.Fragment, v.RawFragment = "", ""
	return &v, nil
}

// discard drains a little of body, so the connection can be reused, and
// closes it.
func discard(body io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	body.Close()
}

// trackedBody counts the wire bytes of an answer and, on Close, frees the
// host slot and reports the exchange.
type trackedBody struct {
	rc      io.ReadCloser
	n       int64
	release func()
	done    func(n int64)
	once    sync.Once
}

func (t *trackedBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	t.n += int64(n)
	return n, err
}

func (t *trackedBody) Close() error {
	err := t.rc.Close()
	t.once.Do(func() {
		t.release()
		t.done(t.n)
	})
	return err
}

// body is the decoded body handed to the caller of Open.
type body struct {
	r         io.Reader
	raw       io.Closer
	ctx       context.Context
	cancel    func()
	idle      *time.Timer
	idleAfter time.Duration
	onClose   func(readErr error, complete bool)
	err       error
	eof       bool
	once      sync.Once
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	b.idle.Reset(b.idleAfter)
	n, err := b.r.Read(p)
	b.idle.Stop()
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil:
		if b.ctx.Err() != nil {
			if cause := ctxErr(b.ctx); cause != b.ctx.Err() {
				err = fmt.Errorf("reading body: %w", cause)
			}
		} else if !errors.Is(err, ErrTooLarge) {
			err = classify(b.ctx, err)
		}
		b.err = err
	}
	return n, err
}

func (b *body) Close() error {
	var err error
	b.once.Do(func() {
		b.idle.Stop()
		err = b.raw.Close()
		b.onClose(b.err, b.eof)
		b.cancel()
	})
	return err
}
