package stance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
)

func TestReadNewsMTSC(t *testing.T) {
	good := `{"primary_gid":"p1","sentence_normalized":"“Smith” was praised.","targets":[{"Input.gid":"g1","from":1,"to":6,"mention":"Smith","polarity":6.0}]}`
	tests := []struct {
		name    string
		in      string
		records int
		wantErr bool
		errLine string
	}{
		{"one record", good + "\n", 1, false, ""},
		{"blank lines skipped", "\n" + good + "\n\n" + good + "\n", 2, false, ""},
		{"bad json", good + "\n{\"primary_gid\":\n", 1, true, "line 2"},
		{"no targets", `{"primary_gid":"p","sentence_normalized":"x","targets":[]}`, 0, true, "line 1"},
		{"span past the end", `{"primary_gid":"p","sentence_normalized":"abc","targets":[{"Input.gid":"g","from":1,"to":9,"polarity":4}]}`, 0, true, "line 1"},
		{"empty span", `{"primary_gid":"p","sentence_normalized":"abc","targets":[{"Input.gid":"g","from":2,"to":2,"polarity":4}]}`, 0, true, "line 1"},
		{"bad further mention", `{"primary_gid":"p","sentence_normalized":"abc","targets":[{"Input.gid":"g","from":0,"to":1,"polarity":4,"further_mentions":[{"from":-1,"to":1}]}]}`, 0, true, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			err := ReadNewsMTSC(strings.NewReader(tt.in), func(*Record) error { n++; return nil })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && (!errors.Is(err, ErrRecord) || !strings.Contains(err.Error(), tt.errLine)) {
				t.Errorf("err = %v, want ErrRecord naming %s", err, tt.errLine)
			}
			if n != tt.records {
				t.Errorf("read %d records before stopping, want %d", n, tt.records)
			}
		})
	}
}

// TestRecordSpans checks that code point offsets land on the right tokens
// when the sentence has multi-byte characters before the mention.
func TestRecordSpans(t *testing.T) {
	s := "“Déjà vu,” said Ms. Núñez — and Smith agreed."
	runes := []rune(s)
	idx := func(sub string) int {
		for i := range runes {
			if strings.HasPrefix(string(runes[i:]), sub) {
				return i
			}
		}
		t.Fatalf("%q not in sentence", sub)
		return -1
	}
	from := idx("Smith")
	rec := &Record{Sentence: s, Targets: []Target{
		{GID: "a", From: from, To: from + 5, Polarity: 4},
		{GID: "b", From: idx("Ms. Núñez"), To: idx("Ms. Núñez") + len([]rune("Ms. Núñez")), Polarity: 4},
	}}
	rd := newRecordDoc(rec)
	got := func(sp span) string {
		toks := rd.doc.Tokens[sp.first:sp.limit]
		return s[toks[0].Start:toks[len(toks)-1].End]
	}
	if g := got(rd.targets[0][0]); g != "Smith" {
		t.Errorf("target 0 covers %q, want Smith", g)
	}
	if g := got(rd.targets[1][0]); g != "Ms. Núñez" {
		t.Errorf("target 1 covers %q, want Ms. Núñez", g)
	}
}

func TestTagNewsMTSC(t *testing.T) {
	in := strings.Join([]string{
		`{"primary_gid":"p1","sentence_normalized":"The court convicted Smith of murder, fraud and corruption after a shameful trial.","targets":[{"Input.gid":"g-smith","from":20,"to":25,"mention":"Smith","polarity":4.0}]}`,
		`{"primary_gid":"p2","sentence_normalized":"Jones, who was praised as a brilliant and generous leader, won the award and Brown attended.","targets":[{"Input.gid":"g-jones","from":0,"to":5,"mention":"Jones","polarity":4.0},{"Input.gid":"g-brown","from":77,"to":82,"mention":"Brown","polarity":4.0}]}`,
	}, "\n")
	var out bytes.Buffer
	if err := TagNewsMTSC(strings.NewReader(in), &out, loadAnalyzer(t)); err != nil {
		t.Fatal(err)
	}
	var got []tagLine
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if len(l) != 2 {
			t.Errorf("line %q: want exactly gid and polarity", sc.Text())
		}
		got = append(got, tagLine{GID: l["gid"].(string), Polarity: l["polarity"].(string)})
	}
	// The labels in the input (all neutral) are ignored: the model decides.
	want := []tagLine{{"g-smith", events.Negative}, {"g-jones", events.Positive}}
	if len(got) != 3 {
		t.Fatalf("got %d lines, want one per target (3): %v", len(got), got)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("line %d = %+v, want %+v", i, got[i], w)
		}
	}
	if got[2].GID != "g-brown" {
		t.Errorf("line 2 gid = %q, want g-brown", got[2].GID)
	}
}

