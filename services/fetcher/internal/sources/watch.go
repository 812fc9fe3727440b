package sources

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher reloads a sources file when it changes, when asked to (SIGHUP)
// and periodically in case a file-system event was missed. A file that
// does not parse is reported and the sources in force stay as they were.
type Watcher struct {
	path   string
	last   []byte // content last read, valid or not
	settle time.Duration
	rescan time.Duration
}

// NewWatcher reads the sources file at path once and returns its sources;
// Run then watches it.
func NewWatcher(path string) (*Watcher, []Source, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	srcs, err := Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Watcher{path: path, last: data, settle: 200 * time.Millisecond, rescan: 30 * time.Second}, srcs, nil
}

// Run watches the file until ctx ends. apply receives the sources of every
// changed, valid content (and of every reload request); failed receives the
// error of a changed content, or of a reload request, that cannot be used.
// Both are called from Run's goroutine.
func (w *Watcher) Run(ctx context.Context, reload <-chan os.Signal, apply func([]Source), failed func(error)) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("sources: watch: %w", err)
	}
	defer fw.Close()
	// Watch the directory: editors and Kubernetes replace the file (a
	// rename, a symlink swap) rather than write it in place.
	if err := fw.Add(filepath.Dir(w.path)); err != nil {
		return fmt.Errorf("sources: watch %s: %w", filepath.Dir(w.path), err)
	}
	// A change between NewWatcher and now has no event.
	w.check(false, apply, failed)
	tick := time.NewTicker(w.rescan)
	defer tick.Stop()
	var soon <-chan time.Time
	for {
		force := false
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-fw.Events:
			if !ok {
				return fmt.Errorf("sources: watcher closed")
			}
			if soon == nil {
				soon = time.After(w.settle)
			}
			continue
		case err, ok := <-fw.Errors:
			if ok && err != nil {
				failed(fmt.Errorf("sources: watch: %w", err))
			}
			continue
		case <-soon:
			soon = nil
		case <-tick.C:
		case <-reload:
			force = true
		}
		w.check(force, apply, failed)
	}
}

// check reads the file and applies it when it changed (or when forced).
func (w *Watcher) check(force bool, apply func([]Source), failed func(error)) {
	data, err := readFile(w.path)
	if err != nil {
		failed(err)
		return
	}
	if !force && bytes.Equal(data, w.last) {
		return
	}
	w.last = data
	srcs, err := Parse(data)
	if err != nil {
		failed(fmt.Errorf("%s: %w", w.path, err))
		return
	}
	apply(srcs)
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("sources: %s: %w", path, err)
	}
	return data, nil
}
