package promtext

import (
	"errors"
	"math"
	"strings"
	"testing"
)

const page = `# HELP newsflow_sink_end_to_end_seconds Time from fetch to commit.
# TYPE newsflow_sink_end_to_end_seconds histogram
newsflow_sink_end_to_end_seconds_bucket{le="0.01"} 10
newsflow_sink_end_to_end_seconds_bucket{le="0.1"} 90
newsflow_sink_end_to_end_seconds_bucket{le="1"} 100
newsflow_sink_end_to_end_seconds_bucket{le="+Inf"} 100
newsflow_sink_end_to_end_seconds_sum 12.5
newsflow_sink_end_to_end_seconds_count 100
newsflow_enricher_messages_total{outcome="ok"} 1234
newsflow_enricher_messages_total{outcome="retry"} 2
newsflow_fetcher_articles_total{outcome="new",source="inbox"} 7 1700000000000
newsflow_fetcher_articles_total{source="feed", outcome="new"} 3
weird_label{path="a\"b\\c\nd"} 1e3
`

func TestParseAndSum(t *testing.T) {
	set, err := Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		match map[string]string
		want  float64
	}{
		{"newsflow_enricher_messages_total", map[string]string{"outcome": "ok"}, 1234},
		{"newsflow_enricher_messages_total", nil, 1236},
		{"newsflow_fetcher_articles_total", map[string]string{"outcome": "new"}, 10},
		{"newsflow_fetcher_articles_total", map[string]string{"source": "inbox"}, 7},
		{"weird_label", map[string]string{"path": "a\"b\\c\nd"}, 1000},
		{"absent", nil, 0},
	}
	for _, tt := range tests {
		if got := set.Sum(tt.name, tt.match); got != tt.want {
			t.Errorf("Sum(%s, %v) = %v, want %v", tt.name, tt.match, got, tt.want)
		}
	}
}

func TestHistogramQuantile(t *testing.T) {
	set, err := Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	b, count, sum := set.Histogram("newsflow_sink_end_to_end_seconds")
	if len(b) != 4 || count != 100 || sum != 12.5 {
		t.Fatalf("histogram = %v, %v, %v", b, count, sum)
	}
	tests := []struct{ q, want float64 }{
		{0.05, 0.005},                // half of the first bucket
		{0.5, 0.01 + 0.09*40.0/80.0}, // inside the second
		{0.9, 0.1},
		{0.99, 0.1 + 0.9*9.0/10.0},
	}
	for _, tt := range tests {
		if got := Quantile(tt.q, b); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := Quantile(0.5, nil); !math.IsNaN(got) {
		t.Errorf("Quantile of nothing = %v, want NaN", got)
	}
	inf := []Bucket{{1, 1}, {math.Inf(1), 10}}
	if got := Quantile(0.99, inf); got != 1 {
		t.Errorf("Quantile in +Inf bucket = %v, want the highest finite bound 1", got)
	}
}

func TestDelta(t *testing.T) {
	before := []Bucket{{0.1, 5}, {1, 8}, {math.Inf(1), 8}}
	after := []Bucket{{0.1, 5}, {1, 20}, {math.Inf(1), 21}}
	got := Delta(before, after)
	want := []Bucket{{0.1, 0}, {1, 12}, {math.Inf(1), 13}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Delta = %v, want %v", got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"novalue",
		`m{a="b"`,
		`m{a=b} 1`,
		`m{a="b" c="d"} 1`,
		`m{="b"} 1`,
		"m 1 2 3",
		"m one",
		`m{a="b\"} 1`,
	} {
		if _, err := Parse(strings.NewReader(in)); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) err = %v, want ErrSyntax", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(page)
	f.Add(`m{a="b",} 1`)
	f.Add("m +Inf\nm NaN")
	f.Fuzz(func(t *testing.T, in string) {
		set, err := Parse(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !strings.Contains(err.Error(), "token too long") {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		for _, s := range set {
			if s.Name == "" || s.Labels == nil {
				t.Fatalf("sample without a name or labels: %+v", s)
			}
		}
		// Whatever the buckets, reading a quantile must not panic.
		b, _, _ := set.Histogram("m")
		Quantile(0.5, b)
	})
}
