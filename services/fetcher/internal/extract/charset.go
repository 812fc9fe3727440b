package extract

import (
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/gogs/chardet"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// prescanBytes bounds the search for a <meta> charset declaration.
const prescanBytes = 64 << 10

var boms = []struct {
	bom  []byte
	name string
}{
	{[]byte{0xEF, 0xBB, 0xBF}, "utf-8"},
	{[]byte{0xFE, 0xFF}, "utf-16be"},
	{[]byte{0xFF, 0xFE}, "utf-16le"},
}

// decode converts page to UTF-8 and returns the name of the encoding it
// came from. The encoding is, in order: the byte order mark; the charset of
// the Content-Type header; a <meta> declaration in the first 64 KiB; UTF-8
// when the bytes are valid UTF-8; a statistical guess; windows-1252.
// A declared single-byte or legacy encoding is overridden by UTF-8 when the
// page is valid UTF-8 with multi-byte sequences: misdeclared UTF-8 is far
// more common than legacy text that happens to be valid UTF-8.
func decode(page []byte, contentType string) ([]byte, string) {
	for _, b := range boms {
		if bytes.HasPrefix(page, b.bom) {
			if b.name == "utf-8" {
				return sanitizeUTF8(page[len(b.bom):]), "utf-8"
			}
			enc, name := charset.Lookup(b.name)
			return transform(enc, page[len(b.bom):]), name
		}
	}

	enc, name := declared(page, contentType)
	if enc != nil && name != "utf-8" && isMultiByteUTF8(page) {
		enc, name = nil, ""
	}
	if enc == nil {
		if utf8.Valid(trimPartialRune(page)) {
			return sanitizeUTF8(page), "utf-8"
		}
		enc, name = guess(page)
	}
	if name == "utf-8" {
		return sanitizeUTF8(page), name
	}
	return transform(enc, page), name
}

// declared returns the encoding named by the Content-Type header or, failing
// that, by a <meta> element; nil when neither names a known encoding.
func declared(page []byte, contentType string) (encoding.Encoding, string) {
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if enc, name := charset.Lookup(params["charset"]); enc != nil {
			return enc, name
		}
	}
	return prescan(page[:min(len(page), prescanBytes)])
}

// prescan looks for <meta charset> or <meta http-equiv=content-type> before
// <body>, following the rules of the HTML standard's prescan.
func prescan(head []byte) (encoding.Encoding, string) {
	z := html.NewTokenizer(bytes.NewReader(head))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return nil, ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tag, hasAttr := z.TagName()
			if string(tag) == "body" {
				return nil, ""
			}
			if string(tag) != "meta" {
				continue
			}
			var label string
			var pragma, fromContent bool
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch strings.ToLower(string(k)) {
				case "charset":
					label, fromContent = string(v), false
				case "http-equiv":
					pragma = strings.EqualFold(string(v), "content-type")
				case "content":
					if label == "" {
						label, fromContent = charsetFromContent(string(v)), true
					}
				}
			}
			if label == "" || fromContent && !pragma {
				continue
			}
			enc, name := charset.Lookup(label)
			if enc == nil {
				continue
			}
			if strings.HasPrefix(name, "utf-16") {
				return encoding.Nop, "utf-8"
			}
			return enc, name
		}
	}
}

// charsetFromContent returns the charset parameter of a meta content value
// such as "text/html; charset=koi8-r".
func charsetFromContent(s string) string {
	i := strings.Index(strings.ToLower(s), "charset")
	if i < 0 {
		return ""
	}
	s = strings.TrimLeft(s[i+len("charset"):], " \t\n\f\r")
	if !strings.HasPrefix(s, "=") {
		return ""
	}
	s = strings.TrimLeft(s[1:], " \t\n\f\r")
	if s == "" {
		return ""
	}
	if q := s[0]; q == '"' || q == '\'' {
		if j := strings.IndexByte(s[1:], q); j >= 0 {
			return s[1 : j+1]
		}
		return ""
	}
	if j := strings.IndexAny(s, "; \t\n\f\r"); j >= 0 {
		s = s[:j]
	}
	return s
}

// guess names the likely encoding of undeclared, non-UTF-8 bytes.
func guess(page []byte) (encoding.Encoding, string) {
	sample := page[:min(len(page), prescanBytes)]
	if r, err := chardet.NewHtmlDetector().DetectBest(sample); err == nil && r.Confidence >= 30 {
		if enc, name := charset.Lookup(r.Charset); enc != nil && name != "utf-8" {
			return enc, name
		}
	}
	return charmap.Windows1252, "windows-1252"
}

// isMultiByteUTF8 reports whether page is valid UTF-8 and holds at least one
// multi-byte sequence.
func isMultiByteUTF8(page []byte) bool {
	p := trimPartialRune(page)
	for _, c := range p {
		if c >= utf8.RuneSelf {
			return utf8.Valid(p)
		}
	}
	return false
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of p, which a
// size cut may leave.
func trimPartialRune(p []byte) []byte {
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				return p[:i]
			}
			break
		}
	}
	return p
}

func transform(enc encoding.Encoding, p []byte) []byte {
	out, err := enc.NewDecoder().Bytes(p)
	if err != nil {
		return sanitizeUTF8(p)
	}
	return out
}

// sanitizeUTF8 replaces invalid sequences with U+FFFD.
func sanitizeUTF8(p []byte) []byte {
	if utf8.Valid(p) {
		return p
	}
	return bytes.ToValidUTF8(p, []byte("\uFFFD"))
}
