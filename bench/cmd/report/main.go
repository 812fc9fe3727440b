// Command report writes docs/BENCHMARKS.md and its plots from the outputs
// of the benchmark commands (see `make bench`).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/newsflow/newsflow/bench/internal/pipeline"
	"github.com/newsflow/newsflow/bench/internal/report"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	result := fs.String("result", "var/bench/pipeline.json", "the pipeline command's -json output")
	text := fs.String("text", "var/bench/pipeline.txt", "what the pipeline command printed")
	micro := fs.String("micro", "var/bench/micro.txt", "raw go test -bench output")
	benchstat := fs.String("benchstat", "var/bench/benchstat.txt", "benchstat's summary of -micro")
	microLoad := fs.String("micro-load", "var/bench/micro-load.txt", "/proc/loadavg before and after the micro benchmarks")
	profiles := fs.String("profiles", "", "directory of <service>.top.txt (go tool pprof -top) files")
	profileCmd := fs.String("profile-command", "", "the command of the profiled run")
	notes := fs.String("notes", "docs/benchmarks/notes.md", "hand-written analysis to include")
	out := fs.String("out", "docs/BENCHMARKS.md", "the report")
	img := fs.String("img", "docs/benchmarks", "directory of the plots")
	var commands []string
	fs.Func("cmd", "a command that produced the inputs (repeat, in order)", func(s string) error {
		commands = append(commands, s)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*result)
	if err != nil {
		return err
	}
	res, err := pipeline.ReadJSON(f)
	f.Close()
	if err != nil {
		return err
	}
	in := report.Inputs{Result: res, Commands: commands, ProfileCommand: *profileCmd}
	read := func(path string, optional bool) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil && optional && errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
		return string(b), err
	}
	if in.PipelineText, err = read(*text, false); err != nil {
		return err
	}
	if in.Micro, err = read(*micro, true); err != nil {
		return err
	}
	if in.Benchstat, err = read(*benchstat, true); err != nil {
		return err
	}
	if in.MicroLoad, err = read(*microLoad, true); err != nil {
		return err
	}
	if in.Notes, err = read(*notes, true); err != nil {
		return err
	}
	if *profiles != "" {
		tops, _ := filepath.Glob(filepath.Join(*profiles, "*.top.txt"))
		in.Profiles = map[string]string{}
		for _, t := range tops {
			b, err := os.ReadFile(t)
			if err != nil {
				return err
			}
			in.Profiles[strings.TrimSuffix(filepath.Base(t), ".top.txt")] = string(b)
		}
	}
	if err := os.MkdirAll(*img, 0o755); err != nil {
		return err
	}
	if in.Plots, err = report.Plots(res, *img); err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(*out), *img)
	if err != nil {
		return err
	}
	in.ImgDir = filepath.ToSlash(rel)
	var buf bytes.Buffer
	if err := report.Write(&buf, in); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s and %d plots in %s\n", *out, len(in.Plots), *img)
	return nil
}
