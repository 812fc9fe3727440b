package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
)

var dlqOpts struct {
	stage     string
	olderThan time.Duration
	all       bool
	yes       bool
}

func stageFlag(fs *envflag.FlagSet) {
	fs.StringVar(&dlqOpts.stage, "stage", "", "only dead letters of this stage (fetcher, enricher, sink)")
}

func init() {
	register(command{name: "dlq list", help: "list dead letters: sequence, stage, reason, original subject",
		flags: stageFlag, run: dlqList})
	register(command{name: "dlq show", args: "<seq>", help: "print one dead letter: headers and payload", run: dlqShow})
	register(command{name: "dlq requeue", args: "<seq>... | -all",
		help: "publish dead letters back to their original subjects, then remove them from the DLQ",
		flags: func(fs *envflag.FlagSet) {
			stageFlag(fs)
			fs.BoolVar(&dlqOpts.all, "all", false, "requeue every dead letter (of -stage)")
		}, run: dlqRequeue})
	register(command{name: "dlq purge", args: "[<seq>...]",
		help: "delete dead letters: the given ones, or all (of -stage, older than -older-than) with -yes",
		flags: func(fs *envflag.FlagSet) {
			stageFlag(fs)
			fs.DurationVar(&dlqOpts.olderThan, "older-than", 0, "only dead letters older than this")
			fs.BoolVar(&dlqOpts.yes, "yes", false, "confirm purging without naming sequences")
		}, run: dlqPurge})
}

type deadLetter struct {
	Seq        uint64              `json:"seq"`
	Time       time.Time           `json:"time"`
	Stage      string              `json:"stage"`
	Class      string              `json:"class"`
	Reason     string              `json:"reason"`
	Subject    string              `json:"original_subject"`
	Deliveries string              `json:"deliveries,omitempty"`
	Headers    map[string][]string `json:"headers,omitempty"`
	Size       int                 `json:"size"`
}

func letterOf(seq uint64, t time.Time, h map[string][]string, data []byte) deadLetter {
	return deadLetter{Seq: seq, Time: t, Stage: first(h, stage.HeaderDLQStage), Class: first(h, stage.HeaderDLQClass),
		Reason: first(h, stage.HeaderDLQReason), Subject: first(h, stage.HeaderDLQSubject),
		Deliveries: first(h, stage.HeaderDLQDeliveries), Size: len(data)}
}

func dlqFilter() string {
	if dlqOpts.stage != "" {
		return events.DLQSubject(dlqOpts.stage)
	}
	return events.SubjectDLQAll
}

func (c *client) letters(ctx context.Context, fn func(deadLetter, jetstream.Msg) error) error {
	return c.each(ctx, events.StreamDLQ, dlqFilter(), nil, func(m jetstream.Msg, md *jetstream.MsgMetadata) (bool, error) {
		return false, fn(letterOf(md.Sequence.Stream, md.Timestamp, m.Headers(), m.Data()), m)
	})
}

