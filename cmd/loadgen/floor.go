package main

// floor.go: the null baseline beside every open-loop run (the harness's
// latency floor), the generator's own lateness and CPU per run, and the
// table that shows them.
//
// Invariants:
//   - The null baseline runs in the same interleaved rounds as the variants
//     (it is one more variant to the schedule), so a drift of the machine
//     lands on it alike; it is never the default baseline of the ratios.
//   - It is measured only in open loop: closed loop has no schedule to be
//     late against. Naming it with -rate 0 is a usage error.
//   - CPU is the whole process's (getrusage), over the run's span: for the
//     null baseline that is the generator alone.

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"golang.org/x/sys/unix"

	"github.com/ringloop/ringloop/bench"
	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/internal/pace"
	"github.com/ringloop/ringloop/results"
)

// resolveNull handles the null baseline: named explicitly (open loop
// only; a sweep is), or added last in open loop unless -null=false.
func (f *runFlags) resolveNull(named bool) error {
	if named && f.rate == 0 && f.cmd != "sweep" {
		return usagef("variant %q (the harness floor) needs open loop: give -rate > 0", bench.NullName)
	}
	if !named && f.rate > 0 && f.null {
		f.vars = append(f.vars, bench.NullVariant())
	}
	return nil
}

// lookupVariant resolves a variant name, the null baseline included.
func lookupVariant(w *bench.Workload, name string) (bench.Variant, error) {
	if name == bench.NullName {
		return bench.NullVariant(), nil
	}
	return w.Variant(name)
}

// cpuNow is the process's CPU time so far (user + system), in ns.
func cpuNow() int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// cpuSpan measures the process CPU and wall time of one run.
type cpuSpan struct{ cpu0, wall0 int64 }

func startCPU() cpuSpan { return cpuSpan{cpuNow(), hist.Now()} }

// stop fills run's CPU and wall fields.
func (c cpuSpan) stop(run *results.Run) {
	run.CPUNs = max(cpuNow()-c.cpu0, 0)
	run.WallNs = max(hist.Now()-c.wall0, 0)
}

// setLateness fills run's lateness percentiles from the run's recorder.
func setLateness(run *results.Run, r *hist.Recorder) {
	run.LatenessP50Ns = hist.Quantile(r.Lateness, 0.50)
	run.LatenessP99Ns = hist.Quantile(r.Lateness, 0.99)
	run.LatenessP999Ns = hist.Quantile(r.Lateness, 0.999)
}

// cpuCores is the median over runs of CPU time / wall time.
func cpuCores(runs []results.Run) float64 {
	var vals []float64
	for _, r := range runs {
		if r.WallNs > 0 {
			vals = append(vals, float64(r.CPUNs)/float64(r.WallNs))
		}
	}
	if len(vals) == 0 {
		return 0
	}
	return estimate(vals).Center
}

// floorOf returns the null baseline's summary in f, or nil.
func floorOf(f *results.File) *results.Summary {
	for i := range f.Summaries {
		if f.Summaries[i].Floor {
			return &f.Summaries[i]
		}
	}
	return nil
}

// printGenerator writes, for an open-loop run, each variant's generator
// lateness, CPU and corrected p99 against the null floor's.
func printGenerator(w io.Writer, f *results.File) {
	if f.Config.Rate <= 0 {
		return
	}
	fl := floorOf(f)
	fmt.Fprintf(w, "\ngenerator (pacer %s): lateness = submission - intended time (the pacer's own slip); cpu = process CPUs busy during the run\n", f.Config.Pacer)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	head := "variant\tlate p50\tlate p99\tlate p99.9\tcpu\t"
	if fl != nil {
		head += "p99 / null p99\t"
	}
	fmt.Fprintln(tw, head)
	for _, s := range f.Summaries {
		row := s.Variant + "\t"
		if l := s.Lateness; l != nil {
			row += fmt.Sprintf("%s\t%s\t%s\t", fmtNs(float64(l.P50Ns)), fmtNs(float64(l.P99Ns)), fmtNs(float64(l.P999Ns)))
		} else {
			row += "n/a\tn/a\tn/a\t"
		}
		row += fmt.Sprintf("%.2f\t", s.CPUCores)
		if fl != nil {
			if s.Floor {
				row += "floor\t"
			} else if fl.Corrected.P99Ns > 0 {
				row += fmt.Sprintf("%.2fx\t", float64(s.Corrected.P99Ns)/float64(fl.Corrected.P99Ns))
			} else {
				row += "n/a\t"
			}
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
}

// defPacer is the default -pacer: the one that gave the lower null floor
// and generator lateness on the project's 2-vCPU machines (see
// internal/pace/sleep.go and docs/sweep.md).
const defPacer = "spin"

// pacerDoc is the -pacer flag's help.
var pacerDoc = fmt.Sprintf("how open-loop producers wait for each op's intended time: spin (time.Sleep to 200us before, then spin) or sleep (precise absolute sleeps on a locked thread, 1ns timer slack); accepted: %s", strings.Join(pace.Modes, ", "))

// nullDoc is the -null flag's help.
var nullDoc = fmt.Sprintf("in open loop, also run the %q baseline (same pacer and recorder, no scheduler: the latency floor) in the same rounds", bench.NullName)

// pacerName is the pacer recorded in the result: only open loop paces.
func pacerName(f *runFlags) string {
	if f.rate <= 0 {
		return ""
	}
	return f.pacerMode.String()
}
