package stance

import "strings"

// A feature is a template applied to a word (or to nothing, for numeric
// templates), with a value.
type feature struct {
	key uint64
	val float32
}

// Feature templates. Their names are part of the model file format: rename
// one and old models lose that feature.
const (
	tBias = iota
	tWordL1
	tWordL2
	tWordL3
	tWordR1
	tWordR2
	tWordR3
	tNegWordL
	tNegWordR
	tSent
	tSentNeg
	tBigramL
	tBigramR
	tLexPosL1
	tLexPosL2
	tLexPosL3
	tLexPosR1
	tLexPosR2
	tLexPosR3
	tLexNegL1
	tLexNegL2
	tLexNegL3
	tLexNegR1
	tLexNegR2
	tLexNegR3
	tLexPosSent
	tLexNegSent
	tLexPosOther
	tLexNegOther
	tLexPosAfterBut
	tLexNegAfterBut
	tCueOpposeL
	tCueOpposeR
	tCueSupportL
	tCueSupportR
	tCuePassiveBy
	tCueWordL
	tCueWordR
	tInQuote
	tSentQuote
	tSpeaker
	tAccording
	tPronoun
	tPossessive
	tSentStart
	tFurther1
	tFurther2
	tOthers
	tBy
	tClause
	tLexPosClause
	tLexNegClause
	tRelTarget
	tRelHolder
	numTemplates
)

var templateNames = [numTemplates]string{
	"bias", "w.l1", "w.l2", "w.l3", "w.r1", "w.r2", "w.r3", "wn.l", "wn.r", "s", "sn",
	"b.l", "b.r",
	"lexp.l1", "lexp.l2", "lexp.l3", "lexp.r1", "lexp.r2", "lexp.r3",
	"lexn.l1", "lexn.l2", "lexn.l3", "lexn.r1", "lexn.r2", "lexn.r3",
	"lexp.s", "lexn.s", "lexp.o", "lexn.o", "lexp.but", "lexn.but",
	"cue.opp.l", "cue.opp.r", "cue.sup.l", "cue.sup.r", "cue.passive", "cue.w.l", "cue.w.r",
	"quote.in", "quote.sent", "speaker", "according", "pronoun", "possessive", "start",
	"further1", "further2", "others", "by", "c", "lexp.c", "lexn.c", "rel.t", "rel.h",
}

// featureKey combines a template and a word hash.
func featureKey(tmpl int, word uint64) uint64 {
	k := word ^ (uint64(tmpl+1) * 0x9E3779B97F4A7C15)
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	return k
}

// bigram combines two word hashes.
func bigram(a, b uint64) uint64 { return a*0x100000001b3 ^ (b + 0x632be59bd9b4e019) }

// parseFeatureName returns the key of a feature name "template|word" or
// "template|word1 word2"; ok is false for an unknown template.
func parseFeatureName(name string) (key uint64, ok bool) {
	tmplName, word, _ := strings.Cut(name, "|")
	for i, n := range templateNames {
		if n != tmplName {
			continue
		}
		var h uint64
		switch {
		case word == "":
		case i == tBigramL || i == tBigramR:
			a, b, _ := strings.Cut(word, " ")
			h = bigram(wordHash(a), wordHash(b))
		default:
			h = wordHash(word)
		}
		return featureKey(i, h), true
	}
	return 0, false
}

// span is a half-open token range.
type span struct{ first, limit int }

// unit is one classification: the mentions of one target in a stretch of
// text (a sentence), with the mentions of other entities there.
type unit struct {
	first, limit int // token range of the text
	targets      []span
	others       []span
	// ent is the target's entity in rels, the stances found in the text
	// (with loose rules: one side may be missing).
	ent  int
	rels []relation
}

// namer receives the name of each feature as it is extracted; only the
// trainer uses it.
type namer func(key uint64, name string)

// Extraction modes. Features of the whole sentence do not depend on the
// target, so Analyze scores them once per sentence (modeSentence) and adds
// the target's own (modeUnit) for each entity there; training and NewsMTSC
// use modeFull, which gives the same scores.
type extractMode uint8

const (
	modeFull extractMode = iota
	modeSentence
	modeUnit
)

// clauseBoundary ends the clause of a target.
const clauseBoundary = fClause | fBut | fRelative | fReport

