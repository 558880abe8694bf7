package main

// output.go: the table on stdout and the -json, -csv, -bench and -hgrm
// files, all written from one results.File (the hgrm files from the merged
// histograms' curves).

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/perf/benchfmt"

	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/internal/outfile"

	"github.com/ringloop/ringloop/results"
)

// fmtNs formats nanoseconds with 3 significant digits and a unit.
func fmtNs(ns float64) string {
	switch {
	case ns < 1e3:
		return strconv.FormatFloat(ns, 'f', 0, 64) + "ns"
	case ns < 1e6:
		return sig3(ns/1e3) + "us"
	case ns < 1e9:
		return sig3(ns/1e6) + "ms"
	default:
		return sig3(ns/1e9) + "s"
	}
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// fmtRate formats a rate with k/M suffixes, 3 significant digits.
func fmtRate(v float64) string {
	switch {
	case v >= 1e6:
		return sig3(v/1e6) + "M"
	case v >= 1e3:
		return sig3(v/1e3) + "k"
	default:
		return sig3(v)
	}
}

// printHeader writes what is about to run, before anything runs (also when
// stdout is not a terminal, so -interval lines and a long run come after
// it): configuration, planned time, machine, what the latency columns mean.
func printHeader(w io.Writer, f *results.File, recCost float64) {
	m, c := f.Machine, f.Config
	mode := "closed loop"
	if c.Rate > 0 {
		mode = "open loop at " + fmtRate(c.Rate) + "/s"
	}
	planned := float64(c.Count) * float64(len(c.Variants)) * (time.Duration(c.DurationNs) + time.Duration(c.WarmupNs)).Seconds()
	vs := "variants"
	if len(c.Variants) == 1 {
		vs = "variant"
	}
	fmt.Fprintf(w, "%s: workload=%s producers=%d %s, %v runs (+%v warm-up) x %d per variant, %d %s, interleaved: planned %s\n",
		f.Tool, c.Workload, c.Producers, mode, time.Duration(c.DurationNs), time.Duration(c.WarmupNs), c.Count, len(c.Variants), vs, fmtPlanned(planned))
	if c.Workload == "group" || c.Pin {
		pin := "not pinned"
		if c.Pin {
			pin = "loop and producer threads pinned to CPUs"
		}
		fmt.Fprintf(w, "loops: %d, %s, on %d CPUs\n", c.Loops, pin, m.Cores)
	}
	xc := "xcore n/a"
	if m.XcoreNs > 0 {
		xc = fmt.Sprintf("xcore %.0fns", m.XcoreNs)
	}
	fmt.Fprintf(w, "machine: %s, %d cores, GOMAXPROCS=%d, %s %s/%s, %s, recorder %.0f ns/sample\n",
		m.CPUModel, m.Cores, m.GOMAXPROCS, m.GoVersion, m.OS, m.Arch, xc, recCost)
	fmt.Fprintln(w, "latency: corrected for coordinated omission (from intended start); uncorrected p99.9/max beside it in open loop")
	if c.Workload == "timers" && c.Rate > 0 {
		fmt.Fprintln(w, "timers: corrected = how late each timer fired after its due time; uncorrected = from its due time or, if it was set later, from when it was set (never above corrected)")
	}
}

// fmtPlanned formats a planned total time in seconds: a duration up to two
// days, days (and years) beyond.
func fmtPlanned(sec float64) string {
	const day = 86400.0
	switch {
	case sec < 60:
		return time.Duration(sec * 1e9).Round(10 * time.Millisecond).String()
	case sec < 2*day:
		return time.Duration(sec * 1e9).Round(time.Second).String()
	case sec < 2*365*day:
		return fmt.Sprintf("%.1f days", sec/day)
	default:
		return fmt.Sprintf("%.1f days (%.1f years)", sec/day, sec/(365.25*day))
	}
}

// printTable writes, after the runs, one row per variant and the warnings
// (the header came first: printHeader). A variant that was never measured
// gets a row that says so, and no number.
func printTable(w io.Writer, f *results.File) {
	c := f.Config
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	hdr := "variant\truns\tops/s\t±\tvs " + c.Baseline + "\tp\t"
	if c.Rate > 0 {
		hdr += "achieved/s\t"
	}
	hdr += "p50\tp90\tp99\tp99.9\tp99.99\tmax\t"
	if c.Rate > 0 {
		hdr += "unc p99.9\tunc max\t"
	}
	fmt.Fprintln(tw, hdr)
	for _, name := range c.Variants {
		s := f.Find(c.Workload, name)
		if s == nil {
			fmt.Fprintf(tw, "%s\t-\t  no measurement (stopped before its first run finished)\n", name)
			continue
		}
		l := s.Corrected
		rc := ratioCell(s.Ratio)
		if s.Ratio == nil && s.Variant != c.Baseline {
			rc = "n/a" // the baseline was not measured
		}
		row := fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t%s\t", s.Variant, len(s.Runs), fmtRate(s.Throughput.Center), pm(s.Throughput), rc, pCell(s.Ratio))
		if c.Rate > 0 {
			kept := ""
			if !s.RateKept {
				kept = " (!)"
			}
			row += fmtRate(s.AchievedRate) + kept + "\t"
		}
		if l.Count == 0 {
			// No sample: a latency of 0ns would read as a measurement.
			row += "-\t-\t-\t-\t-\t-\t"
			if c.Rate > 0 {
				row += "-\t-\t"
			}
			fmt.Fprintln(tw, row)
			continue
		}
		row += fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t", fmtNs(float64(l.P50Ns)), fmtNs(float64(l.P90Ns)), fmtNs(float64(l.P99Ns)), fmtNs(float64(l.P999Ns)), fmtNs(float64(l.P9999Ns)), fmtNs(float64(l.MaxNs)))
		if c.Rate > 0 {
			row += fmt.Sprintf("%s\t%s\t", fmtNs(float64(s.Uncorrected.P999Ns)), fmtNs(float64(s.Uncorrected.MaxNs)))
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
	printGenerator(w, f)
	if len(f.Outliers) > 0 {
		fmt.Fprintf(w, "\n%d outlier traces:\n", len(f.Outliers))
		for _, o := range f.Outliers {
			fmt.Fprintf(w, "  %s/%s %s %s %s\n", o.Workload, o.Variant, fmtNs(float64(o.LatencyNs)), o.TraceFile, o.Summary)
		}
	}
	if len(f.Warnings) > 0 {
		fmt.Fprintln(w, "\nwarnings:")
		for _, s := range f.Warnings {
			fmt.Fprintln(w, "  "+s)
		}
	}
	if f.Partial {
		fmt.Fprintln(w, "\nPARTIAL: interrupted before every run finished")
	}
}

// pm is the interval's half-width as a percentage of the median, or "n/a"
// when there are too few runs for one.
func pm(e results.Estimate) string {
	if e.Confidence == 0 || e.Center == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", 100*math.Max(e.Hi-e.Center, e.Center-e.Lo)/e.Center)
}

func ratioCell(r *results.Ratio) string {
	if r == nil {
		return "base"
	}
	if r.Throughput.Confidence == 0 {
		return fmt.Sprintf("%.2fx", r.Throughput.Center)
	}
	return fmt.Sprintf("%.2fx [%.2f,%.2f]", r.Throughput.Center, r.Throughput.Lo, r.Throughput.Hi)
}

func pCell(r *results.Ratio) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf("%.3f", r.ThroughputP)
}

// writeOutputs writes every requested output file; it tries all of them
// and returns every failure.
func writeOutputs(fl *runFlags, f *results.File, recs map[string]*hist.Recorder, stderr io.Writer) error {
	var errs []error
	flagged := func(flag string, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", flag, err)
		}
		return nil
	}
	if fl.jsonPath != "" {
		errs = append(errs, flagged("-json", f.WriteFile(fl.jsonPath)))
	}
	if fl.csvPath != "" {
		errs = append(errs, flagged("-csv", writeFileWith(fl.csvPath, func(w io.Writer) error { return writeCSV(w, f) })))
	}
	if fl.benchPath != "" {
		errs = append(errs, flagged("-bench", writeFileWith(fl.benchPath, func(w io.Writer) error { return writeBench(w, f) })))
	}
	if fl.hgrmDir != "" {
		errs = append(errs, flagged("-hgrm", writeHgrm(fl.hgrmDir, f, recs)))
	}
	errs = append(errs, writeReports(fl, f, stderr))
	return errors.Join(errs...)
}

// writeFileWith writes what fn produces to path through outfile.Write: a
// regular file is replaced only once complete, a FIFO or a device is written
// through, and every write error is returned naming the path.
func writeFileWith(path string, fn func(io.Writer) error) error {
	return outfile.Write(path, fn)
}

var csvHeader = []string{"workload", "variant", "producers", "target_rate", "runs", "partial",
	"throughput", "throughput_lo", "throughput_hi", "achieved_rate", "rate_kept",
	"ratio", "ratio_lo", "ratio_hi", "ratio_p",
	"p50_ns", "p90_ns", "p99_ns", "p999_ns", "p9999_ns", "max_ns", "mean_ns", "count",
	"unc_p50_ns", "unc_p90_ns", "unc_p99_ns", "unc_p999_ns", "unc_p9999_ns", "unc_max_ns",
	"recorder_ns", "xcore_ns"}

// writeCSV writes one row per variant.
func writeCSV(w io.Writer, f *results.File) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	ff := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	fi := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, s := range f.Summaries {
		ratio, lo, hi, p := "", "", "", ""
		if s.Ratio != nil {
			ratio, lo, hi, p = ff(s.Ratio.Throughput.Center), ff(s.Ratio.Throughput.Lo), ff(s.Ratio.Throughput.Hi), ff(s.Ratio.ThroughputP)
		}
		c, u := s.Corrected, s.Uncorrected
		cw.Write([]string{s.Workload, s.Variant, strconv.Itoa(f.Config.Producers), ff(s.TargetRate), strconv.Itoa(len(s.Runs)), strconv.FormatBool(f.Partial),
			ff(s.Throughput.Center), ff(s.Throughput.Lo), ff(s.Throughput.Hi), ff(s.AchievedRate), strconv.FormatBool(s.RateKept),
			ratio, lo, hi, p,
			fi(c.P50Ns), fi(c.P90Ns), fi(c.P99Ns), fi(c.P999Ns), fi(c.P9999Ns), fi(c.MaxNs), ff(c.MeanNs), fi(c.Count),
			fi(u.P50Ns), fi(u.P90Ns), fi(u.P99Ns), fi(u.P999Ns), fi(u.P9999Ns), fi(u.MaxNs),
			ff(s.RecorderNsPerSample), ff(f.Machine.XcoreNs)})
	}
	cw.Flush()
	return cw.Error()
}

