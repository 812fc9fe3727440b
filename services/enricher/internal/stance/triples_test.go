package stance

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/entity"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// goldBlock is one annotated passage of testdata/triples.txt.
type goldBlock struct {
	line  int
	style string
	doc   *text.Document
	ents  []entity.Entity
	gold  []goldTriple
}

type goldTriple struct{ holder, target, stance string }

var typeCodes = map[string]string{
	"PER": events.TypePerson, "ORG": events.TypeOrganization, "LOC": events.TypeLocation, "MISC": events.TypeMisc,
}

// parseMarked turns "[Mention=Name|TYPE] text" into plain text and entities
// with their mentions.
func parseMarked(marked string) (*text.Document, []entity.Entity, error) {
	type raw struct {
		start, end int
		name, typ  string
	}
	var plain strings.Builder
	var spans []raw
	for i := 0; i < len(marked); {
		c := marked[i]
		if c != '[' {
			plain.WriteByte(c)
			i++
			continue
		}
		j := strings.IndexByte(marked[i:], ']')
		if j < 0 {
			return nil, nil, fmt.Errorf("unclosed [ at byte %d", i)
		}
		inner := marked[i+1 : i+j]
		mention, code, ok := strings.Cut(inner, "|")
		typ, known := typeCodes[code]
		if !ok || !known {
			return nil, nil, fmt.Errorf("entity %q: want [mention|TYPE]", inner)
		}
		mention, name, aliased := strings.Cut(mention, "=")
		if !aliased {
			name = mention
		}
		name = strings.TrimPrefix(strings.TrimPrefix(name, "the "), "The ")
		start := plain.Len()
		plain.WriteString(mention)
		spans = append(spans, raw{start, plain.Len(), name, typ})
		i += j + 1
	}
	d := text.Analyze(plain.String())
	var ents []entity.Entity
	index := map[string]int{}
	for _, s := range spans {
		// A leading "the" is not part of the entity's mention.
		if strings.HasPrefix(d.Text[s.start:s.end], "the ") || strings.HasPrefix(d.Text[s.start:s.end], "The ") {
			s.start += 4
		}
		m := entity.Mention{First: -1, Start: s.start, End: s.end}
		for ti, tok := range d.Tokens {
			if tok.End > s.start && tok.Start < s.end {
				if m.First < 0 {
					m.First = ti
				}
				m.Limit = ti + 1
			}
		}
		if m.First < 0 {
			return nil, nil, fmt.Errorf("mention %q has no tokens", s.name)
		}
		for si, sen := range d.Sentences {
			if m.First >= sen.First && m.First < sen.Limit {
				m.Sentence = si
			}
		}
		e, ok := index[s.name]
		if !ok {
			e = len(ents)
			index[s.name] = e
			ents = append(ents, entity.Entity{Key: events.EntityKey(s.typ, s.name), Name: s.name, Type: s.typ})
		}
		ents[e].Mentions = append(ents[e].Mentions, m)
	}
	return d, ents, nil
}

func readGold(t *testing.T, path string) []goldBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []goldBlock
	var lines []string
	var gold []goldTriple
	style, start, n := "", 0, 0
	flush := func() {
		if len(lines) == 0 {
			if len(gold) > 0 {
				t.Fatalf("%s:%d: gold lines without text", path, n)
			}
			return
		}
		d, ents, err := parseMarked(strings.Join(lines, " "))
		if err != nil {
			t.Fatalf("%s:%d: %v", path, start, err)
		}
		names := map[string]bool{}
		for _, e := range ents {
			names[e.Name] = true
		}
		for _, g := range gold {
			if !names[g.holder] || !names[g.target] {
				t.Fatalf("%s:%d: gold %v names an entity that is not marked", path, start, g)
			}
		}
		blocks = append(blocks, goldBlock{line: start, style: style, doc: d, ents: ents, gold: gold})
		lines, gold = nil, nil
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "## "):
			flush()
			style = strings.TrimPrefix(line, "## ")
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, ">"):
			h, rest, ok1 := strings.Cut(strings.TrimSpace(line[1:]), " -> ")
			fields := strings.Fields(rest)
			if !ok1 || len(fields) < 2 {
				t.Fatalf("%s:%d: want \"> Holder -> Target stance\"", path, n)
			}
			st := fields[len(fields)-1]
			if st != events.Support && st != events.Oppose && st != events.NeutralStance {
				t.Fatalf("%s:%d: stance %q", path, n, st)
			}
			gold = append(gold, goldTriple{h, strings.Join(fields[:len(fields)-1], " "), st})
		default:
			if len(lines) == 0 {
				start = n
			}
			lines = append(lines, line)
		}
	}
	flush()
	return blocks
}

