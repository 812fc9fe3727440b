package stance

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/shareddata"
	"github.com/newsflow/newsflow/services/enricher/internal/entity"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// sharedDir returns a folder of ../shared ("data" or "samples"), or skips
// the test when it is absent (fails under CI=true).
func sharedDir(t testing.TB, name string) string {
	t.Helper()
	if name == "samples" {
		return shareddata.RequireSamples(t)
	}
	return shareddata.Require(t)
}

// entitySpec names an entity of the sample and the surface forms of its
// mentions, as the entity builder would merge them.
type entitySpec struct {
	name, typ string
	forms     []string
}

// handEntities builds entities by finding the token sequences of each
// surface form in d.
func handEntities(t testing.TB, d *text.Document, specs []entitySpec) []entity.Entity {
	t.Helper()
	sentenceOf := func(tok int) int {
		for i, s := range d.Sentences {
			if tok >= s.First && tok < s.Limit {
				return i
			}
		}
		return -1
	}
	taken := make([]bool, len(d.Tokens))
	var ents []entity.Entity
	for _, sp := range specs {
		e := entity.Entity{Key: events.EntityKey(sp.typ, sp.name), Name: sp.name, Type: sp.typ}
		for _, form := range sp.forms {
			ft := text.Tokenize(form, nil)
		scan:
			for i := 0; i+len(ft) <= len(d.Tokens); i++ {
				for j := range ft {
					if d.Tokens[i+j].Text != ft[j].Text || taken[i+j] {
						continue scan
					}
				}
				for j := range ft {
					taken[i+j] = true
				}
				e.Mentions = append(e.Mentions, entity.Mention{
					First: i, Limit: i + len(ft), Start: d.Tokens[i].Start,
					End: d.Tokens[i+len(ft)-1].End, Sentence: sentenceOf(i),
				})
			}
		}
		if len(e.Mentions) == 0 {
			t.Fatalf("entity %s: no mention found", sp.name)
		}
		slices.SortFunc(e.Mentions, func(a, b entity.Mention) int { return a.First - b.First })
		ents = append(ents, e)
	}
	return ents
}

// TestSampleArticle tags the Moscow talks article of ../shared/samples
// with entities built by hand and checks the stances a reader finds there.
func TestSampleArticle(t *testing.T) {
	d, ents := sampleArticle(t)
	idx := map[string]int{}
	for i, e := range ents {
		idx[e.Name] = i
	}
	res := loadAnalyzer(t).Analyze(d, ents)

	name := func(i int, text string) string {
		if i < 0 {
			return "«" + text + "»"
		}
		return ents[i].Name
	}
	for _, tr := range res.Stances {
		t.Logf("stance %s -> %s %s, cue %q, sentence %d", name(tr.Holder, tr.HolderText), name(tr.Target, tr.TargetText), tr.Stance, tr.Cue, tr.Sentence)
	}
	for i, s := range res.Sentiments {
		t.Logf("sentiment %-34s %-8s %+.2f evidence %v", ents[i].Name, s.Polarity, s.Score, s.Evidence)
	}
	t.Logf("tone %.2f", res.Tone)

	has := func(holder, target, stance, cue string) bool {
		for _, tr := range res.Stances {
			h := name(tr.Holder, tr.HolderText)
			if h == holder && ents[tr.Target].Name == target && tr.Stance == stance && strings.Contains(tr.Cue, cue) {
				return true
			}
		}
		return false
	}
	want := []struct {
		holder, target, stance, cue, why string
	}{
		{"«10 regional powers»", "Taliban", events.Support, "won the support",
			"the lead: the Taliban \"won the support of 10 regional powers\"; the powers are a phrase, not an entity"},
		{"Russia", "Taliban", events.Support, "joined",
			"Russia, China, Pakistan ... \"joined the Taliban in calling for\" a donors' conference"},
		{"Russia", "Taliban", events.NeutralStance, "called on",
			"\"Russia called on the Taliban to form a government\": a demand, neither support nor opposition"},
		{"Sergey Lavrov", "Taliban", events.NeutralStance, "urged",
			"\"he urged the group to now assemble an administration\": he is Lavrov, the group the Taliban"},
		{"Moscow", "Taliban", events.Oppose, "not yet ready to recognize",
			"\"it is not yet ready to recognize the Taliban government\": withholding recognition; it is Moscow"},
		{"Russia", "Taliban", events.Oppose, "refused to give official recognition",
			"\"including Russia, have refused to give official recognition to the Taliban\""},
		{"Moscow", "United States", events.Support, "regrets",
			"\"Moscow regrets the United States' absence\": regretting an absence is wanting them there"},
		{"Kremlin", "Taliban", events.Support, "recognizes",
			"\"the Kremlin recognizes the Taliban's efforts to ... stabilize the situation\""},
	}
	for _, w := range want {
		if !has(w.holder, w.target, w.stance, w.cue) {
			t.Errorf("missing %s -> %s %s (cue %q): %s", w.holder, w.target, w.stance, w.cue, w.why)
		}
	}
	// Nobody in the article opposes Russia or the United Nations, and
	// Moscow never supports recognising the Taliban.
	for _, tr := range res.Stances {
		if tr.Target == idx["Russia"] && tr.Stance == events.Oppose {
			t.Errorf("unexpected stance against Russia: %+v", tr)
		}
		if tr.Holder == idx["Moscow"] && tr.Target == idx["Taliban"] && tr.Stance == events.Support {
			t.Errorf("unexpected Moscow -> Taliban support: %+v", tr)
		}
	}

	// Entity sentiment: every evidence sentence mentions its entity, and
	// the ISIS affiliate, named only beside "attacks ... that have killed
	// hundreds of people", is treated negatively.
	for i, s := range res.Sentiments {
		if s.Score < -1 || s.Score > 1 {
			t.Errorf("%s: score %v outside [-1, 1]", ents[i].Name, s.Score)
		}
		for _, si := range s.Evidence {
			if !slices.ContainsFunc(ents[i].Mentions, func(m entity.Mention) bool { return m.Sentence == si }) {
				t.Errorf("%s: evidence sentence %d does not mention it", ents[i].Name, si)
			}
		}
	}
	if s := res.Sentiments[idx["Islamic State in Khorasan Province"]]; s.Polarity != events.Negative {
		t.Errorf("ISKP: polarity %s, want negative", s.Polarity)
	}
	// The article is about averting "economic collapse and a humanitarian
	// catastrophe", threats and rights violations: its tone is negative.
	if res.Tone >= 0 {
		t.Errorf("tone %.2f, want negative", res.Tone)
	}
}

