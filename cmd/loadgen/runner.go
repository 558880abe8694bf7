package main

// runner.go: `loadgen run` and `loadgen compare` — the interleaved (ABAB)
// schedule of runs, the statistics over them, and the assembly of the
// results.File every output is written from.
//
// Invariants:
//   - Runs interleave: repetition r of every variant runs before repetition
//     r+1 of any, so a drift of the machine (near/far core placement) lands on
//     every variant alike.
//   - Nothing is written while measuring except the progress line (stderr,
//     terminal only) and -interval lines; outputs are written at the end, also
//     after Ctrl-C (Partial).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/perf/benchmath"

	"github.com/ringloop/ringloop/bench"
	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/internal/outfile"
	"github.com/ringloop/ringloop/results"
)

// acc accumulates the runs of one variant.
type acc struct {
	v    bench.Variant
	runs []results.Run
	rec  *hist.Recorder // merged over runs
	// rateKept is false once an open-loop run fell short of the target.
	rateKept bool
	warnings []string
	// profile is what -profile holds for this variant: "" nothing (its
	// last run never started), "complete", or "interrupted".
	profile string
}

func runCmd(cmd string, args []string, stdout, stderr io.Writer) int {
	var f runFlags
	fs := newRunFlagSet(cmd, &f, stderr)
	// Flags and positional arguments (compare's variants) may interleave:
	// `loadgen compare mpsc mutex -count 10` works.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := f.check(positional); err != nil {
		fmt.Fprintf(stderr, "loadgen %s: %v\n", cmd, err)
		return exitUsage
	}
	outfile.WaitNote = func(path string) {
		fmt.Fprintf(stderr, "loadgen %s: waiting for a reader to open the FIFO %s (Ctrl-C twice gives up)\n", cmd, path)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first Ctrl-C, restore the default: a second one kills
		// at once (if writing the partial results ever hung).
		<-ctx.Done()
		stop()
	}()
	file, recs, err := execute(ctx, &f, stdout, stderr)
	if err != nil && file == nil {
		fmt.Fprintf(stderr, "loadgen %s: %v\n", cmd, err)
		return exitFail
	}
	status := exitOK
	if err != nil {
		fmt.Fprintf(stderr, "loadgen %s: %v\n", cmd, err)
		status = exitFail
	}
	printTable(stdout, file)
	if werr := writeOutputs(&f, file, recs, stderr); werr != nil {
		fmt.Fprintf(stderr, "loadgen %s: %v\n", cmd, werr)
		status = exitFail
	}
	if left := benchLeftOut(file); f.benchPath != "" && len(left) > 0 {
		fmt.Fprintf(stderr, "loadgen %s: -bench %s: left out %s: interrupted, so shorter than -duration; every line written is a complete run\n",
			cmd, f.benchPath, strings.Join(left, ", "))
	}
	if file.Partial && status == exitOK {
		fmt.Fprintf(stderr, "loadgen %s: interrupted; the results above and in the output files are partial\n", cmd)
		status = exitInterrupted
	}
	return status
}

