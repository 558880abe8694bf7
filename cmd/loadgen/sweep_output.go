package main

// sweep_output.go: what `loadgen sweep` prints and writes — the table per
// rate, the p99 matrix, the knees, the progress line, and the -json, -csv,
// -bench, -report and -svg files, all from one results.File.
//
// Invariant: every number comes from the file's Sweep (and its capacity
// Summaries); nothing is recomputed from raw samples.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/term"

	"github.com/ringloop/ringloop/results"
)

// held reports whether s kept its offered rate: achieved >= 99% of offered.
func held(s *results.Summary) bool {
	return s.TargetRate <= 0 || s.AchievedRate >= 0.99*s.TargetRate
}

// p99Spread is the median over runs of the corrected p99 with its interval
// ("n/a" with too few runs).
func p99Spread(s *results.Summary) string {
	e := estimate(p99s(s.Runs))
	if e.Confidence == 0 {
		if len(s.Runs) < 2 {
			return "n/a"
		}
		lo, hi := int64(e.Center), int64(e.Center)
		for _, r := range s.Runs {
			lo, hi = min(lo, r.P99Ns), max(hi, r.P99Ns)
		}
		return fmtNs(float64(lo)) + ".." + fmtNs(float64(hi))
	}
	return fmtNs(e.Lo) + ".." + fmtNs(e.Hi)
}

// rateKey formats an offered rate for a benchmark key and a column head:
// 3 significant digits with k/M, no trailing zeros ("200k", "1.5M").
func rateKey(v float64) string {
	unit, d := "", 1.0
	switch {
	case v >= 1e6:
		unit, d = "M", 1e6
	case v >= 1e3:
		unit, d = "k", 1e3
	}
	return strconv.FormatFloat(round3(v)/d, 'f', -1, 64) + unit
}

// printSweepHeader writes what is about to run, before anything runs.
func printSweepHeader(w io.Writer, f *results.File, steps int, planned time.Duration, recCost float64) {
	c, m := f.Config, f.Machine
	fmt.Fprintf(w, "%s: workload=%s producers=%d variants=%s, %v runs (+%v warm-up) x %d per variant and rate, interleaved; slo p99 < %s; %d runs, planned %v\n",
		f.Tool, c.Workload, c.Producers, strings.Join(c.Variants, ","), time.Duration(c.DurationNs), time.Duration(c.WarmupNs), c.Count,
		fmtNs(float64(f.Sweep.SLONs)), steps, planned.Round(time.Second))
	xc := "xcore n/a"
	if m.XcoreNs > 0 {
		xc = fmt.Sprintf("xcore %.0fns", m.XcoreNs)
	}
	fmt.Fprintf(w, "machine: %s, %d cores, GOMAXPROCS=%d, %s %s/%s, %s, recorder %.0f ns/sample, pacer %s\n", m.CPUModel, m.Cores, m.GOMAXPROCS, m.GoVersion, m.OS, m.Arch, xc, recCost, c.Pacer)
	fmt.Fprintln(w, "latency: corrected for coordinated omission (from intended start); null = no scheduler, the harness's floor")
}

