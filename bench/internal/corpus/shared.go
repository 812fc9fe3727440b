package corpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EnvSharedData overrides where the shared data is.
const EnvSharedData = "NEWSFLOW_SHARED_DATA"

// SharedData returns the shared data directory: $NEWSFLOW_SHARED_DATA, else
// ../shared/data beside the repository root (the directory holding go.work,
// found by walking up from the working directory).
func SharedData() (string, error) {
	if d := os.Getenv(EnvSharedData); d != "" {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("%s=%s is not a directory", EnvSharedData, d)
		}
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			d := filepath.Join(dir, "..", "shared", "data")
			if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
				return "", fmt.Errorf("no shared data at %s", d)
			}
			return filepath.Clean(d), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work above the working directory, and " + EnvSharedData + " is unset")
		}
		dir = parent
	}
}
