package coord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Leases decides which replica polls a source in each interval. Time is cut
// into intervals per source (aligned to the epoch, shifted by a phase drawn
// from the source ID so that sources do not all start at once); the key of
// a source holds when its current interval ends, and a replica takes the
// next interval by a compare-and-set on the key's revision. At most one
// replica wins an interval, whatever the replicas' clocks say; a replica
// that dies after winning costs that one interval's poll.
type Leases struct {
	kv     jetstream.KeyValue
	holder string
	now    func() time.Time
}

// NewLeases returns the leases kept in kv; holder names this replica in
// the stored values (for operators), now is the clock.
func NewLeases(kv jetstream.KeyValue, holder string, now func() time.Time) *Leases {
	return &Leases{kv: kv, holder: holder, now: now}
}

type leaseValue struct {
	// Due is when the claimed interval ends: nobody may claim before.
	Due     time.Time `json:"due"`
	Holder  string    `json:"holder"`
	Claimed time.Time `json:"claimed"`
}

// Claim tries to take the current interval of source for this replica. It
// reports whether it did, and when the next interval starts: the time to
// call Claim again. An error means the bucket could not be read or
// written; the caller should neither poll nor give up.
func (l *Leases) Claim(ctx context.Context, source string, interval time.Duration) (won bool, next time.Time, err error) {
	now := l.now()
	next = NextBoundary(source, interval, now)
	val, _ := json.Marshal(leaseValue{Due: next, Holder: l.holder, Claimed: now})
	e, err := l.kv.Get(ctx, source)
	switch {
	case notFound(err):
		_, err := l.kv.Create(ctx, source, val)
		if err == nil {
			return true, next, nil
		}
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, next, nil // another replica created it first
		}
		return false, next, fmt.Errorf("lease %s: %w", source, err)
	case err != nil:
		return false, next, fmt.Errorf("lease %s: %w", source, err)
	}
	if v, ok := decode[leaseValue](e); ok {
		// An interval claimed under another interval length (the sources
		// file changed) ends at the earlier of its own end and the end
		// the current length gives.
		due := v.Due
		if alt := NextBoundary(source, interval, v.Claimed); alt.Before(due) {
			due = alt
		}
		if now.Before(due) {
			return false, due, nil
		}
	}
	if _, err := l.kv.Update(ctx, source, val, e.Revision()); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			return false, next, nil // another replica claimed it a moment ago
		}
		return false, next, fmt.Errorf("lease %s: %w", source, err)
	}
	return true, next, nil
}

// NextBoundary returns the first start of an interval of source strictly
// after t. Intervals of a source start at its phase plus multiples of
// interval since the Unix epoch; the phase is a hash of the source ID.
func NextBoundary(source string, interval time.Duration, t time.Time) time.Time {
	i := int64(interval)
	if i <= 0 {
		return t
	}
	h := fnv.New64a()
	h.Write([]byte(source))
	phase := int64(h.Sum64() % uint64(i))
	n := t.UnixNano() - phase
	k := n / i
	if n%i < 0 {
		k-- // floor division for times before the epoch
	}
	return time.Unix(0, (k+1)*i+phase)
}
