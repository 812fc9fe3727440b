// Package pipeline is the pipeline load test: it starts nats-server with
// file-backed JetStream, a throwaway PostgreSQL and the three services as
// separate processes, feeds articles through the fetcher's inbox and
// measures throughput per stage and end to end, end-to-end latency at full
// and at half load, CPU and memory per process, and JetStream's own
// ceiling for messages of the same sizes.
//
// It talks to the services only through their flags, their /metrics and
// /readyz endpoints, the event contract and the database they write.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/bench/internal/ceiling"
	"github.com/newsflow/newsflow/bench/internal/corpus"
	"github.com/newsflow/newsflow/bench/internal/proc"
	"github.com/newsflow/newsflow/bench/internal/promtext"
	"github.com/newsflow/newsflow/bench/internal/stats"
	"github.com/newsflow/newsflow/pkg/events"
)

// Services are the stages, in pipeline order.
var Services = []string{"fetcher", "enricher", "sink"}

// Config of a run. Zero values take the defaults of DefaultConfig.
type Config struct {
	// Bin holds fetcher, enricher, sink and nats-server.
	Bin string
	// NATSServer overrides Bin/nats-server.
	NATSServer string
	// Command, if set, starts a service instead of Bin/<service>: it gets
	// the service name and returns the program and its leading arguments
	// (the profiling mode runs the services from the harness binary).
	Command func(service string) (path string, args []string)
	// WorkDir holds the JetStream store, the inbox and the logs; empty is a
	// new temporary directory, removed at the end unless Keep.
	WorkDir string
	Keep    bool
	// Data is the shared data directory (NewsMTSC sentences); empty or
	// missing means synthetic text.
	Data string
	Seed uint64

	Warmup   int // articles stored before measuring
	Articles int // articles of the full-load phase
	// HalfDuration is how long articles are offered at HalfRate (default:
	// half of the full-load end-to-end rate).
	HalfDuration time.Duration
	HalfRate     float64
	// CeilingMessages is the size of JetStream's ceiling run (0: skip it).
	CeilingMessages int
	// PhaseTimeout bounds the wait for a phase's articles to be stored.
	PhaseTimeout time.Duration
	// NATSProfile, if set, is where a CPU profile of nats-server during
	// the first NATSProfileSeconds of the full-load phase is written.
	NATSProfile        string
	NATSProfileSeconds int
	// Args are extra flags per service.
	Args map[string][]string
	// Progress receives progress lines.
	Progress io.Writer
}

// DefaultConfig is a run of a few minutes on two cores.
func DefaultConfig() Config {
	return Config{
		Bin: "bin", Seed: 1, Warmup: 200, Articles: 5000, HalfDuration: 30 * time.Second,
		CeilingMessages: 50000, PhaseTimeout: 10 * time.Minute,
	}
}

func (c *Config) defaults() error {
	d := DefaultConfig()
	if c.Bin == "" {
		c.Bin = d.Bin
	}
	if c.NATSServer == "" {
		c.NATSServer = filepath.Join(c.Bin, "nats-server")
	}
	if c.PhaseTimeout <= 0 {
		c.PhaseTimeout = d.PhaseTimeout
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	switch {
	case c.Articles < 2:
		return errors.New("pipeline: -articles must be at least 2")
	case c.Warmup < 0:
		return errors.New("pipeline: -warmup is negative")
	case c.HalfDuration < time.Second:
		return errors.New("pipeline: -half-duration must be at least 1s")
	case c.HalfRate < 0:
		return errors.New("pipeline: -half-rate is negative")
	case c.Articles+c.Warmup > 999999:
		return errors.New("pipeline: at most 999999 articles")
	}
	return nil
}

// Run performs a benchmark run.
func Run(ctx context.Context, c Config) (*Result, error) {
	if err := c.defaults(); err != nil {
		return nil, err
	}
	r := &run{cfg: c, res: &Result{Started: time.Now().UTC(), Machine: ThisMachine(), Config: c.summary()}}
	defer r.cleanup()
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	if err := r.measure(ctx); err != nil {
		return nil, err
	}
	return r.res, nil
}

type run struct {
	cfg     Config
	res     *Result
	work    string
	ownWork bool
	inbox   string
	gen     *corpus.Generator

	nats     *process
	url      string
	natsProf string // address of nats-server's /debug/pprof ("" for none)
	db       *database
	svc      map[string]*process

	stopSampler func()
	mu          sync.Mutex // guards res.Samples
	sent        map[string]map[int]time.Time
	sizes       []int
}

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Progress, "bench: "+format+"\n", args...)
}

