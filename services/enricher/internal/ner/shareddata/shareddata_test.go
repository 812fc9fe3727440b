package shareddata

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestDirOverride(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv(EnvVar, tmp)
	if d, err := Dir(); err != nil || d != tmp {
		t.Errorf("Dir() = %q, %v; want %q", d, err, tmp)
	}
	t.Setenv(EnvVar, filepath.Join(tmp, "missing"))
	if _, err := Dir(); !errors.Is(err, ErrNotFound) {
		t.Errorf("Dir() with a missing override: err = %v, want ErrNotFound", err)
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
