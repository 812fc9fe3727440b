package stance

import (
	"github.com/newsflow/newsflow/pkg/events"
)

// mref is one mention of an entity as a token span.
type mref struct {
	span
	ent  int
	sent int
}

// relation is a stance found by the rules, between entity indexes (-1 when
// a side is not an entity).
type relation struct {
	holder, target int
	holderSpan     span // tokens of the holder: its mention, pronoun or noun phrase
	targetSpan     span
	dir            int8
	cue            span // tokens of the cue, from its negation to its particles
	reported       bool // from reported speech
}

// entityClass is what anaphors need of an entity.
type entityClass uint8

const (
	classUnknown entityClass = iota
	classPerson
	classOrg
	classPlace
	classOther
)

// relationFinder finds stances in the sentences of one document.
type relationFinder struct {
	t       *tokens
	ms      []mref // sorted by first token
	classes []entityClass
	startAt []int32 // token -> index in ms of the mention starting there, or -1
	endAt   []int32 // token -> index in ms of the mention ending there (last token), or -1
	inside  []bool  // token lies inside a mention
	// loose keeps relations with only one side found, for the sentiment
	// model's features: "X hit out at Trump" says something of Trump
	// even when X is no entity.
	loose bool
}

func newRelationFinder(t *tokens, ms []mref, classes []entityClass) *relationFinder {
	n := len(t.toks)
	f := &relationFinder{t: t, ms: ms, classes: classes,
		startAt: make([]int32, n), endAt: make([]int32, n), inside: make([]bool, n)}
	for i := range f.startAt {
		f.startAt[i], f.endAt[i] = -1, -1
	}
	for i, m := range ms {
		if m.first < 0 || m.limit > n || m.first >= m.limit {
			continue
		}
		if f.startAt[m.first] < 0 {
			f.startAt[m.first] = int32(i)
		}
		f.endAt[m.limit-1] = int32(i)
		for k := m.first; k < m.limit; k++ {
			f.inside[k] = true
		}
	}
	return f
}

// party is one side of a relation.
type party struct {
	ent int
	sp  span
}

var noParty = party{ent: -1, sp: span{-1, -1}}

// sentence appends the relations of tokens [lo, hi) to out.
func (f *relationFinder) sentence(lo, hi int, out []relation) []relation {
	t := f.t
	for i := lo; i < hi; i++ {
		if f.inside[i] {
			continue
		}
		info := &t.info[i]
		if info.noun != 0 {
			out = f.possessiveNoun(i, lo, hi, out)
		}
		if info.role != 0 {
			out = f.roleNoun(i, lo, hi, out)
		}
		if info.cue == nil {
			continue
		}
		c, end := f.chooseCue(i, hi)
		if c == nil || c.kind == kindNegating {
			continue
		}
		// A determiner before the word makes it a noun: "the attack", "the back".
		if i > lo && t.info[i-1].flags&fDet != 0 {
			continue
		}
		switch c.kind {
		case kindVerb, kindDirective:
			out = f.verb(c, i, end, lo, hi, out)
		case kindReceive:
			out = f.receive(i, end, lo, hi, out)
		case kindGive:
			out = f.give(c, i, end, lo, hi, out)
		}
	}
	return out
}

// chooseCue returns the variant of the cue at i whose particles follow it,
// and the token after the cue and its particles.
func (f *relationFinder) chooseCue(i, hi int) (*cue, int) {
	for c := f.t.info[i].cue; c != nil; c = c.alt {
		if len(c.particles) == 0 {
			return c, i + 1
		}
		j := i + 1
		ok := true
		for _, p := range c.particles {
			for j < hi && f.t.info[j].flags&fDet != 0 && f.t.word[j] != p {
				j++
			}
			if j >= hi || f.t.word[j] != p {
				ok = false
				break
			}
			j++
		}
		if ok {
			return c, j
		}
	}
	return nil, i + 1
}

