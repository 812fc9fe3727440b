package coord

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/pkg/stage/natstest"
	"github.com/newsflow/newsflow/services/fetcher/internal/web"
)

func openBuckets(t *testing.T) (jetstream.JetStream, *Buckets) {
	t.Helper()
	srv := natstest.Start(t)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), js, "test", Config{LeaseBucket: "leases", ValidatorsBucket: "validators", AttemptsBucket: "attempts"})
	if err != nil {
		t.Fatal(err)
	}
	return js, b
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func TestNextBoundary(t *testing.T) {
	base := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	for _, iv := range []time.Duration{time.Second, 7 * time.Second, 5 * time.Minute, 24 * time.Hour} {
		for _, src := range []string{"a", "reuters-world", "inbox"} {
			b := NextBoundary(src, iv, base)
			if !b.After(base) || b.Sub(base) > iv {
				t.Errorf("NextBoundary(%s, %s, t) = t+%s, want in (0, %s]", src, iv, b.Sub(base), iv)
			}
			// At a boundary, the next one is a whole interval later; all
			// times of one interval share the next boundary.
			if got := NextBoundary(src, iv, b); got.Sub(b) != iv {
				t.Errorf("NextBoundary at a boundary = +%s, want +%s", got.Sub(b), iv)
			}
			if got := NextBoundary(src, iv, b.Add(-time.Nanosecond)); !got.Equal(b) {
				t.Errorf("NextBoundary just before a boundary = %v, want %v", got, b)
			}
		}
	}
	// Phases differ between sources, so they do not all start at once.
	if NextBoundary("a", time.Hour, base).Equal(NextBoundary("b", time.Hour, base)) {
		t.Error("two sources share a phase")
	}
	// Before the epoch, too.
	old := time.Unix(-1000, 5)
	if b := NextBoundary("a", time.Minute, old); !b.After(old) || b.Sub(old) > time.Minute {
		t.Errorf("NextBoundary before the epoch: %v for %v", b, old)
	}
}

func TestLeasesOneWinnerPerInterval(t *testing.T) {
	_, b := openBuckets(t)
	kv := b.Leases.kv
	clk := &clock{t: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}
	replicas := []*Leases{NewLeases(kv, "r1", clk.now), NewLeases(kv, "r2", clk.now), NewLeases(kv, "r3", clk.now)}
	const iv = time.Minute
	ctx := context.Background()
	next := NextBoundary("feed", iv, clk.now())
	for interval := range 5 {
		// All replicas ask at once, several times within the interval.
		var wins atomic.Int32
		for try := range 3 {
			clk.set(next.Add(-iv).Add(time.Duration(try) * 10 * time.Second))
			var wg sync.WaitGroup
			for _, l := range replicas {
				wg.Go(func() {
					won, due, err := l.Claim(ctx, "feed", iv)
					if err != nil {
						t.Error(err)
					}
					if won {
						wins.Add(1)
					}
					if !due.Equal(next) {
						t.Errorf("interval %d: next interval at %v, want %v", interval, due, next)
					}
				})
			}
			wg.Wait()
		}
		if n := wins.Load(); n != 1 {
			t.Fatalf("interval %d: %d claims won, want 1", interval, n)
		}
		next = next.Add(iv)
	}
}

func TestLeasesIntervalChange(t *testing.T) {
	_, b := openBuckets(t)
	clk := &clock{t: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}
	l := NewLeases(b.Leases.kv, "r1", clk.now)
	ctx := context.Background()
	if won, _, _ := l.Claim(ctx, "feed", time.Hour); !won {
		t.Fatal("first claim lost")
	}
	// The interval shrinks to a minute: the hour-long claim ends at the
	// next minute boundary, not in an hour.
	clk.set(clk.now().Add(61 * time.Second))
	if won, _, _ := l.Claim(ctx, "feed", time.Minute); !won {
		t.Error("claim after the interval shrank lost: the old interval still blocks")
	}
	if won, _, _ := l.Claim(ctx, "feed", time.Minute); won {
		t.Error("second claim in the same interval won")
	}
}

func TestValidatorsRoundTrip(t *testing.T) {
	_, b := openBuckets(t)
	ctx := context.Background()
	url := "https://example.com/feed.xml?a=1&b=%20 two"
	if _, ok, err := b.Validators.Get(ctx, url); ok || err != nil {
		t.Fatalf("Get of an unknown URL = %v, %v", ok, err)
	}
	want := web.Validator{ETag: `W/"abc"`, LastModified: "Wed, 04 Mar 2026 10:00:00 GMT"}
	if err := b.Validators.Put(ctx, url, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.Validators.Get(ctx, url)
	if err != nil || !ok || got != want {
		t.Errorf("Get = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	if _, ok, _ := b.Validators.Get(ctx, url+"x"); ok {
		t.Error("another URL shares the validators")
	}
	if k := URLKey(url); len(k) != 64 {
		t.Errorf("URLKey = %q, want 64 hex digits", k)
	}
}

func TestAttempts(t *testing.T) {
	_, b := openBuckets(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	const id = "0123456789abcdef0123456789abcdef"
	for i := 1; i <= 3; i++ {
		at, err := b.Attempts.Fail(ctx, id, "timeout", now)
		if err != nil || at.Count != i || at.Reason != "timeout" {
			t.Fatalf("Fail #%d = %+v, %v", i, at, err)
		}
	}
	if err := b.Attempts.Bury(ctx, id, "timeout", now); err != nil {
		t.Fatal(err)
	}
	if at, _ := b.Attempts.Get(ctx, id); !at.Dead || at.Count != 3 {
		t.Errorf("after Bury: %+v", at)
	}
	if err := b.Attempts.Clear(ctx, id); err != nil {
		t.Fatal(err)
	}
	if at, err := b.Attempts.Get(ctx, id); err != nil || at.Count != 0 || at.Dead {
		t.Errorf("after Clear: %+v, %v", at, err)
	}
}

// BenchmarkClaim measures one replica's lease check for a source whose
// interval is held by another replica (the common case with N replicas)
// and a won claim, against an in-process JetStream.
func BenchmarkClaim(b *testing.B) {
	srv := natstest.Start(b)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	bk, err := Open(context.Background(), js, "bench", Config{LeaseBucket: "l", ValidatorsBucket: "v", AttemptsBucket: "a"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("held", func(b *testing.B) {
		if _, _, err := bk.Leases.Claim(ctx, "held", time.Hour); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if won, _, err := bk.Leases.Claim(ctx, "held", time.Hour); err != nil || won {
				b.Fatal("claim of a held interval won or failed", err)
			}
		}
	})
	b.Run("won", func(b *testing.B) {
		clk := &clock{t: time.Unix(1e9, 0)}
		l := NewLeases(bk.Leases.kv, "bench", clk.now)
		for b.Loop() {
			clk.set(clk.now().Add(time.Minute))
			if won, _, err := l.Claim(ctx, "won", time.Minute); err != nil || !won {
				b.Fatal("claim of a free interval lost or failed", err)
			}
		}
	})
}