// execute runs the schedule and returns the assembled file and each
// variant's merged recorder. On a run error it returns what was measured
// before it (Partial) and the error.
func execute(ctx context.Context, f *runFlags, stdout, stderr io.Writer) (*results.File, map[string]*hist.Recorder, error) {
	started := time.Now().UTC()
	file := &results.File{
		Tool:      "loadgen " + f.cmd,
		Machine:   machine(f.pin),
		StartedAt: started,
		Config: results.Config{
			Workload:   f.w.Name,
			Variants:   variantNames(f.vars),
			Producers:  f.producers,
			Rate:       f.rate,
			DurationNs: int64(f.duration),
			WarmupNs:   int64(f.warmup),
			Count:      f.count,
			Loops:      f.loops,
			Pin:        f.pin,
			Baseline:   f.baseline,
			IntervalNs: int64(f.interval),
			OutlierNs:  int64(f.outlier),
			Pacer:      pacerName(f),
		},
	}
	if isArchWorkload(f.w.Name) {
		file.Config.Service, file.Config.Keys = f.arch.service, f.arch.keys
	}
	recCost := hist.MeasureCost(200_000)
	if f.w.Name == "group" && f.loops > file.Machine.Cores {
		w := fmt.Sprintf("-loops %d exceeds the %d CPUs this process may use: loops share CPUs, so latency includes waiting for one", f.loops, file.Machine.Cores)
		file.Warnings = append(file.Warnings, w)
		fmt.Fprintf(stderr, "loadgen %s: warning: %s\n", f.cmd, w)
	}
	printHeader(stdout, file, recCost)

	accs := make([]*acc, len(f.vars))
	for i, v := range f.vars {
		accs[i] = &acc{v: v, rec: hist.NewRecorder(0), rateKept: true}
	}
	prog := newProgress(stderr, f.count*len(f.vars), f.warmup+f.duration)
	defer prog.done()
	iv := newIntervalPrinter(stdout, file)
	iv.logTo(f.hlogDir, f.interval)
	defer iv.close()

	var runErr error
schedule:
	for rep := 0; rep < f.count; rep++ {
		for _, a := range accs {
			if ctx.Err() != nil {
				file.Partial = true
				break schedule
			}
			prog.step(a.v.Name, rep)
			if err := runOnce(ctx, f, a, rep, file, iv); err != nil {
				runErr = fmt.Errorf("%s/%s run %d: %w", f.w.Name, a.v.Name, rep, err)
				file.Partial = true
				break schedule
			}
		}
	}
	if ctx.Err() != nil {
		file.Partial = true
	}
	iv.close()
	if f.profileDir != "" && file.Partial {
		for _, a := range accs {
			switch a.profile {
			case "":
				fmt.Fprintf(stderr, "loadgen %s: -profile %s: nothing written for %s: interrupted before its last run\n", f.cmd, f.profileDir, a.v.Name)
			case "interrupted":
				fmt.Fprintf(stderr, "loadgen %s: -profile %s: %s's profiles cover an interrupted run (shorter than -duration)\n", f.cmd, f.profileDir, a.v.Name)
			}
		}
	}
	if iv.hlogErr != nil {
		runErr = errors.Join(runErr, iv.hlogErr)
	}
	summarize(f, file, accs, recCost)
	file.FinishedAt = time.Now().UTC()
	recs := map[string]*hist.Recorder{}
	for _, a := range accs {
		recs[a.v.Name] = a.rec
	}
	return file, recs, runErr
}

// runOnce runs repetition rep of one variant and adds it to a.
func runOnce(ctx context.Context, f *runFlags, a *acc, rep int, file *results.File, iv *intervalPrinter) error {
	cfg := bench.Config{
		Producers: f.producers,
		Rate:      f.rate,
		Warmup:    f.warmup,
		Duration:  f.duration,
		Loops:     f.loops,
		Pin:       f.pin,
		Stop:      ctx.Done(),
		Pacer:     f.pacerMode,
		Service:   f.arch.service,
		Keys:      f.arch.keys,
	}
	if f.interval > 0 {
		cfg.Interval = f.interval
		cfg.OnInterval = iv.hookTagged(f.w.Name, a.v.Name, f.hlogTag(), rep)
		if iv.hlog != nil {
			cfg.IntervalHists = iv.hlog.spare
		}
	}
	var stopProfile func() error
	if f.profileDir != "" && rep == f.count-1 {
		stop, err := startProfile(f.profileDir, f.w.Name, a.v.Name)
		if err != nil {
			return err
		}
		stopProfile = stop
	}
	var outl *outlierHook
	if f.traceOutliers != "" {
		var err error
		if outl, err = newOutlierHook(f.traceOutliers, f.w.Name, a.v.Name, rep, f.outlier); err != nil {
			if stopProfile != nil {
				stopProfile()
			}
			return err
		}
		cfg.Observe = outl.observe
		cfg.OnLoop = markLoop
	}
	xc := xcoreNs()
	cpu := startCPU()
	res, err := f.w.Run(cfg, a.v)
	if stopProfile != nil {
		a.profile = "complete"
		if err != nil || res.Partial {
			a.profile = "interrupted"
		}
		if perr := stopProfile(); perr != nil && err == nil {
			err = perr
		}
	}
	if outl != nil {
		outs, oerr := outl.close()
		file.Outliers = append(file.Outliers, outs...)
		if oerr != nil && err == nil {
			err = oerr
		}
	}
	if err != nil {
		return err
	}
	if res.Partial && res.Ops == 0 {
		return nil // interrupted before anything was measured
	}
	run := results.Run{
		Index:        rep,
		Ops:          res.Ops,
		ElapsedNs:    int64(res.Window()),
		Throughput:   res.Throughput(),
		AchievedRate: res.AchievedRate(),
		P50Ns:        hist.Quantile(res.Rec.Corrected, 0.50),
		P90Ns:        hist.Quantile(res.Rec.Corrected, 0.90),
		P99Ns:        hist.Quantile(res.Rec.Corrected, 0.99),
		P999Ns:       hist.Quantile(res.Rec.Corrected, 0.999),
		P9999Ns:      hist.Quantile(res.Rec.Corrected, 0.9999),
		MaxNs:        res.Rec.Corrected.Max(),
		XcoreNs:      xc,
		Partial:      res.Partial,
	}
	cpu.stop(&run)
	setLateness(&run, res.Rec)
	if f.rate == 0 {
		run.AchievedRate = run.Throughput
	}
	a.runs = append(a.runs, run)
	a.rec.Merge(res.Rec)
	for _, w := range res.Warnings {
		a.warnings = append(a.warnings, fmt.Sprintf("%s run %d: %s", a.v.Name, rep, w))
	}
	if res.Partial {
		a.warnings = append(a.warnings, fmt.Sprintf("%s run %d: interrupted %v into its %v: its numbers cover less than -duration (not in -bench)",
			a.v.Name, rep, res.Window().Round(time.Millisecond), f.duration))
	}
	if f.rate > 0 && !res.Partial && run.AchievedRate < 0.99*f.rate {
		a.rateKept = false
		a.warnings = append(a.warnings, fmt.Sprintf("%s run %d: target rate %s/s NOT kept: achieved %s/s (%.1f%%), %d ops submitted more than one period late",
			a.v.Name, rep, fmtRate(f.rate), fmtRate(run.AchievedRate), 100*run.AchievedRate/f.rate, res.Behind))
	}
	return nil
}

