package web

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxCrawlDelay caps the robots.txt Crawl-delay we honour.
const maxCrawlDelay = time.Minute

// hostState is the politeness state of one host (host:port).
type hostState struct {
	limiter *rate.Limiter
	slots   chan struct{}

	mu        sync.Mutex
	coolUntil time.Time
	lastUsed  time.Time
	users     int
}

// hostTable holds the politeness state of every host the client talks to.
type hostTable struct {
	cfg   Config
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu sync.Mutex
	m  map[string]*hostState
}

// hostTableSweepAt is the table size from which idle hosts are forgotten.
const hostTableSweepAt = 4096

func (t *hostTable) get(host string) *hostState {
	t.mu.Lock()
	defer t.mu.Unlock()
	if h, ok := t.m[host]; ok {
		return h
	}
	if len(t.m) >= hostTableSweepAt {
		now := t.now()
		for k, h := range t.m {
			h.mu.Lock()
			idle := h.users == 0 && now.Sub(h.lastUsed) > 10*time.Minute && now.After(h.coolUntil)
			h.mu.Unlock()
			if idle {
				delete(t.m, k)
			}
		}
	}
	limit := rate.Limit(t.cfg.PerHostRate)
	if t.cfg.PerHostRate < 0 {
		limit = rate.Inf
	}
	h := &hostState{
		limiter: rate.NewLimiter(limit, t.cfg.PerHostBurst),
		slots:   make(chan struct{}, t.cfg.PerHostConcurrency),
	}
	if t.m == nil {
		t.m = map[string]*hostState{}
	}
	t.m[host] = h
	return h
}

// acquire waits until a request to host may be sent: the host's cool-down
// is over, a concurrency slot is free and the rate limiter admits it. The
// returned release frees the slot.
func (t *hostTable) acquire(ctx context.Context, host string) (release func(), err error) {
	h := t.get(host)
	h.mu.Lock()
	h.users++
	h.lastUsed = t.now()
	wait := h.coolUntil.Sub(t.now())
	h.mu.Unlock()
	done := func() {
		h.mu.Lock()
		h.users--
		h.lastUsed = t.now()
		h.mu.Unlock()
	}
	if wait > 0 {
		if wait > t.cfg.MaxRetryAfter {
			done()
			return nil, fmt.Errorf("%w: %s for another %s", ErrCoolingDown, host, wait.Round(time.Second))
		}
		if err := t.sleep(ctx, wait); err != nil {
			done()
			return nil, err
		}
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		done()
		return nil, ctxErr(ctx)
	}
	if err := h.limiter.Wait(ctx); err != nil {
		<-h.slots
		done()
		if ctx.Err() != nil {
			return nil, ctxErr(ctx)
		}
		// The limiter refuses early when the wait would outlast the deadline.
		return nil, fmt.Errorf("%w: the rate limit of %s leaves no time before the deadline", ErrTimeout, host)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-h.slots
			done()
		})
	}, nil
}

// coolDown makes requests to host wait d (capped at MaxCoolDown) from now.
func (t *hostTable) coolDown(host string, d time.Duration) {
	d = min(d, t.cfg.MaxCoolDown)
	h := t.get(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	if until := t.now().Add(d); until.After(h.coolUntil) {
		h.coolUntil = until
	}
}

// crawlDelay lowers host's rate to one request per d when that is slower
// than the configured rate.
func (t *hostTable) crawlDelay(host string, d time.Duration) {
	if d <= 0 {
		return
	}
	t.lower(host, rate.Every(min(d, maxCrawlDelay)))
}

// lower lowers host's rate to lim when that is slower than its rate now.
func (t *hostTable) lower(host string, lim rate.Limit) {
	h := t.get(host)
	if lim < h.limiter.Limit() {
		h.limiter.SetLimit(lim)
	}
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctxErr(ctx)
	}
}

// ctxErr returns why ctx is done: its cause when that is one of ours (a
// timeout), else ctx.Err().
func ctxErr(ctx context.Context) error {
	if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
		return cause
	}
	return ctx.Err()
}
