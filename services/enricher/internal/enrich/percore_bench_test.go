package enrich

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkEnrichPerCore is a whole enrichment (entities and stance) of
// the sample article, reported per CPU second of the process as well as
// per second: tokens/cpu-s is the speed of one core whatever else shares
// the machine, garbage collection included. Issue 8's target is 300,000
// tokens/s per core.
func BenchmarkEnrichPerCore(b *testing.B) {
	e, _ := enrichers(b)
	a := sampleArticle(b)
	tokens := e.Enrich(a).Tokens
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		e.Enrich(a)
	}
	cpu := processCPU() - start
	n := float64(tokens) * float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "tokens/s")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
	if cpu > 0 {
		b.ReportMetric(n/cpu.Seconds(), "tokens/cpu-s")
	}
}

// processCPU is the user and system CPU time of the process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
