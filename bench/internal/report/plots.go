package report

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/newsflow/newsflow/bench/internal/pipeline"
)

// Plot file names, in dir.
const (
	PlotThroughputFull = "throughput-full.png"
	PlotThroughputHalf = "throughput-half.png"
	PlotLatencyCDF     = "latency-cdf.png"
	PlotLatencyHalf    = "latency-half.png"
	PlotCPU            = "cpu.png"
)

// Plots writes the PNG plots of a pipeline result into dir and returns
// their file names.
func Plots(res *pipeline.Result, dir string) ([]string, error) {
	var made []string
	save := func(p *plot.Plot, name string) error {
		p.Add(plotter.NewGrid())
		if err := p.Save(9*vg.Inch, 4.5*vg.Inch, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("plot %s: %w", name, err)
		}
		made = append(made, name)
		return nil
	}
	for _, ph := range res.Phases {
		name := map[string]string{"full": PlotThroughputFull, "half": PlotThroughputHalf}[ph.Name]
		if name == "" {
			continue
		}
		p, err := throughput(ph)
		if err != nil {
			return nil, err
		}
		if err := save(p, name); err != nil {
			return nil, err
		}
	}
	if p, err := latencyCDF(res); err != nil {
		return nil, err
	} else if err := save(p, PlotLatencyCDF); err != nil {
		return nil, err
	}
	if half := res.Phase("half"); half != nil && len(half.Latencies) > 0 {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("Fetch-to-commit latency at half load (%.0f articles/s offered)", half.OfferedPerSecond)
		p.X.Label.Text = "milliseconds"
		p.Y.Label.Text = "articles"
		h, err := plotter.NewHist(plotter.Values(half.Latencies), 50)
		if err != nil {
			return nil, err
		}
		p.Add(h)
		if err := save(p, PlotLatencyHalf); err != nil {
			return nil, err
		}
	}
	if len(res.Samples) > 2 {
		p, err := cpu(res)
		if err != nil {
			return nil, err
		}
		if err := save(p, PlotCPU); err != nil {
			return nil, err
		}
	}
	return made, nil
}

// throughput plots each stage's articles per second in half-second bins,
// from the first file put into the inbox.
func throughput(ph pipeline.Phase) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Throughput per stage, %s load (%d articles)", ph.Name, ph.Stored)
	p.X.Label.Text = "seconds since the first file entered the inbox"
	p.Y.Label.Text = "articles/s (0.5 s bins)"
	const width = 0.5
	end := 0.0
	for _, ts := range ph.Times {
		if len(ts) > 0 {
			end = max(end, ts[len(ts)-1])
		}
	}
	var lines []any
	for _, stage := range pipeline.Services {
		ts := ph.Times[stage]
		n := int(end/width) + 1
		counts := make([]float64, n)
		for _, t := range ts {
			if i := int(t / width); i >= 0 && i < n {
				counts[i]++
			}
		}
		xy := make(plotter.XYs, n)
		for i, c := range counts {
			xy[i].X, xy[i].Y = (float64(i)+0.5)*width, c/width
		}
		lines = append(lines, stage+" (done)", xy)
	}
	if err := plotutil.AddLines(p, lines...); err != nil {
		return nil, err
	}
	p.Y.Min = 0
	p.Legend.Top = true
	return p, nil
}

// latencyCDF plots the share of articles committed within a latency, for
// each phase, on a logarithmic axis.
func latencyCDF(res *pipeline.Result) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Fetch-to-commit latency, cumulative distribution"
	p.X.Label.Text = "milliseconds (log scale)"
	p.Y.Label.Text = "share of articles committed"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	var lines []any
	for _, ph := range res.Phases {
		l := slices.Clone(ph.Latencies)
		slices.Sort(l)
		var xy plotter.XYs
		for i, v := range l {
			if v <= 0 {
				continue
			}
			xy = append(xy, plotter.XY{X: v, Y: float64(i+1) / float64(len(l))})
		}
		if len(xy) == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s load (p99 %.0f ms)", ph.Name, ph.LatencyMS.P99), xy)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("plot latency: no latencies")
	}
	if err := plotutil.AddLines(p, lines...); err != nil {
		return nil, err
	}
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Left, p.Legend.Top = true, true
	return p, nil
}

// cpu plots the cores each process used over the run.
func cpu(res *pipeline.Result) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "CPU per process over the run (cores, 1 s averages)"
	p.X.Label.Text = "seconds since the start of the run"
	p.Y.Label.Text = "cores"
	var lines []any
	for _, name := range pipeline.Processes {
		var xy plotter.XYs
		prev := -1
		for i, s := range res.Samples {
			if _, ok := s.CPU[name]; !ok {
				continue
			}
			if prev >= 0 && s.At-res.Samples[prev].At >= 1 {
				dt := s.At - res.Samples[prev].At
				xy = append(xy, plotter.XY{X: s.At, Y: math.Max(0, (s.CPU[name]-res.Samples[prev].CPU[name])/dt)})
				prev = i
			}
			if prev < 0 {
				prev = i
			}
		}
		if len(xy) > 0 {
			lines = append(lines, name, xy)
		}
	}
	// Everything else the machine did: its CPU time less the processes'.
	var other plotter.XYs
	prev := 0
	for i := 1; i < len(res.Samples); i++ {
		a, b := res.Samples[prev], res.Samples[i]
		dt := b.At - a.At
		if dt < 1 {
			continue
		}
		if a.MachineCPU > 0 && b.MachineCPU > 0 {
			ours := 0.0
			for name, v := range b.CPU {
				ours += v - a.CPU[name]
			}
			other = append(other, plotter.XY{X: b.At, Y: math.Max(0, (b.MachineCPU-a.MachineCPU-ours)/dt)})
		}
		prev = i
	}
	if len(other) > 0 {
		lines = append(lines, "other work", other)
	}
	if err := plotutil.AddLines(p, lines...); err != nil {
		return nil, err
	}
	p.Y.Min = 0
	p.Legend.Top = true
	return p, nil
}
