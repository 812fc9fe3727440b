package ner

import (
	"reflect"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

func TestMergeParticles(t *testing.T) {
	const (
		per  = events.TypePerson
		org  = events.TypeOrganization
		loc  = events.TypeLocation
		misc = events.TypeMisc
	)
	tests := []struct {
		name  string
		text  string
		spans []Span
		want  []Span
	}{
		{
			name:  "next span joins the person",
			text:  "Crown Prince Mohammed bin Salman spoke .",
			spans: []Span{{2, 3, per}, {4, 5, misc}},
			want:  []Span{{2, 5, per}},
		},
		{
			name:  "untagged word ends the name",
			text:  "founded by Osama bin Laden in 1988",
			spans: []Span{{2, 3, per}},
			want:  []Span{{2, 5, per}},
		},
		{
			name:  "two particles",
			text:  "Ursula von der Leyen said",
			spans: []Span{{0, 1, per}, {3, 4, per}},
			want:  []Span{{0, 4, per}},
		},
		{
			name:  "a longer name after the particles keeps its type",
			text:  "Charles de Gaulle Airport closed",
			spans: []Span{{0, 1, per}, {2, 4, loc}},
			want:  []Span{{0, 4, loc}},
		},
		{
			name:  "untagged run of several words is left alone",
			text:  "Charles de Gaulle Airport closed",
			spans: []Span{{0, 1, per}},
			want:  []Span{{0, 1, per}},
		},
		{
			name:  "only after a person",
			text:  "Paris de Gaulle",
			spans: []Span{{0, 1, loc}},
			want:  []Span{{0, 1, loc}},
		},
		{
			name:  "a lower-case word after the particle",
			text:  "Smith de facto ruled",
			spans: []Span{{0, 1, per}},
			want:  []Span{{0, 1, per}},
		},
		{
			name:  "an acronym is not a surname",
			text:  "Rossi di UN",
			spans: []Span{{0, 1, per}},
			want:  []Span{{0, 1, per}},
		},
		{
			name:  "particle at the end of the sentence",
			text:  "they met Rossi da",
			spans: []Span{{2, 3, per}},
			want:  []Span{{2, 3, per}},
		},
		{
			name:  "chained names",
			text:  "Luiz Inácio Lula da Silva and Abu Bakr al Baghdadi",
			spans: []Span{{0, 3, per}, {4, 5, per}, {6, 8, per}, {9, 10, loc}},
			want:  []Span{{0, 5, per}, {6, 10, per}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := text.Analyze(tt.text)
			prefix := []Span{{-2, -1, org}} // spans of an earlier sentence stay
			spans := append(prefix, tt.spans...)
			got := mergeParticles(d, spans, 1, len(d.Tokens))
			want := append([]Span{{-2, -1, org}}, tt.want...)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("mergeParticles = %v, want %v", got, want)
			}
		})
	}
}

// TestRecognizeParticleNames runs the embedded model: the particle rule
// turns names the model cuts in two into one person.
func TestRecognizeParticleNames(t *testing.T) {
	m, err := Load(testGazetteer)
	if err != nil {
		t.Fatal(err)
	}
	d := text.Analyze("Al-Qaeda was founded by Osama bin Laden. Crown Prince Mohammed bin Salman met Ursula von der Leyen.")
	var people []string
	for _, s := range m.Recognize(d) {
		if s.Type == events.TypePerson {
			people = append(people, d.Text[d.Tokens[s.First].Start:d.Tokens[s.Limit-1].End])
		}
	}
	for _, name := range []string{"Osama bin Laden", "Mohammed bin Salman", "Ursula von der Leyen"} {
		found := false
		for _, p := range people {
			found = found || p == name || len(p) > len(name) && p[len(p)-len(name):] == name
		}
		if !found {
			t.Errorf("people %q: no %q", people, name)
		}
	}
}
