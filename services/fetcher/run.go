package fetcher

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/services/fetcher/internal/coord"
	"github.com/newsflow/newsflow/services/fetcher/internal/dirsource"
	"github.com/newsflow/newsflow/services/fetcher/internal/ingest"
	"github.com/newsflow/newsflow/services/fetcher/internal/poll"
	"github.com/newsflow/newsflow/services/fetcher/internal/push"
	"github.com/newsflow/newsflow/services/fetcher/internal/sources"
	"github.com/newsflow/newsflow/services/fetcher/internal/web"
)

// Run fetches until ctx ends (or, with Once, until one pass is done), then
// drains and returns.
func Run(ctx context.Context, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var (
		watcher *sources.Watcher
		srcs    []sources.Source
		err     error
	)
	if c.Sources != "" {
		if watcher, srcs, err = sources.NewWatcher(c.Sources); err != nil {
			return fmt.Errorf("-sources: %w", err)
		}
	}
	if c.Inbox != "" {
		if fi, err := os.Stat(c.Inbox); err != nil {
			return fmt.Errorf("-inbox: %w", err)
		} else if !fi.IsDir() {
			return fmt.Errorf("-inbox: %s is not a directory", c.Inbox)
		}
	}
	if _, err := withInbox(c, srcs); err != nil {
		return err
	}
	token := c.PushToken
	if c.PushAddr != "" && c.PushTokenFile != "" {
		data, err := os.ReadFile(c.PushTokenFile)
		if err != nil {
			return fmt.Errorf("-push-token-file: %w", err)
		}
		token = strings.TrimSpace(string(data))
	}
	if c.PushAddr != "" && !c.Once && token == "" {
		return errors.New("-push-token-file: the token is empty")
	}

	rt, err := stage.Start(ctx, "fetcher", c.Version, c.Common)
	if err != nil {
		return err
	}
	defer rt.Close()
	var observe func(events.RawArticle, ingest.Outcome)
	if c.Observe != nil {
		observe = func(a events.RawArticle, o ingest.Outcome) { c.Observe(a, string(o)) }
	}
	in, err := ingest.New(ctx, rt, ingest.Config{
		SeenBucket: c.SeenBucket, SeenTTL: c.SeenTTL, Replicas: c.Broker.Replicas, Observe: observe,
	})
	if err != nil {
		return err
	}
	buckets, err := coord.Open(ctx, rt.JS, holderName(), coord.Config{
		LeaseBucket: c.LeaseBucket, ValidatorsBucket: c.ValidatorsBucket, AttemptsBucket: c.AttemptsBucket,
		Replicas: c.Broker.Replicas,
	})
	if err != nil {
		return err
	}
	webMetrics, err := web.NewMetrics(rt.Registry)
	if err != nil {
		return err
	}
	client, err := web.New(c.webConfig(), web.WithValidators(buckets.Validators), web.WithObserver(webMetrics), web.WithLogger(rt.Log))
	if err != nil {
		return fmt.Errorf("-allow-host: %w", err)
	}
	defer client.Close()
	pollMetrics, err := poll.NewMetrics(rt.Registry)
	if err != nil {
		return err
	}
	poller := poll.New(client, in, buckets.Attempts, pollMetrics, rt.Log, time.Now, poll.Config{
		MaxAttempts: c.MaxItemAttempts, Concurrency: c.ItemConcurrency,
		MaxSitemapBytes: int64(c.MaxSitemapBytes), SitemapTimeout: max(c.FetchTimeout, 5*time.Minute),
	})
	s := &stageRun{cfg: c, rt: rt, in: in, client: client, poller: poller, leases: buckets.Leases, metrics: pollMetrics}

	if c.Once {
		all, _ := withInbox(c, srcs)
		return s.once(ctx, all)
	}

	var pushH *push.Handler
	if c.PushAddr != "" {
		pushH, err = push.New(push.Config{Token: token, DefaultSource: c.PushSource, MaxBytes: int64(c.PushMaxBytes)},
			in.Submit, rt.Registry, rt.Log, time.Now)
		if err != nil {
			return err
		}
		stop, err := s.servePush(ctx, pushH)
		if err != nil {
			return err
		}
		defer stop()
	}

	reloads := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newsflow_fetcher_sources_reloads_total",
		Help: "Reloads of the sources file by outcome: ok, or error (the previous sources stay in force).",
	}, []string{"outcome"})
	configured := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "newsflow_fetcher_sources",
		Help: "Sources in force, by kind.",
	}, []string{"kind"})
	rt.Registry.MustRegister(reloads, configured)

	r := &runner{log: rt.Log, jobs: map[string]*job{}, start: s.runSource}
	defer r.stopAll()
	apply := func(srcs []sources.Source) error {
		all, err := withInbox(c, srcs)
		if err != nil {
			return err
		}
		started, stopped := r.apply(ctx, all)
		var pushIDs []string
		counts := map[string]int{}
		for _, s := range all {
			counts[s.Kind]++
			if s.Kind == sources.KindPush {
				pushIDs = append(pushIDs, s.ID)
			}
		}
		for _, k := range []string{sources.KindFeed, sources.KindSitemap, sources.KindPage, sources.KindDir, sources.KindPush} {
			configured.WithLabelValues(k).Set(float64(counts[k]))
		}
		if pushH != nil {
			pushH.SetSources(pushIDs)
		}
		rt.Log.Info("sources in force", "sources", len(all), "started", started, "stopped", stopped)
		return nil
	}
	if err := apply(srcs); err != nil {
		return err
	}
	if watcher == nil {
		<-ctx.Done()
		return nil
	}
	err = watcher.Run(ctx, c.Reload, func(srcs []sources.Source) {
		if err := apply(srcs); err != nil {
			reloads.WithLabelValues("error").Inc()
			rt.Log.Error("sources file not applied; the previous sources stay in force", "path", c.Sources, "error", err)
			return
		}
		reloads.WithLabelValues("ok").Inc()
	}, func(err error) {
		reloads.WithLabelValues("error").Inc()
		rt.Log.Error("sources file not reloaded; the previous sources stay in force", "path", c.Sources, "error", err)
	})
	if err != nil {
		return err
	}
	return nil
}

