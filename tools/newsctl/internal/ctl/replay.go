package ctl

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
)

// HeaderReplay marks a raw article republished by newsctl replay.
const HeaderReplay = "Newsflow-Replay"

var replayOpts struct {
	since, until string
	source       string
	dryRun       bool
}

func init() {
	register(command{
		name: "replay", args: "-since T [-until T] [-source S]",
		help: "re-enrich the raw articles fetched in a time range with the current model",
		flags: func(fs *envflag.FlagSet) {
			fs.StringVar(&replayOpts.since, "since", "", "start of the range: RFC 3339 time, date (2006-01-02) or duration ago (24h)")
			fs.StringVar(&replayOpts.until, "until", "", "end of the range (default now), same forms")
			fs.StringVar(&replayOpts.source, "source", "", "only articles of this source")
			fs.BoolVar(&replayOpts.dryRun, "dry-run", false, "count what would be replayed, publish nothing")
		},
		run: replay,
	})
}

// parseWhen reads a time as RFC 3339, a date, or a duration before now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usageError{fmt.Sprintf("%q is not a time (RFC 3339, 2006-01-02, or a duration like 24h)", s)}
}

// replay republishes the raw articles that entered NEWS_RAW in the range
// onto their subjects with a fresh Msg-Id and a Newsflow-Replay header: the
// enricher enriches them again with its current model, and the sink keeps
// the newer enrichment. Earlier replays in the range are not replayed again.
func replay(ctx context.Context, c *client, _ *envflag.FlagSet, _ []string) error {
	now := time.Now()
	if replayOpts.since == "" {
		return usageError{"-since is required"}
	}
	since, err := parseWhen(replayOpts.since, now)
	if err != nil {
		return err
	}
	until := now
	if replayOpts.until != "" {
		if until, err = parseWhen(replayOpts.until, now); err != nil {
			return err
		}
	}
	if !until.After(since) {
		return usageError{"-until must be after -since"}
	}
	filter := events.SubjectRawAll
	if replayOpts.source != "" {
		filter = events.RawSubject(replayOpts.source)
	}
	id := now.UTC().Format("20060102T150405Z")
	bar := newProgress(c.err)
	var replayed, skipped int
	var futures []jetstream.PubAckFuture
	flush := func() error {
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		futures = futures[:0]
		return nil
	}
	err = c.each(ctx, events.StreamRaw, filter, &since, func(m jetstream.Msg, md *jetstream.MsgMetadata) (bool, error) {
		if md.Timestamp.After(until) {
			return true, nil
		}
		bar.total = replayed + skipped + 1 + int(md.NumPending)
		if m.Headers().Get(HeaderReplay) != "" {
			skipped++
			bar.show(replayed + skipped)
			return false, nil
		}
		replayed++
		if !replayOpts.dryRun {
			h := nats.Header{}
			for k, v := range m.Headers() {
				if !strings.HasPrefix(k, "Nats-") {
					h[k] = v
				}
			}
			h.Set(HeaderReplay, id)
			h.Set(events.HeaderMsgID, first(h, events.HeaderID)+":replay:"+id)
			h.Set(events.HeaderTraceparent, events.NewTraceparent())
			f, err := c.js.PublishMsgAsync(&nats.Msg{Subject: m.Subject(), Header: h, Data: m.Data()})
			if err != nil {
				return true, err
			}
			futures = append(futures, f)
			if len(futures) >= 256 {
				if err := flush(); err != nil {
					return true, err
				}
			}
		}
		bar.show(replayed + skipped)
		return false, nil
	})
	if err == nil {
		err = flush()
	}
	bar.done()
	verb := "replayed"
	if replayOpts.dryRun {
		verb = "would replay"
	}
	fmt.Fprintf(c.out, "%s %d raw articles fetched between %s and %s (replay %s; %d earlier replays skipped)\n",
		verb, replayed, since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339), id, skipped)
	return err
}

// progress draws a progress bar on a terminal, and a line every few
// seconds elsewhere.
type progress struct {
	w     io.Writer
	tty   bool
	total int
	last  time.Time
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty}
}

func (p *progress) show(n int) {
	now := time.Now()
	every := 2 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.last) < every && n != p.total {
		return
	}
	p.last = now
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(n) / float64(p.total)
	}
	const width = 30
	fill := int(pct / 100 * width)
	bar := strings.Repeat("#", fill) + strings.Repeat(".", width-fill)
	if p.tty {
		fmt.Fprintf(p.w, "\r[%s] %d/%d (%.0f%%)", bar, n, p.total, pct)
	} else {
		fmt.Fprintf(p.w, "[%s] %d/%d (%.0f%%)\n", bar, n, p.total, pct)
	}
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
