package main

// sweep.go: `loadgen sweep` — latency against offered load. It finds each
// variant's capacity with a short closed-loop run, then runs open loop at a
// ladder of offered rates (fractions of the SLOWEST variant's capacity, so
// every variant meets the same absolute rates; -rates overrides), the
// variants and the null baseline interleaved at each rate (ABAB, -count
// times), and reports per variant and rate the achieved rate and the
// corrected percentiles, and each variant's knee: the highest offered rate
// at which its p99 stays under -slo.
//
// Invariants:
//   - The schedule is: every capacity run (ABAB), then for each rate in
//     ascending order every repetition of every variant (ABAB). A step is
//     one (rate, variant, repetition) run; the progress line counts steps.
//   - Each run is `run`'s runOnce: the same pacer, coordinated-omission
//     correction, recorder, machine stamp, generator lateness and CPU.
//   - Bad input exits 2 before any work, naming the value and the range.
//   - Ctrl-C stops at once; every completed run is kept, the file and the
//     tables are written and marked partial, and the exit status is 130.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ringloop/ringloop/bench"
	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/internal/outfile"
	"github.com/ringloop/ringloop/results"
)

// Sweep defaults: 6 threadsafe variants + null, 9 rates, 2 runs of 0.9 s
// each: 9 x 7 x 2 x 0.9 s = 113 s, plus ~3 s of capacity runs, under the
// 3 minutes `loadgen sweep -workload threadsafe` must take on 2 cores.
const (
	defSweepDuration = 800 * time.Millisecond
	defSweepWarmup   = 100 * time.Millisecond
	defSweepCount    = 2
	defCapDuration   = 300 * time.Millisecond
	defCapCount      = 1
	defSLO           = time.Millisecond
	defLadder        = "10,25,50,70,80,90,95,100,110"
	maxSteps         = 100 // rates in one sweep
	maxLadderPct     = 1000
)

type sweepFlags struct {
	runFlags
	rates    string
	ladder   string
	slo      time.Duration
	capDur   time.Duration
	capCount int

	// Resolved by check.
	rateList []float64 // explicit rates, ascending (nil: from the ladder)
	fracs    []float64 // ladder fractions, ascending
}

