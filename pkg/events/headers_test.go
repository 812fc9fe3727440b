package events_test

import (
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/events"
)

func TestMetaHeader(t *testing.T) {
	m := events.Meta{
		ID:          "0123456789abcdef0123456789abcdef:enricher-1",
		Type:        events.TypeEnrichedArticle,
		Source:      "/newsflow/enricher",
		Time:        time.Date(2021, 10, 20, 12, 14, 4, 101002003, time.FixedZone("", 3*3600)),
		Traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	}
	h := m.Header()
	want := map[string]string{
		events.HeaderMsgID:       m.ID,
		events.HeaderID:          m.ID,
		events.HeaderSpecVersion: "1.0",
		events.HeaderType:        "newsflow.article.enriched.v1",
		events.HeaderSource:      "/newsflow/enricher",
		events.HeaderTime:        "2021-10-20T09:14:04.101002003Z",
		events.HeaderContentType: "application/json",
		events.HeaderDataSchema:  "https://newsflow.dev/schema/enriched-article.v1.json",
		events.HeaderTraceparent: m.Traceparent,
	}
	if len(h) != len(want) {
		t.Errorf("Header() has %d headers, want %d: %v", len(h), len(want), h)
	}
	for k, v := range want {
		if got := h[k]; len(got) != 1 || got[0] != v {
			t.Errorf("header %s = %v, want [%s]", k, got, v)
		}
	}

	back := events.ParseMeta(h)
	if back.ID != m.ID || back.Type != m.Type || back.Source != m.Source || back.Traceparent != m.Traceparent || !back.Time.Equal(m.Time) {
		t.Errorf("ParseMeta(Header()) = %+v, want %+v", back, m)
	}
}

func TestMetaHeaderOmitsEmptyTraceparent(t *testing.T) {
	h := events.Meta{ID: "x", Type: events.TypeRawArticle, Time: time.Unix(0, 0)}.Header()
	if _, ok := h[events.HeaderTraceparent]; ok {
		t.Error("an empty traceparent became a header")
	}
	if got := events.ParseMeta(h).Traceparent; got != "" {
		t.Errorf("Traceparent = %q", got)
	}
}

func TestParseMeta(t *testing.T) {
	// Only the JetStream header: the ID comes from it.
	m := events.ParseMeta(map[string][]string{events.HeaderMsgID: {"abc"}})
	if m.ID != "abc" || m.Type != "" || m.Source != "" || !m.Time.IsZero() || m.Traceparent != "" {
		t.Errorf("ParseMeta(Msg-Id only) = %+v", m)
	}
	// ce-id wins over Nats-Msg-Id; a bad time stays zero; empty values are empty.
	m = events.ParseMeta(map[string][]string{
		events.HeaderMsgID: {"msg"},
		events.HeaderID:    {"ce", "second"},
		events.HeaderTime:  {"yesterday"},
		events.HeaderType:  {},
	})
	if m.ID != "ce" || !m.Time.IsZero() || m.Type != "" {
		t.Errorf("ParseMeta = %+v", m)
	}
	if m := events.ParseMeta(nil); m != (events.Meta{}) {
		t.Errorf("ParseMeta(nil) = %+v", m)
	}
}

func TestParseTraceparent(t *testing.T) {
	const trace, span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"00-" + trace + "-" + span + "-01", true},
		{"00-" + trace + "-" + span + "-00", true},
		{"00-" + trace + "-" + span + "-ff", true},
		{"", false},
		{"00", false},
		{"00-" + trace + "-" + span, false},
		{"00-" + trace + "-" + span + "-01-extra", false},
		{"01-" + trace + "-" + span + "-01", false},
		{"ff-" + trace + "-" + span + "-01", false},
		{"00-" + strings.ToUpper(trace) + "-" + span + "-01", false},
		{"00-" + trace[1:] + "-" + span + "-01", false},
		{"00-" + trace + "0-" + span + "-01", false},
		{"00-" + trace + "-" + span[1:] + "-01", false},
		{"00-" + trace + "-" + span + "-1", false},
		{"00-" + trace + "-" + span + "-0g", false},
		{"00-" + strings.Repeat("0", 32) + "-" + span + "-01", false},
		{"00-" + trace + "-" + strings.Repeat("0", 16) + "-01", false},
		{" 00-" + trace + "-" + span + "-01", false},
	} {
		gotTrace, gotSpan, gotFlags, ok := events.ParseTraceparent(c.in)
		if ok != c.ok {
			t.Errorf("ParseTraceparent(%q) ok = %v, want %v", c.in, ok, c.ok)
			continue
		}
		if ok && (gotTrace != trace || gotSpan != span || gotFlags != c.in[len(c.in)-2:]) {
			t.Errorf("ParseTraceparent(%q) = %q, %q, %q", c.in, gotTrace, gotSpan, gotFlags)
		}
		if !ok && (gotTrace != "" || gotSpan != "" || gotFlags != "") {
			t.Errorf("ParseTraceparent(%q) refused it but returned parts", c.in)
		}
	}
}

func TestNewTraceparent(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tp := events.NewTraceparent()
		traceID, spanID, flags, ok := events.ParseTraceparent(tp)
		if !ok || len(tp) != 55 || flags != "01" {
			t.Fatalf("NewTraceparent() = %q is not a sampled version-00 traceparent", tp)
		}
		if seen[traceID] || seen[spanID] {
			t.Fatalf("NewTraceparent repeated an ID: %q", tp)
		}
		seen[traceID], seen[spanID] = true, true
	}
}

func TestChildTraceparent(t *testing.T) {
	for _, parent := range []string{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", // not sampled: stays so
		events.NewTraceparent(),
	} {
		pTrace, pSpan, pFlags, _ := events.ParseTraceparent(parent)
		child := events.ChildTraceparent(parent)
		cTrace, cSpan, cFlags, ok := events.ParseTraceparent(child)
		if !ok {
			t.Fatalf("ChildTraceparent(%q) = %q is malformed", parent, child)
		}
		if cTrace != pTrace || cFlags != pFlags {
			t.Errorf("ChildTraceparent(%q) = %q: trace ID and flags must carry over", parent, child)
		}
		if cSpan == pSpan {
			t.Errorf("ChildTraceparent(%q) = %q kept the parent's span ID", parent, child)
		}
		if other := events.ChildTraceparent(parent); other == child {
			t.Errorf("two children of %q got one span ID", parent)
		}
	}
	for _, bad := range []string{"", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"} {
		child := events.ChildTraceparent(bad)
		cTrace, _, flags, ok := events.ParseTraceparent(child)
		if !ok || flags != "01" {
			t.Errorf("ChildTraceparent(%q) = %q, want a new well-formed trace", bad, child)
		}
		if strings.Contains(bad, cTrace) {
			t.Errorf("ChildTraceparent(%q) = %q reused a malformed parent's trace ID", bad, child)
		}
	}
}