// sampleArticle reads the Moscow talks article of ../shared/samples and
// builds its entities by hand: the names a reader finds, with the forms
// that an entity builder merges ("Lavrov" is Sergey Lavrov, "UN" the United
// Nations, "Washington" the United States government).
func sampleArticle(t testing.TB) (*text.Document, []entity.Entity) {
	b, err := os.ReadFile(filepath.Join(sharedDir(t, "samples"), "moscow-talks-2021-10-20.txt"))
	if err != nil {
		t.Fatal(err)
	}
	body := string(b)
	if strings.HasPrefix(body, "date ") {
		_, body, _ = strings.Cut(body, " ") // "date"
		_, body, _ = strings.Cut(body, " ") // the date
	}
	d := text.Analyze(body)
	// Longer forms first: "Sergey Lavrov" must be taken before "Lavrov".
	specs := []entitySpec{
		{"Taliban", events.TypeOrganization, []string{"Taliban"}},
		{"Afghanistan", events.TypeLocation, []string{"Afghanistan"}},
		{"Sergey Lavrov", events.TypePerson, []string{"Sergey Lavrov", "Lavrov"}},
		{"Moscow", events.TypeLocation, []string{"Moscow"}},
		{"Kremlin", events.TypeOrganization, []string{"Kremlin"}},
		{"Russia", events.TypeLocation, []string{"Russia"}},
		{"China", events.TypeLocation, []string{"China"}},
		{"Pakistan", events.TypeLocation, []string{"Pakistan"}},
		{"India", events.TypeLocation, []string{"India"}},
		{"Iran", events.TypeLocation, []string{"Iran"}},
		{"Central Asia", events.TypeLocation, []string{"Central Asia"}},
		{"Kazakhstan", events.TypeLocation, []string{"Kazakhstan"}},
		{"Kyrgyzstan", events.TypeLocation, []string{"Kyrgyzstan"}},
		{"Tajikistan", events.TypeLocation, []string{"Tajikistan"}},
		{"Turkmenistan", events.TypeLocation, []string{"Turkmenistan"}},
		{"Uzbekistan", events.TypeLocation, []string{"Uzbekistan"}},
		{"United Nations", events.TypeOrganization, []string{"United Nations", "UN"}},
		{"United States", events.TypeLocation, []string{"United States", "Washington"}},
		{"Amir Khan Muttaqi", events.TypePerson, []string{"Amir Khan Muttaqi"}},
		{"Abdul Salam Hanafi", events.TypePerson, []string{"Abdul Salam Hanafi"}},
		{"Vladimir Putin", events.TypePerson, []string{"Putin"}},
		{"Islamic State in Khorasan Province", events.TypeOrganization, []string{"ISIL", "ISIS", "Islamic State in Khorasan Province", "ISKP", "ISIS-K"}},
		{"al-Qaeda", events.TypeOrganization, []string{"al-Qaeda"}},
		{"Kabul", events.TypeLocation, []string{"Kabul"}},
	}
	return d, handEntities(t, d, specs)
}
