// Package broker connects a stage to NATS and declares the JetStream
// streams of the pipeline.
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
)

// Config is how a stage reaches NATS and how the streams are declared.
type Config struct {
	URL       string // comma-separated server URLs
	User      string
	Password  string
	Token     string
	CredsFile string // a .creds file (JWT and NKey seed)
	NKeyFile  string // an NKey seed file
	TLSCA     string // CA bundle to verify the servers
	TLSCert   string // client certificate, for mutual TLS
	TLSKey    string
	// ConnectTimeout bounds each connection attempt; the first connection is
	// retried until the stage's context ends.
	ConnectTimeout time.Duration
	ReconnectWait  time.Duration

	// Replicas of every stream: 1 on one server, 3 in a cluster.
	Replicas int
	// Retention windows: how long a stream keeps messages for replay.
	RawMaxAge      time.Duration
	EnrichedMaxAge time.Duration
	MentionsMaxAge time.Duration
	DLQMaxAge      time.Duration
	// DuplicateWindow is how long JetStream remembers Nats-Msg-Id values.
	DuplicateWindow time.Duration
	// MaxMsgBytes is the largest message the streams accept.
	MaxMsgBytes int
	// MemoryStorage keeps streams in memory (tests only; production is file).
	MemoryStorage bool
}

// Defaults are the documented defaults of Config.
func Defaults() Config {
	return Config{
		URL:             nats.DefaultURL,
		ConnectTimeout:  5 * time.Second,
		ReconnectWait:   time.Second,
		Replicas:        1,
		RawMaxAge:       7 * 24 * time.Hour,
		EnrichedMaxAge:  7 * 24 * time.Hour,
		MentionsMaxAge:  7 * 24 * time.Hour,
		DLQMaxAge:       30 * 24 * time.Hour,
		DuplicateWindow: 20 * time.Minute,
		MaxMsgBytes:     8 << 20,
	}
}

// Register binds the settings to flags (and NEWSFLOW_* variables).
func (c *Config) Register(fs *envflag.FlagSet) {
	d := Defaults()
	fs.StringVar(&c.URL, "nats-url", d.URL, "NATS server URLs, comma separated")
	fs.StringVar(&c.User, "nats-user", "", "NATS user name (user/password auth)")
	fs.StringVar(&c.Password, "nats-password", "", "NATS password")
	fs.StringVar(&c.Token, "nats-token", "", "NATS token (token auth)")
	fs.StringVar(&c.CredsFile, "nats-creds", "", "NATS credentials file (JWT auth)")
	fs.StringVar(&c.NKeyFile, "nats-nkey", "", "NATS NKey seed file (NKey auth)")
	fs.StringVar(&c.TLSCA, "nats-tls-ca", "", "CA certificates that sign the NATS servers' certificates")
	fs.StringVar(&c.TLSCert, "nats-tls-cert", "", "client certificate for mutual TLS")
	fs.StringVar(&c.TLSKey, "nats-tls-key", "", "client key for mutual TLS")
	fs.DurationVar(&c.ConnectTimeout, "nats-connect-timeout", d.ConnectTimeout, "timeout of one connection attempt")
	fs.DurationVar(&c.ReconnectWait, "nats-reconnect-wait", d.ReconnectWait, "wait between reconnection attempts")
	fs.IntVar(&c.Replicas, "stream-replicas", d.Replicas, "replicas of each stream (1 on one server, 3 in a cluster)")
	fs.DurationVar(&c.RawMaxAge, "raw-max-age", d.RawMaxAge, "how long NEWS_RAW keeps articles")
	fs.DurationVar(&c.EnrichedMaxAge, "enriched-max-age", d.EnrichedMaxAge, "how long NEWS_ENRICHED keeps articles")
	fs.DurationVar(&c.MentionsMaxAge, "mentions-max-age", d.MentionsMaxAge, "how long NEWS_MENTIONS keeps mentions")
	fs.DurationVar(&c.DLQMaxAge, "dlq-max-age", d.DLQMaxAge, "how long NEWS_DLQ keeps dead letters")
	fs.DurationVar(&c.DuplicateWindow, "duplicate-window", d.DuplicateWindow, "how long streams remember message IDs for de-duplication")
	fs.IntVar(&c.MaxMsgBytes, "max-msg-bytes", d.MaxMsgBytes, "largest message the streams accept, in bytes")
}