// summarize turns the accumulators into Summaries with statistics.
func summarize(f *runFlags, file *results.File, accs []*acc, recCost float64) {
	var base *acc
	for _, a := range accs {
		if a.v.Name == f.baseline {
			base = a
		}
	}
	if base != nil && len(base.runs) == 0 {
		file.Warnings = append(file.Warnings, fmt.Sprintf("baseline %s has no measurement: no ratios", base.v.Name))
		base = nil
	}
	for _, a := range accs {
		if len(a.runs) == 0 {
			// Never measured (interrupted first): no summary, whose zeros
			// would read as measurements.
			file.Warnings = append(file.Warnings, a.warnings...)
			file.Warnings = append(file.Warnings, fmt.Sprintf("%s: no measurement: the runs stopped (Ctrl-C or an error) before its first one finished", a.v.Name))
			continue
		}
		s := results.Summary{
			Workload:            f.w.Name,
			Variant:             a.v.Name,
			Settings:            a.v.Settings,
			Runs:                a.runs,
			TargetRate:          f.rate,
			RateKept:            a.rateKept,
			Corrected:           hist.Summarize(a.rec.Corrected),
			Uncorrected:         hist.Summarize(a.rec.Uncorrected),
			RecorderNsPerSample: recCost,
			Floor:               a.v.IsNull(),
			CPUCores:            cpuCores(a.runs),
		}
		if f.rate > 0 {
			l := hist.Summarize(a.rec.Lateness)
			s.Lateness = &l
		}
		if s.Runs == nil {
			s.Runs = []results.Run{}
		}
		s.Throughput = estimate(throughputs(a.runs))
		s.AchievedRate = estimate(achieved(a.runs)).Center
		if base != nil && a != base {
			s.Ratio = ratio(base, a)
		}
		file.Summaries = append(file.Summaries, s)
		file.Warnings = append(file.Warnings, a.warnings...)
		if n := len(a.runs); n > 0 && n < 6 {
			file.Warnings = append(file.Warnings, fmt.Sprintf("%s: %d runs are too few for a 95%% confidence interval (need >= 6: -count 6)", a.v.Name, n))
		}
		if s.Corrected.Count == 0 {
			file.Warnings = append(file.Warnings, a.v.Name+": no operation completed in its measured windows: no latency to report")
		} else if w := fewSamples(s.Corrected.Count); w != "" {
			file.Warnings = append(file.Warnings, a.v.Name+": "+w)
		}
		if s.Corrected.Count > 0 && recCost > 0.1*float64(s.Corrected.P50Ns) {
			file.Warnings = append(file.Warnings, fmt.Sprintf("%s: the recorder's own cost (%.0f ns/sample) is over 10%% of the p50 (%d ns)", a.v.Name, recCost, s.Corrected.P50Ns))
		}
	}
}

