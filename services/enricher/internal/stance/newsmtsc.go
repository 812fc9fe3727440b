package stance

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"encoding/json"

	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// Record is one NewsMTSC sentence with its labelled targets.
type Record struct {
	PrimaryGID string   `json:"primary_gid"`
	Sentence   string   `json:"sentence_normalized"`
	Targets    []Target `json:"targets"`
}

// Target is a labelled mention of a NewsMTSC record. Offsets count code
// points, To exclusive.
type Target struct {
	GID      string  `json:"Input.gid"`
	From     int     `json:"from"`
	To       int     `json:"to"`
	Mention  string  `json:"mention"`
	Polarity float64 `json:"polarity"`
	Further  []Span  `json:"further_mentions,omitempty"`
}

// Span is a mention range in code points, To exclusive.
type Span struct {
	From    int    `json:"from"`
	To      int    `json:"to"`
	Mention string `json:"mention,omitempty"`
}

// ErrRecord reports a NewsMTSC record that cannot be used.
var ErrRecord = errors.New("stance: bad NewsMTSC record")

// maxRecordLine bounds one JSON line.
const maxRecordLine = 1 << 20

// ReadNewsMTSC decodes NewsMTSC JSON lines, calling fn for each record.
// Blank lines are skipped; a malformed line stops the read with an error
// that names its line number and wraps ErrRecord.
func ReadNewsMTSC(r io.Reader, fn func(*Record) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxRecordLine)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(trimSpace(b)) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return fmt.Errorf("%w: line %d: %w", ErrRecord, line, err)
		}
		if err := rec.validate(); err != nil {
			return fmt.Errorf("%w: line %d: %w", ErrRecord, line, err)
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("stance: read NewsMTSC: %w", err)
	}
	return nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func (r *Record) validate() error {
	if !utf8.ValidString(r.Sentence) {
		return errors.New("sentence is not UTF-8")
	}
	n := utf8.RuneCountInString(r.Sentence)
	if len(r.Targets) == 0 {
		return errors.New("no targets")
	}
	check := func(from, to int) error {
		if from < 0 || to > n || from >= to {
			return fmt.Errorf("span [%d,%d) outside a sentence of %d code points", from, to, n)
		}
		return nil
	}
	for _, t := range r.Targets {
		if err := check(t.From, t.To); err != nil {
			return err
		}
		for _, f := range t.Further {
			if err := check(f.From, f.To); err != nil {
				return err
			}
		}
	}
	return nil
}

// polarityClass maps NewsMTSC's 2/4/6 scale to a class.
func polarityClass(p float64) (int, error) {
	switch p {
	case 2:
		return classNegative, nil
	case 4:
		return classNeutral, nil
	case 6:
		return classPositive, nil
	}
	return 0, fmt.Errorf("%w: polarity %v, want 2, 4 or 6", ErrRecord, p)
}

// recordDoc is a tokenised record with its targets as token spans.
type recordDoc struct {
	doc     *text.Document
	targets [][]span // per target: main mention first, then further mentions
}

func newRecordDoc(r *Record) recordDoc {
	doc := text.Analyze(r.Sentence)
	// Code point offset -> byte offset.
	byteAt := make([]int, 0, len(r.Sentence)+1)
	for b := range r.Sentence {
		byteAt = append(byteAt, b)
	}
	byteAt = append(byteAt, len(r.Sentence))
	toSpan := func(from, to int) span {
		bf, bt := byteAt[from], byteAt[to]
		s := span{-1, -1}
		for i, tok := range doc.Tokens {
			if tok.End > bf && tok.Start < bt {
				if s.first < 0 {
					s.first = i
				}
				s.limit = i + 1
			}
		}
		return s
	}
	rd := recordDoc{doc: doc, targets: make([][]span, len(r.Targets))}
	for i, t := range r.Targets {
		spans := []span{toSpan(t.From, t.To)}
		for _, f := range t.Further {
			if s := toSpan(f.From, f.To); s.first >= 0 && !slices.Contains(spans, s) {
				spans = append(spans, s)
			}
		}
		spans = slices.DeleteFunc(spans, func(s span) bool { return s.first < 0 })
		rd.targets[i] = spans
	}
	return rd
}

// relations finds the loose stance relations of a prepared record, with
// the targets as entities.
func (rd recordDoc) relations(t *tokens) []relation {
	var ms []mref
	for i, spans := range rd.targets {
		for _, s := range spans {
			ms = append(ms, mref{span: s, ent: i})
		}
	}
	slices.SortFunc(ms, func(a, b mref) int {
		if a.first != b.first {
			return a.first - b.first
		}
		return b.limit - a.limit
	})
	out := ms[:0]
	for _, m := range ms {
		if n := len(out); n > 0 && m.first < out[n-1].limit {
			continue
		}
		out = append(out, m)
	}
	f := newRelationFinder(t, out, nil)
	f.loose = true
	return f.sentence(0, len(rd.doc.Tokens), nil)
}

// unitFor returns the classification unit of target i: the whole record,
// with the other targets' mentions as others.
func (rd recordDoc) unitFor(i int, rels []relation) unit {
	u := unit{first: 0, limit: len(rd.doc.Tokens), targets: rd.targets[i], ent: i, rels: rels}
	for j, spans := range rd.targets {
		if j != i && (len(spans) == 0 || len(rd.targets[i]) == 0 || spans[0] != rd.targets[i][0]) {
			u.others = append(u.others, spans...)
		}
	}
	return u
}

