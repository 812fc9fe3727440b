package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfterSeconds bounds a parsed delay so that it cannot overflow a
// time.Duration; callers cap it much lower anyway.
const maxRetryAfterSeconds = 366 * 24 * 3600

// ParseRetryAfter parses a Retry-After header value, either delay-seconds
// ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"), into the delay
// from now. A date in the past gives 0. ok is false when the value is empty
// or malformed. Delays are capped at one year.
func ParseRetryAfter(value string, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return 0, false
			}
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n > maxRetryAfterSeconds {
			// All digits but too big for uint64, or beyond the cap.
			return maxRetryAfterSeconds * time.Second, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d = t.Sub(now)
	switch {
	case d < 0:
		return 0, true
	case d > maxRetryAfterSeconds*time.Second:
		return maxRetryAfterSeconds * time.Second, true
	}
	return d, true
}
