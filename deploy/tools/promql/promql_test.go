package promql

import (
	"reflect"
	"testing"
)

func TestMetrics(t *testing.T) {
	for _, tc := range []struct {
		expr    string
		want    []string
		wantErr bool
	}{
		{`up{job="x"} == 0`, []string{"up"}, false},
		{`sum(rate(a_total{outcome!="ok"}[$__rate_interval])) / sum(rate(a_total[5m]))`, []string{"a_total"}, false},
		{`histogram_quantile(0.99, sum by (le) (rate(h_seconds_bucket[10m]))) > 30`, []string{"h_seconds_bucket"}, false},
		{`max(b) > 1 and max(delta(c[15m])) > 0`, []string{"b", "c"}, false},
		{`{__name__=~"newsflow_.*"}`, nil, true},
		{`rate(x[$unknown])`, nil, true},
		{`sum(`, nil, true},
	} {
		got, err := Metrics(tc.expr)
		if (err != nil) != tc.wantErr {
			t.Errorf("Metrics(%q) error = %v, want error %v", tc.expr, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Metrics(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

func TestSignals(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`up{job="a"} == 0`, []string{`up{job="a"}`}},
		{`0 < up`, []string{`up`}},
		{`(sum(rate(a[5m])) / sum(rate(b[5m]))) > 0.05`, []string{`sum(rate(a[5m])) / sum(rate(b[5m]))`}},
		{`max(p) > 1000 and max(delta(p[15m])) > 0`, []string{`max(p)`, `max(delta(p[15m]))`}},
		{`a > b`, []string{`a > b`}},
		{`rate(x[1m])`, []string{`rate(x[1m])`}},
	} {
		got, err := Signals(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Signals(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestRegistered(t *testing.T) {
	types := map[string]string{"h_seconds": "histogram", "s": "summary", "c_total": "counter", "g": "gauge"}
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"h_seconds_bucket", true}, {"h_seconds_sum", true}, {"h_seconds_count", true}, {"h_seconds", true},
		{"s_sum", true}, {"s_count", true}, {"s_bucket", false},
		{"c_total", true}, {"c_total_bucket", false}, {"g", true}, {"g_sum", false}, {"missing", false},
	} {
		if got := Registered(tc.name, types); got != tc.want {
			t.Errorf("Registered(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func FuzzSignals(f *testing.F) {
	for _, s := range []string{`up == 0`, `a > 1 and b < 2`, `histogram_quantile(0.9, rate(x[5m])) > 1`, `(((a)))`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		sigs, err := Signals(expr)
		if err != nil {
			return
		}
		for _, s := range sigs {
			if _, err := Parse(s); err != nil {
				t.Fatalf("signal %q of %q does not parse: %v", s, expr, err)
			}
		}
	})
}
