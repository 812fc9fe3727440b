// Package ceiling measures what JetStream alone sustains on this machine: a
// file-backed stream, messages of given sizes published asynchronously
// with de-duplication IDs, and a durable pull consumer acking each one
// explicitly, as the pipeline's stages do. No stage logic runs, so its
// rate is the ceiling the pipeline is compared with.
package ceiling

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config of a run. Zero values take the defaults.
type Config struct {
	Stream  string // default NEWSFLOW_BENCH_CEILING (deleted after the run)
	Subject string // default bench.ceiling
	// Sizes are the payload sizes, used in turn.
	Sizes    []int
	Messages int
	// InFlight bounds publishes awaiting their acknowledgement (default 256).
	InFlight int
	// MaxAckPending and Batch configure the consumer as a stage's (default
	// 1000 and 64).
	MaxAckPending, Batch int
}

// Result of a run.
type Result struct {
	Messages int
	Bytes    int64
	// Publish is the time until the last publish was acknowledged; Total
	// until the last message was consumed and acked.
	Publish, Total time.Duration
}

// PublishPerSecond is the rate of acknowledged publishes.
func (r Result) PublishPerSecond() float64 { return perSecond(r.Messages, r.Publish) }

// PerSecond is the rate of messages published, consumed and acked.
func (r Result) PerSecond() float64 { return perSecond(r.Messages, r.Total) }

// MBPerSecond is the payload throughput of the whole loop.
func (r Result) MBPerSecond() float64 {
	if r.Total <= 0 {
		return 0
	}
	return float64(r.Bytes) / (1 << 20) / r.Total.Seconds()
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func (c *Config) defaults() error {
	if c.Stream == "" {
		c.Stream = "NEWSFLOW_BENCH_CEILING"
	}
	if c.Subject == "" {
		c.Subject = "bench.ceiling"
	}
	if c.InFlight <= 0 {
		c.InFlight = 256
	}
	if c.MaxAckPending <= 0 {
		c.MaxAckPending = 1000
	}
	if c.Batch <= 0 {
		c.Batch = 64
	}
	switch {
	case c.Messages <= 0:
		return errors.New("ceiling: Messages must be positive")
	case len(c.Sizes) == 0:
		return errors.New("ceiling: no message sizes")
	}
	for _, s := range c.Sizes {
		if s < 0 {
			return fmt.Errorf("ceiling: negative size %d", s)
		}
	}
	return nil
}

// Run creates the stream, publishes and consumes c.Messages messages
// concurrently, and deletes the stream.
func Run(ctx context.Context, js jetstream.JetStream, c Config) (Result, error) {
	if err := c.defaults(); err != nil {
		return Result{}, err
	}
	largest := 0
	for _, s := range c.Sizes {
		largest = max(largest, s)
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: c.Stream, Subjects: []string{c.Subject}, Storage: jetstream.FileStorage,
		Replicas: 1, Duplicates: 20 * time.Minute, MaxMsgSize: int32(largest + 1024),
	})
	if err != nil {
		return Result{}, fmt.Errorf("ceiling: stream: %w", err)
	}
	defer js.DeleteStream(context.WithoutCancel(ctx), c.Stream)
	if err := stream.Purge(ctx); err != nil {
		return Result{}, fmt.Errorf("ceiling: purge: %w", err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: "ceiling", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: c.MaxAckPending,
		AckWait: 30 * time.Second, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return Result{}, fmt.Errorf("ceiling: consumer: %w", err)
	}
	payload := make([]byte, largest)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}

	var consumed atomic.Int64
	done := make(chan struct{})
	start := time.Now()
	var lastAck atomic.Int64
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if err := m.Ack(); err != nil {
			return // redelivered after AckWait, counted then
		}
		if consumed.Add(1) == int64(c.Messages) {
			lastAck.Store(int64(time.Since(start)))
			close(done)
		}
	}, jetstream.PullMaxMessages(c.Batch*2))
	if err != nil {
		return Result{}, fmt.Errorf("ceiling: consume: %w", err)
	}
	defer cc.Stop()

	res := Result{Messages: c.Messages}
	window := make(chan jetstream.PubAckFuture, c.InFlight)
	pubErr := make(chan error, 1)
	go func() {
		defer close(pubErr)
		for f := range window {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				pubErr <- err
				for range window {
				}
				return
			case <-ctx.Done():
				pubErr <- ctx.Err()
				for range window {
				}
				return
			}
		}
	}()
	for i := range c.Messages {
		size := c.Sizes[i%len(c.Sizes)]
		res.Bytes += int64(size)
		msg := &nats.Msg{Subject: c.Subject, Data: payload[:size], Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, "ceiling-"+strconv.Itoa(i))
		f, err := js.PublishMsgAsync(msg)
		if err != nil {
			close(window)
			return Result{}, fmt.Errorf("ceiling: publish: %w", err)
		}
		window <- f
	}
	close(window)
	if err := <-pubErr; err != nil {
		return Result{}, fmt.Errorf("ceiling: publish: %w", err)
	}
	res.Publish = time.Since(start)
	select {
	case <-done:
		res.Total = time.Duration(lastAck.Load())
	case <-ctx.Done():
		return Result{}, fmt.Errorf("ceiling: %d of %d consumed: %w", consumed.Load(), c.Messages, ctx.Err())
	}
	return res, nil
}