// fewSamples says which percentiles rest on too few samples to be more than
// the max: p(q) needs at least 1/(1-q) samples (p99.9: 1,000), or "".
func fewSamples(n int64) string {
	var weak []string
	need := int64(0)
	for _, p := range []struct {
		name string
		n    int64
	}{{"p50", 2}, {"p90", 10}, {"p99", 100}, {"p99.9", 1000}, {"p99.99", 10000}} {
		if n < p.n {
			weak = append(weak, p.name)
			if need == 0 {
				need = p.n
			}
		}
	}
	if len(weak) == 0 {
		return ""
	}
	return fmt.Sprintf("only %d latency samples: %s rest on too few to mean anything (%s needs >= %d; each further nine needs 10x more); read them as the max, or run longer or at a higher rate",
		n, strings.Join(weak, ", "), weak[0], need)
}

func throughputs(runs []results.Run) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = r.Throughput
	}
	return out
}

func achieved(runs []results.Run) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = r.AchievedRate
	}
	return out
}

func p99s(runs []results.Run) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = float64(r.P99Ns)
	}
	return out
}

var thresholds = benchmath.DefaultThresholds

// estimate is benchmath's median and 95% interval, assuming nothing about
// the distribution.
func estimate(vals []float64) results.Estimate {
	if len(vals) == 0 {
		return results.Estimate{Warnings: []string{"no samples"}}
	}
	s := benchmath.NewSample(append([]float64(nil), vals...), &thresholds)
	sum := benchmath.AssumeNothing.Summary(s, 0.95)
	e := results.Estimate{Center: sum.Center, Lo: sum.Lo, Hi: sum.Hi, Confidence: sum.Confidence, N: len(vals)}
	for _, w := range sum.Warnings {
		e.Warnings = append(e.Warnings, w.Error())
	}
	if math.IsInf(e.Lo, 0) || math.IsInf(e.Hi, 0) || math.IsNaN(e.Lo) || math.IsNaN(e.Hi) || e.Lo == e.Hi {
		// Too few samples: benchmath gives an unbounded interval. Say so and
		// keep the file JSON-encodable (no infinities).
		e.Lo, e.Hi, e.Confidence = e.Center, e.Center, 0
		if len(e.Warnings) == 0 {
			e.Warnings = []string{fmt.Sprintf("%d samples: no confidence interval", len(vals))}
		}
	}
	return e
}

// ratio compares a with the baseline b: throughput and p99, each as a ratio
// of medians with a conservative interval from the two intervals, and a
// Mann-Whitney U test.
func ratio(b, a *acc) *results.Ratio {
	r := &results.Ratio{Baseline: b.v.Name, Alpha: thresholds.CompareAlpha}
	bt, at := throughputs(b.runs), throughputs(a.runs)
	r.Throughput = ratioEstimate(estimate(bt), estimate(at))
	r.ThroughputP, r.Warnings = compare(bt, at)
	r.ThroughputSignificant = r.ThroughputP < r.Alpha
	bp, ap := p99s(b.runs), p99s(a.runs)
	r.P99 = ratioEstimate(estimate(bp), estimate(ap))
	r.P99P, _ = compare(bp, ap)
	return r
}

func ratioEstimate(b, a results.Estimate) results.Estimate {
	e := results.Estimate{N: min(a.N, b.N)}
	if b.Center <= 0 {
		e.Warnings = []string{"baseline median is zero: no ratio"}
		return e
	}
	e.Center = a.Center / b.Center
	e.Lo, e.Hi = e.Center, e.Center
	e.Warnings = append(append([]string(nil), a.Warnings...), b.Warnings...)
	if a.Confidence > 0 && b.Confidence > 0 && b.Lo > 0 {
		e.Lo = a.Lo / b.Hi
		e.Hi = a.Hi / b.Lo
		e.Confidence = min(a.Confidence, b.Confidence)
	}
	return e
}

func compare(b, a []float64) (float64, []string) {
	if len(a) == 0 || len(b) == 0 {
		return 1, []string{"no samples to compare"}
	}
	sb := benchmath.NewSample(append([]float64(nil), b...), &thresholds)
	sa := benchmath.NewSample(append([]float64(nil), a...), &thresholds)
	c := benchmath.AssumeNothing.Compare(sb, sa)
	var ws []string
	for _, w := range c.Warnings {
		ws = append(ws, w.Error())
	}
	return c.P, ws
}
