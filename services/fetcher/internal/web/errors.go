package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinel errors returned (wrapped) by [Client.Fetch] and [Client.Open].
var (
	// ErrRefused: the SSRF guard refused the address the URL resolved to;
	// no connection was attempted.
	ErrRefused = errors.New("web: address refused by SSRF guard")
	// ErrRobots: robots.txt of the host disallows the URL for our user agent.
	ErrRobots = errors.New("web: disallowed by robots.txt")
	// ErrTooLarge: the body, compressed or decompressed, exceeds the size cap.
	ErrTooLarge = errors.New("web: body too large")
	// ErrTooManyRedirects: more redirects than Config.MaxRedirects.
	ErrTooManyRedirects = errors.New("web: too many redirects")
	// ErrRedirectLoop: a redirect led back to a URL already visited.
	ErrRedirectLoop = errors.New("web: redirect loop")
	// ErrStatus: the final answer was not 2xx; the error is a *StatusError.
	ErrStatus = errors.New("web: unexpected HTTP status")
	// ErrNotModified: a conditional GET was answered 304 Not Modified; there
	// is nothing new to process.
	ErrNotModified = errors.New("web: not modified")
	// ErrTimeout: a connect, TLS, response header, idle read or total
	// timeout expired.
	ErrTimeout = errors.New("web: timeout")
	// ErrCoolingDown: the host asked us to back off (429/5xx, Retry-After)
	// for longer than Config.MaxRetryAfter; try again later.
	ErrCoolingDown = errors.New("web: host is cooling down")
	// ErrBadURL: the URL is not an absolute http or https URL.
	ErrBadURL = errors.New("web: bad URL")
	// ErrEncoding: the response uses a Content-Encoding we do not decode.
	ErrEncoding = errors.New("web: unsupported content encoding")
)

// StatusError reports a final non-2xx answer. errors.Is(err, ErrStatus)
// holds for it.
type StatusError struct {
	Code int
	// RetryAfter is the server's Retry-After, zero when absent.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("web: HTTP %d %s (retry after %s)", e.Code, http.StatusText(e.Code), e.RetryAfter)
	}
	return fmt.Sprintf("web: HTTP %d %s", e.Code, http.StatusText(e.Code))
}

// Is makes errors.Is(err, ErrStatus) true for every StatusError.
func (e *StatusError) Is(target error) bool { return target == ErrStatus }

// Reason returns a short, bounded label for err, suitable as a metric label:
// "ok" for nil, then "refused", "robots", "too_large", "redirects",
// "not_modified", "timeout", "cooling_down", "bad_url", "encoding",
// "status_4xx", "status_5xx", "canceled" or "network".
func Reason(err error) string {
	var se *StatusError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrRefused):
		return "refused"
	case errors.Is(err, ErrRobots):
		return "robots"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrTooManyRedirects), errors.Is(err, ErrRedirectLoop):
		return "redirects"
	case errors.Is(err, ErrNotModified):
		return "not_modified"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrCoolingDown):
		return "cooling_down"
	case errors.Is(err, ErrBadURL):
		return "bad_url"
	case errors.Is(err, ErrEncoding):
		return "encoding"
	case errors.As(err, &se):
		return "status_" + statusClass(se.Code)
	case errors.Is(err, context.Canceled):
		return "canceled"
	default:
		return "network"
	}
}

// Retryable reports whether fetching the same URL later may succeed: true
// for timeouts, cool-downs, 408, 429, 5xx and network errors; false for
// refusals, robots, size, redirect, URL, encoding errors, other statuses and
// ErrNotModified.
func Retryable(err error) bool {
	var se *StatusError
	switch {
	case err == nil:
		return false
	case errors.As(err, &se):
		return se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests || se.Code >= 500
	}
	switch Reason(err) {
	case "timeout", "cooling_down", "network":
		return true
	}
	return false
}

// statusClass returns "2xx" ... "5xx" for an HTTP status code.
func statusClass(code int) string {
	switch {
	case code >= 200 && code < 300:
		return "2xx"
	case code >= 300 && code < 400:
		return "3xx"
	case code >= 400 && code < 500:
		return "4xx"
	case code >= 500 && code < 600:
		return "5xx"
	}
	return "other"
}
