package report

import (
	"strings"
	"testing"
)

const benchOut = `goos: linux
pkg: github.com/newsflow/newsflow/services/enricher/internal/enrich
BenchmarkEnrich/entities-2         	     500	   2000000 ns/op	   2.50 MB/s	  400000 tokens/s	  1000 B/op	  10 allocs/op
BenchmarkEnrich/entities+stance-2  	     400	   2500000 ns/op	   2.00 MB/s	  300000 tokens/s	  1200 B/op	  12 allocs/op
BenchmarkEnrich/entities+stance-2  	     400	   2400000 ns/op	   2.10 MB/s	  320000 tokens/s	  1200 B/op	  12 allocs/op
BenchmarkEnrich/entities+stance-2  	 --- FAIL: not a result 1 tokens/s
BenchmarkOther-x                   	      10	       100 ns/op
PASS
`

func TestMetricMean(t *testing.T) {
	tests := []struct {
		name, unit string
		want       float64
		n          int
		ok         bool
	}{
		{"BenchmarkEnrich/entities+stance", "tokens/s", 310000, 2, true},
		{"BenchmarkEnrich/entities", "tokens/s", 400000, 1, true},
		{"BenchmarkEnrich/entities+stance", "ns/op", 2450000, 2, true},
		{"BenchmarkOther-x", "ns/op", 100, 1, true},
		{"BenchmarkEnrich/entities", "rows/s", 0, 0, false},
		{"BenchmarkMissing", "ns/op", 0, 0, false},
	}
	for _, tt := range tests {
		got, n, ok := MetricMean(strings.NewReader(benchOut), tt.name, tt.unit)
		if got != tt.want || n != tt.n || ok != tt.ok {
			t.Errorf("MetricMean(%s, %s) = %v, %d, %v; want %v, %d, %v", tt.name, tt.unit, got, n, ok, tt.want, tt.n, tt.ok)
		}
	}
}

func FuzzMetricMean(f *testing.F) {
	f.Add(benchOut, "BenchmarkEnrich/entities", "tokens/s")
	f.Fuzz(func(t *testing.T, in, name, unit string) {
		mean, n, ok := MetricMean(strings.NewReader(in), name, unit)
		if ok != (n > 0) || (!ok && mean != 0) {
			t.Fatalf("MetricMean = %v, %d, %v", mean, n, ok)
		}
	})
}
