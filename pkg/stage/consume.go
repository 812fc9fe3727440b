package stage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/pkg/stage/envflag"
)

// Handler processes one message and returns the messages it produces. The
// runtime publishes them and acks the input once JetStream has them all.
type Handler func(ctx context.Context, m *Message) ([]Output, error)

// BatchHandler processes a batch and returns one error per message, nil
// meaning done and durable (committed). Poison errors send their message
// to the dead-letter queue; other errors retry it.
type BatchHandler func(ctx context.Context, ms []*Message) []error

// ConsumerConfig declares a stage's durable pull consumer and how it pulls.
type ConsumerConfig struct {
	Stream         string
	Durable        string
	FilterSubjects []string
	// AckWait is how long the server waits for an ack before redelivering.
	AckWait time.Duration
	// MaxDeliver is how many times a message is delivered before it is
	// dead-lettered.
	MaxDeliver int
	// BackOff are the server's redelivery delays after ack timeouts.
	BackOff []time.Duration
	// RetryDelays are the delays of Naks after transient failures, by
	// attempt; the last repeats.
	RetryDelays []time.Duration
	// MaxAckPending bounds the messages outstanding across all replicas.
	MaxAckPending int
	// Batch is how many messages are pulled (and, for BatchHandler, handled) at once.
	Batch int
	// BatchWait is how long a BatchHandler batch waits to fill up.
	BatchWait time.Duration
	// Concurrency is how many messages (or batches) are handled at once.
	Concurrency int
	// MaxMsgBytes: larger messages are poison.
	MaxMsgBytes int
	// InfoInterval is how often consumer pending counts are refreshed.
	InfoInterval time.Duration
}

// DefaultConsumer returns the documented defaults for a durable.
func DefaultConsumer(stream, durable string, filter ...string) ConsumerConfig {
	return ConsumerConfig{
		Stream:         stream,
		Durable:        durable,
		FilterSubjects: filter,
		AckWait:        30 * time.Second,
		MaxDeliver:     6,
		BackOff:        []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute},
		RetryDelays:    []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute},
		MaxAckPending:  1000,
		Batch:          64,
		BatchWait:      100 * time.Millisecond,
		Concurrency:    4,
		MaxMsgBytes:    8 << 20,
		InfoInterval:   5 * time.Second,
	}
}

// Register binds the settings to flags, with c's values as defaults.
func (c *ConsumerConfig) Register(fs *envflag.FlagSet) {
	d := *c
	fs.StringVar(&c.Durable, "consumer", d.Durable, "name of the durable consumer (shared by replicas)")
	fs.DurationVar(&c.AckWait, "ack-wait", d.AckWait, "how long the server waits for an ack before redelivering")
	fs.IntVar(&c.MaxDeliver, "max-deliver", d.MaxDeliver, "deliveries of a message before it goes to the dead-letter queue")
	fs.DurationListVar(&c.BackOff, "redelivery-backoff", d.BackOff, "server redelivery delays after ack timeouts, comma separated")
	fs.DurationListVar(&c.RetryDelays, "retry-delays", d.RetryDelays, "delays before retrying after transient failures, by attempt, comma separated")
	fs.IntVar(&c.MaxAckPending, "max-ack-pending", d.MaxAckPending, "messages outstanding without ack, across replicas")
	fs.IntVar(&c.Batch, "batch", d.Batch, "messages pulled (and handled, for batching stages) at once")
	fs.DurationVar(&c.BatchWait, "batch-wait", d.BatchWait, "how long a batch waits to fill up")
	fs.IntVar(&c.Concurrency, "concurrency", d.Concurrency, "messages (or batches) handled at once")
	fs.IntVar(&c.MaxMsgBytes, "max-msg-bytes-in", d.MaxMsgBytes, "larger incoming messages go to the dead-letter queue")
}

