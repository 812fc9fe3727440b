// Package text cuts an article into sentences and tokens, keeping the
// offsets of each in the original text.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token is a word, number or punctuation mark.
type Token struct {
	Text       string
	Start, End int // byte offsets into Document.Text, End exclusive
}

// Sentence is a run of tokens.
type Sentence struct {
	Start, End int // byte offsets into Document.Text
	// First and Last+1 index Document.Tokens.
	First, Limit int
}

// Document is an analysed text.
type Document struct {
	Text      string
	Tokens    []Token
	Sentences []Sentence
}

// SentenceTokens returns the tokens of sentence i.
func (d *Document) SentenceTokens(i int) []Token {
	s := d.Sentences[i]
	return d.Tokens[s.First:s.Limit]
}

// Analyze tokenises text and splits it into sentences.
func Analyze(text string) *Document {
	d := &Document{Text: text}
	d.Tokens = Tokenize(text, make([]Token, 0, len(text)/5))
	d.Sentences = split(text, d.Tokens)
	return d
}

// Tokenize appends the tokens of text to dst. Words keep inner hyphens,
// apostrophes and periods of abbreviations ("U.S.", "al-Qaeda"); clitics are
// split the way CoNLL and the Penn Treebank do ("Russia's" -> "Russia" "'s",
// "don't" -> "do" "n't"); numbers keep their separators ("1,000.5").
func Tokenize(text string, dst []Token) []Token {
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		start := i
		switch {
		case isWordRune(r):
			i = scanWord(text, i)
			dst = appendWord(dst, text, start, i)
			continue
		default:
			// Punctuation: one token per rune, except runs of the same
			// mark ("...", "--") which stay together.
			i += size
			for i < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[i:])
				if r2 != r || (r != '.' && r != '-') {
					break
				}
				i += s2
			}
		}
		dst = append(dst, Token{Text: text[start:i], Start: start, End: i})
	}
	return dst
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '_'
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' }

// scanWord returns the end of the word starting at i.
func scanWord(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if isWordRune(r) {
			i += size
			continue
		}
		// Joiners stay inside a word when a word rune follows:
		// "al-Qaeda", "O'Brien", "1,000", "3.5", "U.S", "e-mail".
		if r == '-' || r == '.' || r == ',' || r == '&' || r == '/' || isApostrophe(r) {
			next, _ := utf8.DecodeRuneInString(text[i+size:])
			if !isWordRune(next) {
				break
			}
			prev, _ := utf8.DecodeLastRuneInString(text[:i])
			switch r {
			case ',', '/':
				if !unicode.IsDigit(prev) || !unicode.IsDigit(next) {
					return i
				}
			case '.':
				// "3.5" and "U.S" / "e.g" continue; "end.Next" does not.
				if !(unicode.IsDigit(prev) && unicode.IsDigit(next)) && !isInitialChain(text, i) {
					return i
				}
			case '&':
				if !unicode.IsUpper(prev) || !unicode.IsUpper(next) { // AT&T
					return i
				}
			}
			i += size
			continue
		}
		break
	}
	// A trailing period belongs to abbreviations made of single letters
	// ("U.S.", "e.g.") and to known abbreviations ("Mr.", "Corp.").
	if i < len(text) && text[i] == '.' {
		word := text[wordStart(text, i):i]
		if strings.Contains(word, ".") || isAbbreviation(word) {
			i++
		}
	}
	return i
}

// isInitialChain reports whether the period at i sits between single letters,
// as in "U.S" or "e.g".
func isInitialChain(text string, i int) bool {
	prevStart := i
	for prevStart > 0 {
		r, s := utf8.DecodeLastRuneInString(text[:prevStart])
		if !unicode.IsLetter(r) {
			break
		}
		prevStart -= s
	}
	if utf8.RuneCountInString(text[prevStart:i]) != 1 {
		return false
	}
	j := i + 1
	r, s := utf8.DecodeRuneInString(text[j:])
	if !unicode.IsLetter(r) {
		return false
	}
	j += s
	next, _ := utf8.DecodeRuneInString(text[j:])
	return j >= len(text) || !unicode.IsLetter(next)
}

func wordStart(text string, end int) int {
	i := end
	for i > 0 {
		r, s := utf8.DecodeLastRuneInString(text[:i])
		if !isWordRune(r) && r != '.' && r != '-' && !isApostrophe(r) {
			break
		}
		i -= s
	}
	return i
}

// appendWord appends a word, splitting off English clitics.
func appendWord(dst []Token, text string, start, end int) []Token {
	w := text[start:end]
	if cut := cliticCut(w); cut > 0 {
		dst = append(dst, Token{Text: w[:cut], Start: start, End: start + cut})
		return append(dst, Token{Text: w[cut:], Start: start + cut, End: end})
	}
	// A possessive apostrophe after a plural: "Ladens’" is not reached here
	// (the apostrophe ends the word), so nothing to do.
	return append(dst, Token{Text: w, Start: start, End: end})
}

