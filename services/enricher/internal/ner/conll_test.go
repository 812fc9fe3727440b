package ner

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/shareddata"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

func readFixture(t testing.TB) []AnnotatedDoc {
	t.Helper()
	f, err := os.Open("testdata/tiny.conll")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs, err := ReadCoNLL(f)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestReadCoNLL(t *testing.T) {
	docs := readFixture(t)
	if len(docs) != 3 {
		t.Fatalf("%d documents, want 3", len(docs))
	}
	d := docs[0]
	if len(d.Doc.Sentences) != 4 || len(d.Tags) != len(d.Doc.Tokens) {
		t.Fatalf("doc 0: %d sentences, %d tags for %d tokens", len(d.Doc.Sentences), len(d.Tags), len(d.Doc.Tokens))
	}
	for _, tok := range d.Doc.Tokens {
		if d.Doc.Text[tok.Start:tok.End] != tok.Text {
			t.Errorf("token %q does not match its offsets", tok.Text)
		}
	}
	if got := d.Doc.Text[d.Doc.Sentences[3].Start:d.Doc.Sentences[3].End]; got != "KABUL 2021-10-20" {
		t.Errorf("sentence 3 = %q", got)
	}
	if d.Tags[0] != "B-PER" || d.Tags[1] != "I-PER" || d.Tags[2] != "O" {
		t.Errorf("tags = %q", d.Tags[:3])
	}
}

// fixed is a recogniser that tags every capitalised word as a location.
type fixed struct{}

func (fixed) Recognize(d *text.Document) []Span {
	var out []Span
	for i, t := range d.Tokens {
		if t.Text[0] >= 'A' && t.Text[0] <= 'Z' {
			out = append(out, Span{First: i, Limit: i + 1, Type: events.TypeLocation})
		}
	}
	return out
}

func TestTagCoNLL(t *testing.T) {
	in := "-DOCSTART- -X- -X- O\n\nPeter NNP B-PER\nwent VBD O\nto TO O\nParis NNP B-LOC\n\nHi\n-DOCSTART- -X- -X- O\n\nRome NNP B-LOC\n"
	var out bytes.Buffer
	if err := TagCoNLL(strings.NewReader(in), &out, fixed{}); err != nil {
		t.Fatal(err)
	}
	want := "-DOCSTART- -X- -X- O O\n\nPeter NNP B-PER B-LOC\nwent VBD O O\nto TO O O\nParis NNP B-LOC B-LOC\n\nHi B-LOC\n-DOCSTART- -X- -X- O O\n\nRome NNP B-LOC B-LOC\n"
	if out.String() != want {
		t.Errorf("TagCoNLL wrote\n%s\nwant\n%s", out.String(), want)
	}
	// Tagged output evaluates: gold is the column before the last.
	rep, err := Evaluate(strings.NewReader(strings.ReplaceAll(out.String(), "Hi B-LOC", "Hi O B-LOC")))
	if err != nil {
		t.Fatal(err)
	}
	// Gold: Peter/PER, Paris/LOC, Rome/LOC; predicted: Peter, Paris, Hi, Rome as LOC.
	if o := rep.Overall; o.Gold != 3 || o.Pred != 4 || o.Correct != 2 {
		t.Errorf("overall = %+v, want gold 3, pred 4, correct 2", o)
	}
}

func TestEvaluatorConllevalRules(t *testing.T) {
	var e Evaluator
	// A span must match exactly in extent and type.
	e.Add([]string{"B-PER", "I-PER", "O", "B-LOC", "B-ORG", "I-ORG"},
		[]string{"B-PER", "I-PER", "O", "B-ORG", "B-ORG", "O"})
	// An I- tag after O starts a chunk (conlleval reads leniently).
	e.Add([]string{"B-MISC", "I-MISC"}, []string{"I-MISC", "I-MISC"})
	r := e.Report()
	want := map[string][3]int{ // gold, pred, correct
		"PER": {1, 1, 1}, "LOC": {1, 0, 0}, "ORG": {1, 2, 0}, "MISC": {1, 1, 1},
	}
	for _, s := range r.Types {
		w := want[s.Type]
		if s.Gold != w[0] || s.Pred != w[1] || s.Correct != w[2] {
			t.Errorf("%s: %+v, want gold/pred/correct %v", s.Type, s, w)
		}
	}
	o := r.Overall
	if o.Gold != 4 || o.Pred != 4 || o.Correct != 2 || o.F1() != 0.5 {
		t.Errorf("overall %+v F1 %v, want 2 of 4 and F1 0.5", o, o.F1())
	}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "overall      50.00     50.00     50.00") {
		t.Errorf("table:\n%s", buf.String())
	}
}

