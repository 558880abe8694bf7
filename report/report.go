// Package report renders loadgen results (package results) for people: one
// self-contained HTML file with, per workload, a latency-by-percentile plot, a
// throughput bar chart with confidence intervals, the ratio table and the machine
// it ran on; and the same plots as standalone SVG files.
//
// The first thing a user does is render saved runs: `loadgen report -o r.html
// a.json b.json` on the command line, or WriteHTML(w, files...) with files read
// by results.ReadFile.
//
// Invariants:
//   - The HTML needs no network: styles, the SVG plots and the one small script
//     (a self-check that marks each plot as rendered) are inline; there is no
//     external URL in the document, and the fonts are the reader's own sans-serif.
//   - Everything drawn comes from results.File fields; nothing is recomputed from
//     raw samples, so a report and the JSON it came from never disagree.
//   - Several files render into one report: series of the same workload share a
//     plot, labelled "<file name>: <variant>", so two runs compare in one look.
package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ringloop/ringloop/internal/outfile"
	"github.com/ringloop/ringloop/results"
	"golang.org/x/perf/benchmath"
)

// Input is one results file and the name it is labelled with in a report.
type Input struct {
	Name string
	File *results.File
}

// Plot sizes, in points.
const (
	latencyW, latencyH       = 560, 360 // and the legend's rows below
	throughputW, throughputH = 300, 360
	driftW, driftH           = 870, 260
)

// WriteHTML writes a report of files to w. With more than one file, series are
// labelled "run 1", "run 2", ...; use WriteHTMLNamed to choose the labels.
func WriteHTML(w io.Writer, files ...*results.File) error {
	return WriteHTMLNamed(w, defaultNames(files)...)
}

// WriteSVGs writes each plot of a report of files as its own SVG file in dir
// (created if needed): <workload>-latency.svg, <workload>-throughput.svg, and
// <workload>-drift.svg when the results have interval lines (-interval).
func WriteSVGs(dir string, files ...*results.File) error {
	_, err := WriteSVGsNamed(dir, defaultNames(files)...)
	return err
}

func defaultNames(files []*results.File) []Input {
	in := make([]Input, len(files))
	for i, f := range files {
		in[i] = Input{File: f}
		if len(files) > 1 {
			in[i].Name = fmt.Sprintf("run %d", i+1)
		}
	}
	return in
}

// workloadView is everything drawn for one workload.
type workloadView struct {
	Name       string
	ID         string
	Series     []series
	Intervals  []intervalSet // per-run interval lines (-interval), empty when off
	Latency    template.HTML
	Throughput template.HTML
	Drift      template.HTML // empty when there are no intervals
	Rows       []row
	Cross      []crossRow  // later files against the first, by variant (several files only)
	sweeps     []sweepSrc  // the files' sweeps of this workload (loadgen sweep)
	Sweeps     []sweepView // their plots and knee tables
}

// crossRow compares one variant of a later file against the same variant of the
// first file: throughput ratio with a conservative interval and a Mann-Whitney U
// test over the two files' per-run throughputs, and tail latency ratios.
type crossRow struct {
	Variant, Base, New    string
	Ratio, RatioCI, P     string
	Verdict               string
	P99, P999, P9999, Max string
	Better, Worse         bool
}

type row struct {
	Label, Settings                                  string
	Runs                                             int
	Throughput, ThroughputCI, Ratio, RatioCI, RatioP string
	Significant                                      string
	P99Ratio                                         string
	Rate                                             string
	RateKept                                         bool
	WorstRate                                        string    // lowest achieved rate over runs, when the rate was not kept
	Corrected, Uncorrected                           [6]string // p50 p90 p99 p99.9 p99.99 max
	RecorderNs                                       string
	Color                                            string
}

type fileView struct {
	Name     string
	F        *results.File
	Duration string
	Warmup   string
	Rate     string
	Date     string
}

type pageView struct {
	Title     string
	Generated string
	Files     []fileView
	Workloads []workloadView
	Outliers  []outlierView
}

type outlierView struct {
	File string
	results.Outlier
	Latency   string
	TraceBase string // the trace file's base name (the full path is in a tooltip)
	Cause     string // the summary's "cause: ..." part, shown first
	Detail    string // the rest of the summary
}

