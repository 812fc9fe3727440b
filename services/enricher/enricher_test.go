package enricher_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/shareddata"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/pkg/stage/broker"
	"github.com/newsflow/newsflow/pkg/stage/natstest"
	"github.com/newsflow/newsflow/services/enricher"
)

func sample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(shareddata.RequireSamples(t), "moscow-talks-2021-10-20.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func raw(body string) events.RawArticle {
	pub := time.Date(2021, 10, 20, 0, 0, 0, 0, time.UTC)
	return events.RawArticle{SchemaVersion: 1, ID: events.ArticleIDFromContent(body), Source: "inbox",
		SourceKind: events.KindDir, Title: "Talks in Moscow", Body: body, PublishedAt: &pub,
		FetchedAt: time.Now().UTC(), ContentHash: events.ContentHash(body)}
}

func TestEnricherPublishesEnrichedAndMentions(t *testing.T) {
	body := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sample(t)), "date 2021-10-20"))
	srv := natstest.Start(t)
	nc, _ := nats.Connect(srv.ClientURL())
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := broker.EnsureStreams(context.Background(), js, broker.Defaults()); err != nil {
		t.Fatal(err)
	}
	in := raw(body)
	data, _ := events.Encode(in)
	pub := func(id string, data []byte) {
		h := nats.Header{}
		h.Set(events.HeaderMsgID, id)
		h.Set(events.HeaderTraceparent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
		if _, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: "news.raw.inbox", Header: h, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	pub(in.ID, data)
	pub("bad", []byte(`{"schema_version":1,"id":"nope"}`))

	c := enricher.DefaultConfig()
	c.Broker.URL = srv.ClientURL()
	c.HTTPAddr = "off"
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	c.Registry = prometheus.NewRegistry()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- enricher.Run(ctx, c) }()

	enriched, _ := js.Stream(context.Background(), events.StreamEnriched)
	var msg *jetstream.RawStreamMsg
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := enriched.GetMsg(context.Background(), 1)
		if err == nil {
			msg = m
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no enriched article")
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, err := events.DecodeEnriched(msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "news.enriched.inbox" || msg.Header.Get(events.HeaderMsgID) != events.EnrichedMsgID(in.ID, out.EnricherVersion) {
		t.Errorf("enriched event on %s with Msg-Id %s", msg.Subject, msg.Header.Get(events.HeaderMsgID))
	}
	if tid, _, _, _ := events.ParseTraceparent(msg.Header.Get(events.HeaderTraceparent)); tid != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("trace not continued: %s", msg.Header.Get(events.HeaderTraceparent))
	}
	byName := map[string]events.Entity{}
	for _, e := range out.Entities {
		byName[e.Name] = e
	}
	for name, typ := range map[string]string{
		"Taliban": events.TypeOrganization, "Russia": events.TypeLocation, "Moscow": events.TypeLocation,
		"China": events.TypeLocation, "Pakistan": events.TypeLocation, "Sergey Lavrov": events.TypePerson,
		"United Nations": events.TypeOrganization,
	} {
		e, ok := byName[name]
		if !ok {
			t.Errorf("entity %s missing", name)
			continue
		}
		if e.Type != typ {
			t.Errorf("%s is %s, want %s", name, e.Type, typ)
		}
		// Offsets are code points into the body.
		for _, m := range e.Mentions {
			if got := string([]rune(body)[m.Start:m.End]); got != m.Text {
				t.Errorf("%s mention [%d,%d) is %q in the body, event says %q", name, m.Start, m.End, got, m.Text)
			}
		}
	}

	// Stance: every entity has a polarity, the article a tone, and the
	// sample's clearest stances are there (see internal/stance for why).
	for _, e := range out.Entities {
		if e.Sentiment == nil {
			t.Errorf("%s has no sentiment", e.Name)
		}
	}
	if out.Tone == nil || *out.Tone >= 0 {
		t.Errorf("tone %v, want a negative tone for this article", out.Tone)
	}
	found := map[string]bool{}
	for _, s := range out.Stances {
		found[s.HolderName+" "+s.Stance+" "+s.TargetName] = true
	}
	for _, want := range []string{"Moscow oppose Taliban", "Moscow support United States"} {
		if !found[want] {
			t.Errorf("stance %q missing from %v", want, found)
		}
	}

	// One mention event per entity, on its subject.
	mentions, _ := js.Stream(context.Background(), events.StreamMentions)
	deadline = time.Now().Add(10 * time.Second)
	for {
		info, _ := mentions.Info(context.Background())
		if info.State.Msgs == uint64(len(out.Entities)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mention events: %d, want %d", info.State.Msgs, len(out.Entities))
		}
		time.Sleep(50 * time.Millisecond)
	}
	russia, err := mentions.GetLastMsgForSubject(context.Background(), "news.mentions.location.russia")
	if err != nil {
		t.Fatal(err)
	}
	me, err := events.DecodeMention(russia.Data)
	if err != nil || me.ArticleID != in.ID || me.Entity.Key != "location:russia" {
		t.Errorf("mention event %+v (%v)", me, err)
	}

	dlq, _ := js.Stream(context.Background(), events.StreamDLQ)
	deadline = time.Now().Add(10 * time.Second)
	for {
		m, err := dlq.GetMsg(context.Background(), 1)
		if err == nil {
			if m.Header.Get(stage.HeaderDLQClass) != "invalid" || m.Subject != "news.dlq.enricher" {
				t.Errorf("dead letter %s class %q", m.Subject, m.Header.Get(stage.HeaderDLQClass))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("invalid raw article not dead-lettered")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
