package web

import (
	"context"
	"sync"
)

// Validator holds the cache validators of a fetched URL, sent back as
// If-None-Match and If-Modified-Since on the next fetch.
type Validator struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// Validators stores validators by URL so that replicas share them. The
// client tolerates a failing store: a Get error makes an unconditional
// fetch, a Put error is logged.
type Validators interface {
	// Get returns the validators stored for url; ok is false when none are.
	Get(ctx context.Context, url string) (v Validator, ok bool, err error)
	// Put stores the validators for url, replacing earlier ones.
	Put(ctx context.Context, url string, v Validator) error
}

// MemoryValidators is a Validators kept in process memory, for tests and
// single-process tools. The zero value is ready to use.
type MemoryValidators struct {
	mu sync.Mutex
	m  map[string]Validator
}

// Get implements Validators.
func (s *MemoryValidators) Get(_ context.Context, url string) (Validator, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[url]
	return v, ok, nil
}

// Put implements Validators.
func (s *MemoryValidators) Put(_ context.Context, url string, v Validator) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]Validator{}
	}
	s.m[url] = v
	return nil
}
