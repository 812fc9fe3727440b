package stance

import (
	"unicode"
	"unicode/utf8"

	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// FNV-1a, 64 bits: words and feature names are keyed by the hash of their
// lower-cased form, so the hot path never builds strings.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// wordHash returns the hash of the lower-cased w, with typographic
// apostrophes folded to ASCII ("n’t" and "n't" hash alike).
func wordHash(w string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(w); {
		c := w[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			h = (h ^ uint64(c)) * fnvPrime
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(w[i:])
		i += size
		if r == '’' || r == '‘' {
			h = (h ^ '\'') * fnvPrime
			continue
		}
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], unicode.ToLower(r))
		for _, b := range buf[:n] {
			h = (h ^ uint64(b)) * fnvPrime
		}
	}
	return h
}

// lower returns w as wordHash sees it; used where strings are needed
// (training, model files), never on the hot path.
func lower(w string) string {
	b := make([]rune, 0, len(w))
	for _, r := range w {
		if r == '’' || r == '‘' {
			r = '\''
		}
		b = append(b, unicode.ToLower(r))
	}
	return string(b)
}

var numHash = wordHash("<num>")

// featureWord returns the word a token contributes to lexical features:
// numbers collapse to one word.
func featureWord(tok string) (uint64, string) {
	r, _ := utf8.DecodeRuneInString(tok)
	if unicode.IsDigit(r) {
		return numHash, "<num>"
	}
	return wordHash(tok), ""
}

// Token flags.
const (
	fNegator uint32 = 1 << iota
	fPunct
	fClause   // ends a negation scope and a clause: , ; : ( ) and sentence marks
	fQuote    // a quotation mark
	fReport   // a reporting verb: said, told, according
	fPronoun  // a personal pronoun
	fBut      // but, however, although, yet
	fDet      // a determiner or possessive pronoun
	fAux      // an auxiliary or modal verb
	fBy       // by
	fPoss     // the possessive clitic 's
	fPrep     // a preposition
	fRelative // who, which, that, whose
	fLoss     // a noun of loss or absence ("absence", "arrest"): flips the stance toward its owner
	fAdverb   // an adverb that may sit between a subject and its verb
	fAnd      // and, or, nor, as well as
	fSubord   // a subordinating word that opens a clause: after, because, when
)

// tokInfo is what the analyzer knows about a word.
type tokInfo struct {
	valence float32 // VADER valence, [-4, 4]
	boost   float32 // VADER booster increment
	flags   uint32
	cue     *cue
	noun    int8  // stance noun direction ("support", "criticism")
	role    int8  // relation noun direction ("critic", "ally")
	comp    int8  // complement verb direction ("resign", "stay")
	anaphor uint8 // anaphor class of a pronoun or anaphoric noun
	hasComp bool
}

// Anaphor classes: what a pronoun or "the <noun>" can refer to.
const (
	anaNone    uint8 = iota
	anaPerson                 // he, she, him, her
	anaThing                  // it, its: an organisation or a place
	anaGroup                  // they, them: an organisation, a place, or people
	anaOrg                    // the group, the company
	anaPlace                  // the country
	anaSubject uint8 = 1 << 6 // the pronoun is a subject form
	anaObject  uint8 = 1 << 7 // the pronoun is an object form
)

// tokens is a document prepared for feature extraction: one entry per token.
type tokens struct {
	word  []uint64 // feature word hash
	info  []tokInfo
	toks  []text.Token
	quote []bool // inside a quotation
}

func (a *Analyzer) prepare(toks []text.Token, t *tokens) {
	n := len(toks)
	t.toks = toks
	if cap(t.word) < n {
		t.word = make([]uint64, n)
		t.info = make([]tokInfo, n)
		t.quote = make([]bool, n)
	}
	t.word, t.info, t.quote = t.word[:n], t.info[:n], t.quote[:n]
	inQuote := false
	for i, tok := range toks {
		h := wordHash(tok.Text)
		info := a.words[h]
		r, _ := utf8.DecodeRuneInString(tok.Text)
		switch {
		case unicode.IsDigit(r):
			t.word[i] = numHash
		default:
			t.word[i] = h
		}
		if !isWordRune(r) {
			info.flags |= fPunct
			switch tok.Text {
			case "\"", "“", "”", "«", "»":
				info.flags |= fQuote
			case ",", ";", ":", "(", ")", ".", "!", "?", "—", "–", "--", "-":
				info.flags |= fClause
			}
		}
		if info.flags&fQuote != 0 {
			switch tok.Text {
			case "“", "«":
				inQuote = true
			case "”", "»":
				inQuote = false
			default:
				inQuote = !inQuote
			}
		}
		t.quote[i] = inQuote
		t.info[i] = info
	}
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
}
