package main

// flags.go: the flags of `run` and `compare`, their defaults, and the checks
// that reject bad input with exit status 2 before any work starts.
//
// Invariant: every check names the bad value and the accepted range; nothing
// is silently clamped.

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ringloop/ringloop/bench"
	"github.com/ringloop/ringloop/internal/outfile"
	"github.com/ringloop/ringloop/internal/pace"
)

// Accepted ranges.
const (
	maxProducers = 1024
	maxLoops     = 1024
	maxRate      = 100e6 // ops/s: beyond what one process can pace
	maxCount     = 1000
	minDuration  = 10 * time.Millisecond
	maxDuration  = 24 * time.Hour
	maxWarmup    = time.Hour
	minInterval  = time.Millisecond
	maxOutliers  = 100 // trace files per run of a variant
)

// Defaults: `loadgen` alone must finish in under a minute on 2 cores with
// every inbox variant (6) on threadsafe: 6 variants x 6 runs x 0.6 s = 22 s,
// which leaves room for a cold `go run` build of the binary.
const (
	defWorkload = "threadsafe"
	defDuration = 500 * time.Millisecond
	defWarmup   = 100 * time.Millisecond
	defCount    = 6
)

type runFlags struct {
	cmd       string
	workload  string
	variants  string
	producers int
	rate      float64
	duration  time.Duration
	warmup    time.Duration
	count     int
	loops     int
	pin       bool
	baseline  string
	jsonPath  string
	csvPath   string
	benchPath string
	hgrmDir   string
	interval  time.Duration
	null      bool
	hlogDir   string
	pacer     string
	pacerMode pace.Mode // resolved by check
	arch      archFlags // -service, -keys (arch.go)

	// Reports, profiles and outlier traces (reports.go).
	reportPath    string
	svgDir        string
	profileDir    string
	traceOutliers string
	outlier       time.Duration

	// Resolved by check.
	w    *bench.Workload
	vars []bench.Variant
}

func newRunFlagSet(cmd string, f *runFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.cmd = cmd
	fs.StringVar(&f.workload, "workload", defWorkload, "`NAME` of the workload to run (see: loadgen list)")
	fs.StringVar(&f.variants, "variants", "", "comma-separated `LIST` of variants to run; empty = every variant of the workload (an empty name in a list is an error)")
	fs.IntVar(&f.producers, "producers", 0, fmt.Sprintf("producer goroutines, 1..%d; 0 = the workload's default (see: loadgen list)", maxProducers))
	fs.Float64Var(&f.rate, "rate", 0, fmt.Sprintf("target ops per second over all producers, 0 = closed loop (max throughput), up to %g", maxRate))
	fs.DurationVar(&f.duration, "duration", defDuration, fmt.Sprintf("measured time per run, %v..%v", minDuration, maxDuration))
	fs.DurationVar(&f.warmup, "warmup", defWarmup, fmt.Sprintf("unmeasured warm-up before each run, 0..%v", maxWarmup))
	fs.IntVar(&f.count, "count", defCount, fmt.Sprintf("runs per variant, interleaved ABAB, 1..%d (>= 6 for a 95%% interval)", maxCount))
	fs.IntVar(&f.loops, "loops", 0, fmt.Sprintf("loops in the group (group workload), 1..%d; 0 = one per CPU", maxLoops))
	fs.BoolVar(&f.pin, "pin", false, "pin the loop and producer threads to CPUs (locks their OS threads)")
	fs.StringVar(&f.baseline, "baseline", "", "`VARIANT` the others are compared with; empty = the first variant")
	fs.StringVar(&f.jsonPath, "json", "", "write the full result (schema ringloop.loadgen/v2) to `PATH`")
	fs.StringVar(&f.csvPath, "csv", "", "write one CSV row per variant to `PATH`")
	fs.StringVar(&f.benchPath, "bench", "", "write Go benchmark format (one line per run; benchstat reads it) to `PATH`")
	fs.StringVar(&f.hgrmDir, "hgrm", "", "write HdrHistogram percentile distributions (.hgrm, values in us) per variant into `DIR`")
	fs.DurationVar(&f.interval, "interval", 0, fmt.Sprintf("print rate and p99 every interval (>= %v; 0 = off)", minInterval))
	fs.BoolVar(&f.null, "null", true, nullDoc)
	fs.StringVar(&f.pacer, "pacer", defPacer, pacerDoc)
	fs.StringVar(&f.hlogDir, "hlog", "", "write HdrHistogram interval logs (.hlog, one per variant and run; needs -interval) into `DIR`")
	fs.StringVar(&f.reportPath, "report", "", "write a self-contained HTML report to `PATH`")
	fs.StringVar(&f.svgDir, "svg", "", "write each plot as its own SVG into `DIR`")
	fs.StringVar(&f.profileDir, "profile", "", "write CPU, heap, allocs, mutex and block profiles of each variant's last run into `DIR`")
	fs.StringVar(&f.traceOutliers, "trace-outliers", "", "keep a flight recorder and write an execution trace around each outlier into `DIR`")
	fs.DurationVar(&f.outlier, "outlier", 0, "outlier threshold for -trace-outliers (0 = the running p99.99)")
	f.arch.register(fs)
	fs.Usage = func() { runUsage(fs, cmd, stderr) }
	return fs
}

