package entity

import (
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/ner"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// FuzzBuild checks the invariants of entities built from the model's spans
// on arbitrary text.
func FuzzBuild(f *testing.F) {
	m, err := ner.Load(gz)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Foreign Minister Sergey Lavrov met the UN. Lavrov said the U.S. and the United States agreed.")
	f.Add("Since Diwali the CEO of WeWork, Adam Neumann, left New York for Łódź.")
	f.Fuzz(func(t *testing.T, s string) {
		d := text.Analyze(s)
		seen := map[string]bool{}
		for _, e := range Build(d, m.Recognize(d), gz) {
			if seen[e.Key] {
				t.Fatalf("duplicate key %s", e.Key)
			}
			seen[e.Key] = true
			if e.Salience < 0 || e.Salience > 1 || len(e.Mentions) == 0 || e.Name == "" {
				t.Fatalf("bad entity %+v", e)
			}
			if typ, slug, ok := strings.Cut(e.Key, ":"); !ok || typ != e.Type || slug == "" {
				t.Fatalf("bad key %q for type %s", e.Key, e.Type)
			}
			if ner.LabelOfType(e.Type) == "" {
				t.Fatalf("bad type %q", e.Type)
			}
			if e.Kind == events.PlaceCountry && len(e.Country) != 2 {
				t.Fatalf("country without code: %+v", e)
			}
			for _, mn := range e.Mentions {
				if mn.Start < 0 || mn.End > len(s) || mn.Start >= mn.End || mn.Sentence < 0 || mn.Sentence >= len(d.Sentences) {
					t.Fatalf("bad mention %+v of %s", mn, e.Key)
				}
			}
		}
	})
}
