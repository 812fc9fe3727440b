// Package ctl implements newsctl, the operator's command line: status of
// the streams and consumers, tailing subjects, the dead-letter queue,
// replaying articles through the enricher, and downstream consumers.
package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/pkg/stage/broker"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
)

// IO is where a command reads and writes.
type IO struct {
	Out, Err io.Writer
	Getenv   func(string) string
}

type command struct {
	name, args, help string
	run              func(ctx context.Context, c *client, fs *envflag.FlagSet, args []string) error
	flags            func(fs *envflag.FlagSet)
}

var commands []command

func register(c command) { commands = append(commands, c) }

// Main runs newsctl with args (without the program name) and returns the
// exit code: 0 done, 1 failed, 2 bad usage.
func Main(ctx context.Context, args []string, io IO) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(io.Err)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name, rest := args[0], args[1:]
	if name == "dlq" || name == "consumer" {
		if len(rest) == 0 {
			usage(io.Err)
			return 2
		}
		name, rest = name+" "+rest[0], rest[1:]
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == name {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(io.Err, "newsctl: unknown command %q\n\n", name)
		usage(io.Err)
		return 2
	}
	fs := envflag.New("newsctl "+cmd.name, "NEWSFLOW")
	fs.SetOutput(io.Err)
	bc := broker.Defaults()
	fs.StringVar(&bc.URL, "nats-url", bc.URL, "NATS server URLs, comma separated")
	fs.StringVar(&bc.User, "nats-user", "", "NATS user name")
	fs.StringVar(&bc.Password, "nats-password", "", "NATS password")
	fs.StringVar(&bc.Token, "nats-token", "", "NATS token")
	fs.StringVar(&bc.CredsFile, "nats-creds", "", "NATS credentials file")
	fs.StringVar(&bc.NKeyFile, "nats-nkey", "", "NATS NKey seed file")
	fs.StringVar(&bc.TLSCA, "nats-tls-ca", "", "CA certificates of the NATS servers")
	fs.StringVar(&bc.TLSCert, "nats-tls-cert", "", "client certificate")
	fs.StringVar(&bc.TLSKey, "nats-tls-key", "", "client key")
	jsonOut := false
	fs.BoolVar(&jsonOut, "json", false, "print JSON lines instead of text")
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	fs.FlagSet.Usage = func() {
		fmt.Fprintf(io.Err, "usage: newsctl %s %s\n\n%s\n\nflags:\n", cmd.name, cmd.args, cmd.help)
		fs.PrintUsage(io.Err)
	}
	getenv := io.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if err := fs.Parse(rest, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := bc.Validate(); err != nil {
		fmt.Fprintln(io.Err, "newsctl:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(io.Err, &slog.HandlerOptions{Level: slog.LevelError}))
	opts, err := bc.Options("newsctl", log)
	if err != nil {
		fmt.Fprintln(io.Err, "newsctl:", err)
		return 2
	}
	opts = append(opts, nats.RetryOnFailedConnect(false), nats.MaxReconnects(3))
	nc, err := nats.Connect(bc.URL, opts...)
	if err != nil {
		fmt.Fprintf(io.Err, "newsctl: connect to %s: %v\n", bc.URL, err)
		return 1
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintln(io.Err, "newsctl:", err)
		return 1
	}
	c := &client{nc: nc, js: js, out: io.Out, err: io.Err, json: jsonOut}
	if err := cmd.run(ctx, c, fs, fs.Args()); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(io.Err, "newsctl:", err)
			fs.FlagSet.Usage()
			return 2
		}
		fmt.Fprintln(io.Err, "newsctl:", err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usage(w io.Writer) {
	fmt.Fprintln(w, "newsctl: operate a running newsflow pipeline.\n\nCommands:")
	sort.Slice(commands, func(i, j int) bool { return commands[i].name < commands[j].name })
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %-34s %s\n", c.name, c.args, c.help)
	}
	fmt.Fprintln(w, "\nEvery command takes the NATS connection flags (-nats-url, -nats-creds, ...; NEWSFLOW_* variables)\nand -json; `newsctl <command> -h` lists them.")
}

type client struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	out  io.Writer
	err  io.Writer
	json bool
}

// streamOf names the stream that holds subject.
func streamOf(subject string) (string, error) {
	switch {
	case strings.HasPrefix(subject, "news.raw."):
		return "NEWS_RAW", nil
	case strings.HasPrefix(subject, "news.enriched."):
		return "NEWS_ENRICHED", nil
	case strings.HasPrefix(subject, "news.mentions."):
		return "NEWS_MENTIONS", nil
	case strings.HasPrefix(subject, "news.dlq."):
		return "NEWS_DLQ", nil
	}
	return "", usageError{fmt.Sprintf("%q is not a newsflow subject (news.raw.>, news.enriched.>, news.mentions.>, news.dlq.>)", subject)}
}

// each reads the messages of a stream matching filter, oldest first, from
// the given start, until it has seen them all (or stop returns true).
func (c *client) each(ctx context.Context, stream, filter string, start *time.Time, fn func(jetstream.Msg, *jetstream.MsgMetadata) (stop bool, err error)) error {
	s, err := c.js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if filter != "" {
		cfg.FilterSubjects = []string{filter}
	}
	if start != nil {
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, start
	}
	cons, err := s.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("read %s: %w", stream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return err
	}
	if info.NumPending == 0 {
		return nil
	}
	for {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return err
			}
			stop, err := fn(m, md)
			if err != nil || stop {
				return err
			}
			if md.NumPending == 0 {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
		if n == 0 {
			return nil // nothing more arrived within the wait
		}
	}
}