func (f *relationFinder) verb(c *cue, i, end, lo, hi int, out []relation) []relation {
	t := f.t
	dir := c.dir
	// Passive: "Y was condemned by X", "Y, backed by X,".
	if c.past && end < hi && t.info[end].flags&fBy != 0 {
		holders := f.byAgent(end+1, hi)
		targets := f.subjectLeft(i, lo)
		if f.loose && len(holders) == 0 {
			holders = []party{noParty}
		}
		if len(holders) == 0 || len(targets) == 0 {
			return out
		}
		neg, negStart := f.negation(i, lo)
		return f.emit(out, holders, targets, applyNegation(dir, neg), span{negStart, end})
	}
	holders := f.subjectLeft(i, lo)
	if len(holders) > 0 && f.hypothetical(holders[0].sp, i, lo) {
		return out
	}
	if len(holders) == 0 {
		if !f.loose {
			return out
		}
		holders = []party{noParty}
	}
	targets, flip, after := f.objectRight(end, hi, holders)
	if len(targets) == 0 {
		if !f.loose || holders[0].ent < 0 {
			return out
		}
		targets = []party{noParty}
	}
	if c.after != 0 && (after >= hi || t.word[after] != c.after) {
		return out
	}
	if c.kind == kindDirective {
		if after >= hi {
			return out
		}
		switch {
		case t.word[after] == hashes.to && after+1 < hi:
			dir = dirNeutral
			if ci := t.info[after+1]; ci.hasComp {
				dir = ci.comp
			}
		case t.word[after] == hashes.against:
			dir = dirOppose
		default:
			return out
		}
	}
	if flip {
		dir = -dir
	}
	neg, negStart := f.negation(i, lo)
	return f.emit(out, holders, targets, applyNegation(dir, neg), span{negStart, end})
}

// hypothetical reports whether the subject found for the cue at i is the
// object of a directive ("X urged Y to join Z"): what Y is urged to do is
// not Y's stance.
func (f *relationFinder) hypothetical(subj span, i, lo int) bool {
	t := f.t
	if subj.first < 0 {
		return false
	}
	sawTo := false
	for k := subj.limit; k < i; k++ {
		sawTo = sawTo || t.word[k] == hashes.to
	}
	if !sawTo {
		return false
	}
	k := subj.first - 1
	for k >= lo && t.info[k].flags&fDet != 0 {
		k--
	}
	if k >= lo && (t.word[k] == hashes.on || t.word[k] == hashes.upon) {
		k--
	}
	if k < lo {
		return false
	}
	for c := t.info[k].cue; c != nil; c = c.alt {
		if c.kind == kindDirective {
			return true
		}
	}
	return false
}

// receive handles "TARGET won the support of HOLDER".
func (f *relationFinder) receive(i, end, lo, hi int, out []relation) []relation {
	t := f.t
	k := f.skipModifiers(end, hi, 3)
	if k >= hi || t.info[k].noun == 0 {
		return out
	}
	dir := t.info[k].noun
	p := k + 1
	if p >= hi || (t.word[p] != hashes.of && t.word[p] != hashes.from) {
		return out
	}
	holders := f.byAgent(p+1, hi)
	targets := f.subjectLeft(i, lo)
	if f.loose && len(holders) == 0 {
		holders = []party{noParty}
	}
	if len(holders) == 0 || len(targets) == 0 {
		return out
	}
	neg, negStart := f.negation(i, lo)
	return f.emit(out, holders, targets, applyNegation(dir, neg), span{negStart, k + 1})
}

// give handles "HOLDER pledged support for TARGET".
func (f *relationFinder) give(c *cue, i, end, lo, hi int, out []relation) []relation {
	t := f.t
	k := f.skipModifiers(end, hi, 3)
	if k >= hi || t.info[k].noun == 0 {
		return out
	}
	dir := t.info[k].noun
	if c.dir == dirOppose { // withhold, deny
		dir = applyNegation(dir, true)
	}
	p := k + 1
	if p >= hi || !hashes.givePreps[t.word[p]] {
		return out
	}
	holders := f.subjectLeft(i, lo)
	if len(holders) == 0 {
		return out
	}
	targets, flip, _ := f.objectRight(p+1, hi, holders)
	if len(targets) == 0 {
		return out
	}
	if flip {
		dir = -dir
	}
	neg, negStart := f.negation(i, lo)
	return f.emit(out, holders, targets, applyNegation(dir, neg), span{negStart, k + 1})
}

// possessiveNoun handles "HOLDER's criticism of TARGET".
func (f *relationFinder) possessiveNoun(i, lo, hi int, out []relation) []relation {
	t := f.t
	if i-2 < lo || t.info[i-1].flags&fPoss == 0 || f.endAt[i-2] < 0 {
		return out
	}
	if i+1 >= hi || !hashes.givePreps[t.word[i+1]] {
		return out
	}
	m := f.ms[f.endAt[i-2]]
	targets, flip, _ := f.objectRight(i+2, hi, nil)
	if len(targets) == 0 {
		return out
	}
	dir := t.info[i].noun
	if flip {
		dir = -dir
	}
	return f.emit(out, []party{{m.ent, m.span}}, targets, dir, span{i, i + 1})
}