func (r *run) setup(ctx context.Context) error {
	c := r.cfg
	var err error
	if c.WorkDir == "" {
		if r.work, err = os.MkdirTemp("", "newsflow-bench-"); err != nil {
			return err
		}
		r.ownWork = true
	} else {
		r.work = c.WorkDir
	}
	r.inbox = filepath.Join(r.work, "inbox")
	logs := filepath.Join(r.work, "logs")
	for _, d := range []string{r.inbox, logs, filepath.Join(r.work, "nats")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if entries, _ := os.ReadDir(r.inbox); len(entries) > 0 {
		return fmt.Errorf("pipeline: inbox %s is not empty", r.inbox)
	}

	// The text.
	var docs []corpus.Doc
	if c.Data != "" {
		if docs, err = corpus.LoadNewsMTSC(c.Data); err != nil {
			r.logf("no NewsMTSC text (%v): using synthetic text", err)
			docs = nil
		} else {
			r.res.Corpus = "NewsMTSC sentences (" + filepath.Join(c.Data, "sentiment", "newsmtsc") + ") regrouped into their articles"
		}
	}
	if docs == nil {
		docs = corpus.Synthetic(500, c.Seed)
		r.res.Corpus = "synthetic news-like sentences (no shared data)"
	}
	if r.gen, err = corpus.NewGenerator(docs, c.Seed); err != nil {
		return err
	}

	r.logf("work directory %s", r.work)
	if c.NATSProfile != "" {
		if r.natsProf, err = freeAddr(); err != nil {
			return err
		}
	}
	if r.nats, r.url, err = startNATS(ctx, c.NATSServer, filepath.Join(r.work, "nats"), logs, r.natsProf); err != nil {
		return err
	}
	r.res.NATSVersion = natsVersion(ctx, r.nats.http)
	r.logf("nats-server %s at %s", r.res.NATSVersion, r.url)
	if r.db, err = startDatabase(ctx); err != nil {
		return fmt.Errorf("postgresql: %w", err)
	}
	r.res.PostgresVersion = r.db.version
	r.res.CommitTimestamps = r.db.commitTimes
	r.logf("postgresql %s (commit timestamps: %v)", r.db.version, r.db.commitTimes)

	r.svc = map[string]*process{}
	for _, name := range []string{"sink", "enricher", "fetcher"} { // consumers first
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		args := []string{"-nats-url", r.url, "-http-addr", addr, "-log-level", "warn"}
		switch name {
		case "fetcher":
			// Files are renamed into the inbox whole: no need to let them settle.
			args = append(args, "-inbox", r.inbox, "-inbox-settle", "0s")
		case "sink":
			args = append(args, "-database", r.db.dsn)
		}
		args = append(args, c.Args[name]...)
		path, lead := filepath.Join(c.Bin, name), []string(nil)
		if c.Command != nil {
			path, lead = c.Command(name)
		}
		p, err := start(name, path, append(lead, args...), logs, addr)
		if err != nil {
			return err
		}
		r.svc[name] = p
		if err := p.waitReady(ctx, time.Minute); err != nil {
			return err
		}
		r.logf("%s ready (pid %d, %s)", name, p.pid(), addr)
	}
	r.sent = map[string]map[int]time.Time{}
	r.startSampler()
	return nil
}

func (r *run) cleanup() {
	if r.stopSampler != nil {
		r.stopSampler()
	}
	for _, name := range Services {
		if p := r.svc[name]; p != nil {
			if err := p.stop(30 * time.Second); err != nil {
				r.logf("stopping %v", err)
			}
		}
	}
	if r.nats != nil {
		r.nats.stop(30 * time.Second)
	}
	if r.db != nil {
		if err := r.db.close(); err != nil {
			r.logf("stopping postgresql: %v", err)
		}
	}
	if r.ownWork && !r.cfg.Keep {
		os.RemoveAll(r.work)
	} else if r.work != "" {
		r.logf("kept %s (logs in logs/)", r.work)
	}
}

// procs are the measured processes: the services, nats-server, postgres.
func (r *run) usage() map[string]proc.Usage {
	out := map[string]proc.Usage{}
	for name, p := range r.svc {
		if u, err := proc.Read(p.pid()); err == nil {
			out[name] = u
		}
	}
	if u, err := proc.Read(r.nats.pid()); err == nil {
		out["nats-server"] = u
	}
	if u, err := proc.Read(os.Getpid()); err == nil {
		out["harness"] = u
	}
	if pid, err := r.db.pid(); err == nil {
		if u, err := proc.ReadTree(pid); err == nil {
			out["postgres"] = u
		}
	}
	return out
}

// Processes are the measured processes, in report order.
var Processes = []string{"fetcher", "enricher", "sink", "nats-server", "postgres", "harness"}

func (r *run) startSampler() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t0 := r.res.Started
	go func() {
		defer close(done)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			now := time.Now()
			u := r.usage()
			s := Sample{At: now.Sub(t0).Seconds(), CPU: map[string]float64{}, RSSMB: map[string]float64{}}
			if busy, err := proc.MachineBusy(); err == nil {
				s.MachineCPU = busy.Seconds()
			}
			for name, x := range u {
				s.CPU[name] = x.CPU.Seconds()
				s.RSSMB[name] = mb(x.RSS)
			}
			r.mu.Lock()
			r.res.Samples = append(r.res.Samples, s)
			r.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	r.stopSampler = func() { cancel(); <-done }
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// write puts article n of phase into the inbox, whole (written aside, then
// renamed), and remembers when.
func (r *run) write(phase string, n int) error {
	a := r.gen.Article(corpus.Marker(phase, n))
	data := a.File()
	tmp := filepath.Join(r.inbox, "."+a.Marker+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	now := time.Now()
	if err := os.Rename(tmp, filepath.Join(r.inbox, a.Marker+".txt")); err != nil {
		return err
	}
	if r.sent[phase] == nil {
		r.sent[phase] = map[int]time.Time{}
	}
	r.sent[phase][n] = now
	if phase == "full" {
		r.sizes = append(r.sizes, rawSize(a, now))
	}
	return nil
}

// rawSize is the size of the raw event the fetcher makes of a.
func rawSize(a corpus.Article, now time.Time) int {
	raw := events.RawArticle{
		SchemaVersion: events.SchemaVersion, ID: events.ArticleIDFromContent(a.Body), Source: "inbox",
		SourceKind: events.KindDir, Title: a.Title, Body: a.Body, FetchedAt: now.UTC(),
		ContentHash: events.ContentHash(a.Body),
	}
	b, err := events.Encode(raw)
	if err != nil {
		return len(a.Title) + len(a.Body) + 300
	}
	return len(b)
}

// waitStored waits until the database holds want articles.
func (r *run) waitStored(ctx context.Context, want int) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.PhaseTimeout)
	defer cancel()
	last, lastChange := -1, time.Now()
	for {
		n, err := r.db.count(ctx)
		if err == nil && n >= want {
			return nil
		}
		if n != last {
			last, lastChange = n, time.Now()
		}
		for name, p := range r.svc {
			if p.exited() {
				return fmt.Errorf("%s exited during the run: %v; log:\n%s", name, p.err, tail(p.log))
			}
		}
		if time.Since(lastChange) > time.Minute {
			return fmt.Errorf("stored articles stuck at %d of %d for a minute (see the logs in %s)", n, want, filepath.Join(r.work, "logs"))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d articles stored after %v: %w", n, want, r.cfg.PhaseTimeout, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type snapshot struct {
	at      time.Time
	usage   map[string]proc.Usage
	metrics map[string]promtext.Set
	busy    time.Duration // CPU time of the whole machine (all processes)
}

func (r *run) snapshot(ctx context.Context) (snapshot, error) {
	s := snapshot{at: time.Now(), usage: r.usage(), metrics: map[string]promtext.Set{}}
	s.busy, _ = proc.MachineBusy()
	for name, p := range r.svc {
		m, err := p.metrics(ctx)
		if err != nil {
			return s, err
		}
		s.metrics[name] = m
	}
	return s, nil
}

func (r *run) measure(ctx context.Context) error {
	c := r.cfg
	stored := 0
	if c.Warmup > 0 {
		r.logf("warm-up: %d articles", c.Warmup)
		for i := range c.Warmup {
			if err := r.write("warm", i); err != nil {
				return err
			}
		}
		stored += c.Warmup
		if err := r.waitStored(ctx, stored); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}

	// Full load: every article into the inbox at once.
	r.logf("full load: %d articles into the inbox as fast as they can be written", c.Articles)
	r.db.resetStatements(ctx)
	profiled := make(chan error, 1)
	if r.natsProf != "" {
		secs := max(c.NATSProfileSeconds, 1)
		go func() { profiled <- fetchProfile(ctx, r.natsProf, secs, c.NATSProfile) }()
	} else {
		profiled <- nil
	}
	before, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	for i := range c.Articles {
		if err := r.write("full", i); err != nil {
			return err
		}
	}
	stored += c.Articles
	if err := r.waitStored(ctx, stored); err != nil {
		return fmt.Errorf("full load: %w", err)
	}
	after, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	arts, err := r.db.articles(ctx)
	if err != nil {
		return err
	}
	if err := <-profiled; err != nil {
		r.logf("nats-server profile: %v", err)
	}
	full := r.phase("full", c.Articles, 0, arts, before, after)
	if full.Statements, err = r.db.topStatements(ctx, 6); err != nil {
		r.logf("pg_stat_statements: %v", err)
	}
	r.res.Phases = append(r.res.Phases, full)
	r.logf("full load: %.1f articles/s end to end", full.EndToEndPerSecond)

	// Half load: a steady stream at half of that.
	rate := c.HalfRate
	if rate == 0 {
		rate = full.EndToEndPerSecond / 2
	}
	n := max(int(rate*c.HalfDuration.Seconds()), 2)
	r.logf("half load: %d articles at %.1f/s", n, rate)
	r.db.resetStatements(ctx)
	before, err = r.snapshot(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		if err := r.write("half", i); err != nil {
			return err
		}
	}
	stored += n
	if err := r.waitStored(ctx, stored); err != nil {
		return fmt.Errorf("half load: %w", err)
	}
	after, err = r.snapshot(ctx)
	if err != nil {
		return err
	}
	if arts, err = r.db.articles(ctx); err != nil {
		return err
	}
	half := r.phase("half", n, rate, arts, before, after)
	if half.Statements, err = r.db.topStatements(ctx, 6); err != nil {
		r.logf("pg_stat_statements: %v", err)
	}
	r.res.Phases = append(r.res.Phases, half)

	// Peak memory over the run, and what the streams hold, before stopping.
	for name, u := range r.usage() {
		if r.res.PeakRSSMB == nil {
			r.res.PeakRSSMB = map[string]float64{}
		}
		r.res.PeakRSSMB[name] = mb(u.PeakRSS)
	}
	r.stopSampler()
	r.stopSampler = nil
	for _, name := range Services {
		if err := r.svc[name].stop(30 * time.Second); err != nil {
			return err
		}
	}
	nc, err := nats.Connect(r.url)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	r.res.Streams = streamInfo(ctx, js)

	if c.CeilingMessages > 0 {
		r.logf("jetstream ceiling: %d messages", c.CeilingMessages)
		cres, err := ceiling.Run(ctx, js, ceiling.Config{Sizes: r.sizes, Messages: c.CeilingMessages})
		if err != nil {
			return err
		}
		total := 0
		for _, s := range r.sizes {
			total += s
		}
		r.res.Ceiling = &Ceiling{
			Messages: cres.Messages, MeanBytes: float64(total) / float64(len(r.sizes)),
			PublishPerSecond: cres.PublishPerSecond(), PerSecond: cres.PerSecond(), MBPerSecond: cres.MBPerSecond(),
		}
	}
	return nil
}

func streamInfo(ctx context.Context, js jetstream.JetStream) []Stream {
	var out []Stream
	for _, name := range []string{events.StreamRaw, events.StreamEnriched, events.StreamMentions, events.StreamDLQ} {
		s, err := js.Stream(ctx, name)
		if err != nil {
			continue
		}
		info, err := s.Info(ctx)
		if err != nil {
			continue
		}
		out = append(out, Stream{Name: name, Messages: info.State.Msgs, Bytes: info.State.Bytes})
	}
	return out
}

// phase computes the results of one phase from the stored articles and the
// snapshots around it.
func (r *run) phase(name string, n int, offered float64, arts []stored, before, after snapshot) Phase {
	sent := r.sent[name]
	p := Phase{Name: name, Articles: n, OfferedPerSecond: offered}
	var (
		fetched, enriched, committed, dropped []time.Time
		lat, dropLat, toEnrich, toCommit      []float64
	)
	for _, a := range arts {
		if a.phase != name {
			continue
		}
		p.Stored++
		fetched = append(fetched, a.fetched)
		enriched = append(enriched, a.enriched)
		committed = append(committed, a.committed)
		lat = append(lat, ms(a.committed.Sub(a.fetched)))
		toEnrich = append(toEnrich, ms(a.enriched.Sub(a.fetched)))
		toCommit = append(toCommit, ms(a.committed.Sub(a.enriched)))
		if t, ok := sent[a.n]; ok {
			dropped = append(dropped, t)
			dropLat = append(dropLat, ms(a.committed.Sub(t)))
		}
	}
	for _, t := range sent {
		dropped = append(dropped, t)
	}
	first := stats.SpanOf(dropped).First
	last := stats.SpanOf(committed).Last
	p.Seconds = last.Sub(first).Seconds()
	if p.Seconds > 0 {
		p.EndToEndPerSecond = float64(p.Stored) / p.Seconds
	}
	p.StagePerSecond = map[string]float64{
		"fetcher":  stats.SpanOf(fetched).PerSecond(),
		"enricher": stats.SpanOf(enriched).PerSecond(),
		"sink":     stats.SpanOf(committed).PerSecond(),
	}
	p.LatencyMS = stats.Summarize(lat)
	p.InboxLatencyMS = stats.Summarize(dropLat)
	p.FetchToEnrichMS = stats.Summarize(toEnrich)
	p.EnrichToCommitMS = stats.Summarize(toCommit)
	p.Latencies = lat
	rel := func(ts []time.Time) []float64 {
		out := make([]float64, len(ts))
		for i, t := range ts {
			out[i] = t.Sub(first).Seconds()
		}
		slices.Sort(out)
		return out
	}
	p.Times = map[string][]float64{"fetcher": rel(fetched), "enricher": rel(enriched), "sink": rel(committed)}

	// Processes: CPU over the phase (first file to last commit, the
	// snapshots bracket it closely), articles per CPU second.
	p.Process = map[string]ProcessUse{}
	wall := after.at.Sub(before.at).Seconds()
	for _, pn := range Processes {
		b, ok1 := before.usage[pn]
		a, ok2 := after.usage[pn]
		if !ok1 || !ok2 {
			continue
		}
		cpu := (a.CPU - b.CPU).Seconds()
		u := ProcessUse{CPUSeconds: cpu}
		if wall > 0 {
			u.Cores = cpu / wall
		}
		if cpu > 0 {
			u.ArticlesPerCPUSecond = float64(p.Stored) / cpu
		}
		u.MaxRSSMB = r.maxRSS(pn, before.at, after.at)
		p.Process[pn] = u
	}
	// CPU used on the machine by everything else (other work sharing it).
	if wall > 0 && after.busy > 0 {
		ours := 0.0
		for _, x := range p.Process {
			ours += x.CPUSeconds
		}
		p.OtherCores = max(0, (after.busy-before.busy).Seconds()-ours) / wall
	}
	delta := func(svc, metric string, match map[string]string) float64 {
		return after.metrics[svc].Sum(metric, match) - before.metrics[svc].Sum(metric, match)
	}
	p.Tokens = delta("enricher", "newsflow_enricher_tokens_total", nil)
	if u := p.Process["enricher"]; u.CPUSeconds > 0 {
		p.TokensPerCPUSecond = p.Tokens / u.CPUSeconds
	}
	p.Mentions = delta("enricher", "newsflow_enricher_published_messages_total", map[string]string{"stream": "mentions"})
	for _, svc := range []string{"enricher", "sink"} {
		p.Retries += delta(svc, "newsflow_"+svc+"_messages_total", map[string]string{"outcome": "retry"})
	}
	for _, svc := range Services {
		p.DeadLetters += delta(svc, "newsflow_"+svc+"_dead_letters_total", nil)
	}
	p.ProcessingMS = map[string]float64{}
	for _, svc := range []string{"enricher", "sink"} {
		name := "newsflow_" + svc + "_processing_seconds"
		if n := delta(svc, name+"_count", nil); n > 0 {
			p.ProcessingMS[svc] = 1000 * delta(svc, name+"_sum", nil) / n
		}
	}
	if n := delta("sink", "newsflow_sink_batch_size_articles_count", nil); n > 0 {
		p.SinkBatchArticles = delta("sink", "newsflow_sink_batch_size_articles_sum", nil) / n
	}
	if n := delta("sink", "newsflow_sink_write_seconds_count", nil); n > 0 {
		p.SinkWriteMS = 1000 * delta("sink", "newsflow_sink_write_seconds_sum", nil) / n
	}
	if n := delta("enricher", "newsflow_enricher_enrich_seconds_count", nil); n > 0 {
		p.EnrichMS = 1000 * delta("enricher", "newsflow_enricher_enrich_seconds_sum", nil) / n
	}
	hb, _, _ := before.metrics["sink"].Histogram("newsflow_sink_end_to_end_seconds")
	ha, _, _ := after.metrics["sink"].Histogram("newsflow_sink_end_to_end_seconds")
	h := promtext.Delta(hb, ha)
	p.SinkHistogramP50MS = finite(1000 * promtext.Quantile(0.5, h))
	p.SinkHistogramP99MS = finite(1000 * promtext.Quantile(0.99, h))
	return p
}

func (r *run) maxRSS(name string, from, to time.Time) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	lo, hi := from.Sub(r.res.Started).Seconds(), to.Sub(r.res.Started).Seconds()
	m := 0.0
	for _, s := range r.res.Samples {
		if s.At >= lo && s.At <= hi {
			m = max(m, s.RSSMB[name])
		}
	}
	return m
}

// finite turns NaN (no observations) into 0, which JSON can carry.
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
