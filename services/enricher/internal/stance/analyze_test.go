package stance

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/entity"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

func TestLoad(t *testing.T) {
	a := loadAnalyzer(t)
	if !strings.HasPrefix(a.Version(), "stance-newsmtsc-lr-") {
		t.Errorf("Version() = %q", a.Version())
	}
	if len(a.index) < 1000 {
		t.Errorf("model has %d features", len(a.index))
	}
}

func TestNewRefusesBadModels(t *testing.T) {
	classes := []string{events.Negative, events.Neutral, events.Positive}
	tests := []struct {
		name string
		mf   ModelFile
	}{
		{"no version", ModelFile{Classes: classes}},
		{"two classes", ModelFile{Version: "v", Classes: classes[:2]}},
		{"classes out of order", ModelFile{Version: "v", Classes: []string{events.Positive, events.Neutral, events.Negative}}},
		{"unknown template", ModelFile{Version: "v", Classes: classes, Features: map[string][3]float32{"nope|x": {1, 2, 3}}}},
	}
	for _, tt := range tests {
		if _, err := New(&tt.mf); !errors.Is(err, ErrModel) {
			t.Errorf("%s: err = %v, want ErrModel", tt.name, err)
		}
	}
	if _, err := Read(strings.NewReader("not gzip")); !errors.Is(err, ErrModel) {
		t.Errorf("Read(garbage): err = %v, want ErrModel", err)
	}
}

// synthetic builds NewsMTSC records from a template sentence per class.
func synthetic(n int) []*Record {
	names := []string{"Smith", "Jones", "Brown", "Garcia", "Okafor", "Ivanova", "Chen", "Dubois"}
	neg := []string{"%s was condemned for the disgraceful and corrupt deal.", "Critics accused %s of lying and fraud."}
	neu := []string{"%s arrived in Paris on Tuesday for the talks.", "%s will speak at the conference next week."}
	pos := []string{"%s was praised for the brilliant and generous plan.", "Fans cheered %s after the wonderful win."}
	var recs []*Record
	for i := range n {
		name := names[i%len(names)]
		var tmpl string
		var pol float64
		switch i % 3 {
		case 0:
			tmpl, pol = neg[i/3%2], 2
		case 1:
			tmpl, pol = neu[i/3%2], 4
		default:
			tmpl, pol = pos[i/3%2], 6
		}
		s := strings.Replace(tmpl, "%s", name, 1)
		from := len([]rune(s[:strings.Index(s, name)]))
		recs = append(recs, &Record{Sentence: s, Targets: []Target{{GID: name, From: from, To: from + len(name), Polarity: pol}}})
	}
	return recs
}

func baseForTest(t *testing.T) *ModelFile {
	t.Helper()
	return &ModelFile{
		Classes:  []string{events.Negative, events.Neutral, events.Positive},
		Lexicon:  map[string]float32{"condemned": -2, "disgraceful": -2.5, "corrupt": -2.4, "praised": 2.2, "brilliant": 2.8, "wonderful": 2.7},
		Boosters: map[string]float32{"very": 0.293},
	}
}

// TestTrainLearnsAndIsDeterministic trains on a small synthetic set twice:
// the two model files are identical, and the model classifies sentences it
// has not seen.
func TestTrainLearnsAndIsDeterministic(t *testing.T) {
	opt := DefaultTrainOptions()
	m1, err := Train(baseForTest(t), synthetic(60), opt)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Train(baseForTest(t), synthetic(60), opt)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(m1)
	b2, _ := json.Marshal(m2)
	if !bytes.Equal(b1, b2) {
		t.Error("two trainings on the same data differ")
	}
	m1.Version = "test"
	// Round trip through the file format.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	json.NewEncoder(zw).Encode(m1)
	zw.Close()
	a, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ sentence, target, want string }{
		{"Observers condemned Lee over the disgraceful affair.", "Lee", events.Negative},
		{"Lee was praised for a brilliant speech.", "Lee", events.Positive},
		{"Lee arrived in Rome on Monday.", "Lee", events.Neutral},
	}
	for _, tt := range tests {
		from := strings.Index(tt.sentence, tt.target)
		r := &Record{Sentence: tt.sentence, Targets: []Target{{From: from, To: from + len(tt.target), Polarity: 4}}}
		var tk tokens
		if got := classNames[argmax(a.classifyRecord(r, &tk, nil)[0])]; got != tt.want {
			t.Errorf("%q: %s, want %s", tt.sentence, got, tt.want)
		}
	}
}

func TestTone(t *testing.T) {
	a := loadAnalyzer(t)
	tests := []struct {
		in   string
		want float64
	}{
		{"The talks were a great success.", 100 * 2.0 / 6},      // great, success
		{"The talks were not a great success.", -100 * 2.0 / 7}, // the three words after "not" are negated
		{"Troops killed three people in a brutal attack.", -100 * 3.0 / 8},
		{"The meeting is on Tuesday.", 0},
		{"", 0},
	}
	for _, tt := range tests {
		got := a.Tone(text.Tokenize(tt.in, nil))
		if math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Tone(%q) = %.3f, want %.3f", tt.in, got, tt.want)
		}
	}
}

