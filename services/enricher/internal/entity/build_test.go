package entity

import (
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/ner"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// spansOf tags the given surfaces (first occurrence after the previous one)
// with their types.
func spansOf(t *testing.T, d *text.Document, names []string, types []string) []ner.Span {
	t.Helper()
	var out []ner.Span
	next := 0
	for k, name := range names {
		found := false
		for i := next; i < len(d.Tokens) && !found; i++ {
			for j := i + 1; j <= len(d.Tokens); j++ {
				if d.Text[d.Tokens[i].Start:d.Tokens[j-1].End] == name {
					out = append(out, ner.Span{First: i, Limit: j, Type: types[k]})
					next, found = j, true
					break
				}
			}
		}
		if !found {
			t.Fatalf("%q not found after token %d", name, next)
		}
	}
	return out
}

func TestBuildMerges(t *testing.T) {
	const (
		per  = events.TypePerson
		org  = events.TypeOrganization
		loc  = events.TypeLocation
		misc = events.TypeMisc
	)
	tests := []struct {
		name  string
		text  string
		names []string
		types []string
		want  map[string]int // key -> mentions
	}{
		{"family name", "Sergey Lavrov spoke. Lavrov left. Mr. Lavrov came back.",
			[]string{"Sergey Lavrov", "Lavrov", "Lavrov"}, []string{per, per, org},
			map[string]int{"person:sergey-lavrov": 3}},
		{"country aliases", "The United States and the U.S. and US troops, said Washington.",
			[]string{"United States", "U.S.", "US", "Washington"}, []string{loc, loc, loc, loc},
			map[string]int{"location:united-states": 3, "location:washington-d-c-us": 1}},
		{"acronym", "The United Nations met. The UN said no.",
			[]string{"United Nations", "UN"}, []string{org, org},
			map[string]int{"organization:united-nations": 2}},
		{"types vote", "New Taliban rulers. The Taliban said. The Taliban left.",
			[]string{"Taliban", "Taliban", "Taliban"}, []string{misc, org, org},
			map[string]int{"organization:taliban": 3}},
		{"demonym", "An Afghan branch. The Afghan government said.",
			[]string{"Afghan", "Afghan"}, []string{misc, misc},
			map[string]int{"misc:afghan": 1, "location:afghanistan": 1}},
		{"ambiguous family name", "John Smith and Jane Smith met. Smith left.",
			[]string{"John Smith", "Jane Smith", "Smith"}, []string{per, per, per},
			map[string]int{"person:john-smith": 1, "person:jane-smith": 1, "person:smith": 1}},
		{"city of a country", "Talks in Moscow.",
			[]string{"Moscow"}, []string{loc},
			map[string]int{"location:moscow-ru": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := text.Analyze(tt.text)
			ents := Build(d, spansOf(t, d, tt.names, tt.types), gz)
			got := map[string]int{}
			for _, e := range ents {
				got[e.Key] = len(e.Mentions)
				if e.Key != events.EntityKey(e.Type, e.Name) && e.Kind != events.PlaceCity {
					t.Errorf("%s: key does not match name %q", e.Key, e.Name)
				}
				if e.Salience < 0 || e.Salience > 1 {
					t.Errorf("%s: salience %v out of [0,1]", e.Key, e.Salience)
				}
				for _, m := range e.Mentions {
					if d.Tokens[m.First].Start != m.Start || d.Tokens[m.Limit-1].End != m.End {
						t.Errorf("%s: mention offsets %+v do not match its tokens", e.Key, m)
					}
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("entities %v, want %v", got, tt.want)
			}
			for k, n := range tt.want {
				if got[k] != n {
					t.Errorf("%s has %d mentions, want %d (all: %v)", k, got[k], n, got)
				}
			}
		})
	}
}

func TestBuildEmpty(t *testing.T) {
	if got := Build(text.Analyze("nothing here"), nil, gz); len(got) != 0 {
		t.Errorf("Build with no spans = %v", got)
	}
	d := text.Analyze("Russia")
	if got := Build(d, []ner.Span{{First: 0, Limit: 1, Type: events.TypeLocation}}, nil); len(got) != 1 || got[0].Kind != "" {
		t.Errorf("Build without a gazetteer = %+v, want one unlinked entity", got)
	}
}

func TestSalience(t *testing.T) {
	ms := func(sentences ...int) []Mention {
		var out []Mention
		for _, s := range sentences {
			out = append(out, Mention{Sentence: s})
		}
		return out
	}
	tests := []struct {
		name      string
		a, b      []Mention
		aGreater  bool
		maxN, sen int
	}{
		{"more mentions", ms(3, 4, 5), ms(3), true, 3, 10},
		{"earlier", ms(1), ms(8), true, 3, 10},
		{"title", ms(0), ms(1), true, 3, 10},
	}
	for _, tt := range tests {
		a, b := Salience(tt.a, tt.maxN, tt.sen), Salience(tt.b, tt.maxN, tt.sen)
		if (a > b) != tt.aGreater {
			t.Errorf("%s: Salience %v vs %v", tt.name, a, b)
		}
		for _, s := range []float64{a, b} {
			if s < 0 || s > 1 {
				t.Errorf("%s: salience %v out of [0,1]", tt.name, s)
			}
		}
	}
	if got := Salience(ms(0), 1, 1); got != 1 {
		t.Errorf("Salience of the only entity in a one-sentence title = %v, want 1", got)
	}
	if got := Salience(nil, 1, 1); got != 0 {
		t.Errorf("Salience of no mentions = %v, want 0", got)
	}
}

func TestBuildTrims(t *testing.T) {
	d := text.Analyze("Since Diwali the CEO and the Attorney General met Ms. Letitia James.")
	spans := spansOf(t, d, []string{"Since Diwali", "CEO", "Attorney General", "Letitia James"},
		[]string{events.TypePerson, events.TypeOrganization, events.TypePerson, events.TypePerson})
	got := map[string]bool{}
	for _, e := range Build(d, spans, gz) {
		got[e.Key] = true
	}
	want := map[string]bool{"person:diwali": true, "person:letitia-james": true}
	if len(got) != len(want) || !got["person:diwali"] || !got["person:letitia-james"] {
		t.Errorf("entities %v, want %v", got, want)
	}
}

func TestBuildGazetteerOrganisation(t *testing.T) {
	d := text.Analyze("The Taliban met the Taliban. Afghan refugees fled.")
	spans := spansOf(t, d, []string{"Taliban", "Taliban", "Afghan"},
		[]string{events.TypeMisc, events.TypeOrganization, events.TypeMisc})
	got := map[string]int{}
	for _, e := range Build(d, spans, gz) {
		got[e.Key] = len(e.Mentions)
	}
	if got["organization:taliban"] != 2 || got["misc:afghan"] != 1 || len(got) != 2 {
		t.Errorf("entities %v, want organization:taliban (2) and misc:afghan (1)", got)
	}
}

func TestBuildDropsKeylessNames(t *testing.T) {
	d := text.Analyze("He said -- and & then Moscow.")
	spans := []ner.Span{{First: 2, Limit: 3, Type: events.TypeMisc}, {First: 4, Limit: 5, Type: events.TypeOrganization}, {First: 6, Limit: 7, Type: events.TypeLocation}}
	ents := Build(d, spans, gz)
	if len(ents) != 1 || ents[0].Key != "location:moscow-ru" {
		t.Errorf("Build = %+v, want only Moscow", ents)
	}
}