// Validate reports the first unusable setting, by flag name.
func (c ConsumerConfig) Validate() error {
	switch {
	case c.Stream == "":
		return errors.New("consumer stream is empty")
	case c.Durable == "":
		return errors.New("-consumer: is empty")
	case c.AckWait < time.Second:
		return fmt.Errorf("-ack-wait: %v is below 1s", c.AckWait)
	case c.MaxDeliver < 1:
		return fmt.Errorf("-max-deliver: %d is below 1", c.MaxDeliver)
	case len(c.BackOff) > c.MaxDeliver:
		return fmt.Errorf("-redelivery-backoff: %d delays for %d deliveries", len(c.BackOff), c.MaxDeliver)
	case len(c.RetryDelays) == 0:
		return errors.New("-retry-delays: is empty")
	case c.MaxAckPending < 1:
		return fmt.Errorf("-max-ack-pending: %d is below 1", c.MaxAckPending)
	case c.Batch < 1:
		return fmt.Errorf("-batch: %d is below 1", c.Batch)
	case c.Concurrency < 1:
		return fmt.Errorf("-concurrency: %d is below 1", c.Concurrency)
	case c.BatchWait < 0:
		return errors.New("-batch-wait: is negative")
	case c.MaxMsgBytes < 1024:
		return fmt.Errorf("-max-msg-bytes-in: %d is below 1 KiB", c.MaxMsgBytes)
	}
	return nil
}

func (c ConsumerConfig) jetstream() jetstream.ConsumerConfig {
	jc := jetstream.ConsumerConfig{
		Durable:       c.Durable,
		Description:   "newsflow stage consumer",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWait,
		MaxDeliver:    c.MaxDeliver,
		BackOff:       c.BackOff,
		MaxAckPending: c.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	switch len(c.FilterSubjects) {
	case 0:
	case 1:
		jc.FilterSubject = c.FilterSubjects[0]
	default:
		jc.FilterSubjects = c.FilterSubjects
	}
	return jc
}

// Consume runs h over the durable consumer until ctx ends, then finishes
// the messages in hand and returns nil. It returns an error only when the
// consumer cannot be set up.
func (rt *Runtime) Consume(ctx context.Context, cc ConsumerConfig, h Handler) error {
	return rt.consume(ctx, cc, func(ctx context.Context, ms []*Message) []error {
		m := ms[0]
		outs, err := call(func() ([]Output, error) { return h(ctx, m) })
		if err == nil {
			err = rt.Publish(ctx, outs)
		}
		return []error{err}
	}, 1)
}

// ConsumeBatches runs h over batches of up to cc.Batch messages.
func (rt *Runtime) ConsumeBatches(ctx context.Context, cc ConsumerConfig, h BatchHandler) error {
	return rt.consume(ctx, cc, func(ctx context.Context, ms []*Message) []error {
		var errs []error
		_, err := call(func() ([]Output, error) { errs = h(ctx, ms); return nil, nil })
		if err != nil { // the handler panicked: retry the whole batch
			errs = make([]error, len(ms))
			for i := range errs {
				errs[i] = err
			}
		}
		if len(errs) != len(ms) {
			panic(fmt.Sprintf("stage: BatchHandler returned %d errors for %d messages", len(errs), len(ms)))
		}
		return errs
	}, cc.Batch)
}

// call runs f, turning a panic into a transient error (after MaxDeliver
// attempts the message is dead-lettered with the panic as the reason).
func call(f func() ([]Output, error)) (outs []Output, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v\n%s", r, debug.Stack())
		}
	}()
	return f()
}

type group func(ctx context.Context, ms []*Message) []error

