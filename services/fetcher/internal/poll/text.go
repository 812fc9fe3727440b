package poll

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxFeedTextBytes bounds the feed content turned into text.
const maxFeedTextBytes = 8 << 20

// feedText turns the HTML (or plain text) of a feed item's content or
// summary into plain text: paragraphs separated by "\n\n", white space
// collapsed within them, scripts and styles dropped, entities decoded.
func feedText(s string) string {
	if len(s) > maxFeedTextBytes {
		s = s[:maxFeedTextBytes]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var paras []string
	var cur strings.Builder
	flush := func() {
		if p := strings.TrimSpace(cur.String()); p != "" {
			paras = append(paras, p)
		}
		cur.Reset()
	}
	space := func() {
		if cur.Len() > 0 {
			if r, _ := utf8.DecodeLastRuneInString(cur.String()); r != ' ' {
				cur.WriteByte(' ')
			}
		}
	}
	write := func(t string) {
		fields := strings.Fields(t)
		for i, f := range fields {
			if i > 0 {
				space()
			}
			cur.WriteString(f)
		}
		if t != "" && (len(fields) == 0 || unicode.IsSpace(lastRune(t))) {
			space()
		}
	}
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0   // inside script, style, ...
	br := false // the last thing seen was a <br>
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			flush()
			return strings.Join(paras, "\n\n")
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			if strings.TrimSpace(t) != "" {
				br = false
			}
			if len(t) > 0 && unicode.IsSpace(firstRune(t)) {
				space()
			}
			write(t)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case skipped(a):
				if tt == html.StartTagToken {
					skip++
				}
			case a == atom.Br:
				// Two line breaks in a row end a paragraph; one is a space.
				if br {
					flush()
					br = false
				} else {
					br = true
					space()
				}
			case block(a):
				br = false
				flush()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case skipped(a):
				if skip > 0 {
					skip--
				}
			case block(a):
				br = false
				flush()
			}
		}
	}
}

func firstRune(s string) rune { r, _ := utf8.DecodeRuneInString(s); return r }
func lastRune(s string) rune  { r, _ := utf8.DecodeLastRuneInString(s); return r }

// skipped elements hold no readable text.
func skipped(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Iframe, atom.Svg, atom.Object, atom.Head, atom.Title:
		return true
	}
	return false
}

// block elements start and end paragraphs.
func block(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Li, atom.Ul, atom.Ol, atom.Blockquote, atom.H1, atom.H2, atom.H3,
		atom.H4, atom.H5, atom.H6, atom.Pre, atom.Table, atom.Tr, atom.Section, atom.Article,
		atom.Header, atom.Footer, atom.Figure, atom.Figcaption, atom.Dl, atom.Dt, atom.Dd, atom.Hr, atom.Body, atom.Html:
		return true
	}
	return false
}

// wordCount counts the white-space separated words of s.
func wordCount(s string) int { return len(strings.Fields(s)) }
