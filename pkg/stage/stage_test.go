package stage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/pkg/stage/natstest"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startRuntime(t *testing.T, url, name string) *stage.Runtime {
	t.Helper()
	c := stage.DefaultCommon()
	c.Broker.URL = url
	c.HTTPAddr = "off"
	c.Logger = quietLogger()
	c.Registry = prometheus.NewRegistry()
	c.DrainTimeout = 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt, err := stage.Start(ctx, name, "test", c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	return rt
}

func fastConsumer() stage.ConsumerConfig {
	cc := stage.DefaultConsumer(events.StreamRaw, "worker", events.SubjectRawAll)
	cc.AckWait = time.Second
	cc.BackOff = nil
	cc.RetryDelays = []time.Duration{20 * time.Millisecond}
	cc.MaxDeliver = 3
	cc.InfoInterval = 100 * time.Millisecond
	return cc
}

func publish(t *testing.T, js jetstream.JetStream, subject, id string, data []byte) {
	t.Helper()
	msg := &nats.Msg{Subject: subject, Header: nats.Header{}, Data: data}
	if id != "" {
		msg.Header.Set(events.HeaderMsgID, id)
	}
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
}

// echo copies each raw message to news.enriched.<n> with a derived Msg-Id.
func echo(_ context.Context, m *stage.Message) ([]stage.Output, error) {
	id := m.Header.Get(events.HeaderMsgID)
	return []stage.Output{{
		Subject: "news.enriched.test",
		Header:  nats.Header{events.HeaderMsgID: {id + ":v1"}},
		Data:    m.Data,
	}}, nil
}

func streamMsgs(t *testing.T, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runConsume(t *testing.T, rt *stage.Runtime, cc stage.ConsumerConfig, h stage.Handler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Consume(ctx, cc, h) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Consume: %v", err)
		}
	}
}

func consumerSettled(t *testing.T, js jetstream.JetStream, durable string) func() bool {
	return func() bool {
		c, err := js.Consumer(context.Background(), events.StreamRaw, durable)
		if err != nil {
			return false
		}
		info, err := c.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	}
}

func TestConsumePublishesEveryMessageOnce(t *testing.T) {
	srv := natstest.Start(t)
	rt := startRuntime(t, srv.ClientURL(), "worker")
	const n = 300
	for i := range n {
		publish(t, rt.JS, "news.raw.test", "id"+strconv.Itoa(i), []byte(strconv.Itoa(i)))
	}
	// A duplicate publish is de-duplicated by the stream.
	publish(t, rt.JS, "news.raw.test", "id7", []byte("7"))
	stop := runConsume(t, rt, fastConsumer(), echo)
	waitFor(t, "all enriched", func() bool { return streamMsgs(t, rt.JS, events.StreamEnriched) == n })
	waitFor(t, "consumer settled", consumerSettled(t, rt.JS, "worker"))
	stop()
	if got := streamMsgs(t, rt.JS, events.StreamRaw); got != n {
		t.Errorf("raw stream holds %d messages, want %d (duplicate publish kept?)", got, n)
	}
	if got := testutil.ToFloat64(rt.Metrics.Messages.WithLabelValues(stage.OutcomeOK)); got != n {
		t.Errorf("ok outcomes = %v, want %d", got, n)
	}
}

