package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
)

const (
	// maxRobotsBytes is how much of a robots.txt is parsed (RFC 9309 asks
	// for at least 500 KiB); the rest is ignored.
	maxRobotsBytes = 512 << 10
	// maxRobotsRedirects is how many redirects a robots.txt fetch follows
	// (RFC 9309 §2.3.1.2: at least five).
	maxRobotsRedirects = 5
	// robotsCacheSweepAt is the cache size from which expired entries go.
	robotsCacheSweepAt = 4096
)

// robotsEntry is the cached robots.txt of one origin.
type robotsEntry struct {
	lock    chan struct{} // held while fetching, so one fetch per origin
	data    *robotstxt.RobotsData
	why     string // for a synthesised "disallow all": why
	expires time.Time
}

// robotsCache caches robots.txt per origin (scheme://host:port).
type robotsCache struct {
	mu sync.Mutex
	m  map[string]*robotsEntry
}

func (rc *robotsCache) entry(origin string, now time.Time) *robotsEntry {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if e, ok := rc.m[origin]; ok {
		return e
	}
	if len(rc.m) >= robotsCacheSweepAt {
		for k, e := range rc.m {
			select {
			case e.lock <- struct{}{}:
				expired := now.After(e.expires)
				<-e.lock
				if expired {
					delete(rc.m, k)
				}
			default:
			}
		}
	}
	if rc.m == nil {
		rc.m = map[string]*robotsEntry{}
	}
	e := &robotsEntry{lock: make(chan struct{}, 1)}
	rc.m[origin] = e
	return e
}

var (
	robotsAllowAll, _    = robotstxt.FromStatusAndBytes(http.StatusNotFound, nil)
	robotsDisallowAll, _ = robotstxt.FromStatusAndBytes(http.StatusServiceUnavailable, nil)
)

// checkRobots returns nil when robots.txt of u's origin allows our user
// agent to fetch u, and an error wrapping ErrRobots when it does not.
func (c *Client) checkRobots(ctx context.Context, u *url.URL, source string) error {
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	e := c.robots.entry(origin, c.now())
	select {
	case e.lock <- struct{}{}:
	case <-ctx.Done():
		return ctxErr(ctx)
	}
	defer func() { <-e.lock }()
	if e.data == nil || c.now().After(e.expires) {
		data, why, ttl, err := c.fetchRobots(ctx, origin, source)
		if err != nil {
			return err
		}
		e.data, e.why, e.expires = data, why, c.now().Add(ttl)
	}
	if g := e.data.FindGroup(c.cfg.UserAgent); g != nil && g.CrawlDelay > 0 {
		c.hosts.crawlDelay(strings.ToLower(u.Host), g.CrawlDelay)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	if !e.data.TestAgent(path, c.cfg.UserAgent) {
		if e.why != "" {
			return fmt.Errorf("%w: %s (%s)", ErrRobots, u.Redacted(), e.why)
		}
		return fmt.Errorf("%w: %s", ErrRobots, u.Redacted())
	}
	return nil
}

// fetchRobots fetches and parses origin's robots.txt. Following RFC 9309,
// a 4xx means "allow all" and a 429 or 5xx means "disallow all" for
// RobotsErrorTTL. A network error is returned, and not cached.
func (c *Client) fetchRobots(ctx context.Context, origin, source string) (data *robotstxt.RobotsData, why string, ttl time.Duration, err error) {
	u, err := url.Parse(origin + "/robots.txt")
	if err != nil {
		return nil, "", 0, fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	unreachable := func(reason string) (*robotstxt.RobotsData, string, time.Duration, error) {
		why := "robots.txt unreachable (" + reason + "), treated as disallow all"
		c.log.LogAttrs(ctx, slog.LevelWarn, "robots.txt unreachable", slog.String("origin", origin), slog.String("reason", reason))
		return robotsDisallowAll, why, c.cfg.RobotsErrorTTL, nil
	}
	for hops := 0; ; hops++ {
		resp, err := c.exchange(ctx, u, exchangeOptions{source: source, accept: "text/plain"})
		if err != nil {
			// Not cached: the next fetch tries again. RFC 9309 would read an
			// unreachable robots.txt as "disallow all"; returning the
			// network error says the same, keeps it retryable and counts it
			// as what it is.
			return nil, "", 0, fmt.Errorf("robots.txt: %w", err)
		}
		code := resp.StatusCode
		if isRedirect(code) {
			loc := resp.Header.Get("Location")
			discard(resp.Body)
			next, perr := u.Parse(loc)
			if loc == "" || perr != nil || hops >= maxRobotsRedirects || (next.Scheme != "http" && next.Scheme != "https") {
				// RFC 9309: unresolvable redirects make robots.txt unavailable.
				return robotsAllowAll, "", c.cfg.RobotsTTL, nil
			}
			u = next
			continue
		}
		switch {
		case code == http.StatusTooManyRequests || code >= 500:
			discard(resp.Body)
			return unreachable(fmt.Sprintf("HTTP %d", code))
		case code >= 400:
			discard(resp.Body)
			return robotsAllowAll, "", c.cfg.RobotsTTL, nil
		case code < 200 || code >= 300:
			discard(resp.Body)
			return robotsAllowAll, "", c.cfg.RobotsErrorTTL, nil
		}
		r, derr := decodeBody(resp.Body, resp.Header.Get("Content-Encoding"), 8*maxRobotsBytes)
		if derr != nil {
			discard(resp.Body)
			return unreachable(derr.Error())
		}
		body, rerr := io.ReadAll(io.LimitReader(r, maxRobotsBytes))
		resp.Body.Close()
		if rerr != nil {
			return nil, "", 0, fmt.Errorf("robots.txt: %w", rerr)
		}
		data, perr := robotstxt.FromBytes(body)
		if perr != nil {
			// Unparseable rules: nothing applies, as for an empty file.
			c.log.LogAttrs(ctx, slog.LevelWarn, "robots.txt unparseable", slog.String("origin", origin), slog.String("error", perr.Error()))
			return robotsAllowAll, "", c.cfg.RobotsTTL, nil
		}
		return data, "", c.cfg.RobotsTTL, nil
	}
}