func newSweepFlagSet(f *sweepFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.cmd = "sweep"
	fs.StringVar(&f.workload, "workload", defWorkload, "workload to run (see `loadgen list`)")
	fs.StringVar(&f.variants, "variants", "", "comma-separated variants to run (default: every variant of the workload)")
	fs.IntVar(&f.producers, "producers", 0, fmt.Sprintf("producer goroutines, 1..%d (default: the workload's default)", maxProducers))
	fs.StringVar(&f.rates, "rates", "", "comma-separated offered rates, ops/s, with k/M suffixes (10k,50k,1.5M); overrides the ladder and skips the capacity runs")
	fs.StringVar(&f.ladder, "ladder", defLadder, fmt.Sprintf("offered loads as percentages of the slowest variant's capacity, 1..%d", maxLadderPct))
	fs.DurationVar(&f.slo, "slo", defSLO, "p99 bound the knee is taken against, 1us..1m")
	fs.DurationVar(&f.duration, "duration", defSweepDuration, fmt.Sprintf("measured time per run, %v..%v", minDuration, maxDuration))
	fs.DurationVar(&f.warmup, "warmup", defSweepWarmup, fmt.Sprintf("unmeasured warm-up before each run, 0..%v", maxWarmup))
	fs.IntVar(&f.count, "count", defSweepCount, fmt.Sprintf("runs per variant and rate, interleaved ABAB, 1..%d", maxCount))
	fs.DurationVar(&f.capDur, "capacity-duration", defCapDuration, fmt.Sprintf("measured time of each closed-loop capacity run, %v..%v", minDuration, maxDuration))
	fs.IntVar(&f.capCount, "capacity-count", defCapCount, fmt.Sprintf("closed-loop capacity runs per variant (the median is taken), 1..%d", maxCount))
	fs.IntVar(&f.loops, "loops", 0, fmt.Sprintf("loops in the group (group workload), 1..%d (default: one per CPU)", maxLoops))
	fs.BoolVar(&f.pin, "pin", false, "pin the loop and producer threads to CPUs (locks their OS threads)")
	fs.BoolVar(&f.null, "null", true, nullDoc)
	fs.StringVar(&f.pacer, "pacer", defPacer, pacerDoc)
	f.arch.register(fs) // -service, -keys (arch.go)
	fs.StringVar(&f.jsonPath, "json", "", "write the full result (schema ringloop.loadgen/v2, with its sweep) to `PATH`")
	fs.StringVar(&f.csvPath, "csv", "", "write one CSV row per variant and rate to `PATH`")
	fs.StringVar(&f.benchPath, "bench", "", "write Go benchmark format (Sweep/variant=V/rate=R, one line per run; benchstat reads it) to `PATH`")
	fs.DurationVar(&f.interval, "interval", 0, fmt.Sprintf("print rate and p99 every interval (>= %v; 0 = off)", minInterval))
	fs.StringVar(&f.hlogDir, "hlog", "", "write HdrHistogram interval logs (.hlog, one per variant, rate and run; needs -interval) into `DIR`")
	fs.StringVar(&f.reportPath, "report", "", "write a self-contained HTML report (with the latency-vs-load plot) to `PATH`")
	fs.StringVar(&f.svgDir, "svg", "", "write each plot as its own SVG into `DIR`")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: loadgen sweep [flags]

Latency against offered load. Finds each variant's capacity (a short closed-loop
run), then runs open loop at a ladder of offered rates (percentages of the
slowest variant's capacity: every variant meets the same absolute rates), the
variants and the null baseline interleaved at each rate, and prints per variant
and rate the achieved rate and corrected p50/p90/p99/p99.9/max, which steps did
not hold their rate, and each variant's knee: the highest offered rate at which
its p99 stays under -slo.

Examples:
  loadgen sweep -workload threadsafe                      the default ladder, < 3 min on 2 cores
  loadgen sweep -workload wakeup -rates 5k,20k,50k,100k -slo 500us
  loadgen sweep -variants mpsc,mutex -json s.json -report s.html -bench s.txt && benchstat -col /variant s.txt
`)
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseRate reads "50000", "50k", "1.5M".
func parseRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1e3, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mult, s = 1e6, s[:len(s)-1]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a number")
	}
	return v * mult, nil
}

// check validates the sweep's own flags, then the shared ones through
// runFlags.check (closed loop there, so it adds no null baseline), then
// adds the null baseline.
func (f *sweepFlags) check(args []string) error {
	if f.rates != "" {
		seen := map[float64]bool{}
		for _, s := range strings.Split(f.rates, ",") {
			r, err := parseRate(s)
			if err != nil {
				return usagef("-rates: %q: %v; accepted: rates in ops/s, 1..%g, with k/M suffixes (10k,1.5M)", s, err, maxRate)
			}
			if r < 1 || r > maxRate {
				return usagef("-rates: %q: accepted range is 1..%g ops/s", s, maxRate)
			}
			if seen[r] {
				return usagef("-rates: %q given twice", s)
			}
			seen[r] = true
			f.rateList = append(f.rateList, r)
		}
		slices.Sort(f.rateList)
	} else {
		seen := map[float64]bool{}
		for _, s := range strings.Split(f.ladder, ",") {
			p, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
			if err != nil || math.IsNaN(p) || p < 1 || p > maxLadderPct {
				return usagef("-ladder: %q: accepted are percentages 1..%d", s, maxLadderPct)
			}
			if seen[p] {
				return usagef("-ladder: %q given twice", s)
			}
			seen[p] = true
			f.fracs = append(f.fracs, p/100)
		}
		slices.Sort(f.fracs)
	}
	if n := len(f.rateList) + len(f.fracs); n > maxSteps {
		return usagef("%d rates: accepted are 1..%d", n, maxSteps)
	}
	if f.slo < time.Microsecond || f.slo > time.Minute {
		return usagef("-slo %v: accepted range is 1us..1m", f.slo)
	}
	if f.capDur < minDuration || f.capDur > maxDuration {
		return usagef("-capacity-duration %v: accepted range is %v..%v", f.capDur, minDuration, maxDuration)
	}
	if f.capCount < 1 || f.capCount > maxCount {
		return usagef("-capacity-count %d: accepted range is 1..%d", f.capCount, maxCount)
	}
	if err := f.runFlags.check(args); err != nil {
		return err
	}
	for _, v := range f.vars {
		if v.IsNull() && len(f.vars) == 1 {
			return usagef("-variants: %q alone has no capacity to sweep; add a variant", bench.NullName)
		}
	}
	if f.null && !slices.ContainsFunc(f.vars, bench.Variant.IsNull) {
		f.vars = append(f.vars, bench.NullVariant())
	}
	return nil
}

func sweepCmd(args []string, stdout, stderr io.Writer) int {
	var f sweepFlags
	fs := newSweepFlagSet(&f, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if err := f.check(fs.Args()); err != nil {
		fmt.Fprintf(stderr, "loadgen sweep: %v\n", err)
		return exitUsage
	}
	outfile.WaitNote = func(path string) {
		fmt.Fprintf(stderr, "loadgen sweep: waiting for a reader to open the FIFO %s\n", path)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()
	file, err := sweep(ctx, &f, stdout, stderr)
	status := exitOK
	if err != nil {
		fmt.Fprintf(stderr, "loadgen sweep: %v\n", err)
		status = exitFail
	}
	printSweep(stdout, file)
	if werr := writeSweepOutputs(&f, file, stderr); werr != nil {
		fmt.Fprintf(stderr, "loadgen sweep: %v\n", werr)
		status = exitFail
	}
	if file.Partial && status == exitOK {
		fmt.Fprintln(stderr, "loadgen sweep: interrupted; the results above and in the output files are partial")
		status = exitInterrupted
	}
	return status
}

// sweep runs the capacity runs and the ladder and assembles the file.
func sweep(ctx context.Context, f *sweepFlags, stdout, stderr io.Writer) (*results.File, error) {
	var real []bench.Variant // the variants with a capacity (not null)
	for _, v := range f.vars {
		if !v.IsNull() {
			real = append(real, v)
		}
	}
	file := &results.File{
		Tool:      "loadgen sweep",
		Machine:   machine(f.pin),
		StartedAt: time.Now().UTC(),
		Config: results.Config{
			Workload: f.w.Name, Variants: variantNames(f.vars), Producers: f.producers,
			DurationNs: int64(f.duration), WarmupNs: int64(f.warmup), Count: f.count,
			Loops: f.loops, Pin: f.pin, Baseline: f.baseline, IntervalNs: int64(f.interval),
			Pacer: f.pacerMode.String(),
		},
		Sweep: &results.Sweep{SLONs: int64(f.slo), Steps: []results.Step{}},
	}
	defer func() { file.FinishedAt = time.Now().UTC() }()
	recCost := hist.MeasureCost(200_000)
	nRates := len(f.rateList) + len(f.fracs)
	total := nRates * f.count * len(f.vars)
	perRun := f.warmup + f.duration
	if f.rateList == nil {
		total += f.capCount * len(real)
	}
	planned := time.Duration(nRates*f.count*len(f.vars)) * perRun
	if f.rateList == nil {
		planned += time.Duration(f.capCount*len(real)) * (f.warmup + f.capDur)
	}
	printSweepHeader(stdout, file, total, planned, recCost)
	prog := newSweepProgress(stderr, total)
	defer prog.done()
	iv := newIntervalPrinter(stdout, file)
	iv.logTo(f.hlogDir, f.interval)
	defer iv.close()

	rates := f.rateList
	if rates == nil {
		// Capacity: closed loop, ABAB.
		cf := f.runFlags
		cf.rate, cf.duration, cf.count = 0, f.capDur, f.capCount
		accs := newAccs(real)
		for rep := 0; rep < f.capCount; rep++ {
			for _, a := range accs {
				if ctx.Err() != nil {
					break
				}
				prog.step("capacity", a.v.Name, f.warmup+f.capDur)
				if err := runOnce(ctx, &cf, a, rep, file, iv); err != nil {
					file.Partial = true
					return file, fmt.Errorf("%s/%s capacity run %d: %w", f.w.Name, a.v.Name, rep, err)
				}
			}
		}
		summarize(&cf, file, accs, recCost)
		file.Warnings = slices.DeleteFunc(file.Warnings, func(w string) bool { return strings.Contains(w, "too few for a 95%") })
		if ctx.Err() != nil {
			file.Partial = true
			return file, nil
		}
		sw := file.Sweep
		for _, s := range file.Summaries {
			if c := s.Throughput.Center; c > 0 && (sw.CapacityRate == 0 || c < sw.CapacityRate) {
				sw.CapacityRate, sw.CapacityVariant = c, s.Variant
			}
		}
		if sw.CapacityRate <= 0 {
			return file, errors.New("no variant completed an op in its capacity run: nothing to sweep")
		}
		sw.Ladder = f.fracs
		for _, fr := range f.fracs {
			rates = append(rates, round3(fr*sw.CapacityRate))
		}
		rates = slices.Compact(rates)
	}

	var runErr error
ladder:
	for _, rate := range rates {
		if ctx.Err() != nil {
			break
		}
		sf := f.runFlags
		sf.rate = rate
		accs := newAccs(f.vars)
		step := results.Step{Rate: rate}
		if file.Sweep.CapacityRate > 0 {
			step.Fraction = rate / file.Sweep.CapacityRate
		}
		for rep := 0; rep < f.count && runErr == nil; rep++ {
			for _, a := range accs {
				if ctx.Err() != nil {
					step.Partial = true
					break
				}
				prog.step(fmtRate(rate)+"/s", a.v.Name, perRun)
				if err := runOnce(ctx, &sf, a, rep, file, iv); err != nil {
					runErr = fmt.Errorf("%s/%s at %s/s run %d: %w", f.w.Name, a.v.Name, fmtRate(rate), rep, err)
					step.Partial = true
					break
				}
			}
		}
		if ctx.Err() != nil {
			step.Partial = true
		}
		sub := &results.File{}
		summarize(&sf, sub, accs, recCost)
		// One line per variant that did not hold this rate, instead of
		// run's one per run: a sweep has many steps, and the tables say it.
		for _, w := range sub.Warnings {
			if !strings.Contains(w, "too few for a 95%") && !strings.Contains(w, "NOT kept") {
				file.Warnings = append(file.Warnings, "at "+fmtRate(rate)+"/s: "+w)
			}
		}
		for i := range sub.Summaries {
			if s := &sub.Summaries[i]; len(s.Runs) > 0 && !held(s) {
				file.Warnings = append(file.Warnings, fmt.Sprintf("at %s/s: %s did not hold the offered rate: achieved %s/s (%.1f%%, median of %d runs)",
					fmtRate(rate), s.Variant, fmtRate(s.AchievedRate), 100*s.AchievedRate/rate, len(s.Runs)))
			}
		}
		for i := range sub.Summaries {
			sub.Summaries[i].Ratio = nil // ratios live within a rate in the tables, not here
		}
		if slices.ContainsFunc(sub.Summaries, func(s results.Summary) bool { return len(s.Runs) > 0 }) {
			step.Summaries = sub.Summaries
			file.Sweep.Steps = append(file.Sweep.Steps, step)
		}
		if step.Partial || runErr != nil {
			break ladder
		}
	}
	iv.close()
	if iv.hlogErr != nil {
		runErr = errors.Join(runErr, iv.hlogErr)
	}
	if ctx.Err() != nil || runErr != nil {
		file.Partial = true
	}
	file.Sweep.Knees = results.Knees(file.Sweep.Steps, variantNames(f.vars), int64(f.slo))
	return file, runErr
}

func newAccs(vs []bench.Variant) []*acc {
	out := make([]*acc, len(vs))
	for i, v := range vs {
		out[i] = &acc{v: v, rec: hist.NewRecorder(0), rateKept: true}
	}
	return out
}

// round3 rounds v to 3 significant digits (a ladder rate reads 412k, not
// 411,873).
func round3(v float64) float64 {
	if v <= 0 {
		return v
	}
	p := math.Pow(10, math.Floor(math.Log10(v))-2)
	return math.Max(1, math.Round(v/p)*p)
}
