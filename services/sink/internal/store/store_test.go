package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/newsflow/newsflow/services/sink/internal/store"
)

func TestIsTransient(t *testing.T) {
	cause := errors.New("connection reset by peer")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"unavailable", fmt.Errorf("postgres: upsert: %w: %w", store.ErrUnavailable, cause), true},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), true},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"rejected", fmt.Errorf("%w: NUL byte", store.ErrRejected), false},
		{"rejected article", &store.ArticleError{Index: 1, ID: "x", Err: store.ErrRejected}, false},
		{"not found", fmt.Errorf("get: %w", store.ErrNotFound), false},
		{"unknown", cause, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.IsTransient(tt.err); got != tt.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestArticleError(t *testing.T) {
	err := fmt.Errorf("sqlite: upsert: %w", &store.ArticleError{Index: 3, ID: "abc", Err: fmt.Errorf("%w: bad", store.ErrRejected)})
	var ae *store.ArticleError
	if !errors.As(err, &ae) || ae.Index != 3 || ae.ID != "abc" {
		t.Fatalf("errors.As(%v) = %v, %+v", err, errors.As(err, &ae), ae)
	}
	if !errors.Is(err, store.ErrRejected) {
		t.Errorf("errors.Is(%v, ErrRejected) = false", err)
	}
	if got, want := err.Error(), "sqlite: upsert: article 3 (abc): store: article rejected: bad"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
