package stance

// reportedThreshold is the probability of a polarity from which reported
// speech about an entity counts as the speaker's stance toward it.
const reportedThreshold = 0.7

// reported finds reported speech in tokens [lo, hi): its speaker, the
// tokens of what was said, and the reporting verb. Forms: "X said (that)
// ...", "..., X said", "..., said X", with quotes or without; the speaker
// is a mention or a resolved pronoun.
func (f *relationFinder) reported(lo, hi int) (speakers []party, content, verb span, ok bool) {
	t := f.t
	for r := lo; r < hi; r++ {
		if t.info[r].flags&fReport == 0 || f.inside[r] || t.word[r] == wordHashes.according {
			continue
		}
		verb = span{r, r + 1}
		// Speaker before the verb: "X said", "X also said".
		k := r - 1
		if k >= lo && t.info[k].flags&fAdverb != 0 {
			k--
		}
		if k >= lo {
			var sp []party
			first := -1
			if e := f.endAt[k]; e >= 0 {
				sp, first = f.coordinatedLeft(int(e), lo), f.ms[e].first
				first = min(first, sp[len(sp)-1].sp.first)
			} else if ps := f.anaphor(k, anaSubject, nil); ps != nil {
				sp, first = ps, ps[0].sp.first
			}
			if sp != nil {
				// "..., X said": what was said comes before.
				if first-1 >= lo && (t.toks[first-1].Text == "," || t.info[first-1].flags&fQuote != 0) {
					return sp, span{lo, first - 1}, verb, true
				}
				if first == lo || (first-1 >= lo && t.info[first-1].flags&fQuote != 0) {
					return sp, span{r + 1, hi}, verb, true
				}
			}
		}
		// "..., said X": the speaker follows within a title or two.
		if r-1 >= lo && (t.toks[r-1].Text == "," || t.info[r-1].flags&fQuote != 0) {
			for q := r + 1; q < hi && q <= r+4; q++ {
				if s := f.startAt[q]; s >= 0 {
					m := f.ms[s]
					return []party{{m.ent, m.span}}, span{lo, r - 1}, verb, true
				}
				if t.info[q].flags&fPunct != 0 {
					break
				}
			}
		}
	}
	return nil, span{}, span{}, false
}

// reportedRelations appends to rels the stances of a sentence's speaker
// toward the entities in what they said, read from the sentiment model
// (probs of an entity in a sentence), for entities no rule in rels covers.
func (f *relationFinder) reportedRelations(lo, hi, sent int, rels []relation, probs func(ent, sent int) ([numClasses]float64, bool)) []relation {
	speakers, content, verb, ok := f.reported(lo, hi)
	if !ok {
		return rels
	}
	covered := func(e int) bool {
		for _, r := range rels {
			if r.holder == e || r.target == e {
				return true
			}
		}
		return false
	}
	n := len(rels)
	for _, m := range f.ms {
		if m.first < content.first || m.limit > content.limit || covered(m.ent) {
			continue
		}
		p, ok := probs(m.ent, sent)
		if !ok {
			continue
		}
		var dir int8
		switch {
		case p[classNegative] >= reportedThreshold:
			dir = dirOppose
		case p[classPositive] >= reportedThreshold:
			dir = dirSupport
		default:
			continue
		}
		for _, sp := range speakers {
			if sp.ent < 0 || sp.ent == m.ent {
				continue
			}
			dup := false
			for _, r := range rels[n:] {
				dup = dup || (r.holder == sp.ent && r.target == m.ent)
			}
			if !dup {
				rels = append(rels, relation{holder: sp.ent, target: m.ent, holderSpan: sp.sp,
					targetSpan: m.span, dir: dir, cue: verb, reported: true})
			}
		}
	}
	return rels
}