func runUsage(fs *flag.FlagSet, cmd string, w io.Writer) {
	if cmd == "compare" {
		fmt.Fprint(w, `Usage: loadgen compare [flags] [VARIANT...]

Runs two or more variants of one workload interleaved (ABAB), -count times
each, and prints them side by side with throughput and p99 ratios to the
baseline (the first variant unless -baseline), 95% intervals and Mann-Whitney
U p-values. Variants come from the arguments or -variants.

Examples:
  loadgen compare mpsc mutex chan
  loadgen compare -workload threadsafe -producers 4 -count 10 -variants mpsc,xsync4
  loadgen compare -workload wakeup -rate 2000 -json wake.json eventfd chan
`)
	} else {
		fmt.Fprint(w, `Usage: loadgen [run] [flags]
       loadgen <subcommand> [flags] [args]

Subcommands:
`+subcommandList+`
Runs one workload on its variants (all of them unless -variants) interleaved
(ABAB), -count times each, and prints latency percentiles (corrected for
coordinated omission in open loop), throughput, and ratios to the baseline.

Examples:
  loadgen                                   every inbox variant on threadsafe, closed loop, < 1 min
  loadgen -rate 1000000 -variants mpsc      open loop at 1M ops/s: is the rate kept, what is the tail
  loadgen -workload timers -rate 100000 -duration 2s -interval 250ms
  loadgen -producers 4 -bench out.txt && benchstat out.txt
  loadgen -json run.json -report run.html -hgrm hgrm/
`)
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.PrintDefaults()
}

// usageError is bad input: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// check validates every flag and resolves the workload and variants. It
// creates output directories and probes every output path for writability.
func (f *runFlags) check(args []string) error {
	w, err := bench.Lookup(f.workload)
	if err != nil {
		return usagef("-workload: %v", err)
	}
	f.w = w
	var names []string
	if f.variants != "" {
		for _, n := range strings.Split(f.variants, ",") {
			if n = strings.TrimSpace(n); n == "" {
				return usagef("-variants %q: empty variant name", f.variants)
			}
			names = append(names, n)
		}
	}
	if f.cmd == "compare" {
		names = append(names, args...)
	} else if len(args) > 0 {
		return usagef("unexpected argument %q (run takes only flags; variants go in -variants)", args[0])
	}
	if len(names) == 0 {
		for _, v := range w.ListedVariants() {
			names = append(names, v.Name)
		}
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return usagef("variant %q given twice", n)
		}
		seen[n] = true
		v, err := lookupVariant(w, n)
		if err != nil {
			return usagef("-variants: %v", err)
		}
		f.vars = append(f.vars, v)
	}
	if f.cmd == "compare" && len(f.vars) < 2 {
		return usagef("compare needs at least two variants, got %d (%s)", len(f.vars), strings.Join(names, ","))
	}
	if f.baseline == "" {
		f.baseline = f.vars[0].Name
	} else if !seen[f.baseline] {
		return usagef("-baseline %q is not among the variants run (%s)", f.baseline, strings.Join(names, ", "))
	}
	if err := f.resolveNull(seen[bench.NullName]); err != nil {
		return err
	}
	if f.producers == 0 {
		f.producers = w.DefaultProducers
	}
	if f.producers < 1 || f.producers > maxProducers {
		return usagef("-producers %d: accepted range is 1..%d, or 0 for the workload's default", f.producers, maxProducers)
	}
	if math.IsNaN(f.rate) || math.IsInf(f.rate, 0) || f.rate < 0 || f.rate > maxRate {
		return usagef("-rate %v: accepted range is 0 (closed loop) or a positive rate up to %g ops/s", f.rate, maxRate)
	}
	if f.rate > 0 && f.rate < 1 {
		return usagef("-rate %v: below 1 op/s; accepted range is 1..%g ops/s, or 0 for closed loop", f.rate, maxRate)
	}
	if f.duration < minDuration || f.duration > maxDuration {
		return usagef("-duration %v: accepted range is %v..%v", f.duration, minDuration, maxDuration)
	}
	if f.warmup < 0 || f.warmup > maxWarmup {
		return usagef("-warmup %v: accepted range is 0..%v", f.warmup, maxWarmup)
	}
	if f.count < 1 || f.count > maxCount {
		return usagef("-count %d: accepted range is 1..%d", f.count, maxCount)
	}
	if f.loops < 0 || f.loops > maxLoops {
		return usagef("-loops %d: accepted range is 1..%d, or 0 for one per CPU", f.loops, maxLoops)
	}
	if f.loops == 0 {
		f.loops = 1
		if w.Name == "group" || isArchWorkload(w.Name) {
			f.loops = runtime.NumCPU()
		}
	} else if f.loops > 1 && w.Name != "group" && !isArchWorkload(w.Name) {
		return usagef("-loops %d: only the group, service and starve workloads run more than one loop (workload is %s)", f.loops, w.Name)
	}
	if err := f.arch.check(w.Name); err != nil {
		return err
	}
	if f.interval != 0 && (f.interval < minInterval || f.interval > maxDuration) {
		return usagef("-interval %v: accepted range is 0 (off) or %v..%v", f.interval, minInterval, maxDuration)
	}
	if f.outlier < 0 || f.outlier > time.Minute {
		return usagef("-outlier %v: accepted range is 0 (running p99.99) or up to 1m", f.outlier)
	}
	if f.pacerMode, err = pace.ParseMode(f.pacer); err != nil {
		return usagef("-pacer: %v", err)
	}
	if f.hlogDir != "" && f.interval == 0 {
		return usagef("-hlog %q needs -interval (the length of each logged window)", f.hlogDir)
	}
	if f.outlier > 0 && f.traceOutliers == "" {
		return usagef("-outlier %v needs -trace-outliers DIR", f.outlier)
	}
	return f.checkOutputs()
}