// TestTriplesGold measures the stance triples against the hand-annotated
// passages of testdata/triples.txt, the set the rules were developed on,
// and prints every miss and every false triple.
func TestTriplesGold(t *testing.T) {
	p, r, n := scoreTriples(t, "testdata/triples.txt")
	if n < 150 {
		t.Errorf("gold set has %d triples, want at least 150", n)
	}
	// Floors a little under the measured figures (docs/EVALUATION.md):
	// a change that loses more fails here.
	if p < 0.90 || r < 0.80 {
		t.Errorf("precision %.2f recall %.2f, want at least 0.90 and 0.80", p, r)
	}
}

// TestTriplesHeldout measures the triples on testdata/triples_heldout.txt,
// written after the rules were frozen and never used to change them.
func TestTriplesHeldout(t *testing.T) {
	p, r, _ := scoreTriples(t, "testdata/triples_heldout.txt")
	if p < minHeldoutPrecision || r < minHeldoutRecall {
		t.Errorf("precision %.2f recall %.2f, want at least %.2f and %.2f", p, r, minHeldoutPrecision, minHeldoutRecall)
	}
}

// scoreTriples returns the precision and recall of the triples on an
// annotated file, and its number of gold triples. Only triples between two
// entities are scored; triples whose holder is a phrase ("10 regional
// powers") are listed apart.
func scoreTriples(t *testing.T, path string) (precision, recall float64, gold int) {
	a := loadAnalyzer(t)
	blocks := readGold(t, path)
	type counts struct{ gold, predicted, correct int }
	var all counts
	byStyle := map[string]*counts{}
	var styles []string
	phrases := 0
	for _, b := range blocks {
		res := a.Analyze(b.doc, b.ents)
		c := byStyle[b.style]
		if c == nil {
			c = &counts{}
			byStyle[b.style] = c
			styles = append(styles, b.style)
		}
		matched := make([]bool, len(b.gold))
		for _, tr := range res.Stances {
			if tr.Holder < 0 {
				phrases++
				t.Logf("line %d: phrase holder %q -> %s %s (cue %q)", b.line, tr.HolderText, b.ents[tr.Target].Name, tr.Stance, tr.Cue)
				continue
			}
			got := goldTriple{b.ents[tr.Holder].Name, b.ents[tr.Target].Name, tr.Stance}
			c.predicted++
			ok := false
			for i, g := range b.gold {
				if !matched[i] && g == got {
					matched[i], ok = true, true
					break
				}
			}
			if ok {
				c.correct++
			} else {
				t.Logf("line %d: FALSE %s -> %s %s (cue %q)", b.line, got.holder, got.target, got.stance, tr.Cue)
			}
		}
		for i, g := range b.gold {
			c.gold++
			if !matched[i] {
				t.Logf("line %d: MISSED %s -> %s %s", b.line, g.holder, g.target, g.stance)
			}
		}
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	for _, s := range styles {
		c := byStyle[s]
		all.gold += c.gold
		all.predicted += c.predicted
		all.correct += c.correct
		t.Logf("%-26s gold %3d predicted %3d correct %3d precision %.2f recall %.2f",
			s, c.gold, c.predicted, c.correct, ratio(c.correct, c.predicted), ratio(c.correct, c.gold))
	}
	p, r := ratio(all.correct, all.predicted), ratio(all.correct, all.gold)
	t.Logf("%-26s gold %3d predicted %3d correct %3d precision %.2f recall %.2f (%d phrase-holder triples not scored)",
		"all", all.gold, all.predicted, all.correct, p, r, phrases)
	return p, r, all.gold
}

// Floors for the held-out set, set under its first and only measurement.
const (
	minHeldoutPrecision = 0.90
	minHeldoutRecall    = 0.80
)

func loadAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	a, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return a
}
