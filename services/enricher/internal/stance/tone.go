package stance

import "github.com/newsflow/newsflow/services/enricher/internal/text"

// toneThreshold is the absolute VADER valence from which a word counts as
// positive or negative for tone; weaker words are too ambiguous in news.
const toneThreshold = 0.5

// tone is the GDELT-style tone of a prepared document: the percentage of
// its words that are positive minus the percentage that are negative, in
// [-100, 100]. A word in the scope of a negation ("not good") counts for the
// other side.
func tone(t *tokens) float64 {
	words, pos, neg := 0, 0, 0
	negScope := 0
	for i := range t.info {
		info := &t.info[i]
		if info.flags&fPunct != 0 {
			if info.flags&fClause != 0 {
				negScope = 0
			}
			continue
		}
		words++
		if info.flags&fNegator != 0 {
			negScope = 3
			continue
		}
		v := info.valence
		if negScope > 0 {
			negScope--
			v = -v
		}
		switch {
		case v >= toneThreshold:
			pos++
		case v <= -toneThreshold:
			neg++
		}
	}
	if words == 0 {
		return 0
	}
	return 100 * float64(pos-neg) / float64(words)
}

// Tone returns the GDELT-style tone of a text's tokens (see Result.Tone).
func (a *Analyzer) Tone(toks []text.Token) float64 {
	var t tokens
	a.prepare(toks, &t)
	return tone(&t)
}
