// Package promtext reads the Prometheus text exposition format, enough to
// sum counters and read histograms from a /metrics page.
package promtext

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Sample is one line of a metrics page.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Set is a parsed metrics page.
type Set []Sample

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("promtext: syntax error")

// Parse reads a page in the text exposition format. Comments and blank
// lines are skipped; a malformed sample line is an error naming the line.
func Parse(r io.Reader) (Set, error) {
	var set Set
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		set = append(set, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return set, nil
}

func parseLine(line string) (Sample, error) {
	s := Sample{Labels: map[string]string{}}
	i := strings.IndexAny(line, "{ \t")
	if i <= 0 {
		return s, fmt.Errorf("%w: no value in %q", ErrSyntax, line)
	}
	s.Name, line = line[:i], line[i:]
	if line[0] == '{' {
		rest, err := parseLabels(line[1:], s.Labels)
		if err != nil {
			return s, err
		}
		line = rest
	}
	fields := strings.Fields(line)
	if len(fields) == 0 || len(fields) > 2 {
		return s, fmt.Errorf("%w: want a value and an optional timestamp after %s", ErrSyntax, s.Name)
	}
	v, err := parseValue(fields[0])
	if err != nil {
		return s, err
	}
	s.Value = v
	return s, nil
}

// parseLabels reads `name="value",...}` and returns what follows the brace.
func parseLabels(in string, into map[string]string) (string, error) {
	for {
		in = strings.TrimLeft(in, " \t")
		if strings.HasPrefix(in, "}") {
			return in[1:], nil
		}
		eq := strings.IndexByte(in, '=')
		if eq <= 0 {
			return "", fmt.Errorf("%w: label without a value", ErrSyntax)
		}
		name := strings.TrimSpace(in[:eq])
		in = strings.TrimLeft(in[eq+1:], " \t")
		if !strings.HasPrefix(in, `"`) {
			return "", fmt.Errorf("%w: label %s: value not quoted", ErrSyntax, name)
		}
		var b strings.Builder
		j := 1
		for ; j < len(in) && in[j] != '"'; j++ {
			if in[j] == '\\' && j+1 < len(in) {
				j++
				switch in[j] {
				case 'n':
					b.WriteByte('\n')
				default:
					b.WriteByte(in[j])
				}
				continue
			}
			b.WriteByte(in[j])
		}
		if j >= len(in) {
			return "", fmt.Errorf("%w: label %s: unterminated value", ErrSyntax, name)
		}
		into[name] = b.String()
		in = strings.TrimLeft(in[j+1:], " \t")
		if strings.HasPrefix(in, ",") {
			in = in[1:]
		} else if !strings.HasPrefix(in, "}") {
			return "", fmt.Errorf("%w: label %s: want ',' or '}'", ErrSyntax, name)
		}
	}
}

func parseValue(s string) (float64, error) {
	switch s {
	case "+Inf", "Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: value %q", ErrSyntax, s)
	}
	return v, nil
}

// Sum adds the samples named name whose labels include every pair of match.
func (s Set) Sum(name string, match map[string]string) float64 {
	total := 0.0
	for _, x := range s {
		if x.Name == name && matches(x.Labels, match) {
			total += x.Value
		}
	}
	return total
}

func matches(labels, match map[string]string) bool {
	for k, v := range match {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// Bucket is a cumulative histogram bucket: Count observations <= UpperBound.
type Bucket struct {
	UpperBound float64
	Count      float64
}

// Histogram returns the cumulative buckets of the histogram name (summed
// over label sets), sorted by bound, with its count and sum.
func (s Set) Histogram(name string) (buckets []Bucket, count, sum float64) {
	byBound := map[float64]float64{}
	for _, x := range s {
		switch x.Name {
		case name + "_bucket":
			le, err := parseValue(x.Labels["le"])
			if err == nil {
				byBound[le] += x.Value
			}
		case name + "_count":
			count += x.Value
		case name + "_sum":
			sum += x.Value
		}
	}
	for b, c := range byBound {
		buckets = append(buckets, Bucket{UpperBound: b, Count: c})
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].UpperBound < buckets[j].UpperBound })
	return buckets, count, sum
}

// Delta is the histogram of the observations made between two readings of
// the same histogram.
func Delta(before, after []Bucket) []Bucket {
	prev := map[float64]float64{}
	for _, b := range before {
		prev[b.UpperBound] = b.Count
	}
	out := make([]Bucket, len(after))
	for i, b := range after {
		out[i] = Bucket{UpperBound: b.UpperBound, Count: b.Count - prev[b.UpperBound]}
	}
	return out
}

// Quantile estimates the q-quantile (0..1) of a cumulative histogram the
// way Prometheus's histogram_quantile does: linear interpolation inside the
// bucket that holds it. It returns NaN for an empty histogram, and the
// highest finite bound when the quantile falls in the +Inf bucket.
func Quantile(q float64, buckets []Bucket) float64 {
	if len(buckets) == 0 || q < 0 || q > 1 {
		return math.NaN()
	}
	total := buckets[len(buckets)-1].Count
	if total <= 0 {
		return math.NaN()
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, b := range buckets {
		if b.Count >= rank {
			if math.IsInf(b.UpperBound, 1) {
				return lower
			}
			if b.Count == below {
				return b.UpperBound
			}
			return lower + (b.UpperBound-lower)*(rank-below)/(b.Count-below)
		}
		lower, below = b.UpperBound, b.Count
	}
	return lower
}
