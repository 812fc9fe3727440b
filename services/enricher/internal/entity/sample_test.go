package entity

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/shareddata"
	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/ner"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

var gz = gazetteer.MustLoad()

// sampleArticle reads the sample article of ../shared/samples, without its
// leading date line.
func sampleArticle(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(shareddata.RequireSamples(t), "moscow-talks-2021-10-20.txt"))
	if err != nil {
		t.Fatalf("sample article: %v", err)
	}
	s := strings.TrimSpace(string(b))
	if rest, ok := strings.CutPrefix(s, "date "); ok && len(rest) >= 10 {
		s = strings.TrimSpace(rest[10:]) // "date YYYY-MM-DD", then the text
	}
	return s
}

// checkSample asserts the entities the sample article must yield.
func checkSample(t *testing.T, rec ner.Recognizer) {
	body := sampleArticle(t)
	d := text.Analyze(body)
	ents := Build(d, rec.Recognize(d), gz)
	byKey := map[string]Entity{}
	for _, e := range ents {
		byKey[e.Key] = e
	}
	want := []struct{ key, typ, kind, country string }{
		{"organization:taliban", events.TypeOrganization, "", ""},
		{"person:sergey-lavrov", events.TypePerson, "", ""},
		{"person:amir-khan-muttaqi", events.TypePerson, "", ""},
		{"person:abdul-salam-hanafi", events.TypePerson, "", ""},
		{"location:russia", events.TypeLocation, events.PlaceCountry, "RU"},
		{"location:afghanistan", events.TypeLocation, events.PlaceCountry, "AF"},
		{"location:china", events.TypeLocation, events.PlaceCountry, "CN"},
		{"location:pakistan", events.TypeLocation, events.PlaceCountry, "PK"},
		{"location:united-states", events.TypeLocation, events.PlaceCountry, "US"},
		{"location:moscow-ru", events.TypeLocation, events.PlaceCity, "RU"},
		{"location:kabul-af", events.TypeLocation, events.PlaceCity, "AF"},
		{"organization:united-nations", events.TypeOrganization, "", ""},
	}
	for _, w := range want {
		e, ok := byKey[w.key]
		if !ok {
			t.Errorf("no entity %s", w.key)
			continue
		}
		if e.Type != w.typ || e.Kind != w.kind || e.Country != w.country {
			t.Errorf("%s: type/kind/country = %s/%s/%s, want %s/%s/%s", w.key, e.Type, e.Kind, e.Country, w.typ, w.kind, w.country)
		}
		for _, m := range e.Mentions {
			if m.Start < 0 || m.End > len(body) || m.Start >= m.End {
				t.Errorf("%s: bad mention %+v", w.key, m)
			}
		}
	}
	// "Lavrov" alone is merged into Sergey Lavrov, never an entity of its own.
	for _, e := range ents {
		if strings.Contains(e.Key, "lavrov") && e.Key != "person:sergey-lavrov" {
			t.Errorf("Lavrov not merged: extra entity %s", e.Key)
		}
	}
	if l := byKey["person:sergey-lavrov"]; len(l.Mentions) < 6 {
		t.Errorf("Sergey Lavrov has %d mentions, want the full name and the five family-name mentions merged", len(l.Mentions))
	}
	// Washington is the city, not the United States.
	if us := byKey["location:united-states"]; us.Key != "" {
		for _, m := range us.Mentions {
			if body[m.Start:m.End] == "Washington" {
				t.Errorf("Washington merged into the United States")
			}
		}
	}
	// The UN is the United Nations.
	if un := byKey["organization:united-nations"]; len(un.Mentions) < 2 {
		t.Errorf("United Nations has %d mentions, want UN merged in", len(un.Mentions))
	}
	if t.Failed() || testing.Verbose() {
		for _, e := range ents {
			var ms []string
			for _, m := range e.Mentions {
				ms = append(ms, body[m.Start:m.End])
			}
			t.Logf("%-36s %.3f %s %s %q", e.Key, e.Salience, e.Kind, e.Country, ms)
		}
	}
	// The article is about Afghanistan, the Taliban and Russia.
	top := map[string]bool{}
	for _, e := range ents[:min(5, len(ents))] {
		top[e.Key] = true
	}
	for _, k := range []string{"location:afghanistan", "organization:taliban", "location:russia"} {
		if !top[k] {
			t.Errorf("%s is not among the five most salient entities: %v", k, keys(ents[:min(5, len(ents))]))
		}
	}
}

func keys(es []Entity) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%s(%.2f) ", e.Key, e.Salience)
	}
	return b.String()
}

func TestSampleArticleRules(t *testing.T) {
	checkSample(t, ner.NewRules(gz))
}

func TestSampleArticleModel(t *testing.T) {
	m, err := ner.Load(gz)
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, m)
}
