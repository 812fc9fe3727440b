package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/pkg/stage/envflag"
)

func init() {
	register(command{name: "status", help: "streams, consumers, pending messages and the DLQ size", run: status})
}

type streamStatus struct {
	Stream    string           `json:"stream"`
	Subjects  []string         `json:"subjects"`
	Messages  uint64           `json:"messages"`
	Bytes     uint64           `json:"bytes"`
	Replicas  int              `json:"replicas"`
	Consumers []consumerStatus `json:"consumers"`
}

type consumerStatus struct {
	Name        string `json:"name"`
	Pending     uint64 `json:"pending"`
	AckPending  int    `json:"ack_pending"`
	Redelivered int    `json:"redelivered"`
	Waiting     int    `json:"waiting_pulls"`
}

func status(ctx context.Context, c *client, _ *envflag.FlagSet, _ []string) error {
	var all []streamStatus
	for _, name := range []string{"NEWS_RAW", "NEWS_ENRICHED", "NEWS_MENTIONS", "NEWS_DLQ"} {
		s, err := c.js.Stream(ctx, name)
		if err != nil {
			all = append(all, streamStatus{Stream: name + " (missing)"})
			continue
		}
		info, err := s.Info(ctx)
		if err != nil {
			return err
		}
		st := streamStatus{Stream: name, Subjects: info.Config.Subjects, Messages: info.State.Msgs,
			Bytes: info.State.Bytes, Replicas: info.Config.Replicas}
		lister := s.ListConsumers(ctx)
		for ci := range lister.Info() {
			st.Consumers = append(st.Consumers, consumerStatus{Name: ci.Name, Pending: ci.NumPending,
				AckPending: ci.NumAckPending, Redelivered: ci.NumRedelivered, Waiting: ci.NumWaiting})
		}
		if err := lister.Err(); err != nil && err != jetstream.ErrEndOfData {
			return err
		}
		all = append(all, st)
	}
	if c.json {
		enc := json.NewEncoder(c.out)
		for _, s := range all {
			if err := enc.Encode(s); err != nil {
				return err
			}
		}
		return nil
	}
	w := tabwriter.NewWriter(c.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "STREAM\tMESSAGES\tBYTES\tREPLICAS\tCONSUMER\tPENDING\tACK PENDING\tREDELIVERED")
	for _, s := range all {
		if len(s.Consumers) == 0 {
			fmt.Fprintf(w, "%s\t%d\t%s\t%d\t-\t\t\t\n", s.Stream, s.Messages, humanBytes(s.Bytes), s.Replicas)
		}
		for i, cs := range s.Consumers {
			name, msgs, bytes, reps := s.Stream, fmt.Sprint(s.Messages), humanBytes(s.Bytes), fmt.Sprint(s.Replicas)
			if i > 0 {
				name, msgs, bytes, reps = "", "", "", ""
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", name, msgs, bytes, reps, cs.Name, cs.Pending, cs.AckPending, cs.Redelivered)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, s := range all {
		if s.Stream == "NEWS_DLQ" {
			fmt.Fprintf(c.out, "\ndead letters: %d (newsctl dlq list)\n", s.Messages)
		}
	}
	return nil
}

func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
