package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/deploy/local/stack"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
	"github.com/newsflow/newsflow/services/enricher"
	"github.com/newsflow/newsflow/services/fetcher"
	"github.com/newsflow/newsflow/services/sink"
)

var update = flag.Bool("update", false, "rewrite the configuration tables of README.md")

// TestREADMEConfiguration keeps the README's configuration tables equal to
// the flags the programs define (go test -run README -update rewrites them).
func TestREADMEConfiguration(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sets := []struct {
		name string
		fs   *envflag.FlagSet
	}{
		{"fetcher", func() *envflag.FlagSet { c := fetcher.DefaultConfig(); return c.Flags() }()},
		{"enricher", func() *envflag.FlagSet { c := enricher.DefaultConfig(); return c.Flags() }()},
		{"sink", func() *envflag.FlagSet { c := sink.DefaultConfig(); return c.Flags() }()},
		{"local", func() *envflag.FlagSet { c := stack.DefaultConfig(); return c.Flags() }()},
	}
	out := string(readme)
	for _, s := range sets {
		begin := "<!-- config:" + s.name + " -->"
		end := "<!-- /config:" + s.name + " -->"
		i, j := strings.Index(out, begin), strings.Index(out, end)
		if i < 0 || j < i {
			t.Errorf("README.md lacks the markers %s ... %s", begin, end)
			continue
		}
		var b bytes.Buffer
		s.fs.Markdown(&b)
		table := begin + "\n" + b.String() + end
		if out[i:j+len(end)] != table {
			if !*update {
				t.Errorf("README.md's %s table is out of date: run go test ./deploy/local -run README -update", s.name)
			}
			out = out[:i] + table + out[j+len(end):]
		}
	}
	if *update && out != string(readme) {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
