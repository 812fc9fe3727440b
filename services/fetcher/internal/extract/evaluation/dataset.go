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

	"github.com/newsflow/newsflow/pkg/shareddata"
)

// EnvSharedData names the environment variable that overrides where the
// shared data folder is.
const EnvSharedData = shareddata.EnvVar

// ErrNoData means the shared data folder could not be found.
var ErrNoData = errors.New("evaluation: shared data not found")

// SharedDataDir returns the shared data folder (see package shareddata).
// The error wraps ErrNoData when the folder does not exist.
func SharedDataDir() (string, error) {
	dir, err := shareddata.Dir()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoData, err)
	}
	return dir, nil
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