// TestAnalyzeIgnoresBadMentions gives mentions outside the document.
func TestAnalyzeIgnoresBadMentions(t *testing.T) {
	d := text.Analyze("Russia condemned Ukraine. Then it rained.")
	ents := []entity.Entity{
		{Name: "Russia", Type: events.TypeLocation, Mentions: []entity.Mention{{First: 0, Limit: 1, Sentence: 0}, {First: 40, Limit: 45, Sentence: 7}}},
		{Name: "Ukraine", Type: events.TypeLocation, Mentions: []entity.Mention{{First: 2, Limit: 3, Sentence: 0}, {First: 3, Limit: 2, Sentence: 0}}},
		{Name: "Nowhere", Type: events.TypeLocation},
	}
	res := loadAnalyzer(t).Analyze(d, ents)
	if len(res.Sentiments) != 3 {
		t.Fatalf("%d sentiments for 3 entities", len(res.Sentiments))
	}
	if s := res.Sentiments[2]; s.Polarity != events.Neutral || s.Score != 0 || len(s.Evidence) != 0 {
		t.Errorf("entity without mentions: %+v, want neutral, 0, no evidence", s)
	}
	if len(res.Stances) != 1 || res.Stances[0].Holder != 0 || res.Stances[0].Target != 1 || res.Stances[0].Stance != events.Oppose || res.Stances[0].Cue != "condemned" {
		t.Errorf("stances %+v, want Russia -> Ukraine oppose (condemned)", res.Stances)
	}
}

// FuzzAnalyze runs Analyze on arbitrary text with arbitrary mentions and
// checks the invariants of its result.
func FuzzAnalyze(f *testing.F) {
	f.Add("Lavrov said Moscow regrets the United States’ absence. He urged the group to resign.", uint64(1))
	f.Add("Y was condemned by X and Z, who refused to back W's bid.", uint64(7))
	f.Add("“I”, a critic of — and ally of —", uint64(3))
	a, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	types := []string{events.TypePerson, events.TypeOrganization, events.TypeLocation, events.TypeMisc, ""}
	f.Fuzz(func(t *testing.T, s string, seed uint64) {
		d := text.Analyze(s)
		rng := rand.New(rand.NewPCG(seed, 1))
		var ents []entity.Entity
		for e := range 1 + rng.IntN(5) {
			ent := entity.Entity{Name: string(rune('A' + e)), Type: types[rng.IntN(len(types))]}
			for range rng.IntN(4) {
				if len(d.Tokens) == 0 {
					break
				}
				first := rng.IntN(len(d.Tokens))
				limit := first + 1 + rng.IntN(3)
				sent := 0
				for i, sen := range d.Sentences {
					if first >= sen.First && first < sen.Limit {
						sent = i
					}
				}
				if rng.IntN(5) == 0 {
					sent = rng.IntN(len(d.Sentences) + 2)
				}
				ent.Mentions = append(ent.Mentions, entity.Mention{First: first, Limit: limit, Sentence: sent})
			}
			ents = append(ents, ent)
		}
		res := a.Analyze(d, ents)
		if len(res.Sentiments) != len(ents) {
			t.Fatalf("%d sentiments for %d entities", len(res.Sentiments), len(ents))
		}
		if res.Tone < -100 || res.Tone > 100 || math.IsNaN(res.Tone) {
			t.Fatalf("tone %v", res.Tone)
		}
		for _, sn := range res.Sentiments {
			if sn.Score < -1 || sn.Score > 1 || math.IsNaN(sn.Score) {
				t.Fatalf("score %v", sn.Score)
			}
			for _, ev := range sn.Evidence {
				if ev < 0 || ev >= len(d.Sentences) {
					t.Fatalf("evidence sentence %d of %d", ev, len(d.Sentences))
				}
			}
		}
		for _, tr := range res.Stances {
			if tr.Target < 0 || tr.Target >= len(ents) || tr.Holder < -1 || tr.Holder >= len(ents) || tr.Holder == tr.Target {
				t.Fatalf("bad indexes %+v", tr)
			}
			if tr.CueStart < 0 || tr.CueEnd > len(s) || tr.CueStart >= tr.CueEnd || s[tr.CueStart:tr.CueEnd] != tr.Cue {
				t.Fatalf("bad cue %+v", tr)
			}
			if tr.Sentence < 0 || tr.Sentence >= len(d.Sentences) {
				t.Fatalf("bad sentence %+v", tr)
			}
			if tr.Stance != events.Support && tr.Stance != events.Oppose && tr.Stance != events.NeutralStance {
				t.Fatalf("bad stance %+v", tr)
			}
		}
	})
}

// TestModesAgree checks that scoring a sentence once and each target's own
// features after (as Analyze does) gives the scores of full extraction (as
// training does).
func TestModesAgree(t *testing.T) {
	a := loadAnalyzer(t)
	units := 0
	for _, b := range readGold(t, "testdata/triples.txt") {
		var tk tokens
		a.prepare(b.doc.Tokens, &tk)
		ms := mentions(b.doc, b.ents)
		for si, s := range b.doc.Sentences {
			base := a.scores(a.bias64(), extract(&tk, unit{first: s.First, limit: s.Limit}, nil, nil, modeSentence))
			for e := range b.ents {
				u := unit{first: s.First, limit: s.Limit, ent: e}
				for _, m := range ms {
					if m.sent != si {
						continue
					}
					if m.ent == e {
						u.targets = append(u.targets, m.span)
					} else {
						u.others = append(u.others, m.span)
					}
				}
				if len(u.targets) == 0 {
					continue
				}
				units++
				full := a.scores(a.bias64(), extract(&tk, u, nil, nil, modeFull))
				split := a.scores(base, extract(&tk, u, nil, nil, modeUnit))
				for c := range numClasses {
					if math.Abs(full[c]-split[c]) > 1e-4 {
						t.Fatalf("line %d, entity %s: full %v, split %v", b.line, b.ents[e].Name, full, split)
					}
				}
			}
		}
	}
	if units < 300 {
		t.Errorf("compared %d units", units)
	}
}