// roleNoun handles "HOLDER, a critic of TARGET" and "TARGET critic HOLDER".
func (f *relationFinder) roleNoun(i, lo, hi int, out []relation) []relation {
	t := f.t
	dir := t.info[i].role
	if i > lo && i+1 < hi && f.endAt[i-1] >= 0 && f.startAt[i+1] >= 0 {
		tm, hm := f.ms[f.endAt[i-1]], f.ms[f.startAt[i+1]]
		return f.emit(out, []party{{hm.ent, hm.span}}, []party{{tm.ent, tm.span}}, dir, span{i, i + 1})
	}
	if i+1 >= hi || t.word[i+1] != hashes.of {
		return out
	}
	targets, _, _ := f.objectRight(i+2, hi, nil)
	if len(targets) == 0 {
		return out
	}
	// The holder: left over the article, adjectives, a comma and "is",
	// "has been".
	for k, steps := i-1, 0; k >= lo && steps < 7; k, steps = k-1, steps+1 {
		if e := f.endAt[k]; e >= 0 {
			m := f.ms[e]
			return f.emit(out, []party{{m.ent, m.span}}, targets, dir, span{i, i + 1})
		}
		if ps := f.anaphor(k, anaSubject, nil); ps != nil {
			return f.emit(out, ps, targets, dir, span{i, i + 1})
		}
		fl := t.info[k].flags
		if fl&(fQuote|fReport|fRelative) != 0 || (fl&fClause != 0 && t.toks[k].Text != ",") {
			break
		}
	}
	return out
}

// skipModifiers returns the first token from k on that is not a
// determiner, an adverb or an unknown modifier, looking at most n tokens.
func (f *relationFinder) skipModifiers(k, hi, n int) int {
	for steps := 0; k < hi && steps < n; steps++ {
		info := f.t.info[k]
		if info.noun != 0 || info.flags&(fPunct|fPrep) != 0 || f.inside[k] {
			return k
		}
		k++
	}
	return k
}

// subjectLeft finds the holder (or, for passives, the target) before the
// cue at i: the nearest mention in the clause, with the mentions
// coordinated with it, or a resolved pronoun.
func (f *relationFinder) subjectLeft(i, lo int) []party {
	t := f.t
	commas := 0
	for k, steps := i-1, 0; k >= lo && steps < 14; k, steps = k-1, steps+1 {
		if e := f.endAt[k]; e >= 0 {
			m := f.ms[e]
			// "Lavrov, Russia's foreign minister, said": the subject is the
			// mention before the appositive.
			if commas == 1 && m.limit < len(t.toks) && t.info[m.limit].flags&fPoss != 0 &&
				m.first-2 >= lo && t.toks[m.first-1].Text == "," && f.endAt[m.first-2] >= 0 {
				e = f.endAt[m.first-2]
			}
			return f.coordinatedLeft(int(e), lo)
		}
		if ps := f.anaphor(k, anaSubject, nil); ps != nil {
			return ps
		}
		fl := t.info[k].flags
		switch {
		case fl&(fQuote|fReport|fBut|fSubord) != 0:
			return nil
		case fl&fClause != 0:
			if t.toks[k].Text != "," {
				return nil
			}
			commas++
			if commas > 2 {
				return nil
			}
		}
	}
	return nil
}

// coordinatedLeft returns mention e with the mentions joined to it before
// by "and" or commas: "Russia, China and Pakistan".
func (f *relationFinder) coordinatedLeft(e, lo int) []party {
	m := f.ms[e]
	out := []party{{m.ent, m.span}}
	sawAnd := false
	k := m.first - 1
	for k-1 >= lo && len(out) < 12 {
		// A conjunct that only contains the mention: "Iran and the former
		// Soviet states of Central Asia".
		if f.t.word[k] == hashes.of {
			q := k - 1
			for q > lo && k-q < 5 && f.t.info[q].flags&(fPunct|fAnd) == 0 && f.endAt[q] < 0 {
				q--
			}
			if q > lo && f.t.info[q].flags&fAnd != 0 && f.endAt[q-1] >= 0 {
				k = q
			}
		}
		if f.t.info[k].flags&fAnd == 0 && f.t.toks[k].Text != "," {
			break
		}
		j := k - 1
		sawAnd = sawAnd || f.t.info[k].flags&fAnd != 0
		if f.t.toks[k].Text == "," && f.t.info[j].flags&fAnd != 0 {
			j--
			sawAnd = true
		}
		if j < lo || f.endAt[j] < 0 {
			break
		}
		m = f.ms[f.endAt[j]]
		out = append(out, party{m.ent, m.span})
		k = m.first - 1
	}
	if !sawAnd {
		// "According to Reuters, Saudi Arabia": commas alone do not
		// coordinate.
		return out[:1]
	}
	return out
}

