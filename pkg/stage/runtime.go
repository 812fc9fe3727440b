package stage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage/broker"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
	"github.com/newsflow/newsflow/pkg/stage/health"
)

// Common is the configuration every stage shares.
type Common struct {
	Broker broker.Config
	// HTTPAddr serves /metrics, /healthz and /readyz; "off" disables it.
	HTTPAddr  string
	LogLevel  string // debug, info, warn, error
	LogFormat string // json or text
	// DrainTimeout bounds how long a stopping stage may finish its work.
	DrainTimeout time.Duration
	// PublishTimeout bounds the wait for JetStream to acknowledge a publish.
	PublishTimeout time.Duration

	// Set by programs and tests, not by flags.
	Logger   *slog.Logger         // default: built from LogLevel and LogFormat, to stderr
	Registry *prometheus.Registry // default: a new registry with Go and process collectors
}

// DefaultCommon returns the documented defaults.
func DefaultCommon() Common {
	return Common{
		Broker:         broker.Defaults(),
		HTTPAddr:       ":9090",
		LogLevel:       "info",
		LogFormat:      "json",
		DrainTimeout:   25 * time.Second,
		PublishTimeout: 10 * time.Second,
	}
}

// Register binds the settings to flags.
func (c *Common) Register(fs *envflag.FlagSet) {
	d := DefaultCommon()
	c.Broker.Register(fs)
	fs.StringVar(&c.HTTPAddr, "http-addr", d.HTTPAddr, "address of /metrics, /healthz and /readyz (\"off\" disables)")
	fs.StringVar(&c.LogLevel, "log-level", d.LogLevel, "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", d.LogFormat, "log format: json or text")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", d.DrainTimeout, "on SIGTERM, how long in-flight work may take before the stage exits")
	fs.DurationVar(&c.PublishTimeout, "publish-timeout", d.PublishTimeout, "how long to wait for JetStream to acknowledge a publish")
}

// Validate reports the first unusable setting, by flag name.
func (c Common) Validate() error {
	if err := c.Broker.Validate(); err != nil {
		return err
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	switch {
	case c.LogFormat != "json" && c.LogFormat != "text":
		return fmt.Errorf("-log-format: %q is not json or text", c.LogFormat)
	case c.DrainTimeout <= 0:
		return errors.New("-drain-timeout: must be positive")
	case c.PublishTimeout <= 0:
		return errors.New("-publish-timeout: must be positive")
	case c.HTTPAddr == "":
		return errors.New("-http-addr: is empty (use \"off\" to disable)")
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("-log-level: %q is not debug, info, warn or error", s)
	}
	return l, nil
}

// NewLogger builds the logger the settings describe, writing to w.
func (c Common) NewLogger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.LogLevel)
	o := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, o))
	}
	return slog.New(slog.NewJSONHandler(w, o))
}

// Runtime is a started stage: its logger, metrics, health server and
// connection. Services get one from Start and close it when Run ends.
type Runtime struct {
	Stage    string
	Log      *slog.Logger
	Registry *prometheus.Registry
	Metrics  *Metrics
	Health   *health.Server
	Conn     *nats.Conn
	JS       jetstream.JetStream

	cfg      Common
	httpAddr string
	stopHTTP context.CancelFunc
	httpDone <-chan struct{}
	closeMu  sync.Mutex
	closed   bool
}

// Start logs, serves the health endpoints, connects to NATS (waiting for it
// as long as ctx allows) and declares the streams.
func Start(ctx context.Context, stage, version string, c Common) (*Runtime, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	log := c.Logger
	if log == nil {
		log = c.NewLogger(os.Stderr)
	}
	log = log.With("stage", stage)
	reg := c.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	rt := &Runtime{
		Stage:    stage,
		Log:      log,
		Registry: reg,
		Metrics:  NewMetrics(reg, stage, version),
		Health:   health.New(reg, log),
		cfg:      c,
	}
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	rt.stopHTTP = stopHTTP
	if c.HTTPAddr != "off" {
		addr, done, err := rt.Health.Listen(httpCtx, c.HTTPAddr)
		if err != nil {
			stopHTTP()
			return nil, fmt.Errorf("-http-addr: %w", err)
		}
		rt.httpAddr, rt.httpDone = addr, done
		log.Info("serving metrics and health", "addr", addr)
	}
	rt.Health.AddCheck("nats", func(context.Context) error {
		if rt.Conn == nil || !rt.Conn.IsConnected() {
			return errors.New("not connected to NATS")
		}
		return nil
	})
	nc, js, err := broker.Connect(ctx, c.Broker, "newsflow-"+stage, log)
	if err != nil {
		stopHTTP()
		return nil, err
	}
	rt.Conn, rt.JS = nc, js
	if err := retry(ctx, log, "declare streams", func() error { return broker.EnsureStreams(ctx, js, c.Broker) }); err != nil {
		rt.Close()
		return nil, err
	}
	log.Info("stage started", "version", version, "nats", nc.ConnectedUrlRedacted())
	return rt, nil
}

