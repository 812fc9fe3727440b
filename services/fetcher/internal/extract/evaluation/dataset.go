package evaluation

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// EnvSharedData names the environment variable that overrides where the
// shared data folder is.
const EnvSharedData = "NEWSFLOW_SHARED_DATA"

// ErrNoData means the shared data folder could not be found.
var ErrNoData = errors.New("evaluation: shared data not found")

// SharedDataDir returns the shared data folder: $NEWSFLOW_SHARED_DATA when set,
// otherwise <root>/../shared/data where <root> is the first ancestor of the
// working directory holding go.work. The error wraps ErrNoData when the
// folder does not exist.
func SharedDataDir() (string, error) {
	if dir := os.Getenv(EnvSharedData); dir != "" {
		return checkDir(dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("evaluation: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return checkDir(filepath.Join(dir, "..", "shared", "data"))
		}
		if parent := filepath.Dir(dir); parent == dir {
			return "", fmt.Errorf("%w: no go.work above %s and %s unset", ErrNoData, wd, EnvSharedData)
		}
	}
}

func checkDir(dir string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoData, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("%w: %s is not a directory", ErrNoData, dir)
	}
	return filepath.Clean(dir), nil
}

// Page is one benchmark page with its ground truth.
type Page struct {
	ID  string
	URL string
	// HTML is the page as fetched, decompressed.
	HTML []byte
	// Body is the ground-truth article body.
	Body string
}

// maxPageSize bounds one decompressed benchmark page.
const maxPageSize = 64 << 20

// LoadBenchmark reads the extraction benchmark from dir (the folder holding
// ground-truth.json and html/<id>.html.gz), sorted by id.
func LoadBenchmark(dir string) ([]Page, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", ErrNoData, err)
		}
		return nil, fmt.Errorf("evaluation: %w", err)
	}
	var truth map[string]struct {
		ArticleBody string `json:"articleBody"`
		URL         string `json:"url"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		return nil, fmt.Errorf("evaluation: ground-truth.json: %w", err)
	}
	pages := make([]Page, 0, len(truth))
	for id, t := range truth {
		html, err := readGzip(filepath.Join(dir, "html", id+".html.gz"))
		if err != nil {
			return nil, fmt.Errorf("evaluation: page %s: %w", id, err)
		}
		pages = append(pages, Page{ID: id, URL: t.URL, HTML: html, Body: t.ArticleBody})
	}
	slices.SortFunc(pages, func(a, b Page) int { return strings.Compare(a.ID, b.ID) })
	return pages, nil
}

func readGzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(zr, maxPageSize+1))
	if err != nil {
		return nil, err
	}
	if n > maxPageSize {
		return nil, fmt.Errorf("larger than %d bytes", maxPageSize)
	}
	return buf.Bytes(), nil
}
