package corpus

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadNewsMTSC(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Doc
		wantErr bool
	}{
		{
			name: "grouped by article, in sentence order",
			in: `{"primary_gid": "allsides_1_2_5_X_0_1", "sentence_normalized": "Second."}
{"primary_gid": "allsides_1_2_1_X_0_1", "sentence_normalized": "First  one."}
{"primary_gid": "allsides_9_9_0_Y_0_1", "sentence_normalized": "Other story."}
`,
			want: []Doc{{"First one.", "Second."}, {"Other story."}},
		},
		{
			name: "duplicate positions keep the first",
			in: `{"primary_gid": "a_1_2_3_X", "sentence_normalized": "One."}
{"primary_gid": "a_1_2_3_Y", "sentence_normalized": "Two."}`,
			want: []Doc{{"One."}},
		},
		{
			name: "odd IDs are articles of their own",
			in: `{"primary_gid": "weird", "sentence_normalized": "A."}

{"sentence_normalized": "B."}`,
			want: []Doc{{"A."}, {"B."}},
		},
		{name: "not JSON", in: "{nope\n", wantErr: true},
		{name: "no sentence", in: `{"primary_gid": "a_1_2_3"}`, wantErr: true},
		{name: "empty", in: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadNewsMTSC(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !equalDocs(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func equalDocs(a, b []Doc) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") || len(a[i]) != len(b[i]) {
			return false
		}
	}
	return true
}

func TestGeneratorArticles(t *testing.T) {
	g, err := NewGenerator(Synthetic(50, 1), 7)
	if err != nil {
		t.Fatal(err)
	}
	const n = 400
	bodies := map[string]bool{}
	total := 0
	for i := range n {
		m := Marker("full", i)
		a := g.Article(m)
		if a.Words < g.MinWords || a.Words > g.MaxWords+60 {
			t.Fatalf("article %d has %d words, outside %d..%d", i, a.Words, g.MinWords, g.MaxWords)
		}
		if got := len(strings.Fields(a.Title + " " + a.Body)); got < a.Words {
			t.Fatalf("article %d: Words=%d but the text has %d", i, a.Words, got)
		}
		if bodies[a.Body] {
			t.Fatalf("article %d repeats an earlier body", i)
		}
		bodies[a.Body] = true
		for _, s := range []string{a.Title, a.Body} {
			phase, num, ok := ParseMarker(s)
			if !ok || phase != "full" || num != i {
				t.Fatalf("marker of %q = %q %d %v, want full %d", s[:min(len(s), 60)], phase, num, ok, i)
			}
		}
		f := string(a.File())
		title, rest, _ := strings.Cut(f, "\n")
		if title != a.Title || !strings.HasPrefix(rest, "\n") || strings.ContainsAny(title[len(title)-1:], ".,;:") {
			t.Fatalf("file does not start with a standalone title line: %q", f[:min(len(f), 120)])
		}
		total += a.Words
	}
	if mean := total / n; mean < 500 || mean > 720 {
		t.Errorf("mean length %d words, want about 600", mean)
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	docs := Synthetic(10, 3)
	a, _ := NewGenerator(docs, 5)
	b, _ := NewGenerator(docs, 5)
	for i := range 20 {
		if x, y := a.Article(Marker("half", i)), b.Article(Marker("half", i)); x != y {
			t.Fatalf("article %d differs between generators with the same seed", i)
		}
	}
}

func TestNewGeneratorRefusesEmptyCorpus(t *testing.T) {
	if _, err := NewGenerator([]Doc{{}, nil}, 1); !errors.Is(err, ErrNoText) {
		t.Fatalf("err = %v, want ErrNoText", err)
	}
}

func TestParseMarker(t *testing.T) {
	tests := []struct {
		in    string
		phase string
		n     int
		ok    bool
	}{
		{"Title [nfbench-warm-000012]", "warm", 12, true},
		{"x nfbench-full-123456 nfbench-half-000001", "full", 123456, true},
		{"nfbench-full-12345", "", 0, false},
		{"no marker", "", 0, false},
	}
	for _, tt := range tests {
		phase, n, ok := ParseMarker(tt.in)
		if phase != tt.phase || n != tt.n || ok != tt.ok {
			t.Errorf("ParseMarker(%q) = %q, %d, %v; want %q, %d, %v", tt.in, phase, n, ok, tt.phase, tt.n, tt.ok)
		}
	}
}

// TestLoadNewsMTSC reads the shared data; it skips without it, except
// under CI=true.
func TestLoadNewsMTSC(t *testing.T) {
	dir, err := SharedData()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data required under CI: %v", err)
		}
		t.Skipf("skipping: no shared data (%v); set NEWSFLOW_SHARED_DATA", err)
	}
	docs, err := LoadNewsMTSC(dir)
	if err != nil {
		t.Fatal(err)
	}
	sents := 0
	for _, d := range docs {
		sents += len(d)
	}
	if len(docs) < 100 || sents < 1000 {
		t.Fatalf("%d documents, %d sentences from %s: too few", len(docs), sents, filepath.Join(dir, "sentiment"))
	}
}

func FuzzReadNewsMTSC(f *testing.F) {
	f.Add(`{"primary_gid": "allsides_1_2_5_X_0_1", "sentence_normalized": "Second."}`)
	f.Add("{\"primary_gid\": \"a_b_c_d\", \"sentence_normalized\": \" \"}\n\n")
	f.Add("[1,2]\n")
	f.Fuzz(func(t *testing.T, in string) {
		docs, err := ReadNewsMTSC(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, d := range docs {
			if len(d) == 0 {
				t.Fatal("empty document")
			}
			for _, s := range d {
				if s == "" || s != strings.Join(strings.Fields(s), " ") {
					t.Fatalf("sentence %q is not trimmed and single-spaced", s)
				}
			}
		}
	})
}