// retry calls f until it succeeds or ctx ends; JetStream may be electing a
// leader or recovering when a stage starts.
func retry(ctx context.Context, log *slog.Logger, what string, f func() error) error {
	delay := 200 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		}
		log.Warn(what+" failed, retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// HTTPAddr is the bound address of the health server ("" when off).
func (rt *Runtime) HTTPAddr() string { return rt.httpAddr }

// Close drains the NATS connection (flushing pending publishes and acks)
// and stops the health server. It is safe to call twice.
func (rt *Runtime) Close() {
	rt.closeMu.Lock()
	defer rt.closeMu.Unlock()
	if rt.closed {
		return
	}
	rt.closed = true
	if rt.Conn != nil {
		done := make(chan struct{})
		rt.Conn.SetClosedHandler(func(*nats.Conn) { close(done) })
		if err := rt.Conn.Drain(); err != nil {
			rt.Conn.Close()
		} else {
			select {
			case <-done:
			case <-time.After(rt.cfg.DrainTimeout):
				rt.Conn.Close()
			}
		}
	}
	rt.stopHTTP()
	if rt.httpDone != nil {
		<-rt.httpDone
	}
	rt.Log.Info("stage stopped")
}

// Publish publishes outputs and waits until JetStream has acknowledged
// every one of them. A duplicate (same Nats-Msg-Id within the window)
// counts as success.
func (rt *Runtime) Publish(ctx context.Context, outs []Output) error {
	_, err := rt.PublishDedup(ctx, outs)
	return err
}

// PublishDedup is Publish that also reports, for each output, whether
// JetStream recognised it as a duplicate of an earlier publish.
func (rt *Runtime) PublishDedup(ctx context.Context, outs []Output) (duplicate []bool, err error) {
	if len(outs) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, rt.cfg.PublishTimeout)
	defer cancel()
	futures := make([]jetstream.PubAckFuture, 0, len(outs))
	for _, o := range outs {
		f, err := rt.JS.PublishMsgAsync(&nats.Msg{Subject: o.Subject, Header: o.Header, Data: o.Data})
		if err != nil {
			return nil, fmt.Errorf("publish to %s: %w", o.Subject, err)
		}
		futures = append(futures, f)
	}
	duplicate = make([]bool, len(outs))
	var firstErr error
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			fam := family(outs[i].Subject)
			rt.Metrics.Published.WithLabelValues(fam).Inc()
			if ack.Duplicate {
				duplicate[i] = true
				rt.Metrics.Duplicates.WithLabelValues(fam).Inc()
			}
		case err := <-f.Err():
			if firstErr == nil {
				firstErr = fmt.Errorf("publish to %s: %w", outs[i].Subject, err)
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("publish to %s: no acknowledgement: %w", outs[i].Subject, ctx.Err())
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return duplicate, nil
}

// deadLetter publishes m to the stage's dead-letter subject with the reason.
// The Msg-Id is derived from the message's stream position, so the same
// message dead-lettered twice (by the stage and by the advisory) is kept once.
func (rt *Runtime) deadLetter(ctx context.Context, m *Message, cause error) error {
	h := nats.Header{}
	for k, v := range m.Header {
		h[k] = append([]string(nil), v...)
	}
	reason := cause.Error()
	if len(reason) > 1024 {
		reason = reason[:1024]
	}
	h.Set(HeaderDLQReason, sanitizeHeaderValue(reason))
	h.Set(HeaderDLQClass, reasonClass(cause))
	h.Set(HeaderDLQStage, rt.Stage)
	h.Set(HeaderDLQSubject, sanitizeHeaderValue(m.Subject))
	h.Set(HeaderDLQStream, m.Stream)
	h.Set(HeaderDLQSequence, strconv.FormatUint(m.StreamSeq, 10))
	h.Set(HeaderDLQDeliveries, strconv.FormatUint(m.NumDelivered, 10))
	h.Set(HeaderDLQTime, time.Now().UTC().Format(time.RFC3339Nano))
	if m.Stream != "" {
		h.Set(events.HeaderMsgID, "dlq:"+m.Stream+":"+strconv.FormatUint(m.StreamSeq, 10))
	} else {
		sum := sha256.Sum256(append([]byte(m.Subject+"\x00"), m.Data...))
		h.Set(events.HeaderMsgID, "dlq:"+rt.Stage+":"+hex.EncodeToString(sum[:16]))
	}
	data := m.Data
	if limit := rt.cfg.Broker.MaxMsgBytes - 64<<10; len(data) > limit {
		h.Set(HeaderDLQTruncated, strconv.Itoa(len(data)))
		data = data[:max(limit, 0)]
	}
	out := Output{Subject: events.DLQSubject(rt.Stage), Header: h, Data: data}
	if err := rt.Publish(ctx, []Output{out}); err != nil {
		return err
	}
	rt.Metrics.DeadLetters.WithLabelValues(reasonClass(cause)).Inc()
	rt.Log.Warn("message dead-lettered", "subject", m.Subject, "stream_seq", m.StreamSeq,
		"deliveries", m.NumDelivered, "reason", reason)
	return nil
}

// Reject dead-letters input that never entered a stream, such as a file or
// a feed item the fetcher cannot turn into an article. origin names where it
// came from (a path, a URL) and goes into the Newsflow-Dlq-Subject header.
// Rejecting the same origin and data twice keeps one dead letter.
func (rt *Runtime) Reject(ctx context.Context, origin string, data []byte, cause error) error {
	return rt.deadLetter(ctx, &Message{Subject: origin, Header: nats.Header{}, Data: data}, cause)
}

// sanitizeHeaderValue keeps header values on one line.
func sanitizeHeaderValue(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}
