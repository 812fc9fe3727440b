package ner

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/shareddata"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

func loadValid(tb testing.TB) []AnnotatedDoc {
	tb.Helper()
	dir := shareddata.Require(tb)
	f, err := os.Open(filepath.Join(dir, "ner", "conll2003", "valid.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	docs, err := ReadCoNLL(f)
	if err != nil {
		tb.Fatal(err)
	}
	return docs
}

// BenchmarkRecognize tags the CoNLL-2003 validation documents; tokens/s is
// the tagging speed on one core.
func BenchmarkRecognize(b *testing.B) {
	docs := loadValid(b)
	m, err := Load(testGazetteer)
	if err != nil {
		b.Fatal(err)
	}
	tokens := 0
	for _, d := range docs {
		tokens += len(d.Doc.Tokens)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		for _, d := range docs {
			m.Recognize(d.Doc)
		}
	}
	reportSpeed(b, tokens, cpu)
}

// BenchmarkAnalyzeRecognize includes tokenising and sentence splitting of
// raw text.
func BenchmarkAnalyzeRecognize(b *testing.B) {
	docs := loadValid(b)
	m, err := Load(testGazetteer)
	if err != nil {
		b.Fatal(err)
	}
	texts := make([]string, len(docs))
	tokens := 0
	for i, d := range docs {
		texts[i] = d.Doc.Text
		tokens += len(d.Doc.Tokens)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		for _, t := range texts {
			m.Recognize(text.Analyze(t))
		}
	}
	reportSpeed(b, tokens, cpu)
}

// BenchmarkLoad reads the embedded model; heap-MB is the live heap it adds.
func BenchmarkLoad(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var keep *Model
	for b.Loop() {
		m, err := Read(bytes.NewReader(embedded), testGazetteer)
		if err != nil {
			b.Fatal(err)
		}
		keep = m
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
	runtime.KeepAlive(keep)
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportSpeed reports tokens per wall-clock second and per CPU second; the
// latter is the speed of one core, whatever else shares the machine.
func reportSpeed(b *testing.B, tokens int, cpuStart time.Duration) {
	n := float64(tokens) * float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "tokens/s")
	if cpu := cpuTime() - cpuStart; cpu > 0 {
		b.ReportMetric(n/cpu.Seconds(), "tokens/cpu-s")
	}
}

// BenchmarkResident loads the gazetteer and the model and tags the
// validation set once; rss-MB is the resident set of the whole test
// process afterwards (VmRSS), an upper bound for the tagger's share.
func BenchmarkResident(b *testing.B) {
	docs := loadValid(b)
	for b.Loop() {
		gz := testGazetteer
		m, err := Load(gz)
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range docs {
			m.Recognize(d.Doc)
		}
	}
	runtime.GC()
	if rss := residentMB(); rss > 0 {
		b.ReportMetric(rss, "rss-MB")
	}
}

func residentMB() float64 {
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err == nil {
				return float64(kb) / 1024
			}
		}
	}
	return 0
}