// splitSummary separates profiles.TraceSummary.String()'s cause from its detail.
func splitSummary(s string) (cause, detail string) {
	if i := strings.LastIndex(s, "; cause: "); i >= 0 {
		return s[i+len("; cause: "):], s[:i]
	}
	return "", s
}

var idRE = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// build groups the inputs' summaries by workload, in order of first appearance.
func build(inputs []Input) ([]workloadView, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("report: no results to render")
	}
	var views []workloadView
	index := map[string]int{}
	for fi, in := range inputs {
		if in.File == nil {
			return nil, fmt.Errorf("report: input %d (%q) has no results", fi, in.Name)
		}
		for si := range in.File.Summaries {
			s := &in.File.Summaries[si]
			i, ok := index[s.Workload]
			if !ok {
				i = len(views)
				index[s.Workload] = i
				views = append(views, workloadView{Name: s.Workload, ID: "w-" + idRE.ReplaceAllString(s.Workload, "_")})
			}
			label := s.Variant
			if in.Name != "" {
				label = in.Name + ": " + s.Variant
			}
			views[i].Series = append(views[i].Series, series{Label: label, Summary: s, Input: fi, File: in.Name})
			si := len(views[i].Series) - 1
			runs := map[int]int{} // run index -> position in Intervals
			for _, iv := range in.File.Intervals {
				if iv.Workload != s.Workload || iv.Variant != s.Variant {
					continue
				}
				k, ok := runs[iv.Run]
				if !ok {
					k = len(views[i].Intervals)
					runs[iv.Run] = k
					views[i].Intervals = append(views[i].Intervals, intervalSet{series: si})
				}
				views[i].Intervals[k].points = append(views[i].Intervals[k].points, iv)
			}
		}
		if sw := in.File.Sweep; sw != nil && len(sw.Steps) > 0 {
			w := in.File.Config.Workload
			i, ok := index[w]
			if !ok {
				i = len(views)
				index[w] = i
				views = append(views, workloadView{Name: w, ID: "w-" + idRE.ReplaceAllString(w, "_")})
			}
			views[i].sweeps = append(views[i].sweeps, sweepSrc{Label: in.Name, SW: sw, Vars: in.File.Config.Variants})
		}
	}
	if len(views) == 0 {
		return nil, fmt.Errorf("report: the results hold no summaries (was the run interrupted before any variant finished?)")
	}
	return views, nil
}

// render draws the plots of one workload view as SVG documents; drift is nil
// when the results have no interval lines.
func (v *workloadView) render() (lat, thr, drift []byte, err error) {
	if len(v.Series) == 0 {
		return nil, nil, nil, nil // a sweep given explicit rates has no capacity runs
	}
	lp, lleg, err := latencyPlot(v.Name, v.Series)
	if err != nil {
		return nil, nil, nil, err
	}
	if lat, err = svgLegendBelow(lp, lleg, latencyW, latencyH); err != nil {
		return nil, nil, nil, err
	}
	tp, err := throughputPlot(v.Name, v.Series)
	if err != nil {
		return nil, nil, nil, err
	}
	if thr, err = svgOf(tp, throughputW, throughputH); err != nil {
		return nil, nil, nil, err
	}
	dp, dleg, err := driftPlot(v.Name, v.Series, v.Intervals)
	if err != nil {
		return nil, nil, nil, err
	}
	if dp != nil {
		if drift, err = svgLegendBelow(dp, dleg, driftW, driftH); err != nil {
			return nil, nil, nil, err
		}
	}
	return lat, thr, drift, nil
}

// inlineSVG strips the XML prolog so the SVG can sit inside HTML.
func inlineSVG(b []byte) template.HTML {
	if i := bytes.Index(b, []byte("<svg")); i > 0 {
		b = b[i:]
	}
	return template.HTML(b)
}

func ns(v int64) string { return FormatNs(float64(v)) }

func latencyCells(l results.Latency) [6]string {
	if l.Count == 0 {
		return [6]string{"–", "–", "–", "–", "–", "–"}
	}
	return [6]string{ns(l.P50Ns), ns(l.P90Ns), ns(l.P99Ns), ns(l.P999Ns), ns(l.P9999Ns), ns(l.MaxNs)}
}

