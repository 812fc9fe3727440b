package gazetteer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// isPrefix marks phrase-table entries that begin a longer phrase.
const isPrefix Class = 1 << 31

// Normalize folds a phrase for comparison: lower case, common Latin
// diacritics removed, periods dropped ("U.S." -> "us"), curly apostrophes
// made straight, and hyphens, commas, other punctuation and white space
// turned into single spaces ("al-Qaeda" -> "al qaeda", "Washington, D.C." ->
// "washington dc").
func Normalize(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	pending := false
	forEachRune(p, func(r rune, sep bool) {
		if sep {
			pending = b.Len() > 0
			return
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteRune(r)
	})
	return b.String()
}

// PhraseHash returns the hash of Normalize(p) and its number of words. Equal
// normalised phrases have equal hashes whether hashed whole or word by word
// (see Matcher).
func PhraseHash(p string) (uint64, int) {
	var h hasher
	forEachWord(p, h.word)
	return h.h, h.words
}

// forEachWord calls f with each space-separated chunk of p; chunks may
// contain further separators (hyphens), which the hasher handles.
func forEachWord(p string, f func(string)) {
	for w := range strings.FieldsSeq(p) {
		f(w)
	}
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// hasher is FNV-1a over the normalised bytes of a phrase fed word by word.
type hasher struct {
	h       uint64
	words   int
	bytes   int
	pending bool
}

func (s *hasher) byte(c byte) {
	if s.bytes == 0 {
		s.h = fnvOffset
		s.words = 1
	}
	if s.pending {
		s.h ^= ' '
		s.h *= fnvPrime
		s.pending = false
		s.words++
	}
	s.h ^= uint64(c)
	s.h *= fnvPrime
	s.bytes++
}

// word feeds one token; it is separated from the previous one.
func (s *hasher) word(w string) {
	s.pending = s.bytes > 0
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '\'', c == '&':
				s.byte(c)
			case 'A' <= c && c <= 'Z':
				s.byte(c + 'a' - 'A')
			case c == '.':
			default:
				s.pending = s.bytes > 0
			}
			continue
		}
		// Slow path for the rest of a word with non-ASCII runes.
		forEachRune(w[i:], func(r rune, sep bool) {
			if sep {
				s.pending = s.bytes > 0
				return
			}
			var buf [utf8.UTFMax]byte
			n := utf8.EncodeRune(buf[:], r)
			for _, c := range buf[:n] {
				s.byte(c)
			}
		})
		return
	}
}

// forEachRune calls f with each normalised rune of p, or with sep=true
// where p has a word separator.
func forEachRune(p string, f func(r rune, sep bool)) {
	for _, r := range p {
		switch {
		case r == '.':
		case r == '\'' || r == '’' || r == '‘':
			f('\'', false)
		case r == '&':
			f(r, false)
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				f(r+'a'-'A', false)
			} else if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
				f(r, false)
			} else {
				f(0, true)
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			f(fold(unicode.ToLower(r)), false)
		case unicode.Is(unicode.Mn, r):
			// combining marks: dropped
		default:
			f(0, true)
		}
	}
}

// fold removes the diacritics of Latin-1 and Latin Extended-A letters.
func fold(r rune) rune {
	switch {
	case r >= 0xC0 && r < 0x100:
		if c := latin1[r-0xC0]; c != '_' {
			return rune(c)
		}
	case r >= 0x100 && r < 0x180:
		return rune(latinExtA[r-0x100])
	}
	return r
}

const latin1 = "aaaaaaaceeeeiiiidnooooo_ouuuuyts" + "aaaaaaaceeeeiiiidnooooo_ouuuuyty"

var latinExtA = strings.Repeat("a", 6) + strings.Repeat("c", 8) + strings.Repeat("d", 4) +
	strings.Repeat("e", 10) + strings.Repeat("g", 8) + strings.Repeat("h", 4) + strings.Repeat("i", 12) +
	strings.Repeat("j", 2) + strings.Repeat("k", 3) + strings.Repeat("l", 10) + strings.Repeat("n", 9) +
	strings.Repeat("o", 8) + strings.Repeat("r", 6) + strings.Repeat("s", 8) + strings.Repeat("t", 6) +
	strings.Repeat("u", 12) + strings.Repeat("w", 2) + strings.Repeat("y", 3) + strings.Repeat("z", 6) + "s"

// Matcher finds gazetteer phrases in a sequence of words (tokens).
// A Matcher is cheap; make one per use.
type Matcher struct {
	g     *Gazetteer
	words []string
}

// Matcher returns a matcher over words.
func (g *Gazetteer) Matcher(words []string) Matcher { return Matcher{g: g, words: words} }

// Longest returns the length in words and the classes of the longest phrase
// starting at word i, or 0 and 0 when no phrase starts there.
func (m Matcher) Longest(i int) (n int, c Class) {
	_, n, c = m.Scan(i)
	return n, c
}

// Scan returns the classes of word i alone, and the length and classes of
// the longest phrase starting at word i (as Longest).
func (m Matcher) Scan(i int) (single Class, n int, c Class) {
	var h hasher
	for j := i; j < len(m.words) && j-i < m.g.maxWords+2; j++ {
		before := h.bytes
		h.word(m.words[j])
		if h.bytes == before {
			if j == i {
				return 0, 0, 0
			}
			continue // punctuation inside a phrase: "Washington , D.C."
		}
		v, ok := m.g.phrases[h.h]
		if j == i {
			single = v &^ isPrefix
		}
		if !ok {
			break
		}
		if cl := v &^ isPrefix; cl != 0 {
			n, c = j-i+1, cl
		}
		if v&isPrefix == 0 {
			break
		}
	}
	return single, n, c
}
