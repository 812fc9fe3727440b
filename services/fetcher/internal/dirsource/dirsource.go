// Package dirsource turns a directory of text files (see package textfile)
// into raw articles, one per file. It watches the directory for new and
// changed files and rescans it periodically in case an event was missed.
package dirsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/fetcher/internal/textfile"
)

// Config of a directory source.
type Config struct {
	Dir    string
	Source string // source ID of the articles
	// Rescan is the period of full rescans besides file-system events.
	Rescan time.Duration
	// Settle: a file modified more recently than this is read on a later
	// scan, so a file still being written is not read half-way.
	Settle time.Duration
	// MaxFileBytes: larger files are rejected.
	MaxFileBytes int64
	// Once scans the directory once and returns.
	Once bool
}

// Submit hands an article on; an error means "try this file again later".
type Submit func(ctx context.Context, a events.RawArticle) error

// Reject dead-letters a file that is not an article.
type Reject func(ctx context.Context, path string, data []byte, cause error) error

// submitGrace bounds the publish of a file read before a shutdown.
const submitGrace = 10 * time.Second

// Source is a watched directory.
type Source struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	submit Submit
	reject Reject
	done   map[string]fileState
}

type fileState struct {
	size int64
	mod  time.Time
}

// New returns a source; Run starts it.
func New(c Config, log *slog.Logger, now func() time.Time, submit Submit, reject Reject) (*Source, error) {
	if c.Dir == "" || c.Source == "" {
		return nil, errors.New("dirsource: directory and source ID are required")
	}
	if c.MaxFileBytes <= 0 {
		c.MaxFileBytes = events.MaxBodyBytes
	}
	if c.Rescan <= 0 {
		c.Rescan = 30 * time.Second
	}
	return &Source{cfg: c, log: log, now: now, submit: submit, reject: reject, done: map[string]fileState{}}, nil
}

// Run scans until ctx ends (or once, with Config.Once).
func (s *Source) Run(ctx context.Context) error {
	if fi, err := os.Stat(s.cfg.Dir); err != nil {
		return fmt.Errorf("inbox: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("inbox: %s is not a directory", s.cfg.Dir)
	}
	if s.cfg.Once {
		for {
			pending, err := s.scan(ctx, true)
			if err != nil || pending == 0 {
				return err
			}
			// Some files could not be submitted (NATS unavailable): retry.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("inbox: watch: %w", err)
	}
	defer w.Close()
	if err := w.Add(s.cfg.Dir); err != nil {
		return fmt.Errorf("inbox: watch %s: %w", s.cfg.Dir, err)
	}
	s.log.Info("watching inbox", "dir", s.cfg.Dir, "source", s.cfg.Source)
	tick := time.NewTicker(s.cfg.Rescan)
	defer tick.Stop()
	// File events name the files to look at, so a busy inbox costs one
	// stat per new file, not a scan of the whole directory; a full scan
	// runs at start, every Rescan, and when the watcher lost events.
	var soon <-chan time.Time
	named := map[string]bool{}
	full := true
	rescanSoon := false // files a full scan found still settling
	for {
		if full {
			full = false
			clear(named)
			pending, err := s.scan(ctx, false)
			if err != nil {
				return err
			}
			if rescanSoon = pending > 0; rescanSoon {
				soon = time.After(max(s.cfg.Settle, 200*time.Millisecond))
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			full = true
		case <-soon:
			soon = nil
			if rescanSoon {
				full = true
				continue
			}
			if s.names(ctx, named) > 0 {
				soon = time.After(max(s.cfg.Settle, 200*time.Millisecond))
			}
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("inbox: watcher closed")
			}
			if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write) {
				named[filepath.Base(ev.Name)] = true
				// Coalesce bursts of events into one pass.
				if soon == nil {
					soon = time.After(max(s.cfg.Settle/2, 50*time.Millisecond))
				}
			}
		case err, ok := <-w.Errors:
			if ok {
				s.log.Warn("inbox watcher, rescanning", "err", err)
			}
			full = true
		}
	}
}

// scan reads every new or changed file and reports how many must be
// looked at again (still being written, or not submitted).
func (s *Source) scan(ctx context.Context, all bool) (pending int, err error) {
	entries, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return 0, fmt.Errorf("inbox: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if ctx.Err() != nil {
			return pending, nil
		}
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if !s.consider(ctx, e.Name(), fi, all) {
			pending++
		}
	}
	return pending, nil
}

