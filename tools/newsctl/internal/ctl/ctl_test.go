package ctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/pkg/stage/natstest"
)

type fixture struct {
	url string
	js  jetstream.JetStream
	rt  *stage.Runtime
}

func setup(t *testing.T) *fixture {
	t.Helper()
	srv := natstest.Start(t)
	c := stage.DefaultCommon()
	c.Broker.URL = srv.ClientURL()
	c.HTTPAddr = "off"
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	c.Registry = prometheus.NewRegistry()
	rt, err := stage.Start(context.Background(), "enricher", "test", c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	return &fixture{url: srv.ClientURL(), js: rt.JS, rt: rt}
}

func (f *fixture) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"NEWSFLOW_NATS_URL": f.url}
	code := Main(context.Background(), args, IO{Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }})
	return out.String(), errb.String(), code
}

func rawArticle(i int) events.RawArticle {
	body := fmt.Sprintf("Article %d: Lavrov met the Taliban in Moscow.", i)
	return events.RawArticle{SchemaVersion: 1, ID: events.ArticleIDFromContent(body), Source: "wire",
		SourceKind: events.KindPush, Title: fmt.Sprintf("Article %d", i), Body: body,
		FetchedAt: time.Now().UTC(), ContentHash: events.ContentHash(body)}
}

func (f *fixture) publishRaw(t *testing.T, a events.RawArticle) {
	t.Helper()
	data, _ := events.Encode(a)
	h := nats.Header(events.Meta{ID: a.ID, Type: events.TypeRawArticle, Source: "/test", Time: a.FetchedAt}.Header())
	if _, err := f.js.PublishMsg(context.Background(), &nats.Msg{Subject: events.RawSubject(a.Source), Header: h, Data: data}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) msgs(t *testing.T, stream string) uint64 {
	t.Helper()
	s, err := f.js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// deadLetter makes real dead letters: the runtime rejects n raw articles.
func (f *fixture) deadLetter(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		f.publishRaw(t, rawArticle(100+i))
	}
	cc := stage.DefaultConsumer(events.StreamRaw, "rejector", events.SubjectRawAll)
	cc.InfoInterval = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- f.rt.Consume(ctx, cc, func(context.Context, *stage.Message) ([]stage.Output, error) {
			return nil, stage.Poison(errors.New("refused by the test"))
		})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for f.msgs(t, events.StreamDLQ) < uint64(n) {
		if time.Now().After(deadline) {
			t.Fatal("no dead letters")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestStatus(t *testing.T) {
	f := setup(t)
	for i := range 3 {
		f.publishRaw(t, rawArticle(i))
	}
	out, errOut, code := f.run(t, "status")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"NEWS_RAW", "NEWS_ENRICHED", "NEWS_MENTIONS", "NEWS_DLQ", "dead letters: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	jsonOut, _, _ := f.run(t, "status", "-json")
	if !strings.Contains(jsonOut, `"stream":"NEWS_RAW","subjects":["news.raw.\u003e"],"messages":3`) &&
		!strings.Contains(jsonOut, `"stream":"NEWS_RAW","subjects":["news.raw.>"],"messages":3`) {
		t.Errorf("status -json:\n%s", jsonOut)
	}
}

func TestDLQListShowRequeuePurge(t *testing.T) {
	f := setup(t)
	f.deadLetter(t, 3)
	before := f.msgs(t, events.StreamRaw)

	out, errOut, code := f.run(t, "dlq", "list")
	if code != 0 || !strings.Contains(out, "3 dead letters") || !strings.Contains(out, "refused by the test") ||
		!strings.Contains(out, "news.raw.wire") || !strings.Contains(out, "enricher") {
		t.Fatalf("dlq list (%d): %s %s", code, out, errOut)
	}
	out, _, code = f.run(t, "dlq", "show", "1")
	if code != 0 || !strings.Contains(out, "Newsflow-Dlq-Reason: refused by the test") || !strings.Contains(out, "Lavrov met the Taliban") {
		t.Fatalf("dlq show: %s", out)
	}
	out, errOut, code = f.run(t, "dlq", "requeue", "2")
	if code != 0 || !strings.Contains(out, "requeued 1 of 1") {
		t.Fatalf("dlq requeue (%d): %s %s", code, out, errOut)
	}
	if got := f.msgs(t, events.StreamRaw); got != before+1 {
		t.Errorf("raw stream %d after requeue, want %d", got, before+1)
	}
	if got := f.msgs(t, events.StreamDLQ); got != 2 {
		t.Errorf("DLQ holds %d after requeue, want 2", got)
	}
	if _, _, code = f.run(t, "dlq", "purge"); code != 2 {
		t.Errorf("purge without -yes or sequences: exit %d, want 2", code)
	}
	out, _, code = f.run(t, "dlq", "purge", "-yes")
	if code != 0 || !strings.Contains(out, "purged 2") || f.msgs(t, events.StreamDLQ) != 0 {
		t.Fatalf("dlq purge: %s", out)
	}
	if _, errOut, code := f.run(t, "dlq", "show", "1"); code != 1 || !strings.Contains(errOut, "dead letter 1") {
		t.Errorf("show of a purged letter: %d %s", code, errOut)
	}
}

func TestDLQRequeueRefusesFileRejects(t *testing.T) {
	f := setup(t)
	if err := f.rt.Reject(context.Background(), "/inbox/bad.txt", []byte{0xff}, errors.New("not text")); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := f.run(t, "dlq", "requeue", "1")
	if code != 1 || !strings.Contains(errOut, "cannot be requeued") {
		t.Fatalf("requeue of a file reject: %d %s", code, errOut)
	}
}

func TestReplay(t *testing.T) {
	f := setup(t)
	for i := range 5 {
		f.publishRaw(t, rawArticle(i))
	}
	out, errOut, code := f.run(t, "replay", "-since", "1h")
	if code != 0 || !strings.Contains(out, "replayed 5 raw articles") {
		t.Fatalf("replay (%d): %s %s", code, out, errOut)
	}
	if got := f.msgs(t, events.StreamRaw); got != 10 {
		t.Fatalf("raw stream holds %d, want 10", got)
	}
	s, _ := f.js.Stream(context.Background(), events.StreamRaw)
	m, err := s.GetMsg(context.Background(), 6)
	if err != nil || m.Header.Get(HeaderReplay) == "" || m.Header.Get(events.HeaderID) != rawArticle(0).ID {
		t.Fatalf("replayed message %v %v", m, err)
	}
	// A second replay of the range replays the originals only.
	time.Sleep(1100 * time.Millisecond) // a new replay ID (second resolution)
	out, _, _ = f.run(t, "replay", "-since", "1h")
	if !strings.Contains(out, "replayed 5 raw articles") || !strings.Contains(out, "5 earlier replays skipped") {
		t.Fatalf("second replay: %s", out)
	}
	out, _, _ = f.run(t, "replay", "-since", "1h", "-source", "other", "-dry-run")
	if !strings.Contains(out, "would replay 0") {
		t.Fatalf("replay of another source: %s", out)
	}
	if _, _, code := f.run(t, "replay"); code != 2 {
		t.Errorf("replay without -since: exit %d", code)
	}
}

func TestConsumerAddAndTail(t *testing.T) {
	f := setup(t)
	for i := range 3 {
		a := rawArticle(i)
		e := events.EnrichedArticle{SchemaVersion: 1, Article: a, EnricherVersion: "v1", EnrichedAt: time.Now().UTC(),
			Entities: []events.Entity{{Key: "location:russia", Name: "Russia", Type: events.TypeLocation,
				Mentions: []events.Mention{{Span: events.Span{Start: 0, End: 7}, Text: "Article"}}, Salience: 0.5}}}
		data, _ := events.Encode(e)
		if _, err := f.js.Publish(context.Background(), events.EnrichedSubject("wire"), data); err != nil {
			t.Fatal(err)
		}
		for _, me := range e.Mentions() {
			b, _ := events.Encode(me)
			if _, err := f.js.Publish(context.Background(), events.MentionSubject(me.Entity.Type, me.Entity.Key), b); err != nil {
				t.Fatal(err)
			}
		}
	}
	out, errOut, code := f.run(t, "consumer", "add", "my-app", "news.mentions.*.russia")
	if code != 0 || !strings.Contains(out, "3 messages pending") {
		t.Fatalf("consumer add (%d): %s %s", code, out, errOut)
	}
	if _, err := f.js.Consumer(context.Background(), events.StreamMentions, "my-app"); err != nil {
		t.Fatal("consumer not created:", err)
	}
	if _, _, code := f.run(t, "consumer", "add", "bad", "news.raw.>"); code != 2 {
		t.Errorf("consumer on raw subjects: exit %d, want 2", code)
	}
	out, errOut, code = f.run(t, "tail", "-follow=false", "-last", "2", "news.enriched.>")
	if code != 0 || strings.Count(out, "wire") != 2 || !strings.Contains(out, "Russia") {
		t.Fatalf("tail (%d): %q %s", code, out, errOut)
	}
	out, _, _ = f.run(t, "tail", "-follow=false", "-all", "-json", "news.mentions.location.russia")
	if strings.Count(out, "\n") != 3 || !strings.Contains(out, `"article_id"`) {
		t.Fatalf("tail -json: %q", out)
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"bogus"}, IO{Out: &out, Err: &errb}); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("bogus command: %d %s", code, errb.String())
	}
	errb.Reset()
	if code := Main(context.Background(), []string{"help"}, IO{Out: &out, Err: &errb}); code != 0 || !strings.Contains(errb.String(), "dlq requeue") {
		t.Fatalf("help: %d %s", code, errb.String())
	}
}
