// Package textfile reads the newsflow text article format: an optional
// leading "date YYYY-MM-DD", then the text. A short first line standing
// alone above the text is its title; otherwise the first sentence is.
package textfile

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Article is what a text file holds.
type Article struct {
	Title     string
	Body      string
	Published *time.Time // from the date line, midnight UTC
}

// Errors of Parse.
var (
	ErrEmpty   = errors.New("textfile: no text")
	ErrNotText = errors.New("textfile: not UTF-8 text")
)

// MaxTitleRunes bounds a title made from the first sentence.
const MaxTitleRunes = 300

var dateLine = regexp.MustCompile(`(?i)^date[ \t]*:?[ \t]*(\d{4}-\d{2}-\d{2})\b`)

// Parse reads one article. The text must be UTF-8 (a BOM is allowed) and
// contain no NUL bytes.
func Parse(data []byte) (Article, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return Article{}, ErrNotText
	}
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	var a Article
	if m := dateLine.FindStringSubmatchIndex(s); m != nil {
		d, err := time.Parse("2006-01-02", s[m[2]:m[3]])
		if err != nil {
			return Article{}, fmt.Errorf("textfile: date line: %w", err)
		}
		a.Published = &d
		s = s[m[1]:]
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return Article{}, ErrEmpty
	}
	if title, rest, ok := headline(s); ok {
		a.Title, a.Body = title, rest
	} else {
		a.Title, a.Body = FirstSentence(s, MaxTitleRunes), s
	}
	return a, nil
}

// headline splits off a first line that stands alone as a title: followed by
// a blank line, short, and not ending like a sentence.
func headline(s string) (title, rest string, ok bool) {
	first, after, found := strings.Cut(s, "\n")
	if !found || !strings.HasPrefix(after, "\n") && !strings.HasPrefix(strings.TrimLeft(after, " \t"), "\n") {
		return "", "", false
	}
	first = strings.TrimSpace(first)
	rest = strings.TrimSpace(after)
	if rest == "" || utf8.RuneCountInString(first) > MaxTitleRunes || len(strings.Fields(first)) > 25 {
		return "", "", false
	}
	if r, _ := utf8.DecodeLastRuneInString(first); strings.ContainsRune(".,;:", r) {
		return "", "", false
	}
	return first, rest, true
}

// FirstSentence returns the first sentence of s, cut at a word boundary
// to at most max runes (with an ellipsis) when it is longer.
func FirstSentence(s string, max int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	end := len(s)
	for i, r := range s {
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		j := i + utf8.RuneLen(r)
		// Closing quotes stay with the sentence.
		for j < len(s) {
			q, n := utf8.DecodeRuneInString(s[j:])
			if !strings.ContainsRune("\"'”’)", q) {
				break
			}
			j += n
		}
		if j >= len(s) {
			break
		}
		next, _ := utf8.DecodeRuneInString(s[j:])
		if !unicode.IsSpace(next) {
			continue
		}
		k := strings.IndexFunc(s[j:], func(r rune) bool { return !unicode.IsSpace(r) })
		if k < 0 {
			break
		}
		follow, _ := utf8.DecodeRuneInString(s[j+k:])
		if unicode.IsUpper(follow) || unicode.IsDigit(follow) || strings.ContainsRune("\"“‘'", follow) {
			if r == '.' && isAbbrevBefore(s[:i]) {
				continue
			}
			end = j
			break
		}
	}
	out := strings.TrimSpace(s[:end])
	if utf8.RuneCountInString(out) <= max {
		return out
	}
	cut := 0
	n := 0
	for i := range out {
		if n == max-1 {
			cut = i
			break
		}
		n++
	}
	if sp := strings.LastIndexFunc(out[:cut], unicode.IsSpace); sp > 0 {
		cut = sp
	}
	return strings.TrimSpace(out[:cut]) + "…"
}

// isAbbrevBefore reports whether the word before a period is a title or an
// initial ("Mr", "Dr", "J", "U.S").
func isAbbrevBefore(s string) bool {
	i := strings.LastIndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '(' })
	w := s[i+1:]
	if r, n := utf8.DecodeRuneInString(w); n == len(w) && unicode.IsUpper(r) || strings.Contains(w, ".") {
		return true // an initial ("J. Smith") or an abbreviation ("U.S.")
	}
	switch strings.ToLower(w) {
	case "mr", "mrs", "ms", "dr", "prof", "gen", "sen", "rep", "gov", "st", "lt", "col", "capt", "jr", "sr", "no", "vs":
		return true
	}
	return false
}
