package evaluation

import (
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func writeGzip(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadBenchmark(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "html"), 0o755); err != nil {
		t.Fatal(err)
	}
	gt := `{"b2": {"articleBody": "Second body.", "url": "https://example.com/2"},
	        "a1": {"articleBody": "First body.", "url": "https://example.com/1"}}`
	if err := os.WriteFile(filepath.Join(dir, "ground-truth.json"), []byte(gt), 0o644); err != nil {
		t.Fatal(err)
	}
	writeGzip(t, filepath.Join(dir, "html", "a1.html.gz"), "<p>one</p>")
	writeGzip(t, filepath.Join(dir, "html", "b2.html.gz"), "<p>two</p>")

	pages, err := LoadBenchmark(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 || pages[0].ID != "a1" || pages[1].ID != "b2" {
		t.Fatalf("pages = %+v", pages)
	}
	if string(pages[0].HTML) != "<p>one</p>" || pages[0].Body != "First body." || pages[0].URL != "https://example.com/1" {
		t.Errorf("page a1 = %+v", pages[0])
	}

	if err := os.Remove(filepath.Join(dir, "html", "b2.html.gz")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBenchmark(dir); err == nil {
		t.Error("LoadBenchmark with a missing page: no error")
	}
	if _, err := LoadBenchmark(filepath.Join(dir, "nowhere")); !errors.Is(err, ErrNoData) {
		t.Errorf("LoadBenchmark(missing dir) error = %v, want ErrNoData", err)
	}
}

func TestSharedDataDirOverride(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvSharedData, dir)
	got, err := SharedDataDir()
	if err != nil || got != dir {
		t.Errorf("SharedDataDir() = %q, %v, want %q", got, err, dir)
	}
	t.Setenv(EnvSharedData, filepath.Join(dir, "absent"))
	if _, err := SharedDataDir(); !errors.Is(err, ErrNoData) {
		t.Errorf("SharedDataDir(absent) error = %v, want ErrNoData", err)
	}
}
