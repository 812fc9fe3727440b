package stance

import (
	"slices"
	"sort"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/entity"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// Result is what Analyze finds in one document.
type Result struct {
	// Sentiments are parallel to the entities given to Analyze.
	Sentiments []Sentiment
	Stances    []Triple
	// Tone is the GDELT-style tone: the percentage of positive words minus
	// the percentage of negative words, in [-100, 100].
	Tone float64
}

// Sentiment is how the document treats one entity.
type Sentiment struct {
	// Polarity is events.Negative, events.Neutral or events.Positive.
	Polarity string
	// Score in [-1, 1] is the mean over the sentences that mention the
	// entity of P(positive) - P(negative).
	Score float64
	// Evidence are the indexes of the sentences that decided the polarity
	// (at most three, the most confident first).
	Evidence []int
	// Probs are the mean class probabilities (negative, neutral,
	// positive) over the sentences that mention the entity.
	Probs [3]float64
}

// Triple says that a holder takes a stance toward a target.
type Triple struct {
	// Holder and Target index the entities given to Analyze. Holder is -1
	// when the holder is a phrase that is not an entity ("10 regional
	// powers"): HolderText says what it is.
	Holder, Target int
	// Stance is events.Support, events.Oppose or events.NeutralStance.
	Stance string
	// CueStart and CueEnd are the byte offsets of the cue in the document,
	// from its negation, if any, to its last particle: "refused to back",
	// "hit out at", "won the support".
	CueStart, CueEnd int
	Cue              string
	// Sentence indexes the document's sentences.
	Sentence int
	// HolderText and TargetText are the words that name the holder and the
	// target in the sentence: a mention, a pronoun or a noun phrase.
	HolderText, TargetText string
	// Reported is set when the stance comes from what the holder said
	// about the target ("X said Y was unfit for office"): the cue is the
	// reporting verb and the stance is the sentiment model's reading of the
	// sentence toward the target, less precise than the other rules.
	Reported bool
}

// maxEvidence bounds Sentiment.Evidence.
const maxEvidence = 3

// scratch holds the buffers of one Analyze call.
type scratch struct {
	t               tokens
	feats           []feature
	targets, others []span
}

// Analyze tags the entities of d: their sentiment, the stances between
// them, and the document's tone. Mentions must index d's tokens and
// sentences; mentions that do not are ignored.
func (a *Analyzer) Analyze(d *text.Document, ents []entity.Entity) Result {
	sc, _ := a.scratch.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	defer a.scratch.Put(sc)
	t := &sc.t
	a.prepare(d.Tokens, t)

	res := Result{Sentiments: make([]Sentiment, len(ents)), Tone: tone(t)}
	ms := mentions(d, ents)

	// Entity sentiment: one unit per (entity, sentence).
	type unitScore struct {
		sent  int
		probs [numClasses]float64
	}
	perEnt := make([][]unitScore, len(ents))
	// The model's relation features come from loose rules without
	// anaphora, as in training.
	loose := newRelationFinder(t, ms, nil)
	loose.loose = true
	var rels []relation
	for lo := 0; lo < len(ms); {
		sent := ms[lo].sent
		hi := lo
		for hi < len(ms) && ms[hi].sent == sent {
			hi++
		}
		s := d.Sentences[sent]
		inSent := ms[lo:hi]
		rels = loose.sentence(s.First, s.Limit, rels[:0])
		sc.feats = extract(t, unit{first: s.First, limit: s.Limit}, sc.feats[:0], nil, modeSentence)
		base := a.scores(a.bias64(), sc.feats)
		for _, e := range distinctEnts(inSent) {
			u := unit{first: s.First, limit: s.Limit, ent: e, rels: rels,
				targets: sc.targets[:0], others: sc.others[:0]}
			for _, m := range inSent {
				if m.ent == e {
					u.targets = append(u.targets, m.span)
				} else {
					u.others = append(u.others, m.span)
				}
			}
			sc.targets, sc.others = u.targets, u.others
			sc.feats = extract(t, u, sc.feats[:0], nil, modeUnit)
			perEnt[e] = append(perEnt[e], unitScore{sent, softmax(a.scores(base, sc.feats))})
		}
		lo = hi
	}
	for e, us := range perEnt {
		if len(us) == 0 {
			res.Sentiments[e] = Sentiment{Polarity: events.Neutral, Probs: [3]float64{0, 1, 0}}
			continue
		}
		var mean [numClasses]float64
		for _, u := range us {
			for c := range numClasses {
				mean[c] += u.probs[c] / float64(len(us))
			}
		}
		best := argmax(mean)
		sort.SliceStable(us, func(i, j int) bool { return us[i].probs[best] > us[j].probs[best] })
		var ev []int
		for _, u := range us {
			if len(ev) == maxEvidence {
				break
			}
			if argmax(u.probs) == best && !slices.Contains(ev, u.sent) {
				ev = append(ev, u.sent)
			}
		}
		if len(ev) == 0 {
			ev = append(ev, us[0].sent)
		}
		res.Sentiments[e] = Sentiment{
			Polarity: classNames[best],
			Score:    mean[classPositive] - mean[classNegative],
			Evidence: ev,
			Probs:    mean,
		}
	}

	// Stance triples, sentence by sentence.
	classes := make([]entityClass, len(ents))
	for i, e := range ents {
		classes[i] = classOf(e.Type)
	}
	f := newRelationFinder(t, ms, classes)
	unitProbs := func(e, sent int) ([numClasses]float64, bool) {
		for _, u := range perEnt[e] {
			if u.sent == sent {
				return u.probs, true
			}
		}
		return [numClasses]float64{}, false
	}
	for si, s := range d.Sentences {
		rels = f.sentence(s.First, s.Limit, rels[:0])
		rels = f.reportedRelations(s.First, s.Limit, si, rels, unitProbs)
		for _, r := range rels {
			if r.target < 0 || (r.holder < 0 && r.holderSpan.first < 0) {
				continue
			}
			cs, ce := d.Tokens[r.cue.first].Start, d.Tokens[r.cue.limit-1].End
			res.Stances = append(res.Stances, Triple{
				Holder: r.holder, Target: r.target, Stance: stanceName(r.dir),
				CueStart: cs, CueEnd: ce, Cue: d.Text[cs:ce], Sentence: si,
				HolderText: spanText(d, r.holderSpan), TargetText: spanText(d, r.targetSpan),
				Reported: r.reported,
			})
		}
	}
	return res
}

func spanText(d *text.Document, s span) string {
	if s.first < 0 || s.limit <= s.first {
		return ""
	}
	return d.Text[d.Tokens[s.first].Start:d.Tokens[s.limit-1].End]
}

func classOf(typ string) entityClass {
	switch typ {
	case events.TypePerson:
		return classPerson
	case events.TypeOrganization:
		return classOrg
	case events.TypeLocation:
		return classPlace
	case "":
		return classUnknown
	}
	return classOther
}

// mentions lists the valid mentions of ents, sorted by position.
func mentions(d *text.Document, ents []entity.Entity) []mref {
	var ms []mref
	for e, ent := range ents {
		for _, m := range ent.Mentions {
			if m.First < 0 || m.Limit > len(d.Tokens) || m.First >= m.Limit ||
				m.Sentence < 0 || m.Sentence >= len(d.Sentences) {
				continue
			}
			s := d.Sentences[m.Sentence]
			if m.First < s.First || m.Limit > s.Limit {
				continue
			}
			ms = append(ms, mref{span: span{m.First, m.Limit}, ent: e, sent: m.Sentence})
		}
	}
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].first != ms[j].first {
			return ms[i].first < ms[j].first
		}
		return ms[i].limit > ms[j].limit
	})
	// Drop mentions nested in or overlapping an earlier one.
	out := ms[:0]
	for _, m := range ms {
		if n := len(out); n > 0 && m.first < out[n-1].limit {
			continue
		}
		out = append(out, m)
	}
	return out
}

func distinctEnts(ms []mref) []int {
	var out []int
	for _, m := range ms {
		if !slices.Contains(out, m.ent) {
			out = append(out, m.ent)
		}
	}
	return out
}
