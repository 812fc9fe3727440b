//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/newsflow/newsflow/pkg/events"
)

// poison is one bad event injected straight onto a subject.
type poison struct {
	name    string
	subject string
	data    []byte
	// Either the publish fails with an error containing publishErr, or
	// the message lands in the DLQ as dlq ("stage/class") with a reason
	// containing reason.
	publishErr string
	dlq        string
	reason     string
}

func validRaw(source, body string) events.RawArticle {
	now := time.Now().UTC()
	return events.RawArticle{
		SchemaVersion: events.SchemaVersion, ID: events.ArticleIDFromContent(body), Source: source,
		SourceKind: events.KindPush, Title: "Poison", Body: body, FetchedAt: now,
		ContentHash: events.ContentHash(body),
	}
}

func mustEncode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := events.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hugeEntityList is an enriched article, valid but for its 6,000
// entities (the contract allows 5,000).
func hugeEntityList(t *testing.T) []byte {
	var words []string
	var ents []events.Entity
	pos := 0
	for i := range events.MaxEntities + 1000 {
		w := fmt.Sprintf("Name%d", i)
		words = append(words, w)
		ents = append(ents, events.Entity{
			Key: events.EntityKey(events.TypeMisc, w), Name: w, Type: events.TypeMisc, Salience: 0.5,
			Mentions: []events.Mention{{Span: events.Span{Start: pos, End: pos + len(w)}, Text: w}},
		})
		pos += len(w) + 1
	}
	e := events.EnrichedArticle{
		SchemaVersion: events.SchemaVersion, Article: validRaw("poison", strings.Join(words, " ")),
		EnricherVersion: "e2e-poison", EnrichedAt: time.Now().UTC(), Entities: ents,
	}
	return mustEncode(t, e)
}

func poisons(t *testing.T) []poison {
	raw := events.RawSubject("poison")
	enr := events.EnrichedSubject("poison")
	v2 := validRaw("poison", "A raw article of a schema version from the future.")
	v2.SchemaVersion = 2
	big := validRaw("poison", strings.Repeat("Long text. ", 6<<20/11))
	return []poison{
		{name: "invalid JSON", subject: raw, data: []byte(`{"schema_version":1,"id":`), dlq: "enricher/undecodable", reason: "undecodable"},
		{name: "wrong schema version", subject: raw, data: mustEncode(t, v2), dlq: "enricher/schema_version", reason: "schema_version"},
		{name: "missing fields", subject: raw, data: []byte(`{"schema_version":1,"source":"poison"}`), dlq: "enricher/invalid", reason: "id"},
		{name: "invalid UTF-8", subject: raw, data: []byte("{\"schema_version\":1,\"title\":\"\xff\xfe\"}"), dlq: "enricher/undecodable", reason: "UTF-8"},
		{name: "6 MB body (over the 4 MiB body limit)", subject: raw, data: mustEncode(t, big), dlq: "enricher/invalid", reason: "body"},
		{name: "10 MB message (over the streams' 8 MiB)", subject: raw, data: mustEncode(t, validRaw("poison", strings.Repeat("x", 10<<20))), publishErr: "maximum"},
		{name: "20 MB body (over the server's payload limit)", subject: raw, data: mustEncode(t, validRaw("poison", strings.Repeat("y", 20<<20))), publishErr: "maximum payload"},
		{name: "huge entity list", subject: enr, data: hugeEntityList(t), dlq: "sink/invalid", reason: "entities"},
		{name: "enriched, missing fields", subject: enr, data: []byte(`{"schema_version":1,"article":{"schema_version":1}}`), dlq: "sink/invalid", reason: "article"},
		{name: "enriched, not JSON", subject: enr, data: []byte("\x00\x01binary"), dlq: "sink/undecodable", reason: "undecodable"},
	}
}

// badFiles are inbox files the fetcher must dead-letter.
var badFiles = []struct {
	name, reason string
	data         []byte
}{
	{"latin1.txt", "UTF-8", []byte("date 2026-01-01\nCaf\xe9 cr\xe8me and na\xefve text in Latin-1, not UTF-8.\n")},
	{"huge.txt", "bytes", []byte(strings.Repeat("A very long article. ", 5<<20/21))},
	{"nul.txt", "text", []byte("Some text\x00with a NUL byte in the middle of it.")},
}

// TestBadInput injects poison onto the subjects and bad files into the
// inbox while valid articles flow: each must end in a clear publish error
// or a dead letter with its reason, and nothing may crash or balloon.
func TestBadInput(t *testing.T) {
	start := time.Now()
	articles := size(1000, 5000)
	l, o := newLoader(t, articles)
	s := startStack(t, o)
	l.s = s
	m := newMeter(s)
	loadDone := l.start(t)

	exp := expectation{source: loadSourceID, articles: articles, dlq: map[string]int{}}
	_, js := s.conn()
	for _, p := range poisons(t) {
		pctx, pcancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := js.PublishMsg(pctx, &nats.Msg{Subject: p.subject, Data: p.data, Header: nats.Header{}})
		pcancel()
		switch {
		case p.publishErr != "":
			if err == nil || !strings.Contains(err.Error(), p.publishErr) {
				t.Errorf("%s: publish error %v, want one saying %q", p.name, err, p.publishErr)
			} else {
				t.Logf("%s: refused at publish: %v", p.name, err)
			}
		case err != nil:
			t.Errorf("%s: publish: %v", p.name, err)
		default:
			exp.dlq[p.dlq]++
		}
	}
	for _, f := range badFiles {
		if err := os.WriteFile(filepath.Join(s.inbox, f.name), f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		exp.dlq["fetcher/rejected"]++
	}
	<-loadDone
	s.waitSettled(loadSourceID, articles, 10*time.Minute)
	s.waitDeadLetters(sumCounts(exp.dlq), 2*time.Minute)

	// Each dead letter names its cause.
	wantReason := map[string]string{}
	for _, p := range poisons(t) {
		if p.dlq != "" {
			wantReason[p.dlq] += "|" + p.reason
		}
	}
	for _, d := range s.deadLetters() {
		key := d.stage + "/" + d.class
		if d.stage == "fetcher" {
			ok := false
			for _, f := range badFiles {
				if strings.HasSuffix(d.subject, f.name) && strings.Contains(d.reason, f.reason) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("fetcher dead letter %q with reason %q matches no bad file", d.subject, d.reason)
			}
			continue
		}
		matched := false
		for _, r := range strings.Split(strings.TrimPrefix(wantReason[key], "|"), "|") {
			if r != "" && strings.Contains(d.reason, r) {
				matched = true
			}
		}
		if !matched {
			t.Errorf("dead letter %s: reason %q does not name the cause (%s)", key, d.reason, wantReason[key])
		}
		t.Logf("dead letter %s from %s: %.160s", key, d.subject, d.reason)
	}

	r := report{scenario: "bad input", articles: articles, faults: fmt.Sprintf("%d poison events, %d bad files", len(poisons(t)), len(badFiles)), elapsed: time.Since(start)}
	r.lost, r.dups, r.dlq = s.verify(exp, m, false)
	s.checkHealthy(&r)
	r.log(t)
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// waitDeadLetters waits until NEWS_DLQ holds at least n messages.
func (s *stack) waitDeadLetters(n int, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := sum(s.subjectCounts(events.StreamDLQ, events.SubjectDLQAll))
		if got >= uint64(n) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Errorf("the DLQ holds %d messages after %v, want %d", got, within, n)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}
