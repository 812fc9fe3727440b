// Package chart renders the newsflow Helm chart with Helm's own engine and
// decodes every rendered object strictly into its Kubernetes Go type, so a
// misspelt or misplaced field fails instead of being dropped by the API
// server.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/getter"
	"k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// Release names the release a chart is rendered for.
type Release struct {
	Name      string
	Namespace string
}

// Object is one rendered Kubernetes object.
type Object struct {
	Template   string // the template file it came from
	APIVersion string
	Kind       string
	Name       string
	YAML       []byte
}

// String names the object as kubectl would.
func (o Object) String() string { return o.Kind + "/" + o.Name + " (" + o.Template + ")" }

// Render renders the chart in dir for rel with the chart's defaults
// overridden by the value files, in order (as `helm template -f`), and
// returns every object, sorted by template, kind and name. NOTES.txt is not
// an object and is left out.
func Render(dir string, rel Release, valueFiles ...string) ([]Object, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	opts := values.Options{ValueFiles: valueFiles}
	user, err := opts.MergeValues(getter.Providers{})
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	vals, err := chartutil.ToRenderValues(ch, user, chartutil.ReleaseOptions{
		Name: rel.Name, Namespace: rel.Namespace, Revision: 1, IsInstall: true,
	}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", dir, err)
	}
	var objs []Object
	for name, text := range files {
		if strings.HasSuffix(name, "NOTES.txt") || strings.HasPrefix(filepath.Base(name), "_") {
			continue
		}
		docs, err := splitDocuments([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, d := range docs {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := sigsyaml.Unmarshal(d, &head); err != nil {
				return nil, fmt.Errorf("%s: not YAML: %w", name, err)
			}
			if head.Kind == "" || head.APIVersion == "" {
				return nil, fmt.Errorf("%s: a document without apiVersion or kind:\n%s", name, d)
			}
			objs = append(objs, Object{Template: name, APIVersion: head.APIVersion, Kind: head.Kind, Name: head.Metadata.Name, YAML: d})
		}
	}
	sort.Slice(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if a.Template != b.Template {
			return a.Template < b.Template
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	return objs, nil
}

// splitDocuments splits a YAML stream into its non-empty documents.
func splitDocuments(b []byte) ([][]byte, error) {
	r := yaml.NewYAMLReader(bufioReader(b))
	var docs [][]byte
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			docs = append(docs, d)
		}
	}
}

func stripComments(b []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(b, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line...)
			out = append(out, '\n')
		}
	}
	return out
}
