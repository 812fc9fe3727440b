package ner

import (
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

var testGazetteer = gazetteer.MustLoad()

func TestRules(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string // surface -> type
	}{
		{"Foreign Minister Sergey Lavrov met officials of the United Nations in Kabul.",
			map[string]string{"Sergey Lavrov": events.TypePerson, "United Nations": events.TypeOrganization, "Kabul": events.TypeLocation}},
		{"The talks angered the Taliban, Lavrov said. Lavrov left for Russia.",
			map[string]string{"Taliban": events.TypeOrganization, "Russia": events.TypeLocation}},
		{"He spoke to the Afghan government in Washington.",
			map[string]string{"Afghan": events.TypeMisc, "Washington": events.TypeLocation}},
		{"On Wednesday the Bank of England raised rates.",
			map[string]string{"Bank of England": events.TypeOrganization}},
	}
	r := NewRules(testGazetteer)
	for _, tt := range tests {
		d := text.Analyze(tt.in)
		got := map[string]string{}
		for _, s := range r.Recognize(d) {
			got[tt.in[d.Tokens[s.First].Start:d.Tokens[s.Limit-1].End]] = s.Type
		}
		for surface, typ := range tt.want {
			if got[surface] != typ {
				t.Errorf("%q: %q is %q, want %q (all: %v)", tt.in, surface, got[surface], typ, got)
			}
		}
		for _, w := range []string{"On", "Wednesday", "The", "He", "Foreign Minister"} {
			if _, ok := got[w]; ok {
				t.Errorf("%q: %q tagged as a name", tt.in, w)
			}
		}
	}
}
