package events_test

import (
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
)

// benchRaw is the fixture raw article with a body of about 600 words, the
// size of the pipeline benchmark's articles.
func benchRaw(b *testing.B) events.RawArticle {
	a := fixtureRaw(b)
	var body strings.Builder
	for body.Len() < 3600 {
		body.WriteString(a.Body)
		body.WriteString("\n\n")
	}
	a.Body = strings.TrimSpace(body.String())
	a.ContentHash = events.ContentHash(a.Body)
	return a
}

func BenchmarkEncodeRaw(b *testing.B) {
	a := benchRaw(b)
	data, err := events.Encode(a)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := events.Encode(a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeRaw includes validation, as DecodeRaw does.
func BenchmarkDecodeRaw(b *testing.B) {
	data, err := events.Encode(benchRaw(b))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := events.DecodeRaw(data); err != nil {
			b.Fatal(err)
		}
	}
}
