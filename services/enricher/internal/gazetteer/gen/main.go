// Command gen builds the compact gazetteer embedded by package gazetteer from
// the shared gazetteer sources (../shared/data/gazetteers).
//
//	go run ./services/enricher/internal/gazetteer/gen [-data DIR] [-out FILE]
package main

import (
	"bufio"
	"compress/gzip"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/newsflow/newsflow/pkg/shareddata"
)

// extra lists organisations of current news missing from the shared
// lexicon; it is newsflow's own data, in the lexicon's format.
//
//go:embed extra.tsv
var extra string

func main() {
	data := flag.String("data", "", "shared data directory (default: <repo>/../shared/data or $"+shareddata.EnvVar+")")
	out := flag.String("out", "", "output file (default: gazetteer.tsv.gz next to package gazetteer)")
	flag.Parse()
	if err := run(*data, *out); err != nil {
		slog.Error("gazetteer gen", "err", err)
		os.Exit(1)
	}
}

func run(data, out string) error {
	if data == "" {
		d, err := shareddata.Dir()
		if err != nil {
			return err
		}
		data = d
	}
	if out == "" {
		out = defaultOut()
	}
	dir := filepath.Join(data, "gazetteers")
	f, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	defer os.Remove(out + ".tmp")
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(zw)
	fmt.Fprintln(w, "# newsflow compact gazetteer. Contains data from GeoNames (geonames.org), CC BY 4.0; see services/enricher/NOTICE.")
	n := 0
	// Each source becomes records "<kind>\t<fields...>"; see package gazetteer.
	sources := []struct {
		file   string
		kind   string
		fields []int // columns kept, in order
		keep   func([]string) bool
	}{
		{"countries.tsv", "C", []int{0, 1, 2, 3, 4}, nil},
		{"demonyms.tsv", "D", []int{0, 1}, nil},
		// Cities: name, iso2, feature code, population. Historical,
		// abandoned and destroyed places are dropped.
		{"cities.tsv", "T", []int{1, 2, 4, 5}, func(r []string) bool {
			switch r[4] {
			case "PPLH", "PPLQ", "PPLW":
				return false
			}
			return true
		}},
		{"lexicon.tsv", "L", []int{0, 1}, nil},
		{"person_names.tsv", "P", []int{0}, nil},
	}
	for _, s := range sources {
		c, err := copyRecords(w, filepath.Join(dir, s.file), s.kind, s.fields, s.keep)
		if err != nil {
			return fmt.Errorf("%s: %w", s.file, err)
		}
		slog.Info("gazetteer source", "file", s.file, "records", c)
		n += c
	}
	c, err := copyLines(w, strings.NewReader(extra), "L", []int{0, 1}, nil)
	if err != nil {
		return fmt.Errorf("extra.tsv: %w", err)
	}
	slog.Info("gazetteer source", "file", "gen/extra.tsv", "records", c)
	n += c
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(out+".tmp", out); err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	slog.Info("gazetteer written", "out", out, "records", n, "bytes", st.Size())
	return nil
}

func copyRecords(w io.Writer, path, kind string, fields []int, keep func([]string) bool) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return copyLines(w, f, kind, fields, keep)
}

func copyLines(w io.Writer, r io.Reader, kind string, fields []int, keep func([]string) bool) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		rec := strings.Split(line, "\t")
		for _, i := range fields {
			if i >= len(rec) {
				return n, fmt.Errorf("line %q: want column %d", line, i)
			}
		}
		if keep != nil && !keep(rec) {
			continue
		}
		var b strings.Builder
		b.WriteString(kind)
		for _, i := range fields {
			b.WriteByte('\t')
			b.WriteString(rec[i])
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return n, err
		}
		n++
	}
	return n, sc.Err()
}

// defaultOut is gazetteer.tsv.gz in the package directory, found from the
// working directory (the repository root or the package itself).
func defaultOut() string {
	for _, d := range []string{"services/enricher/internal/gazetteer", "."} {
		if _, err := os.Stat(filepath.Join(d, "gazetteer.go")); err == nil {
			return filepath.Join(d, "gazetteer.tsv.gz")
		}
	}
	return "gazetteer.tsv.gz"
}
