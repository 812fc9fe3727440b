package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsflow/newsflow/deploy/local/stack"
	"github.com/newsflow/newsflow/pkg/shareddata"
	"github.com/newsflow/newsflow/services/sink"
)

func testConfig(dataDir, inbox string, out io.Writer) stack.Config {
	c := stack.DefaultConfig()
	c.DataDir, c.Inbox, c.Once, c.NATSPort = dataDir, inbox, true, 0
	c.FetcherAddr, c.EnricherAddr, c.SinkAddr = "off", "off", "off"
	c.Out, c.Log = out, io.Discard
	return c
}

func lines(t *testing.T, out *bytes.Buffer) []stack.Line {
	t.Helper()
	var ls []stack.Line
	for _, raw := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if raw == "" {
			continue
		}
		var l stack.Line
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("output line %q: %v", raw, err)
		}
		ls = append(ls, l)
	}
	return ls
}

// The default inbox (the project's sample articles) goes through the whole
// pipeline; a second run over the same data directory prints the same
// articles from the store without storing anything twice.
func TestOnceStoresEveryInboxArticle(t *testing.T) {
	dataDir := t.TempDir()
	var out bytes.Buffer
	if err := stack.Run(context.Background(), testConfig(dataDir, "", &out)); err != nil {
		t.Fatal(err)
	}
	first := lines(t, &out)
	files, _ := filepath.Glob(filepath.Join(dataDir, "inbox", "*.txt"))
	if len(first) != len(files) || len(files) < 3 {
		t.Fatalf("printed %d articles for %d inbox files", len(first), len(files))
	}
	for _, l := range first {
		if l.ID == "" || l.Title == "" || len(l.Entities) == 0 {
			t.Errorf("thin output line %+v", l)
		}
	}
	st, err := sink.OpenStore(context.Background(), "sqlite:"+filepath.Join(dataDir, "newsflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Count(context.Background())
	if err != nil || n != len(files) {
		t.Fatalf("database holds %d articles (%v), want %d", n, err, len(files))
	}

	out.Reset()
	if err := stack.Run(context.Background(), testConfig(dataDir, "", &out)); err != nil {
		t.Fatal(err)
	}
	again := lines(t, &out)
	if len(again) != len(first) {
		t.Fatalf("second run printed %d articles, want %d", len(again), len(first))
	}
	if n, _ := st.Count(context.Background()); n != len(files) {
		t.Fatalf("second run changed the article count to %d", n)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Without -once (what make run does) the stack ingests the sample inbox
// while watching it, and stops cleanly when interrupted.
func TestWatchIngestsTheInboxAndStops(t *testing.T) {
	dataDir := t.TempDir()
	var out syncBuffer
	c := testConfig(dataDir, "", &out)
	c.Once = false
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- stack.Run(ctx, c) }()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(out.String(), "\n") < 3 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("watching stack printed %q", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("stack stopped with %v", err)
	}
}

func TestOnceFailsOnUnreadableFiles(t *testing.T) {
	inbox := t.TempDir()
	if err := os.WriteFile(filepath.Join(inbox, "ok.txt"), []byte("Lavrov spoke in Moscow on Tuesday."), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inbox, "bad.txt"), []byte{0xff, 0x00, 0xfe}, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := stack.Run(context.Background(), testConfig(t.TempDir(), inbox, &out))
	if err == nil || !strings.Contains(err.Error(), "1 files skipped") {
		t.Fatalf("err = %v, want one naming the skipped file", err)
	}
	if got := len(lines(t, &out)); got != 1 {
		t.Fatalf("printed %d articles, want the good one", got)
	}
}

func TestSample(t *testing.T) {
	samples := shareddata.RequireSamples(t)
	var out bytes.Buffer
	if err := stack.Run(context.Background(), testConfig(t.TempDir(), samples, &out)); err != nil {
		t.Fatal(err)
	}
	ls := lines(t, &out)
	if len(ls) != 1 {
		t.Fatalf("%d lines", len(ls))
	}
	got := map[string]string{}
	for _, e := range ls[0].Entities {
		got[e.Name] = e.Type
	}
	for _, want := range []string{"Taliban", "Russia", "Moscow", "China", "Pakistan", "Sergey Lavrov", "United Nations"} {
		if _, ok := got[want]; !ok {
			t.Errorf("entity %s missing from %v", want, got)
		}
	}
}