// coordinatedRight returns the mentions joined by "and" or commas after
// the mention ending before k, and the token after the last of them.
func (f *relationFinder) coordinatedRight(first party, k, hi int) ([]party, int) {
	out := []party{first}
	sawAnd := false
	start := k
	for k+1 < hi && len(out) < 12 {
		if f.t.info[k].flags&fAnd == 0 && f.t.toks[k].Text != "," {
			break
		}
		j := k + 1
		sawAnd = sawAnd || f.t.info[k].flags&fAnd != 0
		if f.t.toks[k].Text == "," && j < hi && f.t.info[j].flags&fAnd != 0 {
			j++
			sawAnd = true
		}
		for j < hi && f.t.info[j].flags&fDet != 0 {
			j++
		}
		if j >= hi || f.startAt[j] < 0 {
			break
		}
		m := f.ms[f.startAt[j]]
		out = append(out, party{m.ent, m.span})
		k = m.limit
	}
	if !sawAnd {
		return out[:1], start
	}
	return out, k
}

// objectRight finds the target after a cue: the first mention within a
// few tokens, or the owner of an event noun ("the arrest of X": flip says
// the stance turns), or a resolved pronoun. after is the token after it.
func (f *relationFinder) objectRight(j, hi int, exclude []party) (targets []party, flip bool, after int) {
	t := f.t
	for k, steps := j, 0; k < hi && steps < 5; k, steps = k+1, steps+1 {
		if s := f.startAt[k]; s >= 0 {
			m := f.ms[s]
			ps, after := f.coordinatedRight(party{m.ent, m.span}, m.limit, hi)
			// "Y's absence": a loss noun after the possessive turns the
			// stance; "Y's ambassador to leave": the directive goes on
			// after the possessed noun.
			if after < hi && t.info[after].flags&fPoss != 0 {
				q := after + 1
				for ; q < hi && q < after+3; q++ {
					if t.info[q].flags&fLoss != 0 {
						flip = true
					}
					if t.info[q].flags&(fPunct|fPrep) != 0 {
						break
					}
				}
				after = q
			}
			return ps, flip, after
		}
		if ps := f.anaphor(k, anaObject, exclude); ps != nil {
			return ps, false, ps[0].sp.limit
		}
		info := t.info[k]
		if info.flags&(fClause|fRelative|fReport|fQuote) != 0 || t.word[k] == hashes.to {
			return nil, false, k
		}
		if info.flags&fPrep != 0 {
			if k == j {
				return nil, false, k
			}
			// An event noun and its owner: "the attack by X", "the arrest
			// of X", "the sanctions on X".
			w := t.word[k]
			var fl bool
			switch {
			case w == hashes.by:
			case w == hashes.of:
				fl = t.info[k-1].flags&fLoss != 0
			case w == hashes.on || w == hashes.against:
				fl = true
			default:
				return nil, false, k
			}
			q := k + 1
			for q < hi && t.info[q].flags&fDet != 0 {
				q++
			}
			if q < hi && f.startAt[q] >= 0 {
				m := f.ms[f.startAt[q]]
				return []party{{m.ent, m.span}}, fl, m.limit
			}
			return nil, false, k
		}
	}
	return nil, false, j
}

// byAgent finds the holder after "by", "of" or "from": a mention, with the
// mentions coordinated with it, or else the noun phrase there ("10
// regional powers"). A mention followed by a noun is not the holder itself
// ("Arizona Democrats", "Phillip's fans"): the phrase is.
func (f *relationFinder) byAgent(k, hi int) []party {
	t := f.t
	for k < hi && t.info[k].flags&fDet != 0 {
		k++
	}
	if k >= hi {
		return nil
	}
	if s := f.startAt[k]; s >= 0 {
		m := f.ms[s]
		next := m.limit
		if next >= hi || t.info[next].flags&(fPunct|fPrep|fAnd|fRelative|fReport|fAdverb) != 0 && t.info[next].flags&fPoss == 0 {
			ps, _ := f.coordinatedRight(party{m.ent, m.span}, m.limit, hi)
			return ps
		}
	}
	// A noun phrase: up to five tokens, to punctuation, a preposition, a
	// relative pronoun or a verb-like word.
	end := k
	for end < hi && end-k < 5 {
		fl := t.info[end].flags
		if fl&(fPunct|fPrep|fRelative|fReport|fAux|fAnd) != 0 && fl&fPoss == 0 {
			break
		}
		end++
	}
	if end == k {
		return nil
	}
	return []party{{-1, span{k, end}}}
}

