package envflag

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

type cfg struct {
	URL    string
	N      int
	Wait   time.Duration
	On     bool
	Hosts  []string
	Backs  []time.Duration
	Weight float64
}

func newSet(c *cfg) *FlagSet {
	fs := New("test", "NEWSFLOW")
	fs.StringVar(&c.URL, "nats-url", "nats://127.0.0.1:4222", "NATS server URL")
	fs.IntVar(&c.N, "batch", 100, "messages per pull")
	fs.DurationVar(&c.Wait, "ack-wait", 30*time.Second, "ack wait")
	fs.BoolVar(&c.On, "once", false, "exit when done")
	fs.ListVar(&c.Hosts, "allow-host", []string{"a"}, "allowed hosts")
	fs.DurationListVar(&c.Backs, "backoff", []time.Duration{time.Second}, "backoff")
	fs.Float64Var(&c.Weight, "weight", 0.5, "weight")
	return fs
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want cfg
	}{
		{"defaults", nil, nil, cfg{"nats://127.0.0.1:4222", 100, 30 * time.Second, false, []string{"a"}, []time.Duration{time.Second}, 0.5}},
		{"env", map[string]string{"NEWSFLOW_NATS_URL": "nats://x:1", "NEWSFLOW_BATCH": "7", "NEWSFLOW_ALLOW_HOST": "b, c", "NEWSFLOW_BACKOFF": "1s,5s", "NEWSFLOW_ONCE": "true"},
			nil, cfg{"nats://x:1", 7, 30 * time.Second, true, []string{"b", "c"}, []time.Duration{time.Second, 5 * time.Second}, 0.5}},
		{"flag wins", map[string]string{"NEWSFLOW_BATCH": "7", "NEWSFLOW_ALLOW_HOST": "b"},
			[]string{"-batch", "9", "-allow-host", "x", "-allow-host", "y", "-ack-wait", "1m"},
			cfg{"nats://127.0.0.1:4222", 9, time.Minute, false, []string{"x", "y"}, []time.Duration{time.Second}, 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c cfg
			fs := newSet(&c)
			if err := fs.Parse(tt.args, func(k string) string { return tt.env[k] }); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c, tt.want) {
				t.Fatalf("got %+v, want %+v", c, tt.want)
			}
		})
	}
}

func TestBadEnvNamesVariable(t *testing.T) {
	var c cfg
	fs := newSet(&c)
	err := fs.Parse(nil, func(k string) string {
		if k == "NEWSFLOW_BATCH" {
			return "lots"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "NEWSFLOW_BATCH") {
		t.Fatalf("err = %v, want one naming NEWSFLOW_BATCH", err)
	}
}

func TestUsageAndMarkdownNameEnv(t *testing.T) {
	var c cfg
	fs := newSet(&c)
	var usage, md bytes.Buffer
	fs.PrintUsage(&usage)
	fs.Markdown(&md)
	for _, want := range []string{"NEWSFLOW_NATS_URL", "NEWSFLOW_ALLOW_HOST", "-ack-wait"} {
		if !strings.Contains(usage.String(), want) || !strings.Contains(md.String(), want) {
			t.Errorf("usage or markdown lacks %s:\n%s\n%s", want, usage.String(), md.String())
		}
	}
}
