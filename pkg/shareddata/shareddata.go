// Package shareddata locates the project's shared data directory
// (../shared/data as seen from the repository root), which holds the
// gazetteers and annotated corpora used at build, train and test time, and
// the sample articles beside it (../shared/samples). The data is never
// copied into the repository.
package shareddata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvVar overrides the location of the shared data directory.
const EnvVar = "NEWSFLOW_SHARED_DATA"

// ErrNotFound is returned when the shared data directory cannot be found.
var ErrNotFound = errors.New("shared data directory not found")

// Dir returns the shared data directory: $NEWSFLOW_SHARED_DATA when set,
// otherwise <root>/../shared/data where <root> is the first directory at or
// above the working directory holding go.work.
func Dir() (string, error) {
	if d := os.Getenv(EnvVar); d != "" {
		if _, err := os.Stat(d); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvVar, d, ErrNotFound)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("shared data: %w", err)
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			d := filepath.Join(dir, "..", "shared", "data")
			if _, err := os.Stat(d); err != nil {
				return "", fmt.Errorf("%s (from %s): %w", d, dir, ErrNotFound)
			}
			return filepath.Clean(d), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.work above %s: %w", wd, ErrNotFound)
		}
		dir = parent
	}
}

// Require returns the shared data directory, or skips the test with a clear
// message when it is absent. Under CI=true a missing directory fails the test.
func Require(t testing.TB) string {
	t.Helper()
	d, err := Dir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data is required under CI=true: %v (set %s)", err, EnvVar)
		}
		t.Skipf("shared data not available: %v (set %s to run this test)", err, EnvVar)
	}
	return d
}

// Samples returns the folder of sample articles beside the data directory.
func Samples() (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	s := filepath.Join(d, "..", "samples")
	if _, err := os.Stat(s); err != nil {
		return "", fmt.Errorf("%s: %w", s, ErrNotFound)
	}
	return filepath.Clean(s), nil
}

// RequireSamples is Require for the samples folder.
func RequireSamples(t testing.TB) string {
	t.Helper()
	s, err := Samples()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared samples are required under CI=true: %v (set %s)", err, EnvVar)
		}
		t.Skipf("shared samples not available: %v (set %s to run this test)", err, EnvVar)
	}
	return s
}
