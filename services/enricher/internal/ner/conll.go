package ner

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// AnnotatedDoc is one document of a CoNLL file: its tokens as a
// text.Document (tokens joined by spaces, one sentence a line) and the gold
// IOB2 tag of each token, when the file has one.
type AnnotatedDoc struct {
	Doc  *text.Document
	Tags []string
}

const docStart = "-DOCSTART-"

// ReadCoNLL reads CoNLL-2003 text: one token a line with space-separated
// columns (the first is the token, the last the IOB2 tag), blank lines
// between sentences and "-DOCSTART-" lines between documents. Lines with a
// single column have no gold tag ("").
func ReadCoNLL(r io.Reader) ([]AnnotatedDoc, error) {
	var docs []AnnotatedDoc
	var b docBuilder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0:
			b.endSentence()
		case f[0] == docStart:
			if d, ok := b.finish(); ok {
				docs = append(docs, d)
			}
		default:
			tag := ""
			if len(f) > 1 {
				tag = f[len(f)-1]
			}
			b.add(f[0], tag)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("conll line %d: %w", line, err)
	}
	if d, ok := b.finish(); ok {
		docs = append(docs, d)
	}
	return docs, nil
}

// docBuilder assembles a text.Document from tokens.
type docBuilder struct {
	text      strings.Builder
	tokens    []text.Token
	sentences []text.Sentence
	tags      []string
	first     int // first token of the open sentence
}

func (b *docBuilder) add(tok, tag string) {
	if len(b.tokens) > b.first {
		b.text.WriteByte(' ')
	} else if b.text.Len() > 0 {
		b.text.WriteByte('\n')
	}
	start := b.text.Len()
	b.text.WriteString(tok)
	b.tokens = append(b.tokens, text.Token{Text: tok, Start: start, End: b.text.Len()})
	b.tags = append(b.tags, tag)
}

func (b *docBuilder) endSentence() {
	if len(b.tokens) > b.first {
		b.sentences = append(b.sentences, text.Sentence{
			Start: b.tokens[b.first].Start, End: b.tokens[len(b.tokens)-1].End,
			First: b.first, Limit: len(b.tokens),
		})
	}
	b.first = len(b.tokens)
}

func (b *docBuilder) finish() (AnnotatedDoc, bool) {
	b.endSentence()
	if len(b.tokens) == 0 {
		return AnnotatedDoc{}, false
	}
	// Token texts point into the final text, not the builder's pieces.
	s := b.text.String()
	for i := range b.tokens {
		b.tokens[i].Text = s[b.tokens[i].Start:b.tokens[i].End]
	}
	d := AnnotatedDoc{
		Doc:  &text.Document{Text: s, Tokens: b.tokens, Sentences: b.sentences},
		Tags: b.tags,
	}
	*b = docBuilder{}
	return d, true
}

// TagCoNLL reads CoNLL-2003 text from r (the first column is the token,
// other columns are ignored; each "-DOCSTART-" starts a new document, which
// is tagged as one article) and writes every line back to w with one more
// column, the predicted IOB2 tag. Blank lines stay blank; "-DOCSTART-" lines
// get the tag O.
func TagCoNLL(r io.Reader, w io.Writer, rec Recognizer) error {
	bw := bufio.NewWriter(w)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var lines []string
	flush := func() error {
		var b docBuilder
		for _, l := range lines {
			f := strings.Fields(l)
			switch {
			case len(f) == 0:
				b.endSentence()
			case f[0] != docStart:
				b.add(f[0], "")
			}
		}
		var tags []string
		if d, ok := b.finish(); ok {
			tags = SpansToIOB2(rec.Recognize(d.Doc), len(d.Doc.Tokens))
		}
		k := 0
		for _, l := range lines {
			f := strings.Fields(l)
			sep := " "
			if strings.Contains(l, "\t") {
				sep = "\t"
			}
			switch {
			case len(f) == 0:
				bw.WriteString(l)
			case f[0] == docStart:
				bw.WriteString(l + sep + "O")
			default:
				bw.WriteString(strings.TrimRight(l, " \t\r") + sep + tags[k])
				k++
			}
			bw.WriteByte('\n')
		}
		lines = lines[:0]
		return nil
	}
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, docStart) && len(lines) > 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("tag conll: %w", err)
	}
	if err := flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// Score counts entity-level matches of one type (or of all types).
