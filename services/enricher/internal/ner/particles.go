package ner

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// nameParticles are the lower-case words inside personal names: "Osama bin
// Laden", "Ursula von der Leyen", "Luiz Inácio Lula da Silva". A tagger
// that learned names from capitalisation stops at them and cuts the name in
// two ("Osama" a person, "Laden" something else). In CoNLL-2003's train and
// valid splits a person followed by one of these and a capitalised word is
// always a single name.
var nameParticles = map[string]bool{
	"bin": true, "ibn": true, "bint": true, "al": true, "el": true,
	"de": true, "del": true, "della": true, "dei": true, "di": true, "da": true,
	"dos": true, "das": true, "du": true, "des": true, "la": true, "le": true,
	"van": true, "von": true, "der": true, "den": true, "ter": true, "ten": true, "zu": true,
}

// maxParticles bounds the particles between two parts of a name ("van der").
const maxParticles = 3

// mergeParticles joins a person span, the name particles after it and the
// capitalised name that follows into one person, for the spans of one
// sentence, spans[from:], whose tokens end at limit. The name that follows is
// the next span if it starts right after the particles, otherwise one
// capitalised untagged word there.
func mergeParticles(d *text.Document, spans []Span, from, limit int) []Span {
	out := from
	for i := from; i < len(spans); i++ {
		s := spans[i]
		for s.Type == events.TypePerson {
			j := s.Limit
			for j < limit && j-s.Limit < maxParticles && nameParticles[d.Tokens[j].Text] {
				j++
			}
			if j == s.Limit || j >= limit || !nameWord(d.Tokens[j].Text) {
				break
			}
			if next := i + 1; next < len(spans) && spans[next].First == j {
				// A name of several words after the particles keeps its
				// type: in "Charles de Gaulle Airport" the head is the
				// airport. One word is the rest of the person's name.
				if spans[next].Limit-spans[next].First > 1 {
					s.Type = spans[next].Type
				}
				s.Limit = spans[next].Limit
				i++
				continue
			}
			if i+1 < len(spans) && spans[i+1].First < j {
				break // a span inside the particles: leave it
			}
			// One untagged word ends the name ("bin Laden"); a longer run
			// of them ("de Gaulle Airport") is likely a name of its own.
			k := j + 1
			if k < limit && (nameWord(d.Tokens[k].Text) || i+1 < len(spans) && spans[i+1].First == k) {
				break
			}
			s.Limit = k
		}
		spans[out] = s
		out++
	}
	return spans[:out]
}

// nameWord reports whether w starts with an upper-case letter and is not
// is not all upper case beyond one letter: an acronym such as "UN" rarely
// ends a personal name.
func nameWord(w string) bool {
	r, n := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(r) {
		return false
	}
	rest := w[n:]
	return rest == "" || strings.ContainsFunc(rest, unicode.IsLower)
}
