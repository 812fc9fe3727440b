package stance

import (
	"testing"

	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

func TestReportedSpeech(t *testing.T) {
	tests := []struct {
		in      string
		speaker string // "" when no reported speech is expected
		content string
	}{
		{`[Christie|PER] said [Trump|PER] was unfit for office.`, "Christie", "Trump was unfit for office."},
		{`"[Trump|PER] is a threat to democracy," [Biden|PER] said.`, "Biden", `"Trump is a threat to democracy,`},
		{`[Afghanistan|LOC] will never allow it, said Foreign Minister [Muttaqi|PER].`, "Muttaqi", "Afghanistan will never allow it"},
		{`[Merkel|PER] arrived on Monday. She said [Obama|PER] had been a good partner.`, "She", "Obama had been a good partner."},
		{`[Russia|LOC] condemned [Ukraine|LOC].`, "", ""},
		{`According to [Reuters|ORG], [Iran|LOC] rejected the offer.`, "", ""},
	}
	for _, tt := range tests {
		d, ents, err := parseMarked(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		var tk tokens
		a := loadAnalyzer(t)
		a.prepare(d.Tokens, &tk)
		classes := make([]entityClass, len(ents))
		for i, e := range ents {
			classes[i] = classOf(e.Type)
		}
		f := newRelationFinder(&tk, mentions(d, ents), classes)
		s := d.Sentences[len(d.Sentences)-1]
		speakers, content, _, ok := f.reported(s.First, s.Limit)
		if tt.speaker == "" {
			if ok {
				t.Errorf("%s: reported speech by %q", tt.in, spanText(d, speakers[0].sp))
			}
			continue
		}
		if !ok {
			t.Errorf("%s: no reported speech", tt.in)
			continue
		}
		if got := spanText(d, speakers[0].sp); got != tt.speaker {
			t.Errorf("%s: speaker %q, want %q", tt.in, got, tt.speaker)
		}
		if got := spanText(d, content); got != tt.content {
			t.Errorf("%s: content %q, want %q", tt.in, got, tt.content)
		}
	}
}

// TestReportedRelations checks the stance read from the model: confident
// polarities give a stance, others none, and entities a rule covers are
// left to the rule.
func TestReportedRelations(t *testing.T) {
	d := text.Analyze("Biden said Trump attacked Pence and praised Musk.")
	ms := []mref{{span{0, 1}, 0, 0}, {span{2, 3}, 1, 0}, {span{4, 5}, 2, 0}, {span{7, 8}, 3, 0}}
	var tk tokens
	a := loadAnalyzer(t)
	a.prepare(d.Tokens, &tk)
	f := newRelationFinder(&tk, ms, []entityClass{classPerson, classPerson, classPerson, classPerson})
	probs := map[int][numClasses]float64{
		1: {0.9, 0.05, 0.05}, // Trump: negative, but the holder of rule relations
		2: {0.8, 0.1, 0.1},   // Pence: negative, but a rule's target
		3: {0.1, 0.2, 0.7},   // Musk: a rule's target too
	}
	rels := f.sentence(0, len(d.Tokens), nil)
	if len(rels) != 2 {
		t.Fatalf("rules found %d relations, want 2 (attacked, praised): %+v", len(rels), rels)
	}
	got := f.reportedRelations(0, len(d.Tokens), 0, rels, func(e, _ int) ([numClasses]float64, bool) {
		p, ok := probs[e]
		return p, ok
	})
	if len(got) != 2 {
		t.Errorf("reported speech added %+v; every entity is covered by a rule", got[2:])
	}

	d = text.Analyze("Biden said Trump and Musk and Pence were there.")
	ms = []mref{{span{0, 1}, 0, 0}, {span{2, 3}, 1, 0}, {span{4, 5}, 2, 0}, {span{6, 7}, 3, 0}}
	a.prepare(d.Tokens, &tk)
	f = newRelationFinder(&tk, ms, []entityClass{classPerson, classPerson, classPerson, classPerson})
	probs[3] = [numClasses]float64{0.3, 0.4, 0.3}
	got = f.reportedRelations(0, len(d.Tokens), 0, nil, func(e, _ int) ([numClasses]float64, bool) {
		p, ok := probs[e]
		return p, ok
	})
	want := map[int]int8{1: dirOppose, 2: dirOppose}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want Biden -> Trump and Biden -> Musk", got)
	}
	for _, r := range got {
		if r.holder != 0 || want[r.target] != r.dir || !r.reported {
			t.Errorf("relation %+v", r)
		}
	}
}