// printSweep writes, after the runs, the sweep's tables: the capacity
// runs, one block per rate, the p99 matrix and the knees.
func printSweep(w io.Writer, f *results.File) {
	sw := f.Sweep
	if len(f.Summaries) > 0 {
		fmt.Fprint(w, "\ncapacity (closed loop): ")
		var parts []string
		for _, s := range f.Summaries {
			parts = append(parts, fmt.Sprintf("%s %s/s", s.Variant, fmtRate(s.Throughput.Center)))
		}
		fmt.Fprintln(w, strings.Join(parts, ", "))
		if sw.CapacityRate > 0 {
			fmt.Fprintf(w, "ladder: percentages of the slowest, %s at %s/s\n", sw.CapacityVariant, fmtRate(sw.CapacityRate))
		}
	}
	var short []string
	for _, st := range sw.Steps {
		head := fmt.Sprintf("\noffered %s/s", fmtRate(st.Rate))
		if st.Fraction > 0 {
			head += fmt.Sprintf(" (%.0f%% of capacity)", 100*st.Fraction)
		}
		if st.Partial {
			head += " PARTIAL"
		}
		fmt.Fprintln(w, head)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "variant\truns\tachieved/s\tp50\tp90\tp99\tp99 runs\tp99.9\tmax\tlate p99\tcpu\tx null p99\t")
		fl := floorIn(st.Summaries)
		for i := range st.Summaries {
			s := &st.Summaries[i]
			ach := fmtRate(s.AchievedRate)
			if !held(s) {
				ach += " (!)"
				short = append(short, fmt.Sprintf("%s at %s/s: achieved %s/s (%.1f%%)", s.Variant, fmtRate(st.Rate), fmtRate(s.AchievedRate), 100*s.AchievedRate/st.Rate))
			}
			l := s.Corrected
			late := "n/a"
			if s.Lateness != nil {
				late = fmtNs(float64(s.Lateness.P99Ns))
			}
			xn := ""
			switch {
			case s.Floor:
				xn = "floor"
			case fl != nil && fl.Corrected.P99Ns > 0:
				xn = fmt.Sprintf("%.1fx", float64(l.P99Ns)/float64(fl.Corrected.P99Ns))
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t\n", s.Variant, len(s.Runs), ach,
				fmtNs(float64(l.P50Ns)), fmtNs(float64(l.P90Ns)), fmtNs(float64(l.P99Ns)), p99Spread(s),
				fmtNs(float64(l.P999Ns)), fmtNs(float64(l.MaxNs)), late, s.CPUCores, xn)
		}
		tw.Flush()
	}
	printP99Matrix(w, f)
	printKnees(w, f)
	if len(short) > 0 {
		fmt.Fprintln(w, "\nsteps that did not hold their offered rate (achieved < 99%):")
		for _, s := range short {
			fmt.Fprintln(w, "  "+s)
		}
	} else if len(sw.Steps) > 0 {
		fmt.Fprintln(w, "\nevery step held its offered rate (achieved >= 99%)")
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

func floorIn(ss []results.Summary) *results.Summary {
	for i := range ss {
		if ss[i].Floor {
			return &ss[i]
		}
	}
	return nil
}

// printP99Matrix: corrected p99, one row per rate, one column per variant.
func printP99Matrix(w io.Writer, f *results.File) {
	sw := f.Sweep
	if len(sw.Steps) == 0 {
		return
	}
	fmt.Fprintln(w, "\ncorrected p99 by offered rate ((!) = rate not held, * = over the slo):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	head := "offered/s\t"
	if sw.CapacityRate > 0 {
		head += "load\t"
	}
	for _, v := range f.Config.Variants {
		head += v + "\t"
	}
	fmt.Fprintln(tw, head)
	for _, st := range sw.Steps {
		row := fmtRate(st.Rate) + "\t"
		if sw.CapacityRate > 0 {
			row += fmt.Sprintf("%.0f%%\t", 100*st.Fraction)
		}
		for _, v := range f.Config.Variants {
			cell := "-"
			for i := range st.Summaries {
				s := &st.Summaries[i]
				if s.Variant != v || s.Corrected.Count == 0 {
					continue
				}
				cell = fmtNs(float64(s.Corrected.P99Ns))
				if s.Corrected.P99Ns >= sw.SLONs {
					cell += "*"
				}
				if !held(s) {
					cell += " (!)"
				}
			}
			row += cell + "\t"
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
}

// kneeText is one variant's knee in words.
func kneeText(k results.Knee, slo int64) string {
	switch {
	case k.Beyond && k.Rate > 0:
		return fmt.Sprintf("holds p99 < %s at every rate measured, up to %s ops/s (knee beyond)", fmtNs(float64(slo)), fmtRate(k.Rate))
	case k.Rate > 0:
		return fmt.Sprintf("holds p99 < %s up to %s ops/s (p99 %s at %s/s)", fmtNs(float64(slo)), fmtRate(k.Rate), fmtNs(float64(k.FirstMissP99Ns)), fmtRate(k.FirstMiss))
	case k.FirstMiss > 0:
		return fmt.Sprintf("misses p99 < %s already at the lowest rate, %s/s (p99 %s)", fmtNs(float64(slo)), fmtRate(k.FirstMiss), fmtNs(float64(k.FirstMissP99Ns)))
	default:
		return "not measured"
	}
}

func printKnees(w io.Writer, f *results.File) {
	sw := f.Sweep
	if len(sw.Knees) == 0 {
		return
	}
	fmt.Fprintf(w, "\nknee (highest offered rate with p99 < %s there and at every lower rate):\n", fmtNs(float64(sw.SLONs)))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range sw.Knees {
		fmt.Fprintf(tw, "  %s\t%s\n", k.Variant, kneeText(k, sw.SLONs))
	}
	tw.Flush()
}

// writeSweepOutputs writes every requested file; it tries all of them and
// returns every failure.
func writeSweepOutputs(fl *sweepFlags, f *results.File, stderr io.Writer) error {
	var errs []error
	if fl.jsonPath != "" {
		errs = append(errs, f.WriteFile(fl.jsonPath))
	}
	if fl.csvPath != "" {
		errs = append(errs, writeFileWith(fl.csvPath, func(w io.Writer) error { return writeSweepCSV(w, f) }))
	}
	if fl.benchPath != "" {
		errs = append(errs, writeFileWith(fl.benchPath, func(w io.Writer) error { return writeSweepBench(w, f) }))
	}
	errs = append(errs, writeReports(&fl.runFlags, f, stderr))
	return errors.Join(errs...)
}

var sweepCSVHeader = []string{"workload", "variant", "floor", "producers", "offered_rate", "fraction", "runs", "partial",
	"achieved_rate", "rate_held", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "p9999_ns", "max_ns", "count",
	"unc_p99_ns", "unc_p999_ns", "late_p50_ns", "late_p99_ns", "late_p999_ns", "cpu_cores", "slo_ns", "under_slo", "knee_rate", "knee_beyond"}

// writeSweepCSV writes one row per (rate, variant), with the variant's knee
// repeated on each of its rows.
func writeSweepCSV(w io.Writer, f *results.File) error {
	cw := csv.NewWriter(w)
	cw.Write(sweepCSVHeader)
	ff := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	fi := func(v int64) string { return strconv.FormatInt(v, 10) }
	knees := map[string]results.Knee{}
	for _, k := range f.Sweep.Knees {
		knees[k.Variant] = k
	}
	for _, st := range f.Sweep.Steps {
		for i := range st.Summaries {
			s := &st.Summaries[i]
			c, u := s.Corrected, s.Uncorrected
			var lt results.Latency
			if s.Lateness != nil {
				lt = *s.Lateness
			}
			k := knees[s.Variant]
			cw.Write([]string{s.Workload, s.Variant, strconv.FormatBool(s.Floor), strconv.Itoa(f.Config.Producers), ff(st.Rate), ff(st.Fraction),
				strconv.Itoa(len(s.Runs)), strconv.FormatBool(st.Partial),
				ff(s.AchievedRate), strconv.FormatBool(held(s)), fi(c.P50Ns), fi(c.P90Ns), fi(c.P99Ns), fi(c.P999Ns), fi(c.P9999Ns), fi(c.MaxNs), fi(c.Count),
				fi(u.P99Ns), fi(u.P999Ns), fi(lt.P50Ns), fi(lt.P99Ns), fi(lt.P999Ns), ff(s.CPUCores), fi(f.Sweep.SLONs),
				strconv.FormatBool(c.Count > 0 && c.P99Ns < f.Sweep.SLONs), ff(k.Rate), strconv.FormatBool(k.Beyond)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeSweepBench writes one line per run named Sweep/variant=V/rate=R, so
// `benchstat -col /variant` compares variants at each rate and
// `benchstat -col /rate` draws one variant's curve.
func writeSweepBench(w io.Writer, f *results.File) error {
	bw := benchfmt.NewWriter(w)
	cfg := append(benchMachineConfig(f),
		benchfmt.Config{Key: "workload", Value: []byte(f.Config.Workload), File: true},
		benchfmt.Config{Key: "producers", Value: []byte(strconv.Itoa(f.Config.Producers)), File: true},
		benchfmt.Config{Key: "slo", Value: []byte(time.Duration(f.Sweep.SLONs).String()), File: true},
	)
	if f.Partial {
		cfg = append(cfg, benchfmt.Config{Key: "partial", Value: []byte("true"), File: true})
	}
	for _, st := range f.Sweep.Steps {
		for _, s := range st.Summaries {
			name := fmt.Sprintf("Sweep/variant=%s/rate=%s", s.Variant, rateKey(st.Rate))
			for _, r := range s.Runs {
				if r.Ops == 0 || r.Partial {
					continue // an interrupted run would be averaged with complete ones
				}
				vals := []benchfmt.Value{
					{Value: float64(r.ElapsedNs) / float64(r.Ops), Unit: "ns/op"},
					{Value: r.AchievedRate, Unit: "achieved-ops/s"},
					{Value: float64(r.P50Ns), Unit: "p50-ns"},
					{Value: float64(r.P90Ns), Unit: "p90-ns"},
					{Value: float64(r.P99Ns), Unit: "p99-ns"},
					{Value: float64(r.P999Ns), Unit: "p99.9-ns"},
					{Value: float64(r.MaxNs), Unit: "max-ns"},
					{Value: float64(r.LatenessP99Ns), Unit: "late-p99-ns"},
				}
				if r.WallNs > 0 {
					vals = append(vals, benchfmt.Value{Value: float64(r.CPUNs) / float64(r.WallNs), Unit: "cpus"})
				}
				res := &benchfmt.Result{Config: cfg, Name: benchfmt.Name(name), Iters: int(r.Ops), Values: vals}
				if err := bw.Write(res); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sweepProgress is the progress line: step k of n, the phase (capacity or
// the rate), the variant, and the time left, estimated from the measured
// pace of the steps so far (stderr, only on a terminal).
type sweepProgress struct {
	w       io.Writer // nil when stderr is not a terminal
	total   int
	n       int
	started time.Time
	planned time.Duration // sum of the planned durations of the steps so far
}

func newSweepProgress(stderr io.Writer, total int) *sweepProgress {
	p := &sweepProgress{total: total, started: time.Now()}
	if fh, ok := stderr.(*os.File); ok && term.IsTerminal(int(fh.Fd())) {
		p.w = stderr
	}
	return p
}

// step announces the next step, which should take about d.
func (p *sweepProgress) step(phase, variant string, d time.Duration) {
	p.n++
	if p.w == nil {
		return
	}
	fmt.Fprint(p.w, "\r\033[K"+p.line(phase, variant, d, time.Since(p.started)))
}

// line formats the progress line; elapsed is the wall time so far. The time
// left is (steps left, this one included) x the measured time per step, or
// the planned d per step before any step has finished.
func (p *sweepProgress) line(phase, variant string, d, elapsed time.Duration) string {
	per := d
	if p.n > 1 && elapsed > 0 {
		per = elapsed / time.Duration(p.n-1)
	}
	left := time.Duration(p.total-p.n+1) * per
	if left >= 10*time.Second {
		left = left.Round(time.Second)
	} else {
		left = left.Round(100 * time.Millisecond)
	}
	return fmt.Sprintf("[%d/%d] %s %s  (~%v left)", p.n, p.total, phase, variant, left)
}

func (p *sweepProgress) done() {
	if p.w != nil {
		fmt.Fprint(p.w, "\r\033[K")
		p.w = nil
	}
}
