package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
)

var tailOpts struct {
	last   int
	all    bool
	follow bool
}

func init() {
	register(command{
		name: "tail", args: "<subject>",
		help: "print events of a subject (enriched articles, mentions, raw articles, dead letters) as they arrive",
		flags: func(fs *envflag.FlagSet) {
			fs.IntVar(&tailOpts.last, "last", 10, "start with the last N messages (0: only new ones)")
			fs.BoolVar(&tailOpts.all, "all", false, "start from the first message in the stream")
			fs.BoolVar(&tailOpts.follow, "follow", true, "keep printing new messages until interrupted")
		},
		run: tail,
	})
}

func tail(ctx context.Context, c *client, _ *envflag.FlagSet, args []string) error {
	if len(args) != 1 {
		return usageError{"tail takes one subject, such as news.enriched.> or news.mentions.*.russia"}
	}
	subject := args[0]
	stream, err := streamOf(subject)
	if err != nil {
		return err
	}
	s, err := c.js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverNewPolicy}
	if tailOpts.all {
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
	} else if tailOpts.last > 0 {
		// Start N messages before the end of the filtered subject.
		info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			return err
		}
		var n uint64
		for _, v := range info.State.Subjects {
			n += v
		}
		if n > 0 {
			skip := max(int64(n)-int64(tailOpts.last), 0)
			cfg.DeliverPolicy = jetstream.DeliverAllPolicy
			if skip > 0 {
				// Find the sequence to start from by walking the filtered subject.
				seq, err := nthSeq(ctx, s, subject, uint64(skip))
				if err != nil {
					return err
				}
				cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, seq
			}
		}
	}
	cons, err := s.OrderedConsumer(ctx, cfg)
	if err != nil {
		return err
	}
	for {
		wait := 2 * time.Second
		if tailOpts.follow {
			wait = 30 * time.Second
		}
		m, err := cons.Next(jetstream.FetchMaxWait(wait))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, jetstream.ErrNoMessages) || strings.Contains(err.Error(), "timeout") {
				if tailOpts.follow {
					continue
				}
				return nil
			}
			return err
		}
		c.print(m)
	}
}

// nthSeq returns the stream sequence of the message after skipping n
// messages of subject.
func nthSeq(ctx context.Context, s jetstream.Stream, subject string, n uint64) (uint64, error) {
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject},
		HeadersOnly: true})
	if err != nil {
		return 0, err
	}
	var seen uint64
	for {
		batch, err := cons.FetchNoWait(1024)
		if err != nil {
			return 0, err
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				return 0, err
			}
			if seen == n {
				return md.Sequence.Stream, nil
			}
			seen++
		}
		if got == 0 {
			return 0, fmt.Errorf("subject %s changed while reading it", subject)
		}
	}
}

// print writes one message: JSON as it is with -json, otherwise a summary.
func (c *client) print(m jetstream.Msg) {
	if c.json {
		var v any
		if json.Unmarshal(m.Data(), &v) == nil {
			b, _ := json.Marshal(map[string]any{"subject": m.Subject(), "headers": m.Headers(), "data": v})
			fmt.Fprintln(c.out, string(b))
			return
		}
		b, _ := json.Marshal(map[string]any{"subject": m.Subject(), "headers": m.Headers(), "data_text": string(m.Data())})
		fmt.Fprintln(c.out, string(b))
		return
	}
	fmt.Fprintln(c.out, summary(m.Subject(), m.Headers(), m.Data()))
}

func summary(subject string, h map[string][]string, data []byte) string {
	switch {
	case strings.HasPrefix(subject, "news.enriched."):
		a, err := events.DecodeEnriched(data)
		if err != nil {
			return fmt.Sprintf("%s  (undecodable: %v)", subject, err)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s  %s  %q\n", a.Article.ID, a.Article.Source, a.Article.Title)
		for i, e := range a.Entities {
			if i == 8 {
				fmt.Fprintf(&b, "    ... %d more\n", len(a.Entities)-i)
				break
			}
			pol := ""
			if e.Sentiment != nil {
				pol = fmt.Sprintf("  %s %+.2f", e.Sentiment.Polarity, e.Sentiment.Score)
			}
			fmt.Fprintf(&b, "    %-13s %-30s salience %.2f%s\n", e.Type, e.Name, e.Salience, pol)
		}
		for _, s := range a.Stances {
			fmt.Fprintf(&b, "    stance: %s -%s-> %s (%q)\n", s.HolderName, s.Stance, s.TargetName, s.Cue)
		}
		return strings.TrimRight(b.String(), "\n")
	case strings.HasPrefix(subject, "news.mentions."):
		me, err := events.DecodeMention(data)
		if err != nil {
			return fmt.Sprintf("%s  (undecodable: %v)", subject, err)
		}
		pol := ""
		if me.Entity.Sentiment != nil {
			pol = " " + me.Entity.Sentiment.Polarity
		}
		return fmt.Sprintf("%s  %s (%d mentions%s) in %q", subject, me.Entity.Name, len(me.Entity.Mentions), pol, me.Title)
	case strings.HasPrefix(subject, "news.raw."):
		a, err := events.DecodeRaw(data)
		if err != nil {
			return fmt.Sprintf("%s  (undecodable: %v)", subject, err)
		}
		return fmt.Sprintf("%s  %s  %q (%d bytes)", a.ID, a.Source, a.Title, len(a.Body))
	default:
		return fmt.Sprintf("%s  %s  %s", subject, first(h, "Newsflow-Dlq-Class"), first(h, "Newsflow-Dlq-Reason"))
	}
}

func first(h map[string][]string, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}
