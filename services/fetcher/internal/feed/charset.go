package feed

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

var (
	// xmlDecl matches an XML declaration at the start of a document.
	xmlDecl = regexp.MustCompile(`^\s*<\?xml\b[^>]*?\?>`)
	// declEncoding finds the encoding pseudo-attribute in an XML declaration.
	declEncoding = regexp.MustCompile(`\bencoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']`)
)

// toUTF8 returns an XML or JSON document as UTF-8, with the encoding of
// its XML declaration removed so that XML parsers do not decode it twice.
//
// The encoding is taken from, in order: a byte order mark, the XML
// declaration, the Content-Type charset, else UTF-8. The declaration is
// preferred to the header because servers often add a default
// "charset=utf-8" to documents that declare their real encoding. A document
// said to be UTF-8 that is not valid UTF-8 is read as the header's charset
// when that differs, else as windows-1252, the usual culprit.
func toUTF8(body []byte, contentType string) ([]byte, error) {
	switch {
	case bytes.HasPrefix(body, bomUTF8):
		return stripDeclEncoding(bytes.ToValidUTF8(body[len(bomUTF8):], []byte("\uFFFD"))), nil
	case bytes.HasPrefix(body, bomUTF16BE), bytes.HasPrefix(body, bomUTF16LE):
		out, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder().Bytes(body)
		if err != nil {
			return nil, fmt.Errorf("feed: decoding UTF-16: %w", err)
		}
		return stripDeclEncoding(out), nil
	}
	var headerLabel string
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		headerLabel = params["charset"]
	}
	label := headerLabel
	if m := xmlDecl.Find(body); m != nil {
		if e := declEncoding.FindSubmatch(m); e != nil {
			label = string(e[1])
		}
	}
	enc, name, err := lookupEncoding(label)
	if err != nil {
		return nil, err
	}
	if name == "utf-8" {
		if utf8.Valid(body) {
			return stripDeclEncoding(body), nil
		}
		enc = charmap.Windows1252
		if henc, hname, err := lookupEncoding(headerLabel); err == nil && hname != "utf-8" {
			enc = henc
		}
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, fmt.Errorf("feed: decoding %s: %w", name, err)
	}
	return stripDeclEncoding(bytes.ToValidUTF8(out, []byte("\uFFFD"))), nil
}

// lookupEncoding finds the encoding for a charset label ("" is UTF-8) and
// its canonical name.
func lookupEncoding(label string) (encoding.Encoding, string, error) {
	label = strings.TrimSpace(label)
	if label == "" {
		return unicode.UTF8, "utf-8", nil
	}
	enc, name := charset.Lookup(label)
	if enc == nil {
		return nil, "", fmt.Errorf("feed: unknown charset %q", label)
	}
	return enc, name, nil
}

// stripDeclEncoding removes the encoding pseudo-attribute from a leading
// XML declaration.
func stripDeclEncoding(b []byte) []byte {
	loc := xmlDecl.FindIndex(b)
	if loc == nil {
		return b
	}
	decl := declEncoding.ReplaceAll(b[loc[0]:loc[1]], nil)
	out := make([]byte, 0, len(b))
	out = append(out, decl...)
	return append(out, b[loc[1]:]...)
}