func dlqList(ctx context.Context, c *client, _ *envflag.FlagSet, _ []string) error {
	var w *tabwriter.Writer
	if !c.json {
		w = tabwriter.NewWriter(c.out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(w, "SEQ\tTIME\tSTAGE\tCLASS\tORIGINAL SUBJECT\tREASON")
	}
	n := 0
	err := c.letters(ctx, func(d deadLetter, _ jetstream.Msg) error {
		n++
		if c.json {
			return json.NewEncoder(c.out).Encode(d)
		}
		reason := d.Reason
		if len(reason) > 80 {
			reason = reason[:77] + "..."
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", d.Seq, d.Time.UTC().Format(time.RFC3339), d.Stage, d.Class, d.Subject, reason)
		return nil
	})
	if err != nil {
		return err
	}
	if w != nil {
		w.Flush()
		fmt.Fprintf(c.out, "%d dead letters\n", n)
	}
	return nil
}

func parseSeqs(args []string) ([]uint64, error) {
	var out []uint64
	for _, a := range args {
		n, err := strconv.ParseUint(a, 10, 64)
		if err != nil || n == 0 {
			return nil, usageError{fmt.Sprintf("%q is not a DLQ sequence number", a)}
		}
		out = append(out, n)
	}
	return out, nil
}

func (c *client) dlqStream(ctx context.Context) (jetstream.Stream, error) {
	s, err := c.js.Stream(ctx, events.StreamDLQ)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", events.StreamDLQ, err)
	}
	return s, nil
}

func dlqShow(ctx context.Context, c *client, _ *envflag.FlagSet, args []string) error {
	seqs, err := parseSeqs(args)
	if err != nil || len(seqs) != 1 {
		return usageError{"dlq show takes one sequence number"}
	}
	s, err := c.dlqStream(ctx)
	if err != nil {
		return err
	}
	m, err := s.GetMsg(ctx, seqs[0])
	if err != nil {
		return fmt.Errorf("dead letter %d: %w", seqs[0], err)
	}
	d := letterOf(m.Sequence, m.Time, m.Header, m.Data)
	d.Headers = m.Header
	if c.json {
		return json.NewEncoder(c.out).Encode(map[string]any{"dead_letter": d, "data": string(m.Data)})
	}
	fmt.Fprintf(c.out, "seq %d on %s at %s\n", m.Sequence, m.Subject, m.Time.UTC().Format(time.RFC3339))
	for k, v := range m.Header {
		fmt.Fprintf(c.out, "  %s: %s\n", k, strings.Join(v, ", "))
	}
	fmt.Fprintf(c.out, "payload (%d bytes):\n", len(m.Data))
	data := m.Data
	const max = 64 << 10
	if len(data) > max {
		data = data[:max]
	}
	fmt.Fprintln(c.out, string(data))
	if len(m.Data) > max {
		fmt.Fprintf(c.out, "... %d more bytes (use -json for all)\n", len(m.Data)-max)
	}
	return nil
}

// requeue publishes a dead letter back where it came from. It gets a fresh
// Msg-Id (the original may still be in the stream's de-duplication window);
// the stages' outputs keep their own deterministic IDs, so nothing is
// stored twice.
func (c *client) requeue(ctx context.Context, s jetstream.Stream, seq uint64) error {
	m, err := s.GetMsg(ctx, seq)
	if err != nil {
		return fmt.Errorf("dead letter %d: %w", seq, err)
	}
	subject := first(m.Header, stage.HeaderDLQSubject)
	if _, err := streamOf(subject); err != nil {
		return fmt.Errorf("dead letter %d came from %q, not from a stream subject: it cannot be requeued (fix the input and ingest it again)", seq, subject)
	}
	if m.Header.Get(stage.HeaderDLQTruncated) != "" {
		return fmt.Errorf("dead letter %d was truncated; its original cannot be requeued", seq)
	}
	h := nats.Header{}
	for k, v := range m.Header {
		if strings.HasPrefix(k, "Newsflow-Dlq-") || strings.HasPrefix(k, "Nats-") {
			continue
		}
		h[k] = v
	}
	h.Set(events.HeaderMsgID, fmt.Sprintf("%s:requeue:%d:%d", first(m.Header, events.HeaderID), seq, time.Now().UnixNano()))
	if _, err := c.js.PublishMsg(ctx, &nats.Msg{Subject: subject, Header: h, Data: m.Data}); err != nil {
		return fmt.Errorf("requeue %d to %s: %w", seq, subject, err)
	}
	if err := s.DeleteMsg(ctx, seq); err != nil {
		return fmt.Errorf("requeued %d but could not remove it from the DLQ: %w", seq, err)
	}
	return nil
}

func dlqRequeue(ctx context.Context, c *client, _ *envflag.FlagSet, args []string) error {
	seqs, err := parseSeqs(args)
	if err != nil {
		return err
	}
	if dlqOpts.all == (len(seqs) > 0) {
		return usageError{"name sequence numbers or give -all"}
	}
	s, err := c.dlqStream(ctx)
	if err != nil {
		return err
	}
	if dlqOpts.all {
		err := c.letters(ctx, func(d deadLetter, _ jetstream.Msg) error {
			seqs = append(seqs, d.Seq)
			return nil
		})
		if err != nil {
			return err
		}
	}
	var failed []error
	done := 0
	for _, seq := range seqs {
		if err := c.requeue(ctx, s, seq); err != nil {
			failed = append(failed, err)
			continue
		}
		done++
	}
	fmt.Fprintf(c.out, "requeued %d of %d dead letters\n", done, len(seqs))
	return errors.Join(failed...)
}

func dlqPurge(ctx context.Context, c *client, _ *envflag.FlagSet, args []string) error {
	seqs, err := parseSeqs(args)
	if err != nil {
		return err
	}
	s, err := c.dlqStream(ctx)
	if err != nil {
		return err
	}
	if len(seqs) == 0 {
		if !dlqOpts.yes {
			return usageError{"purging without sequence numbers needs -yes"}
		}
		cutoff := time.Now().Add(-dlqOpts.olderThan)
		err := c.letters(ctx, func(d deadLetter, _ jetstream.Msg) error {
			if dlqOpts.olderThan == 0 || d.Time.Before(cutoff) {
				seqs = append(seqs, d.Seq)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	n := 0
	var failed []error
	for _, seq := range seqs {
		if err := s.DeleteMsg(ctx, seq); err != nil {
			failed = append(failed, fmt.Errorf("delete %d: %w", seq, err))
			continue
		}
		n++
	}
	fmt.Fprintf(c.out, "purged %d dead letters\n", n)
	return errors.Join(failed...)
}
