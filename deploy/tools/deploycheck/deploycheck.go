// Package deploycheck proves the deployment files: the chart renders into
// objects that decode strictly into their Kubernetes types and follow the
// project's policies, the services accept the configuration it gives them,
// every PromQL query of the dashboards and rules parses and reads metrics a
// running stage registers, and (under the deploycheck build tag) a real
// Prometheus scraping a loaded local stack gets data for every query.
//
// `make deploy-check` runs it; the fast checks also run with `make test`.
package deploycheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"go.yaml.in/yaml/v3"
)

// Query is one query of a dashboard panel or an alerting rule.
type Query struct {
	Where string // file and panel title or alert name
	Lang  string // "promql" or "sql"
	Expr  string
	Alert bool // an alerting rule's expression
}

// DashboardQueries reads the queries of a Grafana dashboard JSON file: its
// panels' targets and its query variables.
func DashboardQueries(path string) ([]Query, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr   string `json:"expr"`
				RawSQL string `json:"rawSql"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	name := filepath.Base(path)
	var qs []Query
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			switch {
			case t.Expr != "":
				qs = append(qs, Query{Where: name + ": " + p.Title, Lang: "promql", Expr: t.Expr})
			case t.RawSQL != "":
				qs = append(qs, Query{Where: name + ": " + p.Title, Lang: "sql", Expr: t.RawSQL})
			default:
				return nil, fmt.Errorf("%s: panel %q has a target without a query", path, p.Title)
			}
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			qs = append(qs, Query{Where: name + ": variable " + v.Name, Lang: "sql", Expr: v.Definition})
		}
	}
	return qs, nil
}

// RuleQueries reads the expressions of a Prometheus rule file.
func RuleQueries(path string) ([]Query, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert  string            `yaml:"alert"`
				Record string            `yaml:"record"`
				Expr   string            `yaml:"expr"`
				Labels map[string]string `yaml:"labels"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var qs []Query
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			where := filepath.Base(path) + ": " + r.Alert + r.Record
			if s := r.Labels["stage"]; s != "" {
				where += " (" + s + ")"
			}
			qs = append(qs, Query{Where: where, Lang: "promql", Expr: r.Expr, Alert: r.Alert != ""})
		}
	}
	return qs, nil
}

// AllQueries reads the queries of every dashboard under deploy/grafana and
// of the rule file, under the repository root.
func AllQueries(root string) ([]Query, error) {
	boards, err := filepath.Glob(filepath.Join(root, "deploy", "grafana", "*.json"))
	if err != nil {
		return nil, err
	}
	if len(boards) == 0 {
		return nil, fmt.Errorf("no dashboards in %s", filepath.Join(root, "deploy", "grafana"))
	}
	sort.Strings(boards)
	var qs []Query
	for _, b := range boards {
		q, err := DashboardQueries(b)
		if err != nil {
			return nil, err
		}
		qs = append(qs, q...)
	}
	r, err := RuleQueries(filepath.Join(root, "deploy", "prometheus", "newsflow-rules.yaml"))
	if err != nil {
		return nil, err
	}
	return append(qs, r...), nil
}

// ExporterMetrics are the metrics of the prometheus-nats-exporter that the
// dashboards and rules read, as the official NATS chart runs it
// (-prefix=nats -varz -jsz=all). No process here serves them: the exporter
// is not available to this build, so they are checked by name against this
// list, which follows the exporter's collectors.
var ExporterMetrics = map[string]bool{
	"nats_varz_connections":           true,
	"nats_varz_in_msgs":               true,
	"nats_varz_out_msgs":              true,
	"nats_varz_slow_consumers":        true,
	"nats_varz_mem":                   true,
	"nats_varz_routes":                true,
	"nats_server_total_message_bytes": true,
	"nats_server_max_storage":         true,
	"nats_stream_total_messages":      true,
	"nats_consumer_num_pending":       true,
	"nats_consumer_num_ack_pending":   true,
}

// PrometheusMetrics are series Prometheus itself writes for every target.
var PrometheusMetrics = map[string]bool{"up": true}