// anaphor resolves the pronoun or "the <noun>" at k to the latest
// compatible entity mentioned before it, other than those in exclude; role
// selects subject or object pronouns. "They" takes the mentions coordinated
// with the one it resolves to.
func (f *relationFinder) anaphor(k int, role uint8, exclude []party) []party {
	t := f.t
	a := t.info[k].anaphor
	if a == anaNone || f.classes == nil {
		return nil
	}
	cls := a &^ (anaSubject | anaObject)
	sp := span{k, k + 1}
	switch cls {
	case anaOrg, anaPlace:
		if k == 0 || t.word[k-1] != hashes.the {
			return nil
		}
		sp.first = k - 1
	default:
		if a&role == 0 {
			return nil
		}
	}
	// The latest mention that ends before the anaphor, within 80 tokens.
next:
	for i := len(f.ms) - 1; i >= 0; i-- {
		m := f.ms[i]
		if m.limit > sp.first {
			continue
		}
		if sp.first-m.limit > 80 {
			break
		}
		for _, x := range exclude {
			if x.ent == m.ent {
				continue next
			}
		}
		c := f.classes[m.ent]
		ok := false
		switch cls {
		case anaPerson:
			ok = c == classPerson
		case anaThing, anaGroup:
			ok = c == classOrg || c == classPlace
		case anaOrg:
			ok = c == classOrg
		case anaPlace:
			ok = c == classPlace
		}
		if !ok {
			continue
		}
		if cls == anaGroup {
			ps := f.coordinatedLeft(i, 0)
			for j := range ps {
				ps[j].sp = sp
			}
			return ps
		}
		return []party{{m.ent, sp}}
	}
	return nil
}

// negation reports whether the cue at i is negated ("did not condemn",
// "refused to back", "is not yet ready to recognise"), and where the
// negation starts (i when it is not negated).
func (f *relationFinder) negation(i, lo int) (bool, int) {
	t := f.t
	for k, steps := i-1, 0; k >= lo && steps < 6; k, steps = k-1, steps+1 {
		info := t.info[k]
		if f.endAt[k] >= 0 || info.flags&(fClause|fReport|fQuote|fRelative) != 0 {
			break
		}
		if info.flags&fNegator != 0 {
			return true, k
		}
		if c, _ := f.chooseCue(k, i+1); c != nil && c.kind == kindNegating {
			return true, k
		}
	}
	return false, i
}

// applyNegation turns a stance when its cue is negated: not supporting is
// opposing; not opposing is no stance.
func applyNegation(dir int8, negated bool) int8 {
	if !negated {
		return dir
	}
	if dir == dirSupport {
		return dirOppose
	}
	return dirNeutral
}

func (f *relationFinder) emit(out []relation, holders, targets []party, dir int8, cue span) []relation {
	for _, h := range holders {
		for _, tg := range targets {
			if h.ent >= 0 && h.ent == tg.ent || h.ent < 0 && tg.ent < 0 {
				continue
			}
			r := relation{holder: h.ent, target: tg.ent, holderSpan: h.sp, targetSpan: tg.sp, dir: dir, cue: cue}
			dup := false
			for _, o := range out {
				if o.holder == r.holder && o.target == r.target && o.dir == r.dir && o.holderSpan == r.holderSpan {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, r)
			}
		}
	}
	return out
}

// hashes of the words the rules test for.
var hashes = struct {
	to, against, of, from, by, on, upon, the uint64
	givePreps                                map[uint64]bool
}{
	to: wordHash("to"), against: wordHash("against"), of: wordHash("of"), from: wordHash("from"),
	by: wordHash("by"), on: wordHash("on"), upon: wordHash("upon"), the: wordHash("the"),
	givePreps: map[uint64]bool{wordHash("to"): true, wordHash("for"): true, wordHash("of"): true,
		wordHash("behind"): true, wordHash("toward"): true, wordHash("towards"): true,
		wordHash("on"): true, wordHash("against"): true, wordHash("in"): true, wordHash("at"): true},
}

func stanceName(dir int8) string {
	switch dir {
	case dirSupport:
		return events.Support
	case dirOppose:
		return events.Oppose
	}
	return events.NeutralStance
}
