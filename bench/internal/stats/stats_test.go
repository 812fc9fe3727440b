package stats

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	xs := make([]float64, 0, 100)
	for i := 100; i >= 1; i-- { // unsorted on purpose
		xs = append(xs, float64(i))
	}
	s := Summarize(xs)
	want := Summary{N: 100, Min: 1, Mean: 50.5, P50: 50, P90: 90, P99: 99, Max: 100}
	if s != want {
		t.Errorf("Summarize = %+v, want %+v", s, want)
	}
	if xs[0] != 100 {
		t.Error("Summarize sorted its input")
	}
	one := Summarize([]float64{7})
	if one.P50 != 7 || one.P99 != 7 || one.N != 1 {
		t.Errorf("Summarize of one value = %+v", one)
	}
	if e := Summarize(nil); e != (Summary{}) {
		t.Errorf("Summarize of nothing = %+v", e)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	s := []float64{10, 20, 30, 40}
	tests := []struct{ q, want float64 }{{0.25, 10}, {0.26, 20}, {0.5, 20}, {0.75, 30}, {0.99, 40}, {1, 40}, {0, 10}}
	for _, tt := range tests {
		if got := Percentile(s, tt.q); got != tt.want {
			t.Errorf("Percentile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestSpan(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ts := []time.Time{t0.Add(2 * time.Second), t0, {}, t0.Add(time.Second), t0.Add(4 * time.Second)}
	s := SpanOf(ts)
	if s.Count != 4 || !s.First.Equal(t0) || !s.Last.Equal(t0.Add(4*time.Second)) {
		t.Fatalf("SpanOf = %+v", s)
	}
	if got := s.PerSecond(); got != 0.75 {
		t.Errorf("PerSecond = %v, want 0.75 (3 intervals in 4 s)", got)
	}
	if got := SpanOf(ts[:1]).PerSecond(); got != 0 {
		t.Errorf("PerSecond of one event = %v, want 0", got)
	}
}

func TestSeries(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	ts := []time.Time{ms(-1), ms(0), ms(100), ms(499), ms(500), ms(1499), ms(1500)}
	got := Series(ts, t0, ms(1500), 500*time.Millisecond)
	want := []float64{6, 2, 2} // 3, 1 and 1 events in half-second bins
	if len(got) != len(want) {
		t.Fatalf("Series = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Series = %v, want %v", got, want)
		}
	}
	if Series(ts, t0, t0, time.Second) != nil {
		t.Error("Series of an empty range is not nil")
	}
}