// withInbox adds the -inbox directory to the sources of the file.
func withInbox(c Config, srcs []sources.Source) ([]sources.Source, error) {
	if c.Inbox == "" {
		return srcs, nil
	}
	for _, s := range srcs {
		if s.ID == c.InboxSource {
			return nil, fmt.Errorf("-inbox-source: %q is also the ID of a source in %s", c.InboxSource, c.Sources)
		}
	}
	return append(slices.Clone(srcs), sources.Source{ID: c.InboxSource, Kind: sources.KindDir, Path: c.Inbox}), nil
}

// holderName names this replica in lease values.
func holderName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// stageRun holds what the sources of one Run share.
type stageRun struct {
	cfg     Config
	rt      *stage.Runtime
	in      *ingest.Ingester
	client  *web.Client
	poller  *poll.Poller
	leases  *coord.Leases
	metrics *poll.Metrics
}

// runSource runs one source until ctx ends.
func (s *stageRun) runSource(ctx context.Context, src sources.Source) {
	switch src.Kind {
	case sources.KindDir:
		s.runDir(ctx, src)
	case sources.KindFeed, sources.KindSitemap, sources.KindPage:
		s.pollLoop(ctx, src)
	}
}

// pollLoop polls src once per interval, when this replica wins the
// interval's lease.
func (s *stageRun) pollLoop(ctx context.Context, src sources.Source) {
	if src.Rate > 0 {
		if err := s.client.LimitRate(src.URL, src.Rate); err != nil {
			s.rt.Log.Warn("source rate not applied", "source", src.ID, "error", err)
		}
	}
	for {
		won, next, err := s.leases.Claim(ctx, src.ID, src.Interval)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.rt.Log.Warn("poll lease not claimed, trying again soon", "source", src.ID, "error", err)
			next = time.Now().Add(min(src.Interval, 5*time.Second))
		case won:
			s.poller.Poll(ctx, src)
		default:
			s.metrics.LeaseSkips.WithLabelValues(src.ID).Inc()
		}
		// Wake a little after the next interval starts, at a random
		// point, so that replicas do not all ask at the same instant.
		wait := time.Until(next) + jitter(min(src.Interval/20, 2*time.Second))
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return mrand.N(d)
}