// checkOutputs checks every output path before anything runs: each file can
// be written (outfile.Check: nothing is touched), each directory can be made
// and take files, and no two outputs name one file, where the second would
// silently replace the first.
func (f *runFlags) checkOutputs() error {
	files := []struct{ flag, path string }{{"-json", f.jsonPath}, {"-csv", f.csvPath}, {"-bench", f.benchPath}, {"-report", f.reportPath}}
	dirs := []struct{ flag, path string }{{"-hgrm", f.hgrmDir}, {"-svg", f.svgDir}, {"-profile", f.profileDir}, {"-trace-outliers", f.traceOutliers}, {"-hlog", f.hlogDir}}
	for i, a := range files {
		if a.path == "" {
			continue
		}
		for _, b := range files[i+1:] {
			if b.path != "" && outfile.Same(a.path, b.path) {
				return usagef("%s %q and %s %q name the same file: the second would overwrite the first; give each output its own path", a.flag, a.path, b.flag, b.path)
			}
		}
		for _, b := range dirs {
			if b.path != "" && outfile.Same(a.path, b.path) {
				return usagef("%s %q is also the directory of %s; give each output its own path", a.flag, a.path, b.flag)
			}
		}
	}
	for _, p := range files {
		if p.path != "" {
			if err := outfile.Check(p.path); err != nil {
				return usagef("%s %q: cannot write there: %v", p.flag, p.path, err)
			}
		}
	}
	for _, p := range dirs {
		if p.path != "" {
			if err := probeDir(p.path); err != nil {
				return usagef("%s %q: cannot write there: %v", p.flag, p.path, err)
			}
		}
	}
	return nil
}

// probeDir creates dir (and parents) and checks a file can be made in it.
func probeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return probeDir0(dir)
}

func probeDir0(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	fh, err := os.CreateTemp(dir, ".loadgen-probe-*")
	if err != nil {
		return err
	}
	name := fh.Name()
	fh.Close()
	return os.Remove(name)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// variantNames returns the names of vs.
func variantNames(vs []bench.Variant) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return slices.Clip(out)
}