func ci(e results.Estimate, f func(float64) string) string {
	if e.Confidence <= 0 {
		return "no interval (n=" + fmt.Sprint(e.N) + ")"
	}
	return fmt.Sprintf("%s – %s @%.0f%%", f(e.Lo), f(e.Hi), 100*e.Confidence)
}

func ratioStr(v float64) string { return fmt.Sprintf("%.3f×", v) }

func rowsOf(v *workloadView) []row {
	var rows []row
	for i, s := range v.Series {
		sm := s.Summary
		r := row{
			Label:        s.Label,
			Runs:         len(sm.Runs),
			Throughput:   FormatRate(sm.Throughput.Center) + "/s",
			ThroughputCI: ci(sm.Throughput, func(x float64) string { return FormatRate(x) }),
			Ratio:        "baseline",
			RateKept:     sm.RateKept,
			Corrected:    latencyCells(sm.Corrected),
			Uncorrected:  latencyCells(sm.Uncorrected),
			RecorderNs:   fmt.Sprintf("%.1f ns", sm.RecorderNsPerSample),
			Color:        seriesHex(v.Series, i),
		}
		var kv []string
		for _, k := range sortedKeys(sm.Settings) {
			kv = append(kv, k+"="+sm.Settings[k])
		}
		r.Settings = strings.Join(kv, " ")
		if !sm.RateKept && len(sm.Runs) > 0 {
			worst := sm.Runs[0].AchievedRate
			for _, run := range sm.Runs {
				worst = min(worst, run.AchievedRate)
			}
			r.WorstRate = formatRatePrec(worst, 4) + "/s"
		}
		if sm.TargetRate > 0 {
			r.Rate = fmt.Sprintf("%s of %s/s", formatRatePrec(sm.AchievedRate, 4), FormatRate(sm.TargetRate))
		} else {
			r.Rate = "closed loop"
		}
		if rt := sm.Ratio; rt != nil {
			r.Ratio = ratioStr(rt.Throughput.Center) + " vs " + rt.Baseline
			r.RatioCI = ci(rt.Throughput, ratioStr)
			r.RatioP = fmt.Sprintf("p=%.3g", rt.ThroughputP)
			if rt.ThroughputSignificant {
				r.Significant = "significant"
			} else {
				r.Significant = "not significant"
			}
			r.P99Ratio = ratioStr(rt.P99.Center)
		}
		rows = append(rows, r)
	}
	return rows
}

// crossRows compares every series of a later input with the series of the
// same variant in the first input.
func crossRows(v *workloadView) []crossRow {
	var rows []crossRow
	for _, n := range v.Series {
		if n.Input == 0 {
			continue
		}
		var b *series
		for i := range v.Series {
			if v.Series[i].Input == 0 && v.Series[i].Summary.Variant == n.Summary.Variant {
				b = &v.Series[i]
				break
			}
		}
		if b == nil {
			continue
		}
		bs, ns := b.Summary, n.Summary
		r := crossRow{Variant: ns.Variant, Base: b.File, New: n.File}
		if bs.Throughput.Center > 0 {
			ratio := ns.Throughput.Center / bs.Throughput.Center
			r.Ratio = ratioStr(ratio)
			if bs.Throughput.Confidence > 0 && ns.Throughput.Confidence > 0 && bs.Throughput.Lo > 0 {
				r.RatioCI = ratioStr(ns.Throughput.Lo/bs.Throughput.Hi) + " – " + ratioStr(ns.Throughput.Hi/bs.Throughput.Lo)
			} else {
				r.RatioCI = "no interval"
			}
		}
		bt, nt := runThroughputs(bs), runThroughputs(ns)
		if len(bt) > 0 && len(nt) > 0 {
			cmp := benchmath.AssumeNothing.Compare(benchmath.NewSample(bt, &benchmath.DefaultThresholds), benchmath.NewSample(nt, &benchmath.DefaultThresholds))
			r.P = fmt.Sprintf("p=%.3g", cmp.P)
			switch {
			case cmp.P < cmp.Alpha && ns.Throughput.Center > bs.Throughput.Center:
				r.Verdict, r.Better = "faster", true
			case cmp.P < cmp.Alpha:
				r.Verdict, r.Worse = "slower", true
			case len(cmp.Warnings) > 0:
				r.Verdict = "too few runs to tell"
			default:
				r.Verdict = "no significant change"
			}
		}
		lr := func(b, n int64) string {
			if b <= 0 {
				return "–"
			}
			return ratioStr(float64(n) / float64(b))
		}
		bc, nc := bs.Corrected, ns.Corrected
		r.P99, r.P999, r.P9999, r.Max = lr(bc.P99Ns, nc.P99Ns), lr(bc.P999Ns, nc.P999Ns), lr(bc.P9999Ns, nc.P9999Ns), lr(bc.MaxNs, nc.MaxNs)
		rows = append(rows, r)
	}
	return rows
}