// names looks at the files events named, keeping in the set those to look
// at again, and returns how many there are.
func (s *Source) names(ctx context.Context, named map[string]bool) int {
	list := make([]string, 0, len(named))
	for name := range named {
		list = append(list, name)
	}
	sort.Strings(list)
	for _, name := range list {
		if ctx.Err() != nil {
			break
		}
		fi, err := os.Lstat(filepath.Join(s.cfg.Dir, name))
		if err != nil || !fi.Mode().IsRegular() || s.consider(ctx, name, fi, false) {
			delete(named, name) // gone, not a file, or done
		}
	}
	return len(named)
}

// consider handles the file name of the inbox if it is new or changed; it
// reports false when the file must be looked at again.
func (s *Source) consider(ctx context.Context, name string, fi fs.FileInfo, all bool) bool {
	if ignored(name) {
		return true
	}
	st := fileState{size: fi.Size(), mod: fi.ModTime()}
	path := filepath.Join(s.cfg.Dir, name)
	if prev, ok := s.done[path]; ok && prev == st {
		return true
	}
	if !all && s.now().Sub(st.mod) < s.cfg.Settle {
		return false
	}
	if !s.file(ctx, path, st) {
		return false
	}
	s.done[path] = st
	return true
}

// ignored skips hidden, temporary and partial files.
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") ||
		strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".part") || strings.HasSuffix(name, ".swp")
}

// file handles one file; false means try again later.
func (s *Source) file(ctx context.Context, path string, st fileState) bool {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return true
		}
		s.log.Warn("inbox: open", "path", path, "err", err)
		return false
	}
	data, err := io.ReadAll(io.LimitReader(f, s.cfg.MaxFileBytes+1))
	f.Close()
	if err != nil {
		s.log.Warn("inbox: read", "path", path, "err", err)
		return false
	}
	if int64(len(data)) > s.cfg.MaxFileBytes {
		return s.rejectFile(ctx, path, data[:min(len(data), 4096)],
			fmt.Errorf("file is larger than %d bytes", s.cfg.MaxFileBytes))
	}
	doc, err := textfile.Parse(data)
	if err != nil {
		return s.rejectFile(ctx, path, data, err)
	}
	a := events.RawArticle{
		SchemaVersion: events.SchemaVersion,
		ID:            events.ArticleIDFromContent(doc.Body),
		Source:        s.cfg.Source,
		SourceKind:    events.KindDir,
		Title:         doc.Title,
		Body:          doc.Body,
		PublishedAt:   doc.Published,
		FetchedAt:     s.now().UTC(),
		ContentHash:   events.ContentHash(doc.Body),
	}
	if err := a.Validate(); err != nil {
		return s.rejectFile(ctx, path, data, err)
	}
	// A file read is published even when the source is stopping: a drain
	// finishes the work in hand (bounded, so a dead broker cannot hold the
	// shutdown; the file is read again after a restart anyway).
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), submitGrace)
	defer cancel()
	if err := s.submit(sctx, a); err != nil {
		if errors.Is(err, events.ErrInvalid) {
			return s.rejectFile(ctx, path, data, err)
		}
		s.log.Warn("inbox: submit failed, will retry", "path", path, "err", err)
		return false
	}
	return true
}

func (s *Source) rejectFile(ctx context.Context, path string, data []byte, cause error) bool {
	s.log.Warn("inbox: file rejected", "path", path, "reason", cause)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), submitGrace)
	defer cancel()
	if err := s.reject(rctx, path, data, cause); err != nil {
		s.log.Warn("inbox: dead-letter failed, will retry", "path", path, "err", err)
		return false
	}
	return true
}