// classifyRecord returns the class probabilities of each target of r.
func (a *Analyzer) classifyRecord(r *Record, t *tokens, buf []feature) [][numClasses]float64 {
	rd := newRecordDoc(r)
	a.prepare(rd.doc.Tokens, t)
	rels := rd.relations(t)
	out := make([][numClasses]float64, len(r.Targets))
	for i := range r.Targets {
		if len(rd.targets[i]) == 0 {
			out[i] = [numClasses]float64{0, 1, 0}
			continue
		}
		buf = extract(t, rd.unitFor(i, rels), buf[:0], nil, modeFull)
		out[i] = a.probs(buf)
	}
	return out
}

// tagLine is one output line of TagNewsMTSC.
type tagLine struct {
	GID      string `json:"gid"`
	Polarity string `json:"polarity"`
}

// TagNewsMTSC reads NewsMTSC JSON lines from r and writes one JSON line per
// target to w: {"gid": <the target's Input.gid>, "polarity":
// "negative"|"neutral"|"positive"}. Labels in the input are ignored.
func TagNewsMTSC(r io.Reader, w io.Writer, a *Analyzer) error {
	bw := bufio.NewWriter(w)
	var t tokens
	var buf []feature
	enc := json.NewEncoder(bw)
	err := ReadNewsMTSC(r, func(rec *Record) error {
		for i, p := range a.classifyRecord(rec, &t, buf) {
			if err := enc.Encode(tagLine{GID: rec.Targets[i].GID, Polarity: classNames[argmax(p)]}); err != nil {
				return fmt.Errorf("stance: write: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("stance: write: %w", err)
	}
	return nil
}

// Metrics are the scores of a three-class evaluation.
type Metrics struct {
	// Confusion[gold][predicted] counts targets; classes in the order
	// negative, neutral, positive.
	Confusion [numClasses][numClasses]int
	N         int
	Accuracy  float64
	// F1Macro is the unweighted mean of the per-class F1 ("F1m").
	F1Macro   float64
	Precision [numClasses]float64
	Recall    [numClasses]float64
	F1        [numClasses]float64
}

// Merge adds the counts of o; call Finish after.
func (m *Metrics) Merge(o *Metrics) {
	for g := range numClasses {
		for p := range numClasses {
			m.Confusion[g][p] += o.Confusion[g][p]
		}
	}
}

// Add counts one prediction; call Finish after.
func (m *Metrics) Add(gold, predicted int) {
	m.Confusion[gold][predicted]++
}

// Finish computes the scores from the confusion matrix.
func (m *Metrics) Finish() {
	m.N = 0
	correct := 0
	for g := range numClasses {
		for p := range numClasses {
			m.N += m.Confusion[g][p]
		}
		correct += m.Confusion[g][g]
	}
	if m.N > 0 {
		m.Accuracy = float64(correct) / float64(m.N)
	}
	m.F1Macro = 0
	for c := range numClasses {
		tp := m.Confusion[c][c]
		predicted, gold := 0, 0
		for o := range numClasses {
			predicted += m.Confusion[o][c]
			gold += m.Confusion[c][o]
		}
		m.Precision[c], m.Recall[c], m.F1[c] = 0, 0, 0
		if predicted > 0 {
			m.Precision[c] = float64(tp) / float64(predicted)
		}
		if gold > 0 {
			m.Recall[c] = float64(tp) / float64(gold)
		}
		if p, r := m.Precision[c], m.Recall[c]; p+r > 0 {
			m.F1[c] = 2 * p * r / (p + r)
		}
		m.F1Macro += m.F1[c] / numClasses
	}
}

// Print writes the scores and the confusion matrix as text.
func (m *Metrics) Print(w io.Writer, title string) error {
	_, err := fmt.Fprintf(w, "%s: n=%d F1m=%.3f accuracy=%.3f\n", title, m.N, m.F1Macro, m.Accuracy)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  %-10s %9s %9s %9s   %5s %5s %5s\n", "gold\\pred", "negative", "neutral", "positive", "P", "R", "F1")
	for g := range numClasses {
		fmt.Fprintf(w, "  %-10s %9d %9d %9d   %.3f %.3f %.3f\n", classNames[g],
			m.Confusion[g][0], m.Confusion[g][1], m.Confusion[g][2], m.Precision[g], m.Recall[g], m.F1[g])
	}
	return nil
}

// EvaluateNewsMTSC scores a on the labelled NewsMTSC JSON lines of r.
func EvaluateNewsMTSC(r io.Reader, a *Analyzer) (*Metrics, error) {
	var recs []*Record
	err := ReadNewsMTSC(r, func(rec *Record) error {
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return EvaluateRecords(recs, a)
}

// EvaluateRecords scores a on labelled NewsMTSC records.
func EvaluateRecords(recs []*Record, a *Analyzer) (*Metrics, error) {
	var m Metrics
	var t tokens
	var buf []feature
	for _, rec := range recs {
		for i, p := range a.classifyRecord(rec, &t, buf) {
			gold, err := polarityClass(rec.Targets[i].Polarity)
			if err != nil {
				return nil, err
			}
			m.Add(gold, argmax(p))
		}
	}
	m.Finish()
	return &m, nil
}
