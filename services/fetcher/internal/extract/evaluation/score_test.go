package evaluation

import (
	"errors"
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestScorePage(t *testing.T) {
	tests := []struct {
		name        string
		pred, truth string
		tp, fp, fn  float64
		p, r        float64
	}{
		{"both empty", "", "", 0, 0, 0, 1, 1},
		{"exact", "a b c d e", "a b c d e", 1, 0, 0, 1, 1},
		{"punctuation ignored", "a, b. c! d? e", "a b c d e", 1, 0, 0, 1, 1},
		{"empty prediction", "", "a b c d e", 0, 0, 1, 0, 0},
		{"extra boilerplate", "a b c d e x", "a b c d e", 2.0 / 3, 1.0 / 3, 0, 2.0 / 3, 1},
		{"missing end", "a b c d", "a b c d e", 0.5, 0, 0.5, 1, 0.5},
		// Repeats count: the truth has 5 shingles, "a b c d" twice; the
		// prediction has it once.
		{"repeats", "a b c d", "a b c d a b c d", 0.2, 0, 0.8, 1, 0.2},
		{"case kept", "A b c d", "a b c d", 0, 0.5, 0.5, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ScorePage(tt.pred, tt.truth)
			if !near(c.TP, tt.tp) || !near(c.FP, tt.fp) || !near(c.FN, tt.fn) {
				t.Errorf("counts = %+v, want TP=%v FP=%v FN=%v", c, tt.tp, tt.fp, tt.fn)
			}
			if !near(c.Precision(), tt.p) || !near(c.Recall(), tt.r) {
				t.Errorf("precision, recall = %v, %v, want %v, %v", c.Precision(), c.Recall(), tt.p, tt.r)
			}
		})
	}
}

func TestScore(t *testing.T) {
	truths := map[string]string{
		"p1": "a b c d e",               // exact
		"p2": "a b c d e",               // prediction has one extra shingle
		"p3": "one two three four five", // prediction empty
	}
	preds := map[string]string{
		"p1": "a, b, c, d, e.",
		"p2": "a b c d e x",
		"p3": "",
	}
	r, err := Score(preds, truths)
	if err != nil {
		t.Fatal(err)
	}
	// Precision over non-empty predictions (p1, p2): (1 + 2/3) / 2.
	wantP := (1 + 2.0/3) / 2
	// Recall over all three non-empty truths: (1 + 1 + 0) / 3.
	wantR := 2.0 / 3
	if !near(r.Precision, wantP) || !near(r.Recall, wantR) {
		t.Errorf("P, R = %v, %v, want %v, %v", r.Precision, r.Recall, wantP, wantR)
	}
	if want := 2 * wantP * wantR / (wantP + wantR); !near(r.F1, want) {
		t.Errorf("F1 = %v, want %v", r.F1, want)
	}
	if !near(r.Accuracy, 1.0/3) {
		t.Errorf("Accuracy = %v, want 1/3", r.Accuracy)
	}
	if len(r.Pages) != 3 || r.Pages[0].ID != "p1" || !r.Pages[0].Exact || !r.Pages[2].EmptyPrediction {
		t.Errorf("pages = %+v", r.Pages)
	}
}

func TestScoreKeyMismatch(t *testing.T) {
	for _, preds := range []map[string]string{
		{"a": ""},
		{"a": "", "c": ""},
		{"a": "", "b": "", "c": ""},
	} {
		if _, err := Score(preds, map[string]string{"a": "x", "b": "y"}); !errors.Is(err, ErrKeyMismatch) {
			t.Errorf("Score(%v) error = %v, want ErrKeyMismatch", preds, err)
		}
	}
}

func FuzzScorePage(f *testing.F) {
	f.Add("a b c d e", "a b c d")
	f.Add("", "x")
	f.Add("Привет мир", "мир")
	f.Fuzz(func(t *testing.T, pred, truth string) {
		c := ScorePage(pred, truth)
		sum := c.TP + c.FP + c.FN
		if sum != 0 && !near(sum, 1) {
			t.Fatalf("normalised counts sum to %v", sum)
		}
		for _, v := range []float64{c.TP, c.FP, c.FN, c.Precision(), c.Recall()} {
			if v < 0 || v > 1 || math.IsNaN(v) {
				t.Fatalf("value out of [0,1]: %+v", c)
			}
		}
		if self := ScorePage(truth, truth); self.FP != 0 || self.FN != 0 {
			t.Fatalf("a text scored against itself has errors: %+v", self)
		}
	})
}

func TestBootstrap(t *testing.T) {
	same, err := Score(map[string]string{"a": "x y z w", "b": "x y z w"}, map[string]string{"a": "x y z w", "b": "x y z w"})
	if err != nil {
		t.Fatal(err)
	}
	if s := same.Bootstrap(200, 1); s != (Spread{}) {
		t.Errorf("identical pages: spread %+v, want zero", s)
	}
	mixed, err := Score(map[string]string{"a": "x y z w", "b": "q r s t", "c": "x y z w"}, map[string]string{"a": "x y z w", "b": "x y z w", "c": "x y z w"})
	if err != nil {
		t.Fatal(err)
	}
	s1, s2 := mixed.Bootstrap(200, 7), mixed.Bootstrap(200, 7)
	if s1 != s2 {
		t.Errorf("same seed, different spreads: %+v, %+v", s1, s2)
	}
	if s1.F1 <= 0 || s1.F1 > 0.5 || s1.Recall <= 0 {
		t.Errorf("mixed pages: spread %+v, want a positive F1 spread below 0.5", s1)
	}
}
