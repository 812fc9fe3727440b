package events

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"unicode"
)

// ErrURL reports a URL that cannot identify an article.
var ErrURL = errors.New("events: unusable article URL")

// trackingParams are query parameters that say how a reader arrived, not
// which article they read.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "gclsrc": true, "msclkid": true,
	"mc_cid": true, "mc_eid": true, "igshid": true, "yclid": true, "_ga": true,
	"_gl": true, "ocid": true, "cmpid": true, "smid": true, "smtyp": true,
	"ns_mchannel": true, "ns_source": true, "ns_campaign": true, "ns_linkname": true,
	"ns_fee": true, "at_medium": true, "at_campaign": true, "ito": true,
	"__twitter_impression": true, "guccounter": true, "guce_referrer": true,
	"guce_referrer_sig": true, "s_cid": true, "wt.mc_id": true,
}

func isTracking(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "utm_") || trackingParams[n]
}

// CanonicalURL normalises an article URL so that the links a feed, a page
// and a share button give for one article agree: scheme and host lower
// case, default port, user info, fragment and tracking parameters (utm_*,
// fbclid, ...) removed, remaining parameters sorted, percent escapes
// normalised (RFC 3986 section 6.2.2), dot segments resolved. Only http and
// https URLs with a host are accepted; the result is its own canonical form.
func CanonicalURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrURL, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%w: scheme %q is not http or https", ErrURL, u.Scheme)
	}
	host := strings.TrimRight(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return "", fmt.Errorf("%w: no host in %q", ErrURL, clip(raw))
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	p := normalizeEscapes(u.EscapedPath())
	if p == "" {
		p = "/"
	} else {
		trailing := strings.HasSuffix(p, "/")
		p = path.Clean(p)
		if trailing && p != "/" {
			p += "/"
		}
	}
	if err := setEscapedPath(u, p); err != nil {
		return "", fmt.Errorf("%w: %v", ErrURL, err)
	}
	u.RawQuery = canonicalQuery(u.RawQuery)
	u.ForceQuery = false
	return u.String(), nil
}

// canonicalQuery drops tracking parameters and empty pairs from a raw query
// and sorts the remaining pairs. Pairs are kept as written (after escape
// normalisation), never decoded and re-encoded, so parameters that
// url.ParseQuery refuses (a ';' in a pair, a malformed escape) still tell
// articles apart.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var pairs []string
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		pair = normalizeEscapes(pair)
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if isTracking(key) {
			continue
		}
		pairs = append(pairs, pair)
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}

// normalizeEscapes applies the percent-encoding normalisations of RFC 3986
// section 6.2.2 to a path or query: escapes of unreserved characters are
// decoded, the other escapes get upper-case hex digits, and bytes that may
// not appear unescaped (white space, controls, non-ASCII, a '%' that starts
// no escape) are escaped, so the result is a fixed point.
func normalizeEscapes(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || !allowedInQuery(s[i]) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			if allowedInQuery(c) {
				b.WriteByte(c)
			} else {
				b.WriteByte('%')
				b.WriteByte(upperHex[c>>4])
				b.WriteByte(upperHex[c&15])
			}
			continue
		}
		if i+2 >= len(s) || !ishex(s[i+1]) || !ishex(s[i+2]) {
			b.WriteString("%25")
			continue
		}
		v := unhex(s[i+1])<<4 | unhex(s[i+2])
		if unreserved(v) {
			b.WriteByte(v)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex[v>>4])
			b.WriteByte(upperHex[v&15])
		}
		i += 2
	}
	return b.String()
}

const upperHex = "0123456789ABCDEF"

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// allowedInQuery reports whether c may appear unescaped in a path or query
// (RFC 3986: unreserved, sub-delims, ':', '@', '/', '?').
func allowedInQuery(c byte) bool {
	return unreserved(c) || strings.IndexByte("!$&'()*+,;=:@/?", c) >= 0
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func setEscapedPath(u *url.URL, p string) error {
	unescaped, err := url.PathUnescape(p)
	if err != nil {
		return err
	}
	u.Path = unescaped
	u.RawPath = ""
	if u.EscapedPath() != p {
		u.RawPath = p
	}
	return nil
}

// ArticleIDFromURL is the article ID of a web article: a hash of its
// canonical URL, so every replica and every run agrees on it.
func ArticleIDFromURL(raw string) (string, error) {
	c, err := CanonicalURL(raw)
	if err != nil {
		return "", err
	}
	return hashID("url", c), nil
}

// ArticleIDFromContent is the article ID of text without a URL: a hash of
// its normalised body, so the same text twice is one article.
func ArticleIDFromContent(body string) string {
	return hashID("content", NormalizeText(body))
}

// ContentHash is the hex SHA-256 of the normalised body.
func ContentHash(body string) string {
	sum := sha256.Sum256([]byte(NormalizeText(body)))
	return hex.EncodeToString(sum[:])
}

func hashID(domain, s string) string {
	h := sha256.New()
	h.Write([]byte(domain))
	h.Write([]byte{0})
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// NormalizeText collapses every run of white space to one space and trims
// the ends, so that re-wrapped copies of a text hash alike.
func NormalizeText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// IsArticleID reports whether s has the form of an article ID: 32 lower-case
// hex digits.
func IsArticleID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// EnrichedMsgID is the Nats-Msg-Id of an enriched event.
func EnrichedMsgID(articleID, enricherVersion string) string {
	return articleID + ":" + enricherVersion
}

// MentionMsgID is the Nats-Msg-Id of a mention event.
func MentionMsgID(articleID, enricherVersion, entityKey string) string {
	return articleID + ":" + enricherVersion + ":" + entityKey
}