// Validate reports the first unusable setting, by flag name.
func (c Config) Validate() error {
	switch {
	case c.URL == "":
		return errors.New("-nats-url: is empty")
	case (c.User == "") != (c.Password == ""):
		return errors.New("-nats-user and -nats-password: give both or neither")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("-nats-tls-cert and -nats-tls-key: give both or neither")
	case c.CredsFile != "" && c.NKeyFile != "":
		return errors.New("-nats-creds and -nats-nkey: give one of them")
	case c.Replicas < 1 || c.Replicas > 5:
		return fmt.Errorf("-stream-replicas: %d is not in 1..5", c.Replicas)
	case c.DuplicateWindow <= 0:
		return errors.New("-duplicate-window: must be positive")
	case c.MaxMsgBytes < 1<<16:
		return fmt.Errorf("-max-msg-bytes: %d is below 64 KiB", c.MaxMsgBytes)
	case c.ConnectTimeout <= 0:
		return errors.New("-nats-connect-timeout: must be positive")
	}
	return nil
}

// Options turns the settings into NATS connection options.
func (c Config) Options(name string, log *slog.Logger) ([]nats.Option, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.Timeout(c.ConnectTimeout),
		nats.ReconnectWait(c.ReconnectWait),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectBufSize(64 << 20),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "server", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Warn("nats async error", "subject", subj, "err", err)
		}),
	}
	if c.User != "" {
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.Token != "" {
		opts = append(opts, nats.Token(c.Token))
	}
	if c.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.NKeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(c.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("-nats-nkey: %w", err)
		}
		opts = append(opts, o)
	}
	if c.TLSCA != "" {
		opts = append(opts, nats.RootCAs(c.TLSCA))
	}
	if c.TLSCert != "" {
		opts = append(opts, nats.ClientCert(c.TLSCert, c.TLSKey))
	}
	return opts, nil
}

// Connect connects to NATS, waiting (and retrying) until the first
// connection succeeds or ctx ends.
func Connect(ctx context.Context, c Config, name string, log *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	opts, err := c.Options(name, log)
	if err != nil {
		return nil, nil, err
	}
	nc, err := nats.Connect(c.URL, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS at %s: %w", c.URL, err)
	}
	for !nc.IsConnected() {
		select {
		case <-ctx.Done():
			nc.Close()
			return nil, nil, fmt.Errorf("connect to NATS at %s: %w", c.URL, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}

// Streams returns the declarations of the pipeline's streams.
func (c Config) Streams() []jetstream.StreamConfig {
	storage := jetstream.FileStorage
	if c.MemoryStorage {
		storage = jetstream.MemoryStorage
	}
	mk := func(name, subject, desc string, age time.Duration) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name:        name,
			Description: desc,
			Subjects:    []string{subject},
			Retention:   jetstream.LimitsPolicy,
			Storage:     storage,
			Replicas:    c.Replicas,
			MaxAge:      age,
			Duplicates:  min(c.DuplicateWindow, age),
			MaxMsgSize:  int32(c.MaxMsgBytes),
			Discard:     jetstream.DiscardOld,
			AllowDirect: true,
		}
	}
	return []jetstream.StreamConfig{
		mk(events.StreamRaw, events.SubjectRawAll, "newsflow raw articles from the fetcher", c.RawMaxAge),
		mk(events.StreamEnriched, events.SubjectEnrichedAll, "newsflow enriched articles", c.EnrichedMaxAge),
		mk(events.StreamMentions, events.SubjectMentionsAll, "newsflow entity mentions", c.MentionsMaxAge),
		mk(events.StreamDLQ, events.SubjectDLQAll, "newsflow dead letters of every stage", c.DLQMaxAge),
	}
}

// EnsureStreams creates the streams, or updates them to the declared
// configuration. It is safe to call from every stage at every start.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, c Config) error {
	for _, sc := range c.Streams() {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("declare stream %s: %w", sc.Name, err)
		}
	}
	return nil
}