func (rt *Runtime) consume(ctx context.Context, cc ConsumerConfig, handle group, batch int) error {
	if err := cc.Validate(); err != nil {
		return err
	}
	log := rt.Log.With("stream", cc.Stream, "consumer", cc.Durable)
	var cons jetstream.Consumer
	if err := retry(ctx, log, "create consumer", func() (err error) {
		cons, err = rt.JS.CreateOrUpdateConsumer(ctx, cc.Stream, cc.jetstream())
		return err
	}); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	stopAdvisories, err := rt.watchMaxDeliveries(ctx, cc)
	if err != nil {
		return err
	}
	defer stopAdvisories()
	go rt.pollConsumerInfo(ctx, cons, cc.InfoInterval)

	// Work runs on a context that survives ctx for DrainTimeout, so
	// in-flight messages finish and are acked after SIGTERM.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	go func() {
		<-ctx.Done()
		select {
		case <-time.After(rt.cfg.DrainTimeout):
			cancelWork()
		case <-workCtx.Done():
		}
	}()

	sem := make(chan struct{}, cc.Concurrency)
	var wg sync.WaitGroup
	run := func(ms []*Message) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rt.process(workCtx, cc, handle, ms)
		}()
	}

	for ctx.Err() == nil {
		it, err := cons.Messages(jetstream.PullMaxMessages(max(cc.Batch, cc.Concurrency) * 2))
		if err != nil {
			log.Warn("start pulling", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		stop := context.AfterFunc(ctx, it.Drain)
		err = pull(it, batch, cc.BatchWait, run)
		stop()
		it.Stop()
		if ctx.Err() != nil {
			break
		}
		// The consumer was deleted or the connection closed: set it up
		// again and go on.
		log.Warn("pulling stopped, restarting", "err", err)
		sleep(ctx, time.Second)
		_ = retry(ctx, log, "create consumer", func() (err error) {
			cons, err = rt.JS.CreateOrUpdateConsumer(ctx, cc.Stream, cc.jetstream())
			return err
		})
	}
	wg.Wait()
	return nil
}

// pull reads messages from it and hands groups of up to size to run, until
// the iterator is closed (drained) or fails.
func pull(it jetstream.MessagesContext, size int, wait time.Duration, run func([]*Message)) error {
	for {
		jm, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return err
			}
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrBadRequest) {
				return err
			}
			continue // heartbeats missed, reconnects: the iterator recovers
		}
		ms := []*Message{wrap(jm)}
		deadline := time.Now().Add(wait)
		var closed error
		for len(ms) < size {
			left := time.Until(deadline)
			if left <= 0 {
				break
			}
			jm, err := it.Next(jetstream.NextMaxWait(left))
			if err != nil {
				if errors.Is(err, nats.ErrTimeout) {
					break
				}
				if errors.Is(err, jetstream.ErrMsgIteratorClosed) || errors.Is(err, jetstream.ErrConsumerDeleted) {
					closed = err
					break
				}
				continue
			}
			ms = append(ms, wrap(jm))
		}
		run(ms)
		if closed != nil {
			return closed
		}
	}
}

func wrap(jm jetstream.Msg) *Message {
	m := &Message{Subject: jm.Subject(), Header: jm.Headers(), Data: jm.Data(), raw: jm}
	if md, err := jm.Metadata(); err == nil {
		m.Stream = md.Stream
		m.StreamSeq = md.Sequence.Stream
		m.NumDelivered = md.NumDelivered
		m.Published = md.Timestamp
	}
	return m
}

// process handles one group and settles every message in it.
func (rt *Runtime) process(ctx context.Context, cc ConsumerConfig, handle group, ms []*Message) {
	start := time.Now()
	rt.Metrics.InFlight.Add(float64(len(ms)))
	defer rt.Metrics.InFlight.Sub(float64(len(ms)))

	errs := make([]error, len(ms))
	todo := make([]*Message, 0, len(ms))
	idx := make([]int, 0, len(ms))
	for i, m := range ms {
		if len(m.Data) > cc.MaxMsgBytes {
			errs[i] = fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(m.Data), cc.MaxMsgBytes)
			continue
		}
		todo = append(todo, m)
		idx = append(idx, i)
	}
	if len(todo) > 0 {
		stopBeat := rt.heartbeat(ctx, todo, cc.AckWait/3)
		res := handle(ctx, todo)
		stopBeat()
		for j, err := range res {
			errs[idx[j]] = err
		}
	}
	for i, m := range ms {
		rt.settle(ctx, cc, m, errs[i])
	}
	rt.Metrics.Processing.Observe(time.Since(start).Seconds())
}

// heartbeat tells the server, every interval, that ms are still in progress.
func (rt *Runtime) heartbeat(ctx context.Context, ms []*Message, every time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(max(every, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				for _, m := range ms {
					_ = m.InProgress()
				}
			}
		}
	}()
	return func() { close(done) }
}

