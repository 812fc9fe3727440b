package fetcher_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/pkg/stage/natstest"
	"github.com/newsflow/newsflow/services/fetcher"
)

func config(url, inbox string) fetcher.Config {
	c := fetcher.DefaultConfig()
	c.Broker.URL = url
	c.HTTPAddr = "off"
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	c.Registry = prometheus.NewRegistry()
	c.Inbox = inbox
	c.InboxSettle = 50 * time.Millisecond
	c.InboxRescan = 200 * time.Millisecond
	return c
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

type recorder struct {
	mu  sync.Mutex
	got map[string][]string // outcome -> IDs
}

func (r *recorder) observe(a events.RawArticle, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string][]string{}
	}
	r.got[outcome] = append(r.got[outcome], a.ID)
}

func (r *recorder) count(outcome string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got[outcome])
}

func streamMsgs(t *testing.T, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func TestInboxOncePublishesEachArticleOnce(t *testing.T) {
	srv := natstest.Start(t)
	inbox := t.TempDir()
	for i := range 5 {
		write(t, inbox, fmt.Sprintf("a%d.txt", i), fmt.Sprintf("date 2024-01-0%d\nStory %d. Lavrov met the press in Moscow.", i+1, i))
	}
	// The same content under another name, re-wrapped: one article.
	write(t, inbox, "copy.txt", "date 2024-01-01\nStory 0.   Lavrov met the press\nin Moscow.")
	write(t, inbox, "binary.txt", "\x00\x01\x02 not text")
	write(t, inbox, ".hidden.txt", "ignored")

	var rec recorder
	c := config(srv.ClientURL(), inbox)
	c.Once = true
	c.Observe = rec.observe
	if err := fetcher.Run(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	nc, _ := nats.Connect(srv.ClientURL())
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if got := streamMsgs(t, js, events.StreamRaw); got != 5 {
		t.Errorf("raw stream holds %d articles, want 5", got)
	}
	if rec.count("new") != 5 || rec.count("duplicate") != 1 || rec.count("skipped") != 1 {
		t.Errorf("outcomes %v, want 5 new, 1 duplicate, 1 skipped", rec.got)
	}
	dlq, _ := js.Stream(context.Background(), events.StreamDLQ)
	m, err := dlq.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal("no dead letter for the binary file:", err)
	}
	if m.Subject != "news.dlq.fetcher" || m.Header.Get(stage.HeaderDLQSubject) != filepath.Join(inbox, "binary.txt") ||
		m.Header.Get(stage.HeaderDLQReason) == "" {
		t.Errorf("dead letter %s headers %v", m.Subject, m.Header)
	}

	// Check one event in full: subject, headers, payload.
	raw, _ := js.Stream(context.Background(), events.StreamRaw)
	first, err := raw.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	a, err := events.DecodeRaw(first.Data)
	if err != nil {
		t.Fatal(err)
	}
	if first.Subject != "news.raw.inbox" || first.Header.Get(events.HeaderMsgID) != a.ID ||
		first.Header.Get(events.HeaderType) != events.TypeRawArticle || a.PublishedAt == nil ||
		a.Title != "Story 0." {
		t.Errorf("event %s %v %+v", first.Subject, first.Header, a)
	}
	if _, _, _, ok := events.ParseTraceparent(first.Header.Get(events.HeaderTraceparent)); !ok {
		t.Error("no valid traceparent")
	}

	// A restart remembers what it published (the seen set): nothing new.
	var rec2 recorder
	c2 := config(srv.ClientURL(), inbox)
	c2.Once, c2.Observe = true, rec2.observe
	if err := fetcher.Run(context.Background(), c2); err != nil {
		t.Fatal(err)
	}
	if rec2.count("new") != 0 || rec2.count("duplicate") != 6 {
		t.Errorf("second pass outcomes %v, want 6 duplicates", rec2.got)
	}
	if got := streamMsgs(t, js, events.StreamRaw); got != 5 {
		t.Errorf("raw stream holds %d after a second pass, want 5", got)
	}
}

func TestInboxWatchPicksUpNewFiles(t *testing.T) {
	srv := natstest.Start(t)
	inbox := t.TempDir()
	var rec recorder
	c := config(srv.ClientURL(), inbox)
	c.Observe = rec.observe
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fetcher.Run(ctx, c) }()
	for i := range 3 {
		// Write under a temporary name and rename, as a well-behaved writer does.
		tmp := filepath.Join(inbox, fmt.Sprintf(".n%d.tmp", i))
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("News item %d arrived in Kabul.", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(inbox, fmt.Sprintf("n%d.txt", i))); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for rec.count("new") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("watched inbox published %d of 3", rec.count("new"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	env := map[string]string{
		"NEWSFLOW_SOURCES": "/etc/newsflow/sources.yaml", "NEWSFLOW_ALLOW_HOST": "10.0.0.0/8,feeds.internal",
		"NEWSFLOW_PUSH_ADDR": ":8080", "NEWSFLOW_PUSH_TOKEN": "secret",
	}
	c, err := fetcher.ParseConfig([]string{"-allow-host", "127.0.0.2"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Sources != env["NEWSFLOW_SOURCES"] || c.PushAddr != ":8080" || c.PushToken != "secret" ||
		strings.Join(c.AllowHosts, ",") != "127.0.0.2" {
		t.Errorf("config %+v", c)
	}
	c, _ = fetcher.ParseConfig(nil, func(k string) string { return env[k] })
	if strings.Join(c.AllowHosts, ",") != "10.0.0.0/8,feeds.internal" {
		t.Errorf("NEWSFLOW_ALLOW_HOST gave %q", c.AllowHosts)
	}
}

// Files already in the inbox when a watching fetcher starts are ingested
// even when they are too fresh for the first scan (no file event will come
// for them), long before the periodic rescan.
func TestInboxWatchIngestsFreshFilesPresentAtStart(t *testing.T) {
	srv := natstest.Start(t)
	inbox := t.TempDir()
	for i := range 3 {
		write(t, inbox, fmt.Sprintf("s%d.txt", i), fmt.Sprintf("Fresh item %d reached Moscow.", i))
	}
	var rec recorder
	c := config(srv.ClientURL(), inbox)
	c.Observe = rec.observe
	c.InboxSettle = time.Second // the files are still settling at the first scan
	c.InboxRescan = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fetcher.Run(ctx, c) }()
	deadline := time.Now().Add(30 * time.Second)
	for rec.count("new") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("published %d of 3 files present at start", rec.count("new"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "-inbox"},
		{[]string{"-inbox", "x", "-inbox-source", "a.b"}, "-inbox-source"},
		{[]string{"-inbox", "x", "-seen-ttl", "0s"}, "-seen-ttl"},
		{[]string{"-inbox", "x", "-stream-replicas", "0"}, "-stream-replicas"},
		{[]string{"-inbox", "x", "-log-format", "xml"}, "-log-format"},
		{[]string{"-push-addr", ":8080"}, "-push-token-file"},
		{[]string{"-push-addr", ":9090", "-push-token", "t"}, "-push-addr"},
		{[]string{"-push-addr", ":8080", "-push-token", "t", "-push-source", "a b"}, "-push-source"},
		{[]string{"-sources", "s.yaml", "-allow-host", "10.0.0.0/99"}, "-allow-host"},
		{[]string{"-sources", "s.yaml", "-per-host-rate", "0"}, "-per-host-rate"},
		{[]string{"-sources", "s.yaml", "-max-redirects", "50"}, "-max-redirects"},
		{[]string{"-sources", "s.yaml", "-item-concurrency", "0"}, "-item-concurrency"},
		{[]string{"-sources", "s.yaml", "-read-timeout", "0s"}, "-read-timeout"},
		{[]string{"-sources", "s.yaml", "-lease-bucket", ""}, "-lease-bucket"},
	}
	for _, tt := range tests {
		_, err := fetcher.ParseConfig(tt.args, func(string) string { return "" })
		if err != nil && strings.Contains(err.Error(), "flag provided") {
			t.Errorf("ParseConfig(%q): %v", tt.args, err)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseConfig(%q) = %v, want an error naming %s", tt.args, err, tt.want)
		}
	}
}
