package web

import (
	"errors"
	"fmt"
	"time"
)

// DefaultUserAgent is the User-Agent sent when Config.UserAgent is empty.
const DefaultUserAgent = "newsflow/dev (+https://github.com/newsflow/newsflow)"

// Config configures a [Client]. The zero value of every field selects the
// documented default; [Config.Validate] (called by [New]) rejects values
// that make no sense, naming the field.
type Config struct {
	// UserAgent is sent with every request and matched against robots.txt
	// groups by its product token (the part before "/").
	// Default DefaultUserAgent; set "newsflow/<version> (+<url>)".
	UserAgent string
	// AllowHosts lists host names, IP addresses and CIDR ranges the SSRF
	// guard lets through although they are private, loopback, link-local,
	// CGNAT or metadata addresses. A host name is allowed whatever it
	// resolves to. Default: none.
	AllowHosts []string

	// ConnectTimeout bounds each TCP connect. Default 5s.
	ConnectTimeout time.Duration
	// TLSHandshakeTimeout bounds each TLS handshake. Default 5s.
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for response headers after the
	// request is written. Default 15s.
	ResponseHeaderTimeout time.Duration
	// IdleReadTimeout bounds the wait for the next bytes of a body. Default 15s.
	IdleReadTimeout time.Duration
	// Timeout bounds a whole Fetch or Open: robots.txt, redirects, retries,
	// waits for the host and reading the body. Default 60s.
	Timeout time.Duration

	// MaxBodyBytes caps a body both as received and after decompression;
	// more is ErrTooLarge. Default 16 MiB.
	MaxBodyBytes int64
	// MaxRedirects is how many redirects a fetch follows. Default 5; a
	// negative value follows none.
	MaxRedirects int

	// PerHostRate is the sustained request rate per host, in requests per
	// second. Default 1; a negative value means no limit. A robots.txt
	// Crawl-delay lowers it for that host.
	PerHostRate float64
	// PerHostBurst is how many requests may go to a host at once after it
	// has been idle. Default 1.
	PerHostBurst int
	// PerHostConcurrency caps requests in flight per host. Default 2.
	PerHostConcurrency int

	// MaxRetries is how many times a 408, 429 or 5xx answer is retried
	// within one fetch. Default 2; a negative value retries never.
	MaxRetries int
	// RetryBaseDelay is the first backoff delay when the server sends no
	// Retry-After; it doubles with each retry, with jitter. Default 1s.
	RetryBaseDelay time.Duration
	// MaxRetryAfter is the longest wait a fetch accepts, for a Retry-After
	// or a host cool-down; a longer one fails with ErrCoolingDown (the host
	// stays cooling down for other requests). Default 30s.
	MaxRetryAfter time.Duration
	// MaxCoolDown caps how long one answer can put a host in cool-down,
	// whatever its Retry-After says. Default 1h.
	MaxCoolDown time.Duration

	// RobotsTTL is how long a host's robots.txt is cached. Default 1h.
	RobotsTTL time.Duration
	// RobotsErrorTTL is how long a robots.txt that could not be fetched
	// (network error or 5xx, read as "disallow all") is cached. Default 5m.
	RobotsErrorTTL time.Duration
	// IgnoreRobots skips robots.txt. Default false: robots.txt is honoured.
	IgnoreRobots bool
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	setDur(&c.ConnectTimeout, 5*time.Second)
	setDur(&c.TLSHandshakeTimeout, 5*time.Second)
	setDur(&c.ResponseHeaderTimeout, 15*time.Second)
	setDur(&c.IdleReadTimeout, 15*time.Second)
	setDur(&c.Timeout, 60*time.Second)
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 16 << 20
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = 5
	} else if c.MaxRedirects < 0 {
		c.MaxRedirects = 0
	}
	if c.PerHostRate == 0 {
		c.PerHostRate = 1
	}
	if c.PerHostBurst == 0 {
		c.PerHostBurst = 1
	}
	if c.PerHostConcurrency == 0 {
		c.PerHostConcurrency = 2
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 2
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	setDur(&c.RetryBaseDelay, time.Second)
	setDur(&c.MaxRetryAfter, 30*time.Second)
	setDur(&c.MaxCoolDown, time.Hour)
	setDur(&c.RobotsTTL, time.Hour)
	setDur(&c.RobotsErrorTTL, 5*time.Minute)
	return c
}

// Validate reports the first field with an impossible value, after defaults
// are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"ConnectTimeout", c.ConnectTimeout}, {"TLSHandshakeTimeout", c.TLSHandshakeTimeout},
		{"ResponseHeaderTimeout", c.ResponseHeaderTimeout}, {"IdleReadTimeout", c.IdleReadTimeout},
		{"Timeout", c.Timeout}, {"RetryBaseDelay", c.RetryBaseDelay}, {"MaxRetryAfter", c.MaxRetryAfter},
		{"MaxCoolDown", c.MaxCoolDown}, {"RobotsTTL", c.RobotsTTL}, {"RobotsErrorTTL", c.RobotsErrorTTL},
	} {
		if f.d < 0 {
			errs = append(errs, fmt.Errorf("web config: %s must not be negative, got %s", f.name, f.d))
		}
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("web config: MaxBodyBytes must not be negative, got %d", c.MaxBodyBytes))
	}
	if c.PerHostBurst < 0 {
		errs = append(errs, fmt.Errorf("web config: PerHostBurst must not be negative, got %d", c.PerHostBurst))
	}
	if c.PerHostConcurrency < 0 {
		errs = append(errs, fmt.Errorf("web config: PerHostConcurrency must not be negative, got %d", c.PerHostConcurrency))
	}
	if _, err := newGuard(c.AllowHosts); err != nil {
		errs = append(errs, fmt.Errorf("web config: %w", err))
	}
	return errors.Join(errs...)
}