func runThroughputs(s *results.Summary) []float64 {
	v := make([]float64, 0, len(s.Runs))
	for _, r := range s.Runs {
		v = append(v, r.Throughput)
	}
	return v
}

func colorHex(i int) string {
	c := palette[i%len(palette)]
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// WriteHTMLNamed writes a report of the inputs to w, labelling series by Name
// (an empty Name labels series by variant alone).
func WriteHTMLNamed(w io.Writer, inputs ...Input) error {
	views, err := build(inputs)
	if err != nil {
		return err
	}
	page := pageView{Generated: time.Now().UTC().Format(time.RFC3339)}
	var titles []string
	for i := range views {
		v := &views[i]
		lat, thr, drift, err := v.render()
		if err != nil {
			return err
		}
		if lat != nil {
			v.Latency, v.Throughput = inlineSVG(lat), inlineSVG(thr)
		}
		if drift != nil {
			v.Drift = inlineSVG(drift)
		}
		sws, err := v.renderSweeps()
		if err != nil {
			return err
		}
		for k, b := range sws {
			src := v.sweeps[k]
			v.Sweeps = append(v.Sweeps, sweepView{Title: src.Label, SVG: inlineSVG(b), Knees: kneeRows(src), SLO: FormatNs(float64(src.SW.SLONs))})
		}
		v.Rows = rowsOf(v)
		v.Cross = crossRows(v)
		titles = append(titles, v.Name)
	}
	page.Workloads = views
	page.Title = "ringloop loadgen report: " + strings.Join(titles, ", ")
	for _, in := range inputs {
		f := in.File
		fv := fileView{Name: in.Name, F: f, Duration: ns(f.Config.DurationNs), Warmup: ns(f.Config.WarmupNs),
			Date: f.Machine.Date.UTC().Format("2006-01-02 15:04:05 MST")}
		if f.Config.Rate > 0 {
			fv.Rate = FormatRate(f.Config.Rate) + "/s (open loop)"
		} else {
			fv.Rate = "closed loop"
		}
		page.Files = append(page.Files, fv)
		for _, o := range f.Outliers {
			ov := outlierView{File: in.Name, Outlier: o, Latency: ns(o.LatencyNs), TraceBase: filepath.Base(o.TraceFile)}
			ov.Cause, ov.Detail = splitSummary(o.Summary)
			page.Outliers = append(page.Outliers, ov)
		}
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, page); err != nil {
		return fmt.Errorf("report: template: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// WriteSVGsNamed writes each plot as its own SVG in dir and returns the paths.
func WriteSVGsNamed(dir string, inputs ...Input) ([]string, error) {
	views, err := build(inputs)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var paths []string
	for i := range views {
		lat, thr, drift, err := views[i].render()
		if err != nil {
			return paths, err
		}
		base := idRE.ReplaceAllString(views[i].Name, "_")
		var files []struct {
			name string
			b    []byte
		}
		if lat != nil {
			files = append(files, struct {
				name string
				b    []byte
			}{base + "-latency.svg", lat}, struct {
				name string
				b    []byte
			}{base + "-throughput.svg", thr})
		}
		sws, err := views[i].renderSweeps()
		if err != nil {
			return paths, err
		}
		for k, b := range sws {
			name := base + "-sweep.svg"
			if k > 0 {
				name = fmt.Sprintf("%s-sweep-%d.svg", base, k+1)
			}
			files = append(files, struct {
				name string
				b    []byte
			}{name, b})
		}
		if drift != nil {
			files = append(files, struct {
				name string
				b    []byte
			}{base + "-drift.svg", drift})
		}
		for _, f := range files {
			p := filepath.Join(dir, f.name)
			b := f.b
			if err := outfile.Write(p, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
				return paths, fmt.Errorf("report: %w", err)
			}
			paths = append(paths, p)
		}
	}
	return paths, nil
}
