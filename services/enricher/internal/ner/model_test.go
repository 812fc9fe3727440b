package ner

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

func trainTiny(t *testing.T, seed uint64) (*Model, []byte) {
	t.Helper()
	opts := DefaultTrainOptions()
	opts.Epochs, opts.Seed = 5, seed
	m, err := Train(context.Background(), readFixture(t), testGazetteer, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return m, buf.Bytes()
}

func TestTrainDeterministic(t *testing.T) {
	m1, b1 := trainTiny(t, 7)
	m2, b2 := trainTiny(t, 7)
	if !bytes.Equal(b1, b2) || m1.Version() != m2.Version() {
		t.Fatalf("two trainings with one seed differ: %s vs %s", m1.Version(), m2.Version())
	}
	if !strings.HasPrefix(m1.Version(), "ner-ap1-") || m1.Features() == 0 {
		t.Errorf("version %q, %d features", m1.Version(), m1.Features())
	}
	// The tiny model learns its training data.
	rep := EvaluateRecognizer(readFixture(t), m1)
	if f := rep.Overall.F1(); f < 0.9 {
		t.Errorf("training-set F1 of the tiny model = %.3f, want >= 0.9", f)
	}
}

func TestModelRoundTrip(t *testing.T) {
	m, b := trainTiny(t, 1)
	back, err := Read(bytes.NewReader(b), testGazetteer)
	if err != nil {
		t.Fatal(err)
	}
	if back.Version() != m.Version() || back.Features() != m.Features() || back.opts != m.opts {
		t.Errorf("read back %s/%d/%+v, wrote %s/%d/%+v", back.Version(), back.Features(), back.opts, m.Version(), m.Features(), m.opts)
	}
	var again bytes.Buffer
	if err := back.Write(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), b) {
		t.Error("writing a read model gives different bytes")
	}
	for _, d := range readFixture(t) {
		if got, want := back.Recognize(d.Doc), m.Recognize(d.Doc); !reflect.DeepEqual(got, want) {
			t.Errorf("read-back model tags %v, trained model %v", got, want)
		}
	}
}

func TestReadRejectsBadFiles(t *testing.T) {
	_, b := trainTiny(t, 1)
	for name, in := range map[string][]byte{
		"empty":     nil,
		"not gzip":  []byte("NFNER\x00 hello"),
		"truncated": b[:len(b)/2],
	} {
		if _, err := Read(bytes.NewReader(in), testGazetteer); err == nil {
			t.Errorf("%s: Read succeeded", name)
		}
	}
}

func TestEmbeddedModel(t *testing.T) {
	m, err := Load(testGazetteer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Version(), "ner-ap1-") || m.Features() < 1000 {
		t.Errorf("embedded model %q with %d features", m.Version(), m.Features())
	}
	d := text.Analyze("Foreign Minister Sergey Lavrov said on Wednesday that Russia would host talks in Moscow with the United Nations.")
	got := map[string]string{}
	for _, s := range m.Recognize(d) {
		got[d.Text[d.Tokens[s.First].Start:d.Tokens[s.Limit-1].End]] = s.Type
	}
	want := map[string]string{"Sergey Lavrov": "person", "Russia": "location", "Moscow": "location", "United Nations": "organization"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Recognize = %v, want %v", got, want)
	}
}

// TestDevF1 tags the validation documents once: predicted tags must be
// strict IOB2 with spans inside sentences, and the shipped model's F1 on
// CoNLL-2003 valid.txt must stay at or above 0.90.
func TestDevF1(t *testing.T) {
	docs := loadValid(t)
	m, err := Load(testGazetteer)
	if err != nil {
		t.Fatal(err)
	}
	var e Evaluator
	for _, d := range docs {
		spans := m.Recognize(d.Doc)
		tags := SpansToIOB2(spans, len(d.Doc.Tokens))
		if !WellFormedIOB2(tags) {
			t.Fatalf("tags not IOB2: %q", tags)
		}
		if !slices.IsSortedFunc(spans, func(a, b Span) int { return a.First - b.First }) {
			t.Fatalf("spans out of order")
		}
		for _, s := range spans {
			if s.First >= s.Limit {
				t.Fatalf("empty span %+v", s)
			}
		}
		for _, sen := range d.Doc.Sentences {
			for _, s := range spans {
				if s.First >= sen.First && s.First < sen.Limit && s.Limit > sen.Limit {
					t.Fatalf("span %+v crosses sentence %+v", s, sen)
				}
			}
			e.Add(d.Tags[sen.First:sen.Limit], tags[sen.First:sen.Limit])
		}
	}
	rep := e.Report()
	if f := rep.Overall.F1(); f < 0.90 {
		var b strings.Builder
		rep.WriteTable(&b)
		t.Errorf("dev F1 %.4f < 0.90\n%s", f, b.String())
	}
}

func TestViterbiConstraints(t *testing.T) {
	// Emissions that favour an ill-formed sequence (I-PER first, then O,
	// then L-ORG) must still decode to a well-formed one.
	n := 3
	emit := make([]float32, n*numLabels)
	emit[0*numLabels+int(labelOf(0, posI))] = 10
	emit[2*numLabels+int(labelOf(1, posL))] = 10
	var trans [numLabels + 1][numLabels]float32
	out := make([]uint8, n)
	viterbi(emit, &trans, n, make([]uint8, n*numLabels), out)
	tags := SpansToIOB2(spansFromLabels(nil, out, 0), n)
	if !WellFormedIOB2(tags) {
		t.Fatalf("viterbi produced %v", out)
	}
	for k, y := range out {
		prev := numLabels
		if k > 0 {
			prev = int(out[k-1])
		}
		if !allowed[prev][y] {
			t.Fatalf("label %d after %d is not allowed: %v", y, prev, out)
		}
	}
	if !final[out[n-1]] {
		t.Fatalf("sequence ends with open label %d", out[n-1])
	}
}

func FuzzRecognize(f *testing.F) {
	m, err := Load(testGazetteer)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Foreign Minister Sergey Lavrov met the UN in Moscow.")
	f.Add("“ISIS-K” (ISKP) — AT&T's Ładoga U.S. 1,000\n\nBRUSSELS 1996-08-22")
	f.Fuzz(func(t *testing.T, s string) {
		d := text.Analyze(s)
		tags := SpansToIOB2(m.Recognize(d), len(d.Tokens))
		if !WellFormedIOB2(tags) {
			t.Fatalf("tags not IOB2: %q", tags)
		}
	})
}

func FuzzRead(f *testing.F) {
	f.Add(embedded[:min(len(embedded), 2000)])
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Read(bytes.NewReader(b), testGazetteer)
		if err != nil {
			return
		}
		m.Recognize(text.Analyze("Sergey Lavrov went to Moscow."))
	})
}

// TestRecognizeConcurrent tags documents from several goroutines at once;
// results must equal serial tagging (run with -race).
func TestRecognizeConcurrent(t *testing.T) {
	m, err := Load(testGazetteer)
	if err != nil {
		t.Fatal(err)
	}
	docs := readFixture(t)
	want := make([][]Span, len(docs))
	for i, d := range docs {
		want[i] = m.Recognize(d.Doc)
	}
	errs := make(chan string, 8)
	for g := range 8 {
		go func() {
			for k := range 20 {
				i := (g + k) % len(docs)
				if got := m.Recognize(docs[i].Doc); !reflect.DeepEqual(got, want[i]) {
					errs <- "concurrent Recognize differs from serial"
					return
				}
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}