type Score struct {
	Type                string // CoNLL label, or "overall"
	Gold, Pred, Correct int
}

// Precision is Correct/Pred, or 0.
func (s Score) Precision() float64 { return ratio(s.Correct, s.Pred) }

// Recall is Correct/Gold, or 0.
func (s Score) Recall() float64 { return ratio(s.Correct, s.Gold) }

// F1 is the harmonic mean of precision and recall, or 0.
func (s Score) F1() float64 {
	p, r := s.Precision(), s.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Report is an evaluation by conlleval's rules: a predicted entity counts
// when its span and type equal a gold entity's; chunks are read leniently
// (an I- tag that does not continue a chunk starts one) and end at sentence
// boundaries.
type Report struct {
	Types   []Score // PER, ORG, LOC, MISC
	Overall Score
	Tokens  int
	// TokensCorrect counts tokens whose predicted tag equals the gold tag.
	TokensCorrect int
}

// Evaluator accumulates a Report sentence by sentence.
type Evaluator struct {
	r Report
}

// Add scores one sentence: gold and predicted IOB2 tags of its tokens.
func (e *Evaluator) Add(gold, pred []string) {
	if e.r.Types == nil {
		for _, l := range typeLabels {
			e.r.Types = append(e.r.Types, Score{Type: l})
		}
		e.r.Overall.Type = "overall"
	}
	e.r.Tokens += len(gold)
	for i := range gold {
		if i < len(pred) && gold[i] == pred[i] {
			e.r.TokensCorrect++
		}
	}
	gs, ps := IOB2ToSpans(gold), IOB2ToSpans(pred)
	for _, s := range gs {
		e.r.Types[typeIndex(s.Type)].Gold++
		e.r.Overall.Gold++
	}
	for _, s := range ps {
		e.r.Types[typeIndex(s.Type)].Pred++
		e.r.Overall.Pred++
		if slices.Contains(gs, s) {
			e.r.Types[typeIndex(s.Type)].Correct++
			e.r.Overall.Correct++
		}
	}
}

// Report returns the scores so far.
func (e *Evaluator) Report() Report {
	if e.r.Types == nil {
		e.Add(nil, nil)
	}
	r := e.r
	r.Types = slices.Clone(r.Types)
	return r
}

// Evaluate reads CoNLL text with gold and predicted tags (the last two
// columns, as written by TagCoNLL over an annotated file) and scores the
// predictions.
func Evaluate(r io.Reader) (Report, error) {
	var e Evaluator
	var gold, pred []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	end := func() {
		e.Add(gold, pred)
		gold, pred = gold[:0], pred[:0]
	}
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0 || f[0] == docStart:
			end()
		case len(f) < 3:
			return Report{}, fmt.Errorf("evaluate: line %d: want a token, a gold and a predicted tag", line)
		default:
			gold = append(gold, f[len(f)-2])
			pred = append(pred, f[len(f)-1])
		}
	}
	if err := sc.Err(); err != nil {
		return Report{}, fmt.Errorf("evaluate: %w", err)
	}
	end()
	return e.Report(), nil
}

// EvaluateRecognizer tags docs with rec and scores it against their gold tags.
func EvaluateRecognizer(docs []AnnotatedDoc, rec Recognizer) Report {
	var e Evaluator
	for _, d := range docs {
		pred := SpansToIOB2(rec.Recognize(d.Doc), len(d.Doc.Tokens))
		for _, s := range d.Doc.Sentences {
			e.Add(d.Tags[s.First:s.Limit], pred[s.First:s.Limit])
		}
	}
	return e.Report()
}

// WriteTable prints the report as a table of precision, recall and F1 per
// type, in percent, like conlleval.
func (r Report) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%-8s %9s %9s %9s %7s %7s %7s\n", "type", "precision", "recall", "F1", "gold", "pred", "correct")
	for _, s := range append(slices.Clone(r.Types), r.Overall) {
		fmt.Fprintf(bw, "%-8s %9.2f %9.2f %9.2f %7d %7d %7d\n", s.Type, 100*s.Precision(), 100*s.Recall(), 100*s.F1(), s.Gold, s.Pred, s.Correct)
	}
	fmt.Fprintf(bw, "tokens %d, tag accuracy %.2f%%\n", r.Tokens, 100*ratio(r.TokensCorrect, r.Tokens))
	return bw.Flush()
}