func TestPoisonGoesToDLQAndStageContinues(t *testing.T) {
	srv := natstest.Start(t)
	rt := startRuntime(t, srv.ClientURL(), "worker")
	h := func(ctx context.Context, m *stage.Message) ([]stage.Output, error) {
		if _, err := events.DecodeRaw(m.Data); err != nil {
			return nil, fmt.Errorf("decode raw article: %w", err)
		}
		return echo(ctx, m)
	}
	publish(t, rt.JS, "news.raw.test", "bad", []byte("{not json"))
	good := validRaw(t)
	publish(t, rt.JS, "news.raw.test", "good", good)
	stop := runConsume(t, rt, fastConsumer(), h)
	waitFor(t, "good one enriched", func() bool { return streamMsgs(t, rt.JS, events.StreamEnriched) == 1 })
	waitFor(t, "bad one dead-lettered", func() bool { return streamMsgs(t, rt.JS, events.StreamDLQ) == 1 })
	waitFor(t, "consumer settled", consumerSettled(t, rt.JS, "worker"))
	stop()

	dlq, err := rt.JS.Stream(context.Background(), events.StreamDLQ)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := dlq.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "news.dlq.worker" || string(msg.Data) != "{not json" {
		t.Errorf("dead letter %s %q", msg.Subject, msg.Data)
	}
	for k, want := range map[string]string{
		stage.HeaderDLQClass:    "undecodable",
		stage.HeaderDLQStage:    "worker",
		stage.HeaderDLQSubject:  "news.raw.test",
		stage.HeaderDLQStream:   events.StreamRaw,
		stage.HeaderDLQSequence: "1",
	} {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if r := msg.Header.Get(stage.HeaderDLQReason); r == "" {
		t.Error("no reason header")
	}
	if got := testutil.ToFloat64(rt.Metrics.DeadLetters.WithLabelValues("undecodable")); got != 1 {
		t.Errorf("dead letters (undecodable) = %v, want 1", got)
	}
}

func validRaw(t *testing.T) []byte {
	body := "Lavrov said Moscow regrets the absence of the United States."
	a := events.RawArticle{SchemaVersion: 1, ID: events.ArticleIDFromContent(body), Source: "test",
		SourceKind: events.KindDir, Title: "Lavrov", Body: body, FetchedAt: time.Now().UTC(),
		ContentHash: events.ContentHash(body)}
	b, err := events.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTransientFailureRetriesThenDeadLetters(t *testing.T) {
	srv := natstest.Start(t)
	rt := startRuntime(t, srv.ClientURL(), "worker")
	var mu sync.Mutex
	attempts := map[string]int{}
	h := func(ctx context.Context, m *stage.Message) ([]stage.Output, error) {
		id := m.Header.Get(events.HeaderMsgID)
		mu.Lock()
		attempts[id]++
		n := attempts[id]
		mu.Unlock()
		if id == "flaky" && n < 2 {
			return nil, errors.New("database is restarting")
		}
		if id == "broken" {
			return nil, errors.New("always down")
		}
		return echo(ctx, m)
	}
	publish(t, rt.JS, "news.raw.test", "flaky", []byte("1"))
	publish(t, rt.JS, "news.raw.test", "broken", []byte("2"))
	stop := runConsume(t, rt, fastConsumer(), h)
	waitFor(t, "flaky enriched", func() bool { return streamMsgs(t, rt.JS, events.StreamEnriched) == 1 })
	waitFor(t, "broken dead-lettered", func() bool { return streamMsgs(t, rt.JS, events.StreamDLQ) == 1 })
	waitFor(t, "consumer settled", consumerSettled(t, rt.JS, "worker"))
	stop()
	mu.Lock()
	defer mu.Unlock()
	if attempts["flaky"] != 2 || attempts["broken"] != 3 {
		t.Errorf("attempts = %v, want flaky 2 and broken 3 (MaxDeliver)", attempts)
	}
	if got := testutil.ToFloat64(rt.Metrics.DeadLetters.WithLabelValues("max_deliveries")); got != 1 {
		t.Errorf("max_deliveries dead letters = %v, want 1", got)
	}
}

func TestBatchHandlerSettlesEachMessage(t *testing.T) {
	srv := natstest.Start(t)
	rt := startRuntime(t, srv.ClientURL(), "sink")
	for i := range 50 {
		publish(t, rt.JS, "news.raw.test", "id"+strconv.Itoa(i), []byte(strconv.Itoa(i)))
	}
	var mu sync.Mutex
	committed := map[string]int{}
	var batches atomic.Int64
	h := func(_ context.Context, ms []*stage.Message) []error {
		batches.Add(1)
		errs := make([]error, len(ms))
		mu.Lock()
		defer mu.Unlock()
		for i, m := range ms {
			if string(m.Data) == "13" {
				errs[i] = stage.Poison(errors.New("unlucky"))
				continue
			}
			committed[string(m.Data)]++
		}
		return errs
	}
	cc := fastConsumer()
	cc.Batch = 16
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.ConsumeBatches(ctx, cc, h) }()
	waitFor(t, "dead letter", func() bool { return streamMsgs(t, rt.JS, events.StreamDLQ) == 1 })
	waitFor(t, "consumer settled", consumerSettled(t, rt.JS, "worker"))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(committed) != 49 {
		t.Errorf("committed %d distinct messages, want 49", len(committed))
	}
	for k, n := range committed {
		if n != 1 {
			t.Errorf("message %s committed %d times", k, n)
		}
	}
	if batches.Load() >= 50 {
		t.Errorf("%d batches for 50 messages: not batching", batches.Load())
	}
}

// A stage that dies holding messages (no acks) loses nothing: after a
// restart they are redelivered, and their outputs are not duplicated.
func TestCrashMidBatchLosesAndDuplicatesNothing(t *testing.T) {
	srv := natstest.Start(t)
	rt1 := startRuntime(t, srv.ClientURL(), "worker")
	const n = 40
	for i := range n {
		publish(t, rt1.JS, "news.raw.test", "id"+strconv.Itoa(i), []byte(strconv.Itoa(i)))
	}
	var handled atomic.Int64
	block := make(chan struct{})
	// The first instance publishes outputs for some messages, then hangs
	// before its acks can happen, and its connection is cut.
	h1 := func(ctx context.Context, m *stage.Message) ([]stage.Output, error) {
		if handled.Add(1) > 10 {
			<-block
			return nil, errors.New("dying")
		}
		outs, _ := echo(ctx, m)
		if err := rt1.Publish(ctx, outs); err != nil {
			return nil, err
		}
		<-block
		return nil, errors.New("dying")
	}
	cc := fastConsumer()
	cc.MaxDeliver = 10
	ctx1, cancel1 := context.WithCancel(context.Background())
	go func() { _ = rt1.Consume(ctx1, cc, h1) }()
	waitFor(t, "first instance busy", func() bool { return handled.Load() >= 4 })
	rt1.Conn.Close() // kill: no acks, no naks
	cancel1()
	close(block)

	rt2 := startRuntime(t, srv.ClientURL(), "worker")
	stop := runConsume(t, rt2, cc, echo)
	waitFor(t, "all enriched", func() bool { return streamMsgs(t, rt2.JS, events.StreamEnriched) == n })
	waitFor(t, "consumer settled", consumerSettled(t, rt2.JS, "worker"))
	stop()
	if got := streamMsgs(t, rt2.JS, events.StreamEnriched); got != n {
		t.Fatalf("enriched stream holds %d, want exactly %d", got, n)
	}
	if got := streamMsgs(t, rt2.JS, events.StreamDLQ); got != 0 {
		t.Fatalf("dead letters: %d", got)
	}
}

// Cancelling the context (SIGTERM) lets in-flight work finish and be acked.
func TestShutdownFinishesInFlightWork(t *testing.T) {
	srv := natstest.Start(t)
	rt := startRuntime(t, srv.ClientURL(), "worker")
	publish(t, rt.JS, "news.raw.test", "slow", []byte("x"))
	started := make(chan struct{})
	release := make(chan struct{})
	h := func(ctx context.Context, m *stage.Message) ([]stage.Output, error) {
		close(started)
		<-release
		return echo(ctx, m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Consume(ctx, fastConsumer(), h) }()
	<-started
	cancel() // SIGTERM while the handler runs
	time.AfterFunc(200*time.Millisecond, func() { close(release) })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := streamMsgs(t, rt.JS, events.StreamEnriched); got != 1 {
		t.Fatalf("in-flight output not published: %d", got)
	}
	waitFor(t, "acked", consumerSettled(t, rt.JS, "worker"))
}

// When a stage dies holding a message on its last delivery, the server's
// MAX_DELIVERIES advisory makes a live replica dead-letter it.
func TestMaxDeliveriesAdvisoryDeadLetters(t *testing.T) {
	srv := natstest.Start(t)
	cc := fastConsumer()
	cc.MaxDeliver = 1
	dying := startRuntime(t, srv.ClientURL(), "worker")
	got := make(chan struct{}, 1)
	hang := func(ctx context.Context, m *stage.Message) ([]stage.Output, error) {
		got <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	ctxD, cancelD := context.WithCancel(context.Background())
	defer cancelD()
	go func() { _ = dying.Consume(ctxD, cc, hang) }()
	publish(t, dying.JS, "news.raw.test", "held", []byte("x"))
	<-got // its only delivery is now held by the dying replica

	// A live replica joins; with MaxDeliver 1 it can never receive the
	// message, so only the advisory can dead-letter it.
	live := startRuntime(t, srv.ClientURL(), "worker")
	stopLive := runConsume(t, live, cc, func(context.Context, *stage.Message) ([]stage.Output, error) {
		return nil, errors.New("unexpected delivery")
	})
	defer stopLive()
	waitFor(t, "live replica subscribed", func() bool { return live.Conn.NumSubscriptions() > 0 })
	time.Sleep(100 * time.Millisecond)
	dying.Conn.Close() // dies without ack or nak

	waitFor(t, "dead letter from advisory", func() bool { return streamMsgs(t, live.JS, events.StreamDLQ) == 1 })
	dlq, _ := live.JS.Stream(context.Background(), events.StreamDLQ)
	msg, err := dlq.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if c := msg.Header.Get(stage.HeaderDLQClass); c != "max_deliveries" {
		t.Errorf("class = %q, want max_deliveries", c)
	}
	if string(msg.Data) != "x" || msg.Header.Get(stage.HeaderDLQSubject) != "news.raw.test" {
		t.Errorf("dead letter %q from %q", msg.Data, msg.Header.Get(stage.HeaderDLQSubject))
	}
}

func TestOversizeMessageIsPoison(t *testing.T) {
	srv := natstest.Start(t)
	rt := startRuntime(t, srv.ClientURL(), "worker")
	cc := fastConsumer()
	cc.MaxMsgBytes = 1024
	publish(t, rt.JS, "news.raw.test", "big", make([]byte, 4096))
	stop := runConsume(t, rt, cc, echo)
	waitFor(t, "dead letter", func() bool { return streamMsgs(t, rt.JS, events.StreamDLQ) == 1 })
	stop()
	if got := testutil.ToFloat64(rt.Metrics.DeadLetters.WithLabelValues("too_large")); got != 1 {
		t.Errorf("too_large dead letters = %v", got)
	}
}
