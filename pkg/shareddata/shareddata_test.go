package shareddata

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOverride(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	if err := os.MkdirAll(filepath.Join(root, "samples"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvVar, data)
	if got, err := Dir(); err != nil || got != data {
		t.Errorf("Dir() = %q, %v; want %q", got, err, data)
	}
	if got, err := Samples(); err != nil || got != filepath.Join(root, "samples") {
		t.Errorf("Samples() = %q, %v", got, err)
	}
	t.Setenv(EnvVar, filepath.Join(root, "absent"))
	if _, err := Dir(); !errors.Is(err, ErrNotFound) {
		t.Errorf("Dir() of an absent folder = %v, want ErrNotFound", err)
	}
}
func TestDirFromRepository(t *testing.T) {
	t.Setenv(EnvVar, "")
	d, err := Dir()
	if errors.Is(err, ErrNotFound) {
		t.Skipf("no shared data next to this checkout: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(d) != "data" || filepath.Base(filepath.Dir(d)) != "shared" {
		t.Errorf("Dir() = %q, want .../shared/data", d)
	}
}
