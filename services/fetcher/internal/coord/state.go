package coord

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/services/fetcher/internal/web"
)

// Validators is a web.Validators kept in a KV bucket, so that every replica
// makes conditional GETs with what any of them last fetched. Keys are
// URLKey(url).
type Validators struct {
	kv jetstream.KeyValue
}

// NewValidators returns the validators kept in kv.
func NewValidators(kv jetstream.KeyValue) *Validators { return &Validators{kv: kv} }

// Get implements web.Validators.
func (v *Validators) Get(ctx context.Context, url string) (web.Validator, bool, error) {
	e, err := v.kv.Get(ctx, URLKey(url))
	if notFound(err) {
		return web.Validator{}, false, nil
	}
	if err != nil {
		return web.Validator{}, false, fmt.Errorf("validators: %w", err)
	}
	val, ok := decode[web.Validator](e)
	if !ok || val == (web.Validator{}) {
		return web.Validator{}, false, nil
	}
	return val, true, nil
}

// Put implements web.Validators.
func (v *Validators) Put(ctx context.Context, url string, val web.Validator) error {
	data, err := json.Marshal(val)
	if err != nil {
		return err
	}
	if _, err := v.kv.Put(ctx, URLKey(url), data); err != nil {
		return fmt.Errorf("validators: %w", err)
	}
	return nil
}

// Attempt is what is known of an item that failed.
type Attempt struct {
	// Count is how many polls failed to turn the item into an article.
	Count int `json:"count"`
	// Reason is the last failure.
	Reason string `json:"reason"`
	// Dead is set once the item is dead-lettered: polls skip it.
	Dead bool      `json:"dead,omitempty"`
	Last time.Time `json:"last"`
}

// Attempts counts the failures of items by article ID, shared by replicas
// so that an item failing on every replica is still given up after N
// attempts. Counts expire with the bucket's TTL.
type Attempts struct {
	kv jetstream.KeyValue
}

// NewAttempts returns the attempt counts kept in kv.
func NewAttempts(kv jetstream.KeyValue) *Attempts { return &Attempts{kv: kv} }

// Get returns the failures recorded for id (the zero Attempt when none).
func (a *Attempts) Get(ctx context.Context, id string) (Attempt, error) {
	e, err := a.kv.Get(ctx, id)
	if notFound(err) {
		return Attempt{}, nil
	}
	if err != nil {
		return Attempt{}, fmt.Errorf("attempts: %w", err)
	}
	at, _ := decode[Attempt](e)
	return at, nil
}

// Fail records one more failure of id and returns the new count. Two
// replicas failing the same item at the same moment may count once.
func (a *Attempts) Fail(ctx context.Context, id, reason string, now time.Time) (Attempt, error) {
	at, err := a.Get(ctx, id)
	if err != nil {
		return Attempt{}, err
	}
	at.Count++
	at.Reason = reason
	at.Last = now
	return at, a.put(ctx, id, at)
}

// Bury marks id as dead-lettered with reason: polls no longer try it.
func (a *Attempts) Bury(ctx context.Context, id, reason string, now time.Time) error {
	at, err := a.Get(ctx, id)
	if err != nil {
		return err
	}
	at.Dead, at.Reason, at.Last = true, reason, now
	return a.put(ctx, id, at)
}

// Clear forgets the failures of id (it has been published).
func (a *Attempts) Clear(ctx context.Context, id string) error {
	if err := a.kv.Delete(ctx, id); err != nil && !notFound(err) {
		return fmt.Errorf("attempts: %w", err)
	}
	return nil
}

func (a *Attempts) put(ctx context.Context, id string, at Attempt) error {
	data, err := json.Marshal(at)
	if err != nil {
		return err
	}
	if _, err := a.kv.Put(ctx, id, data); err != nil {
		return fmt.Errorf("attempts: %w", err)
	}
	return nil
}
