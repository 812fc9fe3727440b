package events_test

import (
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
)

func TestMentions(t *testing.T) {
	e := fixtureEnriched(t)
	ms := e.Mentions()
	if len(ms) != len(e.Entities) {
		t.Fatalf("%d mention events for %d entities", len(ms), len(e.Entities))
	}
	wantStances := map[string]int{
		"person:sergey-lavrov":        4, // holder once, target three times
		"organization:united-nations": 1,
		"location:china":              1,
		"location:pakistan":           1,
		"location:washington":         1,
		"location:russia":             1,
		"organization:taliban":        1,
		"location:moscow":             0,
		"location:afghanistan":        0,
		"location:turkiye":            0,
	}
	for i, m := range ms {
		ent := e.Entities[i]
		if m.Entity.Key != ent.Key || len(m.Entity.Mentions) != len(ent.Mentions) {
			t.Errorf("event %d is about %s, want %s in entity order", i, m.Entity.Key, ent.Key)
		}
		if m.SchemaVersion != events.SchemaVersion || m.ArticleID != e.Article.ID || m.Source != e.Article.Source ||
			m.URL != e.Article.URL || m.Title != e.Article.Title || m.PublishedAt != e.Article.PublishedAt ||
			m.EnricherVersion != e.EnricherVersion || !m.EnrichedAt.Equal(e.EnrichedAt) {
			t.Errorf("%s: article fields not copied: %+v", ent.Key, m)
		}
		want, ok := wantStances[ent.Key]
		if !ok {
			t.Fatalf("unexpected entity %s", ent.Key)
		}
		if len(m.Stances) != want {
			t.Errorf("%s: %d stances, want %d", ent.Key, len(m.Stances), want)
		}
		for _, s := range m.Stances {
			if s.Holder != ent.Key && s.Target != ent.Key {
				t.Errorf("%s: stance %s -> %s does not involve it", ent.Key, s.Holder, s.Target)
			}
		}
		if want == 0 && m.Stances != nil {
			t.Errorf("%s: stances should be nil so that they are omitted", ent.Key)
		}
		if err := m.Validate(); err != nil {
			t.Errorf("%s: %v", ent.Key, err)
		}
	}
}

func TestMentionsOfNoEntities(t *testing.T) {
	e := fixtureEnriched(t)
	e.Entities = nil
	if ms := e.Mentions(); ms == nil || len(ms) != 0 {
		t.Errorf("Mentions() = %#v, want an empty slice", ms)
	}
}
