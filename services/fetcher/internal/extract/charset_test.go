package extract

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func TestDecode(t *testing.T) {
	const ru = "Съешь же ещё этих мягких французских булок"
	const pt = "Ação, coração e informação à vista"
	cp1251 := func(s string) []byte { b, _ := charmap.Windows1251.NewEncoder().Bytes([]byte(s)); return b }
	latin1 := func(s string) []byte { b, _ := charmap.ISO8859_1.NewEncoder().Bytes([]byte(s)); return b }
	utf16le := func(s string) []byte {
		b, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		return b
	}
	padding := "<!-- " + strings.Repeat("x", 2000) + " -->" // pushes a meta past the first KiB

	tests := []struct {
		name        string
		page        []byte
		contentType string
		want        string // must appear in the decoded page
		wantName    string
	}{
		{"utf-8 undeclared", []byte("<p>" + ru + "</p>"), "", ru, "utf-8"},
		{"utf-8 undeclared, ascii first KiB", []byte(padding + "<p>" + ru + "</p>"), "", ru, "utf-8"},
		{"utf-8 BOM", append([]byte{0xEF, 0xBB, 0xBF}, "<p>"+ru+"</p>"...), "text/html; charset=windows-1251", ru, "utf-8"},
		{"utf-16 BOM", utf16le("<p>" + ru + "</p>"), "", ru, "utf-16le"},
		{"meta charset", cp1251(`<meta charset="windows-1251"><p>` + ru), "", ru, "windows-1251"},
		{"meta http-equiv", cp1251(`<meta http-equiv="Content-Type" content="text/html; charset=windows-1251"><p>` + ru), "", ru, "windows-1251"},
		{"meta content without http-equiv is ignored", []byte(`<meta content="text/html; charset=windows-1251"><p>` + ru), "", ru, "utf-8"},
		{"meta past the first KiB", cp1251(`<head>` + padding + `<meta charset="windows-1251"></head><p>` + ru), "", ru, "windows-1251"},
		{"header only", latin1("<p>" + pt), "text/html; charset=ISO-8859-1", pt, "windows-1252"},
		{"header beats meta", latin1(`<meta charset="windows-1251"><p>` + pt), "text/html; charset=iso-8859-1", pt, "windows-1252"},
		{"unknown header label falls through to meta", cp1251(`<meta charset="windows-1251"><p>` + ru), "text/html; charset=x-nonsense", ru, "windows-1251"},
		{"misdeclared utf-8 in header", []byte("<p>" + pt), "text/html; charset=iso-8859-1", pt, "utf-8"},
		{"misdeclared utf-8 in meta", []byte(`<meta charset="windows-1251"><p>` + ru), "", ru, "utf-8"},
		{"meta utf-16 means utf-8", []byte(`<meta charset="utf-16"><p>` + ru), "", ru, "utf-8"},
		{"undeclared latin-1 is not utf-8", latin1("<p>" + pt + " " + pt + "</p>"), "", pt, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, name := decode(tt.page, tt.contentType)
			if !utf8.Valid(got) {
				t.Fatalf("decoded page is not valid UTF-8")
			}
			if !bytes.Contains(got, []byte(tt.want)) {
				t.Errorf("decoded page lacks %q: %q", tt.want, got[max(0, len(got)-120):])
			}
			if tt.wantName != "" && name != tt.wantName {
				t.Errorf("encoding = %q, want %q", name, tt.wantName)
			}
		})
	}
}

func TestDecodeInvalidUTF8(t *testing.T) {
	page := []byte("<meta charset=utf-8><p>caf\xe9 ok</p>")
	got, name := decode(page, "")
	if name != "utf-8" || !utf8.Valid(got) || !bytes.Contains(got, []byte("caf\uFFFD ok")) {
		t.Errorf("decode = %q, %q", got, name)
	}
}

func TestTrimPartialRune(t *testing.T) {
	full := []byte("abc é")
	for i := len(full) - 1; i <= len(full); i++ {
		got := trimPartialRune(full[:i])
		if !utf8.Valid(got) {
			t.Errorf("trimPartialRune(%q) = %q, not valid", full[:i], got)
		}
	}
}

func TestCharsetFromContent(t *testing.T) {
	tests := map[string]string{
		"text/html; charset=koi8-r":     "koi8-r",
		"text/html;charset=\"utf-8\"":   "utf-8",
		"text/html; CHARSET = 'cp1251'": "cp1251",
		"text/html":                     "",
		"charset":                       "",
		"charset=\"unterminated":        "",
	}
	for in, want := range tests {
		if got := charsetFromContent(in); got != want {
			t.Errorf("charsetFromContent(%q) = %q, want %q", in, got, want)
		}
	}
}