func TestEvaluateErrors(t *testing.T) {
	if _, err := Evaluate(strings.NewReader("Peter B-PER\n")); err == nil {
		t.Error("a line without a predicted tag must be an error")
	}
}

func FuzzReadCoNLL(f *testing.F) {
	b, err := os.ReadFile("testdata/tiny.conll")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("-DOCSTART-\n\n\nx\n\n-DOCSTART- a b\ny B-PER\n")
	f.Fuzz(func(t *testing.T, s string) {
		docs, err := ReadCoNLL(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, d := range docs {
			if len(d.Tags) != len(d.Doc.Tokens) {
				t.Fatalf("%d tags for %d tokens", len(d.Tags), len(d.Doc.Tokens))
			}
			next := 0
			for _, sen := range d.Doc.Sentences {
				if sen.First != next || sen.Limit <= sen.First {
					t.Fatalf("sentences do not tile the tokens")
				}
				next = sen.Limit
			}
			if next != len(d.Doc.Tokens) {
				t.Fatalf("sentences cover %d of %d tokens", next, len(d.Doc.Tokens))
			}
			for _, tok := range d.Doc.Tokens {
				if d.Doc.Text[tok.Start:tok.End] != tok.Text {
					t.Fatalf("token %q does not match its offsets", tok.Text)
				}
			}
		}
		// Tagging never loses or adds a line.
		var out bytes.Buffer
		if err := TagCoNLL(strings.NewReader(s), &out, fixed{}); err != nil {
			return
		}
		in := strings.Split(strings.TrimSuffix(strings.ReplaceAll(s, "\r\n", "\n"), "\n"), "\n")
		got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(in) != len(got) && !strings.ContainsAny(s, "\r") {
			t.Fatalf("TagCoNLL wrote %d lines for %d", len(got), len(in))
		}
	})
}

// TestTagThenEvaluate checks that the command path (TagCoNLL, then
// Evaluate on its output) scores the first documents of valid.txt exactly
// like EvaluateRecognizer.
func TestTagThenEvaluate(t *testing.T) {
	dir := shareddata.Require(t)
	raw, err := os.ReadFile(filepath.Join(dir, "ner", "conll2003", "valid.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// The first 40 documents keep the test quick under the race detector.
	if i := nthIndex(raw, []byte(docStart), 41); i > 0 {
		raw = raw[:i]
	}
	m, err := Load(testGazetteer)
	if err != nil {
		t.Fatal(err)
	}
	var tagged bytes.Buffer
	if err := TagCoNLL(bytes.NewReader(raw), &tagged, m); err != nil {
		t.Fatal(err)
	}
	if in, out := bytes.Count(raw, []byte("\n")), bytes.Count(tagged.Bytes(), []byte("\n")); in != out {
		t.Fatalf("TagCoNLL wrote %d lines for %d", out, in)
	}
	got, err := Evaluate(&tagged)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := ReadCoNLL(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := EvaluateRecognizer(docs, m)
	if got.Overall != want.Overall {
		t.Errorf("Evaluate(TagCoNLL) = %+v, EvaluateRecognizer = %+v", got.Overall, want.Overall)
	}
}

// nthIndex returns the index of the nth occurrence of sep in b, or -1.
func nthIndex(b, sep []byte, n int) int {
	off := 0
	for k := 1; ; k++ {
		i := bytes.Index(b[off:], sep)
		if i < 0 {
			return -1
		}
		if k == n {
			return off + i
		}
		off += i + len(sep)
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add("-DOCSTART- -X- O O\n\nPeter NNP B-PER B-PER\nParis NNP B-LOC I-PER\n\nx O O\n")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Evaluate(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, sc := range append(r.Types, r.Overall) {
			if sc.Correct > sc.Gold || sc.Correct > sc.Pred {
				t.Fatalf("%s: more correct than gold or predicted: %+v", sc.Type, sc)
			}
			if f := sc.F1(); f < 0 || f > 1 {
				t.Fatalf("%s: F1 %v", sc.Type, f)
			}
		}
	})
}
