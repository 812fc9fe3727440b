// Package shingle cuts text into word tokens and overlapping runs of
// tokens (shingles), the unit in which extracted texts are compared.
package shingle

import (
	"strings"
	"unicode"
)

// Size is the number of consecutive tokens in one shingle.
const Size = 4

// Tokens returns the word tokens of text in order: the maximal runs of
// [\p{L}\p{N}_], the close equivalent of Python's Unicode \w+. Case is kept;
// everything else separates tokens.
func Tokens(text string) []string {
	var out []string
	start := -1
	for i, r := range text {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, text[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, text[start:])
	}
	return out
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// Of returns the multiset of Size-token windows of text, keyed by
// the space-joined tokens. A text with fewer tokens than Size yields a
// single shorter shingle; a text without tokens yields none.
func Of(text string) map[string]int {
	tokens := Tokens(text)
	out := make(map[string]int)
	n := max(1, len(tokens)-Size+1)
	for i := range n {
		s := strings.Join(tokens[i:min(i+Size, len(tokens))], " ")
		if s != "" {
			out[s]++
		}
	}
	return out
}
