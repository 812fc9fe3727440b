// Package stats summarises the pipeline benchmark's measurements:
// percentiles of latencies and rates of events over time.
package stats

import (
	"math"
	"slices"
	"time"
)

// Summary describes a sample.
type Summary struct {
	N                             int
	Min, Mean, P50, P90, P99, Max float64
}

// Summarize returns the summary of xs (not modified). Percentiles are by
// nearest rank: P99 is the smallest value at least 99% of the sample does
// not exceed. An empty sample has the zero Summary.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return Summary{
		N: len(s), Min: s[0], Max: s[len(s)-1], Mean: sum / float64(len(s)),
		P50: Percentile(s, 0.50), P90: Percentile(s, 0.90), P99: Percentile(s, 0.99),
	}
}

// Percentile returns the q-quantile (0 < q <= 1) of a sorted sample by
// nearest rank, NaN for an empty one.
func Percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Span is the rate of a stage over a run: Count events from First to Last.
type Span struct {
	Count       int
	First, Last time.Time
}

// SpanOf returns the span of a set of event times.
func SpanOf(ts []time.Time) Span {
	var s Span
	for _, t := range ts {
		if t.IsZero() {
			continue
		}
		if s.Count == 0 || t.Before(s.First) {
			s.First = t
		}
		if s.Count == 0 || t.After(s.Last) {
			s.Last = t
		}
		s.Count++
	}
	return s
}

// PerSecond is the rate of events over the span: Count-1 intervals between
// the first and the last event, so a steady stream of n events one second
// apart is one per second. It is 0 with fewer than two events.
func (s Span) PerSecond() float64 {
	d := s.Last.Sub(s.First).Seconds()
	if s.Count < 2 || d <= 0 {
		return 0
	}
	return float64(s.Count-1) / d
}

// Series counts events per bin of width from start, as events per second;
// bin i covers [start+i*width, start+(i+1)*width). Events outside
// [start, end) are left out.
func Series(ts []time.Time, start, end time.Time, width time.Duration) []float64 {
	if width <= 0 || !end.After(start) {
		return nil
	}
	n := int((end.Sub(start) + width - 1) / width)
	out := make([]float64, n)
	for _, t := range ts {
		if t.Before(start) || !t.Before(end) {
			continue
		}
		out[int(t.Sub(start)/width)]++
	}
	for i := range out {
		out[i] /= width.Seconds()
	}
	return out
}
