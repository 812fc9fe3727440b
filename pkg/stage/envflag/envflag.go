// Package envflag binds command-line flags to environment variables: every
// flag "nats-url" of a set with prefix "NEWSFLOW" can also be given as
// NEWSFLOW_NATS_URL. A flag on the command line wins over the environment,
// and the environment wins over the default.
package envflag

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// FlagSet is a flag.FlagSet whose flags also read environment variables.
type FlagSet struct {
	*flag.FlagSet
	prefix string
}

// New returns an empty set. Errors in Parse are returned, not fatal.
func New(name, prefix string) *FlagSet {
	fs := &FlagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), prefix: prefix}
	fs.FlagSet.Usage = func() { fs.PrintUsage(fs.Output()) }
	return fs
}

// Env is the environment variable of flag name.
func (f *FlagSet) Env(name string) string {
	return f.prefix + "_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name))
}

// StringVar defines a string flag.
func (f *FlagSet) StringVar(p *string, name, def, usage string) {
	f.FlagSet.StringVar(p, name, def, usage)
}

// IntVar defines an int flag.
func (f *FlagSet) IntVar(p *int, name string, def int, usage string) {
	f.FlagSet.IntVar(p, name, def, usage)
}

// Float64Var defines a float flag.
func (f *FlagSet) Float64Var(p *float64, name string, def float64, usage string) {
	f.FlagSet.Float64Var(p, name, def, usage)
}

// BoolVar defines a bool flag.
func (f *FlagSet) BoolVar(p *bool, name string, def bool, usage string) {
	f.FlagSet.BoolVar(p, name, def, usage)
}

// DurationVar defines a duration flag ("30s", "5m").
func (f *FlagSet) DurationVar(p *time.Duration, name string, def time.Duration, usage string) {
	f.FlagSet.DurationVar(p, name, def, usage)
}

// ListVar defines a list flag: comma separated, and repeatable on the
// command line (repeats append; the first use replaces the default).
func (f *FlagSet) ListVar(p *[]string, name string, def []string, usage string) {
	*p = append([]string(nil), def...)
	f.FlagSet.Var(&listValue{p: p}, name, usage)
}

// DurationListVar defines a list of durations, comma separated ("1s,5s,30s").
func (f *FlagSet) DurationListVar(p *[]time.Duration, name string, def []time.Duration, usage string) {
	*p = append([]time.Duration(nil), def...)
	f.FlagSet.Var(&durationList{p: p}, name, usage)
}

// Parse sets flags from the environment (read with getenv), then from args.
// An unusable environment value is an error naming the variable.
func (f *FlagSet) Parse(args []string, getenv func(string) string) error {
	var err error
	f.VisitAll(func(fl *flag.Flag) {
		if err != nil {
			return
		}
		env := f.Env(fl.Name)
		v := getenv(env)
		if v == "" {
			return
		}
		if e := f.Set(fl.Name, v); e != nil {
			err = fmt.Errorf("%s=%q: %w", env, v, e)
		}
	})
	if err != nil {
		return err
	}
	// Values set from the environment are not "set on the command line":
	// a list flag given on the command line replaces the environment's.
	f.VisitAll(func(fl *flag.Flag) {
		if r, ok := fl.Value.(interface{ resetOnNextSet() }); ok {
			r.resetOnNextSet()
		}
	})
	return f.FlagSet.Parse(args)
}

// PrintUsage writes every flag with its environment variable and default.
func (f *FlagSet) PrintUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage of %s (every flag can also be set by its environment variable):\n", f.Name())
	f.VisitAll(func(fl *flag.Flag) {
		def := fl.DefValue
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  -%s\t%s\n    \t%s (default %s)\n", fl.Name, f.Env(fl.Name), fl.Usage, def)
	})
}

// Markdown writes the flags as a Markdown table: flag, environment
// variable, default, meaning. The README's configuration tables are made
// with it.
func (f *FlagSet) Markdown(w io.Writer) {
	fmt.Fprintln(w, "| flag | environment | default | meaning |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	var rows []string
	f.VisitAll(func(fl *flag.Flag) {
		def := fl.DefValue
		if def == "" || def == "[]" {
			def = " "
		} else {
			def = "`" + def + "`"
		}
		rows = append(rows, fmt.Sprintf("| `-%s` | `%s` | %s | %s |", fl.Name, f.Env(fl.Name), def,
			strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(fl.Usage)))
	})
	sort.Strings(rows)
	for _, r := range rows {
		fmt.Fprintln(w, r)
	}
}

type listValue struct {
	p     *[]string
	reset bool // the next Set replaces instead of appending
	set   bool
}

func (l *listValue) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

func (l *listValue) Set(s string) error {
	if !l.set || l.reset {
		*l.p = nil
		l.set, l.reset = true, false
	}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l.p = append(*l.p, part)
		}
	}
	return nil
}

func (l *listValue) resetOnNextSet() { l.reset = true }

type durationList struct {
	p *[]time.Duration
}

func (d *durationList) String() string {
	if d.p == nil {
		return ""
	}
	parts := make([]string, len(*d.p))
	for i, v := range *d.p {
		parts[i] = v.String()
	}
	return strings.Join(parts, ",")
}

func (d *durationList) Set(s string) error {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, err := time.ParseDuration(part)
		if err != nil {
			if n, e := strconv.Atoi(part); e == nil {
				v = time.Duration(n) * time.Second
			} else {
				return err
			}
		}
		out = append(out, v)
	}
	*d.p = out
	return nil
}
