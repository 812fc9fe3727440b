package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/newsflow/newsflow/pkg/shareddata"
)

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCommittedGazetteerIsCurrent regenerates the gazetteer from the shared
// data and compares it with the committed file.
func TestCommittedGazetteerIsCurrent(t *testing.T) {
	data := shareddata.Require(t)
	out := filepath.Join(t.TempDir(), "g.tsv.gz")
	if err := run(data, out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gunzip(t, out), gunzip(t, "../gazetteer.tsv.gz")) {
		t.Error("gazetteer.tsv.gz is stale: run go generate ./services/enricher/internal/gazetteer (and retrain the NER model)")
	}
}
