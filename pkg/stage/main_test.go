package stage

import (
	"context"
	"errors"
	"flag"
	"testing"
)

func TestMainCode(t *testing.T) {
	ok := func(context.Context, int) error { return nil }
	fails := func(context.Context, int) error { return errors.New("boom") }
	tests := []struct {
		name  string
		parse func([]string, func(string) string) (int, error)
		run   func(context.Context, int) error
		want  int
	}{
		{"runs", func([]string, func(string) string) (int, error) { return 1, nil }, ok, 0},
		{"help", func([]string, func(string) string) (int, error) { return 0, flag.ErrHelp }, fails, 0},
		{"bad config", func([]string, func(string) string) (int, error) { return 0, errors.New("-x: bad") }, ok, 2},
		{"run fails", func([]string, func(string) string) (int, error) { return 1, nil }, fails, 1},
	}
	for _, tt := range tests {
		if got := mainCode(context.Background(), "t", nil, tt.parse, tt.run); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}