func TestMetrics(t *testing.T) {
	var m Metrics
	// gold negative: 3 right, 1 as neutral; gold neutral: 2 right, 2 as
	// positive; gold positive: 1 right.
	for range 3 {
		m.Add(classNegative, classNegative)
	}
	m.Add(classNegative, classNeutral)
	m.Add(classNeutral, classNeutral)
	m.Add(classNeutral, classNeutral)
	m.Add(classNeutral, classPositive)
	m.Add(classNeutral, classPositive)
	m.Add(classPositive, classPositive)
	m.Finish()
	if m.N != 9 || math.Abs(m.Accuracy-6.0/9) > 1e-12 {
		t.Errorf("N=%d accuracy=%v, want 9 and 6/9", m.N, m.Accuracy)
	}
	// F1: negative P=1 R=3/4 -> 6/7; neutral P=2/3 R=1/2 -> 4/7; positive
	// P=1/3 R=1 -> 1/2.
	want := [3]float64{6.0 / 7, 4.0 / 7, 0.5}
	for c := range want {
		if math.Abs(m.F1[c]-want[c]) > 1e-12 {
			t.Errorf("F1[%s] = %v, want %v", classNames[c], m.F1[c], want[c])
		}
	}
	if f := (want[0] + want[1] + want[2]) / 3; math.Abs(m.F1Macro-f) > 1e-12 {
		t.Errorf("F1m = %v, want %v", m.F1Macro, f)
	}
	var b strings.Builder
	if err := m.Print(&b, "x"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "F1m=0.643") || !strings.Contains(b.String(), "negative") {
		t.Errorf("Print wrote %q", b.String())
	}
}

// Floors a little under the dev figures of the committed model (see
// docs/EVALUATION.md): retraining that loses more fails here.
var devFloors = map[string]float64{"dev_mt": 0.65, "dev_rw": 0.68}

// TestEvaluateDev scores the embedded model on the NewsMTSC dev splits.
func TestEvaluateDev(t *testing.T) {
	dir := filepath.Join(sharedDir(t, "data"), "sentiment", "newsmtsc")
	a := loadAnalyzer(t)
	for _, split := range []string{"dev_mt", "dev_rw"} {
		f, err := os.Open(filepath.Join(dir, split+".jsonl"))
		if err != nil {
			if os.Getenv("CI") != "true" && errors.Is(err, os.ErrNotExist) {
				t.Skip(err)
			}
			t.Fatal(err)
		}
		m, err := EvaluateNewsMTSC(f, a)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		m.Print(&b, split)
		t.Log("\n" + b.String())
		if m.F1Macro < devFloors[split] {
			t.Errorf("%s: F1m %.3f, want at least %.2f", split, m.F1Macro, devFloors[split])
		}
	}
}

func FuzzReadNewsMTSC(f *testing.F) {
	f.Add(`{"primary_gid":"p","sentence_normalized":"Smith was praised.","targets":[{"Input.gid":"g","from":0,"to":5,"polarity":6}]}`)
	f.Add(`{"primary_gid":"p","sentence_normalized":"“Né” x","targets":[{"Input.gid":"g","from":1,"to":3,"polarity":2,"further_mentions":[{"from":5,"to":6}]}]}`)
	f.Add("\n\n{}")
	a, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var tk tokens
		_ = ReadNewsMTSC(strings.NewReader(in), func(r *Record) error {
			ps := a.classifyRecord(r, &tk, nil)
			if len(ps) != len(r.Targets) {
				t.Fatalf("%d predictions for %d targets", len(ps), len(r.Targets))
			}
			for _, p := range ps {
				if s := p[0] + p[1] + p[2]; math.Abs(s-1) > 1e-6 {
					t.Fatalf("probabilities %v do not sum to 1", p)
				}
			}
			return nil
		})
	})
}