// cliticCut returns where a clitic starts in w, or 0.
func cliticCut(w string) int {
	lw := strings.ToLower(w)
	for _, c := range [...]string{"n't", "n’t"} {
		if strings.HasSuffix(lw, c) && len(lw) > len(c) {
			return len(w) - len(c)
		}
	}
	for _, c := range [...]string{"'s", "’s", "'re", "’re", "'ve", "’ve", "'ll", "’ll", "'d", "’d", "'m", "’m"} {
		if strings.HasSuffix(lw, c) && len(lw) > len(c) {
			return len(w) - len(c)
		}
	}
	return 0
}

var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true, "jr": true,
	"st": true, "mt": true, "ft": true, "gen": true, "lt": true, "col": true, "capt": true,
	"sgt": true, "maj": true, "gov": true, "sen": true, "rep": true, "rev": true, "hon": true,
	"pres": true, "supt": true, "insp": true, "adm": true, "cmdr": true, "brig": true,
	"corp": true, "inc": true, "ltd": true, "co": true, "bros": true, "plc": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"no": false, "vs": true, "etc": true, "approx": true, "dept": true, "est": true,
	"fig": true, "vol": true, "op": true, "ave": true, "blvd": true, "rd": true,
	"calif": true, "mass": false, "conn": true, "ill": false, "fla": true, "tex": true,
	"ariz": true, "colo": true, "mich": true, "minn": true, "wash": false, "penn": false,
}

func isAbbreviation(w string) bool { return abbreviations[strings.ToLower(w)] }

// sentenceEnders are abbreviations after which a capitalised word still
// usually continues the sentence.
var titles = map[string]bool{
	"mr.": true, "mrs.": true, "ms.": true, "dr.": true, "prof.": true, "gen.": true,
	"lt.": true, "col.": true, "capt.": true, "sgt.": true, "maj.": true, "gov.": true,
	"sen.": true, "rep.": true, "rev.": true, "st.": true, "mt.": true, "adm.": true,
	"hon.": true, "pres.": true, "brig.": true, "cmdr.": true, "ft.": true,
}

// split groups tokens into sentences. A sentence ends at a line break, or
// after '.', '!' or '?' (and any closing quotes or brackets) when the next
// token starts a new sentence.
func split(text string, toks []Token) []Sentence {
	var out []Sentence
	first := 0
	flush := func(limit int) {
		if limit > first {
			out = append(out, Sentence{Start: toks[first].Start, End: toks[limit-1].End, First: first, Limit: limit})
		}
		first = limit
	}
	for i := 0; i < len(toks); i++ {
		if i > first && strings.ContainsAny(text[toks[i-1].End:toks[i].Start], "\n\r\u2028\u2029") {
			flush(i)
		}
		if !endsSentence(toks[i].Text) {
			continue
		}
		j := i + 1
		for j < len(toks) && isCloser(toks[j].Text) && toks[j].Start == toks[j-1].End {
			j++
		}
		if j >= len(toks) {
			i = j - 1
			continue
		}
		if startsSentence(toks[i].Text, toks[j].Text) {
			flush(j)
			i = j - 1
		}
	}
	flush(len(toks))
	return out
}

func endsSentence(t string) bool {
	switch t {
	case ".", "!", "?", "...", "…", "?!", "!?":
		return true
	}
	// Abbreviations keep their period inside the token ("U.S.", "Corp.");
	// they end a sentence when the next word looks like a new sentence.
	return len(t) > 1 && strings.HasSuffix(t, ".") && !titles[strings.ToLower(t)]
}

func isCloser(t string) bool {
	switch t {
	case "\"", "'", "”", "’", ")", "]", "»":
		return true
	}
	return false
}

func startsSentence(prev, next string) bool {
	r, _ := utf8.DecodeRuneInString(next)
	isOpener := strings.ContainsRune("\"'“‘([«", r)
	if len(prev) > 1 && prev != "..." {
		// An abbreviation ("U.S.", "Corp."): only a clear sentence
		// opener after it ends the sentence.
		return isOpener || sentenceOpeners[next]
	}
	return unicode.IsUpper(r) || unicode.IsDigit(r) || isOpener
}

// sentenceOpeners are words that begin sentences far more often than they
// continue a name.
var sentenceOpeners = map[string]bool{
	"The": true, "A": true, "An": true, "But": true, "And": true, "In": true, "He": true,
	"She": true, "It": true, "They": true, "We": true, "I": true, "This": true, "That": true,
	"There": true, "On": true, "At": true, "As": true, "After": true, "If": true, "When": true,
	"Officials": true, "However": true, "Meanwhile": true, "Its": true, "His": true, "Her": true,
}
