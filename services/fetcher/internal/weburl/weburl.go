// Package weburl resolves the links found in feeds and pages.
package weburl

import (
	"net/url"
	"strings"
)

// Resolve returns ref made absolute against base (which may be nil), or ""
// when the result is not an http(s) URL with a host. The fragment is dropped.
func Resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}