// runDir watches a directory source, starting again after a failure (the
// directory may appear later).
func (s *stageRun) runDir(ctx context.Context, src sources.Source) {
	for {
		err := s.dir(src, false).Run(ctx)
		if ctx.Err() != nil {
			return
		}
		s.rt.Log.Error("dir source stopped, starting it again in 30s", "source", src.ID, "path", src.Path, "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(30 * time.Second):
		}
	}
}

func (s *stageRun) dir(src sources.Source, once bool) *dirsource.Source {
	d, _ := dirsource.New(dirsource.Config{
		Dir: src.Path, Source: src.ID, Rescan: s.cfg.InboxRescan, Settle: s.cfg.InboxSettle,
		MaxFileBytes: int64(s.cfg.MaxFileBytes), Once: once,
	}, s.rt.Log, time.Now,
		func(ctx context.Context, a events.RawArticle) error {
			_, err := s.in.Submit(ctx, a)
			return err
		},
		func(ctx context.Context, path string, data []byte, cause error) error {
			return s.in.Reject(ctx, src.ID, path, data, cause)
		})
	return d
}

// once makes one pass over every source: dir sources scanned, polled
// sources polled without leases.
func (s *stageRun) once(ctx context.Context, all []sources.Source) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, src := range all {
		switch src.Kind {
		case sources.KindDir:
			wg.Go(func() {
				if err := s.dir(src, true).Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
					mu.Lock()
					errs = append(errs, fmt.Errorf("source %s: %w", src.ID, err))
					mu.Unlock()
				}
			})
		case sources.KindFeed, sources.KindSitemap, sources.KindPage:
			wg.Go(func() {
				if src.Rate > 0 {
					s.client.LimitRate(src.URL, src.Rate)
				}
				s.poller.Poll(ctx, src)
			})
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// servePush serves the push endpoint on its own listener until stop.
func (s *stageRun) servePush(ctx context.Context, h *push.Handler) (stop func(), err error) {
	ln, err := net.Listen("tcp", s.cfg.PushAddr)
	if err != nil {
		return nil, fmt.Errorf("-push-addr: %w", err)
	}
	srv := &http.Server{
		Handler:           h.Routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.rt.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.rt.Log.Error("push endpoint stopped", "error", err)
		}
	}()
	s.rt.Log.Info("serving the push endpoint", "addr", ln.Addr().String(), "path", push.Path)
	if s.cfg.PushListening != nil {
		s.cfg.PushListening(ln.Addr().String())
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
		defer cancel()
		srv.Shutdown(sctx)
		<-done
	}, nil
}

// runner keeps one goroutine per source running, restarting a source
// whose settings change.
type runner struct {
	log   *slog.Logger
	start func(ctx context.Context, s sources.Source)
	mu    sync.Mutex
	jobs  map[string]*job
}

type job struct {
	src    sources.Source
	cancel context.CancelFunc
	done   chan struct{}
}

// apply makes the running sources those of srcs (push sources have no
// goroutine) and reports how many it started and stopped.
func (r *runner) apply(ctx context.Context, srcs []sources.Source) (started, stopped int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	want := map[string]sources.Source{}
	for _, s := range srcs {
		if s.Kind != sources.KindPush {
			want[s.ID] = s
		}
	}
	for id, j := range r.jobs {
		if s, ok := want[id]; ok && s == j.src {
			continue
		}
		j.cancel()
		<-j.done
		delete(r.jobs, id)
		stopped++
	}
	for id, s := range want {
		if _, ok := r.jobs[id]; ok {
			continue
		}
		jctx, cancel := context.WithCancel(ctx)
		j := &job{src: s, cancel: cancel, done: make(chan struct{})}
		go func() {
			defer close(j.done)
			r.start(jctx, s)
		}()
		r.jobs[id] = j
		started++
	}
	return started, stopped
}

// stopAll stops every source and waits for them.
func (r *runner) stopAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, j := range r.jobs {
		j.cancel()
		<-j.done
		delete(r.jobs, id)
	}
}
