package report

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// MetricMean returns the mean of a metric (a unit such as "tokens/s" or
// "ns/op") over the result lines of `go test -bench` output whose name,
// without the -GOMAXPROCS suffix, is name; ok is false when no line has it.
func MetricMean(r io.Reader, name, unit string) (mean float64, n int, ok bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sum := 0.0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || trimProcs(f[0]) != name {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // not a result line
		}
		for i := 2; i+1 < len(f); i += 2 {
			if f[i+1] != unit {
				continue
			}
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				sum += v
				n++
			}
			break
		}
	}
	if n == 0 {
		return 0, 0, false
	}
	return sum / float64(n), n, true
}

// trimProcs removes the "-N" GOMAXPROCS suffix of a benchmark name.
func trimProcs(s string) string {
	i := strings.LastIndexByte(s, '-')
	if i < 0 {
		return s
	}
	if _, err := strconv.Atoi(s[i+1:]); err != nil {
		return s
	}
	return s[:i]
}
