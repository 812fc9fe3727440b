package ctl

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/pkg/stage/envflag"
)

var consumerOpts struct {
	deliver    string
	ackWait    time.Duration
	maxDeliver int
	maxPending int
}

func init() {
	register(command{
		name: "consumer add", args: "<name> <subject>...",
		help: "create (or update) a durable pull consumer on enriched or mention subjects for a downstream app",
		flags: func(fs *envflag.FlagSet) {
			fs.StringVar(&consumerOpts.deliver, "deliver", "all", "where to start: all (replay the retention window), new, or a time (RFC 3339 / 24h ago)")
			fs.DurationVar(&consumerOpts.ackWait, "ack-wait", 30*time.Second, "redelivery after this long without an ack")
			fs.IntVar(&consumerOpts.maxDeliver, "max-deliver", 10, "deliveries of a message at most (-1: unlimited)")
			fs.IntVar(&consumerOpts.maxPending, "max-ack-pending", 1000, "messages outstanding without ack")
		},
		run: consumerAdd,
	})
}

func consumerAdd(ctx context.Context, c *client, _ *envflag.FlagSet, args []string) error {
	if len(args) < 2 {
		return usageError{"consumer add takes a name and at least one subject"}
	}
	name, subjects := args[0], args[1:]
	stream := ""
	for _, s := range subjects {
		st, err := streamOf(s)
		if err != nil {
			return err
		}
		if st != "NEWS_ENRICHED" && st != "NEWS_MENTIONS" {
			return usageError{fmt.Sprintf("%s: downstream consumers read news.enriched.> or news.mentions.>", s)}
		}
		if stream != "" && st != stream {
			return usageError{"all subjects of one consumer must be of one stream (enriched or mentions)"}
		}
		stream = st
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "downstream consumer created by newsctl",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       consumerOpts.ackWait,
		MaxDeliver:    consumerOpts.maxDeliver,
		MaxAckPending: consumerOpts.maxPending,
	}
	if len(subjects) == 1 {
		cfg.FilterSubject = subjects[0]
	} else {
		cfg.FilterSubjects = subjects
	}
	switch consumerOpts.deliver {
	case "all":
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
	case "new":
		cfg.DeliverPolicy = jetstream.DeliverNewPolicy
	default:
		t, err := parseWhen(consumerOpts.deliver, time.Now())
		if err != nil {
			return err
		}
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	}
	cons, err := c.js.CreateOrUpdateConsumer(ctx, stream, cfg)
	if err != nil {
		return fmt.Errorf("create consumer %s on %s: %w", name, stream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "consumer %s on %s (%v): %d messages pending\n", name, stream, subjects, info.NumPending)
	return nil
}