// settle acks, naks or dead-letters one message according to err.
func (rt *Runtime) settle(ctx context.Context, cc ConsumerConfig, m *Message, err error) {
	switch {
	case err == nil:
		if aerr := m.raw.Ack(); aerr != nil {
			rt.Log.Warn("ack failed; the message will be redelivered and de-duplicated", "subject", m.Subject, "err", aerr)
		}
		rt.Metrics.Messages.WithLabelValues(OutcomeOK).Inc()
		return
	case IsPoison(err):
	case m.NumDelivered >= uint64(cc.MaxDeliver):
		err = fmt.Errorf("%w (%d): %w", errMaxDeliveries, m.NumDelivered, err)
	default:
		delay := cc.RetryDelays[min(int(m.NumDelivered), len(cc.RetryDelays))-1]
		if ctx.Err() != nil {
			delay = 0 // stopping: let another replica take it now
		}
		rt.Log.Warn("transient failure, will retry", "subject", m.Subject, "stream_seq", m.StreamSeq,
			"deliveries", m.NumDelivered, "in", delay, "err", err)
		_ = m.raw.NakWithDelay(delay)
		rt.Metrics.Messages.WithLabelValues(OutcomeRetry).Inc()
		return
	}
	if derr := rt.deadLetter(ctx, m, err); derr != nil {
		rt.Log.Error("dead-letter publish failed; will retry the message", "subject", m.Subject, "err", derr, "reason", err)
		_ = m.raw.NakWithDelay(cc.RetryDelays[0])
		rt.Metrics.Messages.WithLabelValues(OutcomeRetry).Inc()
		return
	}
	_ = m.raw.TermWithReason(reasonClass(err))
	rt.Metrics.Messages.WithLabelValues(OutcomeDeadLetter).Inc()
}

// watchMaxDeliveries dead-letters messages the server gave up on: those
// whose stage died holding them on their last delivery.
func (rt *Runtime) watchMaxDeliveries(ctx context.Context, cc ConsumerConfig) (func(), error) {
	subj := "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + cc.Stream + "." + cc.Durable
	sub, err := rt.Conn.QueueSubscribe(subj, "newsflow-"+cc.Durable, func(msg *nats.Msg) {
		var adv struct {
			Stream     string `json:"stream"`
			StreamSeq  uint64 `json:"stream_seq"`
			Deliveries uint64 `json:"deliveries"`
		}
		if err := json.Unmarshal(msg.Data, &adv); err != nil || adv.StreamSeq == 0 {
			rt.Log.Warn("unreadable max-deliveries advisory", "err", err)
			return
		}
		go rt.deadLetterBySeq(ctx, cc, adv.StreamSeq, adv.Deliveries)
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe to max-deliveries advisories: %w", err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}

func (rt *Runtime) deadLetterBySeq(ctx context.Context, cc ConsumerConfig, seq, deliveries uint64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rt.cfg.PublishTimeout)
	defer cancel()
	stream, err := rt.JS.Stream(ctx, cc.Stream)
	if err != nil {
		rt.Log.Error("max-deliveries advisory: stream lookup", "err", err)
		return
	}
	raw, err := stream.GetMsg(ctx, seq)
	if err != nil {
		rt.Log.Error("max-deliveries advisory: message lookup", "stream_seq", seq, "err", err)
		return
	}
	m := &Message{Subject: raw.Subject, Header: raw.Header, Data: raw.Data, Stream: cc.Stream,
		StreamSeq: seq, NumDelivered: deliveries, Published: raw.Time}
	cause := fmt.Errorf("%w (%s): the stage did not settle the message in time", errMaxDeliveries, strconv.FormatUint(deliveries, 10))
	if err := rt.deadLetter(ctx, m, cause); err != nil {
		rt.Log.Error("max-deliveries advisory: dead-letter publish", "stream_seq", seq, "err", err)
		return
	}
	rt.Metrics.Messages.WithLabelValues(OutcomeDeadLetter).Inc()
}

func (rt *Runtime) pollConsumerInfo(ctx context.Context, cons jetstream.Consumer, every time.Duration) {
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ictx, cancel := context.WithTimeout(ctx, every)
		info, err := cons.Info(ictx)
		cancel()
		if err == nil {
			rt.Metrics.Pending.Set(float64(info.NumPending))
			rt.Metrics.AckPending.Set(float64(info.NumAckPending))
			rt.Metrics.Redelivered.Set(float64(info.NumRedelivered))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
