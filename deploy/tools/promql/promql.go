// Package promql reads the PromQL of dashboards and rules: it expands
// Grafana's variables, parses the expression with Prometheus's own parser,
// lists the metrics it reads and the queries that show whether its signal
// exists.
package promql

import (
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
)

// grafanaVars are the values the checks give Grafana's built-in variables.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "1m",
	"${__rate_interval}", "1m",
	"$__interval", "30s",
	"${__interval}", "30s",
	"$__range", "1h",
	"${__range}", "1h",
)

// Expand replaces Grafana's built-in variables with fixed durations, so
// that a panel's query is plain PromQL. A variable left over ($name) makes
// the expression fail to parse.
func Expand(expr string) string { return grafanaVars.Replace(expr) }

var p = parser.NewParser(parser.Options{})

// Parse expands and parses an expression.
func Parse(expr string) (parser.Expr, error) {
	e, err := p.ParseExpr(Expand(expr))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", expr, err)
	}
	return e, nil
}

// Metrics lists, sorted and once each, the metric names an expression
// selects. A selector without a literal metric name (a regular expression
// on __name__, or no name) is an error: the checks could not tell which
// metrics it needs.
func Metrics(expr string) ([]string, error) {
	e, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var bad error
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name == "" {
			bad = fmt.Errorf("%q: selector %s names no metric", expr, vs)
			return bad
		}
		seen[vs.Name] = true
		return nil
	})
	if bad != nil {
		return nil, bad
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// Signals returns the parts of an alerting expression that must return
// data for the alert to be able to fire: a comparison with a number is
// replaced by its other side, and both sides of and/or/unless are kept.
// A healthy system returns data for every signal, even though the alert's
// expression itself returns nothing.
func Signals(expr string) ([]string, error) {
	e, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	var out []string
	var walk func(parser.Expr)
	walk = func(e parser.Expr) {
		switch x := e.(type) {
		case *parser.ParenExpr:
			walk(x.Expr)
			return
		case *parser.BinaryExpr:
			switch {
			case x.Op.IsSetOperator():
				walk(x.LHS)
				walk(x.RHS)
				return
			case x.Op.IsComparisonOperator() && isNumber(x.RHS):
				walk(x.LHS)
				return
			case x.Op.IsComparisonOperator() && isNumber(x.LHS):
				walk(x.RHS)
				return
			}
		}
		out = append(out, e.String())
	}
	walk(e)
	return out, nil
}

func isNumber(e parser.Expr) bool {
	for {
		switch x := e.(type) {
		case *parser.NumberLiteral:
			return true
		case *parser.ParenExpr:
			e = x.Expr
		default:
			return false
		}
	}
}

// Registered tells whether metric is among the names a /metrics page
// declares (its # TYPE lines), counting a histogram's _bucket, _sum and
// _count series and a summary's _sum and _count.
func Registered(metric string, types map[string]string) bool {
	if _, ok := types[metric]; ok {
		return true
	}
	for suffix, kinds := range map[string][]string{
		"_bucket": {"histogram"},
		"_sum":    {"histogram", "summary"},
		"_count":  {"histogram", "summary"},
	} {
		base, ok := strings.CutSuffix(metric, suffix)
		if !ok {
			continue
		}
		for _, k := range kinds {
			if types[base] == k {
				return true
			}
		}
	}
	return false
}