// benchMachineConfig is the file-level configuration every -bench output opens
// with: the machine, so benchstat can tell runs on different machines apart.
func benchMachineConfig(f *results.File) []benchfmt.Config {
	return []benchfmt.Config{
		{Key: "goos", Value: []byte(f.Machine.OS), File: true},
		{Key: "goarch", Value: []byte(f.Machine.Arch), File: true},
		{Key: "pkg", Value: []byte("github.com/ringloop/ringloop/cmd/loadgen"), File: true},
		{Key: "cpu", Value: []byte(f.Machine.CPUModel), File: true},
		{Key: "gomaxprocs", Value: []byte(strconv.Itoa(f.Machine.GOMAXPROCS)), File: true},
	}
}

// writeBench writes one benchmark line per run, named
// Loadgen/workload=W/variant=V/producers=P[/rate=R], so benchstat groups the
// runs of a variant and compares variants.
func writeBench(w io.Writer, f *results.File) error {
	bw := benchfmt.NewWriter(w)
	cfg := benchMachineConfig(f)
	if f.Partial {
		cfg = append(cfg, benchfmt.Config{Key: "partial", Value: []byte("true"), File: true})
	}
	for _, s := range f.Summaries {
		name := fmt.Sprintf("Loadgen/workload=%s/variant=%s/producers=%d", s.Workload, s.Variant, f.Config.Producers)
		if f.Config.Rate > 0 {
			name += "/rate=" + strconv.FormatFloat(f.Config.Rate, 'f', -1, 64)
		}
		for _, r := range s.Runs {
			if r.Ops == 0 || r.Partial {
				continue // an interrupted run would be averaged with complete ones: benchLeftOut names it
			}
			vals := []benchfmt.Value{
				{Value: float64(r.ElapsedNs) / float64(r.Ops), Unit: "ns/op"},
				{Value: r.Throughput, Unit: "ops/s"},
				{Value: float64(r.P50Ns), Unit: "p50-ns"},
				{Value: float64(r.P90Ns), Unit: "p90-ns"},
				{Value: float64(r.P99Ns), Unit: "p99-ns"},
				{Value: float64(r.P999Ns), Unit: "p99.9-ns"},
				{Value: float64(r.P9999Ns), Unit: "p99.99-ns"},
				{Value: float64(r.MaxNs), Unit: "max-ns"},
			}
			if f.Config.Rate > 0 {
				vals = append(vals, benchfmt.Value{Value: r.AchievedRate, Unit: "achieved-ops/s"})
			}
			if r.XcoreNs > 0 {
				vals = append(vals, benchfmt.Value{Value: r.XcoreNs, Unit: "xcore-ns"})
			}
			res := &benchfmt.Result{Config: cfg, Name: benchfmt.Name(name), Iters: int(r.Ops), Values: vals}
			if err := bw.Write(res); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchLeftOut names the runs writeBench leaves out because they were
// interrupted ("mutex run 0").
func benchLeftOut(f *results.File) []string {
	var out []string
	for _, s := range f.Summaries {
		for _, r := range s.Runs {
			if r.Partial && r.Ops > 0 {
				out = append(out, fmt.Sprintf("%s run %d", s.Variant, r.Index))
			}
		}
	}
	return out
}

// writeHgrm writes DIR/<workload>-<variant>.hgrm (corrected) and
// DIR/<workload>-<variant>.uncorrected.hgrm: HdrHistogram's percentile
// distribution format (PercentilesPrint, 5 ticks per half-distance), values
// in microseconds.
func writeHgrm(dir string, f *results.File, recs map[string]*hist.Recorder) error {
	var errs []error
	for _, s := range f.Summaries {
		r := recs[s.Variant]
		if r == nil {
			continue
		}
		base := filepath.Join(dir, safeName(s.Workload)+"-"+safeName(s.Variant))
		for _, o := range []struct {
			path string
			h    *hdr.Histogram
		}{{base + ".hgrm", r.Corrected}, {base + ".uncorrected.hgrm", r.Uncorrected}} {
			errs = append(errs, writeFileWith(o.path, func(w io.Writer) error {
				_, err := o.h.PercentilesPrint(w, 5, 1000)
				return err
			}))
		}
	}
	return errors.Join(errs...)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator || r == ' ' {
			return '_'
		}
		return r
	}, s)
}