// extract appends the features of u to dst.
func extract(t *tokens, u unit, dst []feature, name namer, mode extractMode) []feature {
	add := func(tmpl int, word uint64, val float32, w string) {
		k := featureKey(tmpl, word)
		dst = append(dst, feature{k, val})
		if name != nil {
			name(k, templateNames[tmpl]+"|"+w)
		}
	}
	wordName := func(i int) string {
		if name == nil {
			return ""
		}
		if t.word[i] == numHash {
			return "<num>"
		}
		return lower(t.toks[i].Text)
	}
	sentence := mode != modeUnit
	target := mode != modeSentence
	if u.limit <= u.first || (target && len(u.targets) == 0) {
		return dst
	}
	if sentence {
		add(tBias, 0, 1, "")
	}
	inTarget := func(i int) bool {
		for _, s := range u.targets {
			if i >= s.first && i < s.limit {
				return true
			}
		}
		return false
	}
	// Signed distance from i to the nearest token of spans.
	dist := func(i int, spans []span) int {
		best := 1 << 30
		for _, s := range spans {
			var d int
			switch {
			case i < s.first:
				d = i - s.first
			case i >= s.limit:
				d = i - (s.limit - 1)
			default:
				return 0
			}
			if abs(d) < abs(best) {
				best = d
			}
		}
		return best
	}

	// The clauses holding a target: runs of tokens between punctuation,
	// conjunctions of contrast, relative pronouns and reporting verbs.
	var targetClauses uint64
	if target {
		clause := 0
		for i := u.first; i < u.limit && clause < 64; i++ {
			if t.info[i].flags&clauseBoundary != 0 {
				clause++
				continue
			}
			if inTarget(i) {
				targetClauses |= 1 << uint(clause)
			}
		}
	}

	var main span
	if target {
		main = u.targets[0]
	}
	var clausePos, clauseNeg float32
	var lexPos, lexNeg [6]float32
	var sentPos, sentNeg, otherPos, otherNeg, butPos, butNeg float32
	negScope := 0
	clause := 0
	afterBut := false
	butBeforeTarget := false
	for i := u.first; i < u.limit; i++ {
		info := t.info[i]
		switch {
		case info.flags&fNegator != 0:
			negScope = 4
		case info.flags&fClause != 0:
			negScope = 0
		}
		boundary := info.flags&clauseBoundary != 0
		if boundary {
			clause++
		}
		if info.flags&fBut != 0 {
			afterBut = true
			if target && i < main.first {
				butBeforeTarget = true
			}
		}
		negated := negScope > 0 && info.flags&fNegator == 0
		if negScope > 0 {
			negScope--
		}
		var v float32
		if info.valence != 0 {
			v = info.valence / 4
			if i > u.first && t.info[i-1].boost != 0 {
				v *= 1 + 2*t.info[i-1].boost
			}
			if negated {
				v *= -0.74
			}
		}
		// The sentence's words, but the target's; the target's words come
		// off again in modeUnit.
		if info.flags&fPunct == 0 {
			tmpl := tSent
			if negated {
				tmpl = tSentNeg
			}
			switch {
			case mode == modeSentence, mode == modeFull && !inTarget(i):
				add(tmpl, t.word[i], 1, wordName(i))
			case mode == modeUnit && inTarget(i):
				add(tmpl, t.word[i], -1, "")
			}
		}
		if sentence {
			if v > 0 {
				sentPos += v
			} else {
				sentNeg -= v
			}
		}
		if !target || inTarget(i) {
			continue
		}
		inClause := !boundary && clause < 64 && targetClauses&(1<<uint(clause)) != 0
		d := dist(i, u.targets)
		if info.flags&fPunct == 0 && inClause {
			add(tClause, t.word[i], 1, wordName(i))
		}
		ad := abs(d)
		bucket := -1
		switch {
		case ad == 1:
			bucket = 0
		case ad <= 3:
			bucket = 1
		case ad <= 7:
			bucket = 2
		}
		if bucket >= 0 {
			tmpl, negTmpl := tWordL1+bucket, tNegWordL
			if d > 0 {
				tmpl, negTmpl = tWordR1+bucket, tNegWordR
			}
			if negated {
				add(negTmpl, t.word[i], 1, wordName(i))
			} else {
				add(tmpl, t.word[i], 1, wordName(i))
			}
		}
		if v != 0 {
			if inClause {
				if v > 0 {
					clausePos += v
				} else {
					clauseNeg -= v
				}
			}
			if afterBut {
				if v > 0 {
					butPos += v
				} else {
					butNeg -= v
				}
			}
			if len(u.others) > 0 && abs(dist(i, u.others)) < ad {
				if v > 0 {
					otherPos += v
				} else {
					otherNeg -= v
				}
			} else {
				b := 2
				switch {
				case ad <= 3:
					b = 0
				case ad <= 8:
					b = 1
				}
				if d > 0 {
					b += 3
				}
				if v > 0 {
					lexPos[b] += v
				} else {
					lexNeg[b] -= v
				}
			}
		}
		if c := info.cue; c != nil && (c.kind == kindVerb || c.kind == kindDirective) && ad <= 10 {
			right := d > 0 // the cue follows the target: the target is its subject
			tmpl := tCueWordL
			if right {
				tmpl = tCueWordR
			}
			add(tmpl, t.word[i], 1, wordName(i))
			switch {
			case c.dir == dirOppose && !right:
				add(tCueOpposeL, 0, 1, "")
			case c.dir == dirOppose:
				add(tCueOpposeR, 0, 1, "")
			case c.dir == dirSupport && !right:
				add(tCueSupportL, 0, 1, "")
			case c.dir == dirSupport:
				add(tCueSupportR, 0, 1, "")
			}
			if !right && i+1 < main.first && t.info[i+1].flags&fBy != 0 && c.dir != dirNeutral {
				add(tCuePassiveBy, 0, float32(c.dir), "")
			}
		}
	}
	if sentence {
		if sentPos != 0 {
			add(tLexPosSent, 0, capf(sentPos), "")
		}
		if sentNeg != 0 {
			add(tLexNegSent, 0, capf(sentNeg), "")
		}
		for i := u.first; i < u.limit; i++ {
			if t.info[i].flags&fQuote != 0 {
				add(tSentQuote, 0, 1, "")
				break
			}
		}
	}
	if !target {
		return dst
	}
	for b := 0; b < 6; b++ {
		if lexPos[b] != 0 {
			add(tLexPosL1+b, 0, capf(lexPos[b]), "")
		}
		if lexNeg[b] != 0 {
			add(tLexNegL1+b, 0, capf(lexNeg[b]), "")
		}
	}
	for _, x := range []struct {
		tmpl int
		v    float32
		ok   bool
	}{
		{tLexPosClause, clausePos, true}, {tLexNegClause, clauseNeg, true},
		{tLexPosOther, otherPos, true}, {tLexNegOther, otherNeg, true},
		{tLexPosAfterBut, butPos, butBeforeTarget}, {tLexNegAfterBut, butNeg, butBeforeTarget},
	} {
		if x.ok && x.v != 0 {
			add(x.tmpl, 0, capf(x.v), "")
		}
	}

	// Bigrams next to the main mention.
	if main.first-2 >= u.first {
		a, b := main.first-2, main.first-1
		w := ""
		if name != nil {
			w = wordName(a) + " " + wordName(b)
		}
		add(tBigramL, bigram(t.word[a], t.word[b]), 1, w)
	}
	if main.limit+1 < u.limit {
		a, b := main.limit, main.limit+1
		w := ""
		if name != nil {
			w = wordName(a) + " " + wordName(b)
		}
		add(tBigramR, bigram(t.word[a], t.word[b]), 1, w)
	}

	// The target's position and role.
	if t.quote[main.first] {
		add(tInQuote, 0, 1, "")
	}
	for _, s := range u.targets {
		for i := s.limit; i < s.limit+2 && i < u.limit; i++ {
			if t.info[i].flags&fReport != 0 {
				add(tSpeaker, 0, 1, "")
			}
		}
		if s.first-1 >= u.first && t.info[s.first-1].flags&fReport != 0 {
			add(tSpeaker, 0, 1, "")
		}
		if s.first-2 >= u.first && wordHashes.according == t.word[s.first-2] {
			add(tAccording, 0, 1, "")
		}
	}
	if main.limit-main.first == 1 && t.info[main.first].flags&fPronoun != 0 {
		add(tPronoun, 0, 1, "")
	}
	if main.limit < u.limit && t.info[main.limit].flags&fPoss != 0 {
		add(tPossessive, 0, 1, "")
	}
	if main.first-u.first <= 1 {
		add(tSentStart, 0, 1, "")
	}
	if main.first > u.first && t.info[main.first-1].flags&fBy != 0 {
		add(tBy, 0, 1, "")
	}
	switch len(u.targets) {
	case 1:
	case 2:
		add(tFurther1, 0, 1, "")
	default:
		add(tFurther2, 0, 1, "")
	}
	if len(u.others) > 0 {
		add(tOthers, 0, 1, "")
	}
	for _, r := range u.rels {
		if r.target == u.ent {
			add(tRelTarget, relWords[r.dir+1], 1, relNames[r.dir+1])
		}
		if r.holder == u.ent {
			add(tRelHolder, relWords[r.dir+1], 1, relNames[r.dir+1])
		}
	}
	return dst
}

var (
	relNames = [3]string{"oppose", "neutral", "support"}
	relWords = [3]uint64{wordHash("oppose"), wordHash("neutral"), wordHash("support")}
)

var wordHashes = struct{ according uint64 }{wordHash("according")}

func capf(v float32) float32 {
	if v > 2 {
		return 2
	}
	return v
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
