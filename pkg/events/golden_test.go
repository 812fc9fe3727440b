package events_test

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/newsflow/newsflow/pkg/events"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the fixtures")

type golden struct {
	file   string // in testdata/golden, also the schema it must satisfy
	value  func(testing.TB) any
	decode func([]byte) (any, error)
}

var goldens = []golden{
	{
		file:   "raw-article.v1.json",
		value:  func(t testing.TB) any { return fixtureRaw(t) },
		decode: func(b []byte) (any, error) { return events.DecodeRaw(b) },
	},
	{
		file:   "enriched-article.v1.json",
		value:  func(t testing.TB) any { return fixtureEnriched(t) },
		decode: func(b []byte) (any, error) { return events.DecodeEnriched(b) },
	},
	{
		file:   "mention.v1.json",
		value:  func(t testing.TB) any { return fixtureMention(t) },
		decode: func(b []byte) (any, error) { return events.DecodeMention(b) },
	},
}

func goldenPath(name string) string { return filepath.Join("testdata", "golden", name) }

// TestGolden checks that Encode gives exactly the golden files (indented for
// reading; indentation changes nothing but white space), that the golden
// files decode back to the fixtures, and that they satisfy the JSON Schemas.
func TestGolden(t *testing.T) {
	schemas := compileSchemas(t)
	for _, g := range goldens {
		t.Run(g.file, func(t *testing.T) {
			want := g.value(t)
			enc, err := events.Encode(want)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := stdjson.Indent(&pretty, enc, "", "  "); err != nil {
				t.Fatalf("Encode gave invalid JSON: %v", err)
			}
			pretty.WriteByte('\n')
			if *update {
				if err := os.WriteFile(goldenPath(g.file), pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			file, err := os.ReadFile(goldenPath(g.file))
			if err != nil {
				t.Fatalf("%v (run go test -run Golden -update to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), file) {
				t.Errorf("Encode differs from %s; if the change is intended, run go test -run Golden -update\n got: %s\nwant: %s",
					g.file, pretty.Bytes(), file)
			}

			got, err := g.decode(file)
			if err != nil {
				t.Fatalf("decoding %s: %v", g.file, err)
			}
			if !sameEvent(got, want) {
				t.Errorf("%s decodes to\n%+v\nwant\n%+v", g.file, got, want)
			}
			if err := validateJSON(schemas[g.file], file); err != nil {
				t.Errorf("%s does not satisfy its schema: %v", g.file, err)
			}
		})
	}
}

// TestGoldenSpansQuoteTheBody checks that the golden enriched article is
// coherent: every mention's text is what its span covers, counted in code
// points, and evidence and stance sentences end on a full stop.
func TestGoldenSpansQuoteTheBody(t *testing.T) {
	b, err := os.ReadFile(goldenPath("enriched-article.v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := events.DecodeEnriched(b)
	if err != nil {
		t.Fatal(err)
	}
	body := []rune(e.Article.Body)
	if len(e.Entities) < 5 || len(e.Stances) < 3 || e.Tone == nil {
		t.Fatalf("the golden enriched article should be realistic: %d entities, %d stances, tone %v",
			len(e.Entities), len(e.Stances), e.Tone)
	}
	for _, ent := range e.Entities {
		if len(ent.Mentions) == 0 {
			t.Errorf("%s has no mentions", ent.Key)
		}
		for _, m := range ent.Mentions {
			if got := string(body[m.Start:m.End]); got != m.Text {
				t.Errorf("%s: span [%d, %d) covers %q, text is %q", ent.Key, m.Start, m.End, got, m.Text)
			}
		}
		if ent.Sentiment != nil {
			for _, ev := range ent.Sentiment.Evidence {
				if s := string(body[ev.Start:ev.End]); !strings.HasSuffix(s, ".") {
					t.Errorf("%s: evidence %q is not a sentence", ent.Key, s)
				}
			}
		}
	}
	for _, st := range e.Stances {
		if s := string(body[st.Sentence.Start:st.Sentence.End]); !strings.Contains(s, st.Cue) {
			t.Errorf("stance %s -> %s: sentence %q lacks the cue %q", st.Holder, st.Target, s, st.Cue)
		}
	}
}

// compileSchemas compiles the embedded schemas, by the URLs of their $id,
// asserting formats (date-time) as well.
func compileSchemas(t testing.TB) map[string]*jsonschema.Schema {
	t.Helper()
	schemasOnce.Do(func() { schemasCompiled, schemasErr = compile() })
	if schemasErr != nil {
		t.Fatal(schemasErr)
	}
	return schemasCompiled
}

var (
	schemasOnce     sync.Once
	schemasCompiled map[string]*jsonschema.Schema
	schemasErr      error
)

func compile() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	names := events.SchemaNames()
	for _, name := range names {
		b, err := events.Schema(name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		if err := c.AddResource(events.SchemaBaseURL+name, doc); err != nil {
			return nil, err
		}
	}
	out := make(map[string]*jsonschema.Schema, len(names))
	for _, name := range names {
		s, err := c.Compile(events.SchemaBaseURL + name)
		if err != nil {
			return nil, err
		}
		out[name] = s
	}
	return out, nil
}

func validateJSON(s *jsonschema.Schema, data []byte) error {
	if s == nil {
		return errors.New("no such schema")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}
