package events_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
)

// addGoldenSeeds seeds a decoder's corpus with the golden files and some
// near misses.
func addGoldenSeeds(f *testing.F) {
	files, err := filepath.Glob(goldenPath("*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no golden files to seed from (%v)", err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/3])
	}
	f.Add([]byte(minimalRaw))
	f.Add([]byte(`{"schema_version":2}`))
	for _, field := range []string{`"body":"\ud800x"`, `"BODY":"b"`, `"body":"a","body":"\u0000"`, `"body":"a","published_at":null`, `"body":"a","url":"http://x"`} {
		f.Add([]byte(`{"schema_version":1,"id":"` + id32 + `","source":"s","source_kind":"push","title":"","fetched_at":"2024-01-02T03:04:05Z","content_hash":"` + hash64 + `",` + field + `}`))
	}
	f.Add([]byte(`{"schema_version":1,"article":` + minimalRaw + `,"enricher_version":"v","enriched_at":"2024-01-02T03:04:05+14:00","entities":[{"key":"misc:\u00e9","name":"\u00e9","type":"misc","mentions":[{"start":0,"end":1,"text":"b"}],"salience":1e-9}],"tone":-0}`))
	f.Add([]byte(`{"schema_version":1,"article_id":"` + id32 + `","source":"s","title":"t","enricher_version":"v","enriched_at":"2024-01-02T03:04:05Z","entity":{"key":"misc:x","name":"x","type":"misc","mentions":null,"salience":0},"stances":[]}`))
}

// fuzzDecode checks a decoder against the contract: it never panics; every
// error wraps exactly one sentinel; what it accepts is valid, satisfies the
// JSON Schema, and survives Encode and decode unchanged.
func fuzzDecode[T any, P interface {
	*T
	Validate() error
}](f *testing.F, schema string, decode func([]byte) (T, error)) {
	addGoldenSeeds(f)
	schemas := compileSchemas(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decode(data)
		if err != nil {
			checkOneSentinel(t, err)
			var fe *events.FieldError
			if errors.Is(err, events.ErrInvalid) && !errors.As(err, &fe) {
				t.Fatalf("ErrInvalid without a *FieldError: %v", err)
			}
			return
		}
		if err := P(&v).Validate(); err != nil {
			t.Fatalf("decode accepted an event that Validate refuses: %v", err)
		}
		enc, err := events.Encode(v)
		if err != nil {
			t.Fatalf("decoded event does not encode: %v", err)
		}
		if err := validateJSON(schemas[schema], enc); err != nil {
			t.Fatalf("Validate accepts the event, %s refuses it: %v\n%s", schema, err, enc)
		}
		again, err := decode(enc)
		if err != nil {
			t.Fatalf("re-decoding: %v\n%s", err, enc)
		}
		if !sameEvent(again, v) {
			t.Fatalf("Encode and decode changed the event:\n got %+v\nwant %+v", again, v)
		}
	})
}

func FuzzDecodeRaw(f *testing.F) {
	fuzzDecode[events.RawArticle](f, "raw-article.v1.json", events.DecodeRaw)
}

func FuzzDecodeEnriched(f *testing.F) {
	fuzzDecode[events.EnrichedArticle](f, "enriched-article.v1.json", events.DecodeEnriched)
}

func FuzzDecodeMention(f *testing.F) {
	fuzzDecode[events.MentionEvent](f, "mention.v1.json", events.DecodeMention)
}

func FuzzCanonicalURL(f *testing.F) {
	for _, c := range canonicalURLCases {
		f.Add(c.in)
	}
	f.Add(fixtureURL)
	f.Add("http://[fe80::1%25en0]:8080/a?b=%2&c")
	f.Add("https://bücher.example/ä?ö=ü#x")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := events.CanonicalURL(in)
		if err != nil {
			if !errors.Is(err, events.ErrURL) {
				t.Fatalf("CanonicalURL(%q) error %v is not ErrURL", in, err)
			}
			return
		}
		again, err := events.CanonicalURL(c)
		if err != nil {
			t.Fatalf("CanonicalURL(%q) = %q, which it refuses: %v", in, c, err)
		}
		if again != c {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, c, again)
		}
		id1, _ := events.ArticleIDFromURL(in)
		id2, _ := events.ArticleIDFromURL(c)
		if id1 != id2 || !events.IsArticleID(id1) {
			t.Fatalf("ArticleIDFromURL(%q) = %q, of its canonical form %q", in, id1, id2)
		}
	})
}

func FuzzParseTraceparent(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("00-00000000000000000000000000000000-00f067aa0ba902b7-01")
	f.Add("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		traceID, spanID, flags, ok := events.ParseTraceparent(in)
		if ok {
			if got := "00-" + traceID + "-" + spanID + "-" + flags; got != in {
				t.Fatalf("ParseTraceparent(%q) parts reassemble to %q", in, got)
			}
		} else if traceID != "" || spanID != "" || flags != "" {
			t.Fatalf("ParseTraceparent(%q) refused it but returned parts", in)
		}
		child := events.ChildTraceparent(in)
		cTrace, cSpan, cFlags, cok := events.ParseTraceparent(child)
		if !cok {
			t.Fatalf("ChildTraceparent(%q) = %q is malformed", in, child)
		}
		if ok && (cTrace != traceID || cFlags != flags || cSpan == spanID) {
			t.Fatalf("ChildTraceparent(%q) = %q does not continue the trace", in, child)
		}
	})
}
