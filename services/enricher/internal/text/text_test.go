package text

import (
	"reflect"
	"strings"
	"testing"
)

func tokenTexts(toks []Token) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Text
	}
	return out
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Russia's talks", []string{"Russia", "'s", "talks"}},
		{"Moscow’s influence.", []string{"Moscow", "’s", "influence", "."}},
		{"the U.S. and al-Qaeda", []string{"the", "U.S.", "and", "al-Qaeda"}},
		{"1,000.5 people, 20 years", []string{"1,000.5", "people", ",", "20", "years"}},
		{"They don't (really).", []string{"They", "do", "n't", "(", "really", ")", "."}},
		{"AT&T said: “Isolation", []string{"AT&T", "said", ":", "“", "Isolation"}},
		{"wait... what", []string{"wait", "...", "what"}},
		{"Mr. Sessions", []string{"Mr.", "Sessions"}},
		{"9/11 attacks", []string{"9/11", "attacks"}},
		{"ISIL (ISIS-K)", []string{"ISIL", "(", "ISIS-K", ")"}},
		{"Bin Ladens’s al-Qaeda", []string{"Bin", "Ladens", "’s", "al-Qaeda"}},
		{"", nil},
	}
	for _, tt := range tests {
		got := tokenTexts(Tokenize(tt.in, nil))
		if len(got) == 0 && len(tt.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenOffsets(t *testing.T) {
	in := "  Afghanistan’s new Taliban rulers — “won” 10 seats.\n"
	for _, tok := range Tokenize(in, nil) {
		if in[tok.Start:tok.End] != tok.Text {
			t.Errorf("token %q at [%d,%d) is %q in the text", tok.Text, tok.Start, tok.End, in[tok.Start:tok.End])
		}
	}
}

func TestSentences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Lavrov spoke. He left.", []string{"Lavrov spoke.", "He left."}},
		{"Mr. Sessions spoke to Dr. Smith. Then he left.", []string{"Mr. Sessions spoke to Dr. Smith.", "Then he left."}},
		{"He said: “Isolation is bad.” Then he left.", []string{"He said: “Isolation is bad.”", "Then he left."}},
		{"It is in the U.S. The talks went on.", []string{"It is in the U.S.", "The talks went on."}},
		{"The U.S. Army came.", []string{"The U.S. Army came."}},
		{"No recognition for now\n\nThe talks come after", []string{"No recognition for now", "The talks come after"}},
		{"Is it? Yes! 20 people came.", []string{"Is it?", "Yes!", "20 people came."}},
		{"as soon as possible. possible to assist", []string{"as soon as possible. possible to assist"}},
	}
	for _, tt := range tests {
		d := Analyze(tt.in)
		var got []string
		for _, s := range d.Sentences {
			got = append(got, tt.in[s.Start:s.End])
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("sentences of %q = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSentencesCoverAllTokens(t *testing.T) {
	in := strings.Repeat("A new administration is in power now, Lavrov said. “We note their efforts.”\n", 20)
	d := Analyze(in)
	next := 0
	for _, s := range d.Sentences {
		if s.First != next || s.Limit <= s.First {
			t.Fatalf("sentence %+v does not follow token %d", s, next)
		}
		next = s.Limit
	}
	if next != len(d.Tokens) {
		t.Fatalf("sentences cover %d of %d tokens", next, len(d.Tokens))
	}
}

func FuzzAnalyze(f *testing.F) {
	f.Add("Afghanistan’s new Taliban rulers won the support of 10 regional powers.")
	f.Add("U.S. e.g. 1,000 AT&T n't ’s \n\n“x”")
	f.Fuzz(func(t *testing.T, s string) {
		d := Analyze(s)
		prevEnd := 0
		for _, tok := range d.Tokens {
			if tok.Start < prevEnd || tok.End <= tok.Start || tok.End > len(s) || s[tok.Start:tok.End] != tok.Text {
				t.Fatalf("bad token %+v", tok)
			}
			prevEnd = tok.End
		}
		next := 0
		for _, sen := range d.Sentences {
			if sen.First != next {
				t.Fatalf("sentences skip tokens")
			}
			next = sen.Limit
		}
		if next != len(d.Tokens) {
			t.Fatalf("sentences cover %d of %d tokens", next, len(d.Tokens))
		}
	})
}

func TestRuneIndex(t *testing.T) {
	for _, s := range []string{"plain ascii", "Moscow’s “influence” — Türkiye", ""} {
		idx := NewRuneIndex(s)
		n := 0
		for b := range s {
			if got := idx.Rune(b); got != n {
				t.Errorf("%q: Rune(%d) = %d, want %d", s, b, got, n)
			}
			n++
		}
		if got := idx.Rune(len(s)); got != n {
			t.Errorf("%q: Rune(len) = %d, want %d", s, got, n)
		}
	}
}
