// Package coord keeps the state that fetcher replicas share in JetStream
// key-value buckets: who polls a source in the current interval (Leases),
// the conditional-GET validators of fetched URLs (Validators, a
// web.Validators), and how often an item has failed (Attempts).
//
// See docs/decisions/0004-fetcher-coordination.md for why poll leases are
// interval claims decided by compare-and-set on a key's revision.
package coord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Config names the buckets and says how they are kept.
type Config struct {
	LeaseBucket      string
	ValidatorsBucket string
	AttemptsBucket   string
	// Replicas of each bucket (1 locally, 3 in a cluster).
	Replicas int
	// ValidatorsTTL is how long unused validators are kept. Default 30 days.
	ValidatorsTTL time.Duration
	// AttemptsTTL is how long an item's failure count is kept. Default 7 days.
	AttemptsTTL time.Duration
}

// Buckets are the opened buckets.
type Buckets struct {
	Leases     *Leases
	Validators *Validators
	Attempts   *Attempts
}

// Open creates (or updates) the buckets of c, retrying while JetStream is
// not ready as long as ctx allows.
func Open(ctx context.Context, js jetstream.JetStream, holder string, c Config) (*Buckets, error) {
	if c.ValidatorsTTL <= 0 {
		c.ValidatorsTTL = 30 * 24 * time.Hour
	}
	if c.AttemptsTTL <= 0 {
		c.AttemptsTTL = 7 * 24 * time.Hour
	}
	replicas := max(c.Replicas, 1)
	open := func(name, desc string, ttl time.Duration) (jetstream.KeyValue, error) {
		if name == "" {
			return nil, fmt.Errorf("coord: %s bucket has no name", desc)
		}
		var kv jetstream.KeyValue
		err := retry(ctx, func() (err error) {
			kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
				Bucket: name, Description: desc, History: 1, TTL: ttl,
				Storage: jetstream.FileStorage, Replicas: replicas,
			})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("coord: bucket %s: %w", name, err)
		}
		return kv, nil
	}
	// Lease keys of removed sources expire; a live source rewrites its key
	// at least once per sources.MaxInterval.
	lk, err := open(c.LeaseBucket, "fetcher poll leases, one key per source", 7*24*time.Hour)
	if err != nil {
		return nil, err
	}
	vk, err := open(c.ValidatorsBucket, "fetcher conditional-GET validators by URL hash", c.ValidatorsTTL)
	if err != nil {
		return nil, err
	}
	ak, err := open(c.AttemptsBucket, "fetcher item failure counts by article ID", c.AttemptsTTL)
	if err != nil {
		return nil, err
	}
	return &Buckets{
		Leases:     NewLeases(lk, holder, time.Now),
		Validators: &Validators{kv: vk},
		Attempts:   &Attempts{kv: ak},
	}, nil
}

func retry(ctx context.Context, f func() error) error {
	var err error
	for range 20 {
		if err = f(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return err
}

// URLKey is the key of a URL in a bucket: the hex SHA-256 of the URL, since
// URLs hold characters keys may not.
func URLKey(url string) string {
	sum := sha256.Sum256([]byte(url))
	return hex.EncodeToString(sum[:])
}

// decode reads a JSON value; a value that does not decode counts as absent.
func decode[T any](e jetstream.KeyValueEntry) (T, bool) {
	var v T
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return v, false
	}
	return v, true
}

func notFound(err error) bool {
	return errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted)
}
