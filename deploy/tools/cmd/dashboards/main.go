// Command dashboards writes the generated deployment files: the Grafana
// dashboards (deploy/grafana/*.json and their ConfigMaps), the Prometheus
// rules (deploy/prometheus/newsflow-rules.yaml) and the chart's copies.
// With -check it writes nothing and fails when a file is out of date.
//
//	go run ./deploy/tools/cmd/dashboards [-check]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/newsflow/newsflow/deploy/tools/generate"
)

func main() {
	check := flag.Bool("check", false, "fail if a generated file is out of date instead of writing it")
	flag.Parse()
	if err := run(*check); err != nil {
		fmt.Fprintln(os.Stderr, "dashboards:", err)
		os.Exit(1)
	}
}

func run(check bool) error {
	root, err := generate.Root(".")
	if err != nil {
		return err
	}
	files, err := generate.Files()
	if err != nil {
		return err
	}
	if check {
		stale, err := generate.Stale(root, files)
		if err != nil {
			return err
		}
		if len(stale) > 0 {
			return fmt.Errorf("out of date (run `make dashboards`): %v", stale)
		}
		return nil
	}
	if err := generate.Write(root, files); err != nil {
		return err
	}
	fmt.Printf("wrote %d files\n", len(files))
	return nil
}
