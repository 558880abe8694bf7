// Command loadgen drives ringloop's scheduler variants with a chosen workload
// and reports, side by side, what each costs in throughput and in latency at
// every percentile.
//
//	loadgen [run] [flags]        run a workload on its variants (default: every inbox variant on threadsafe)
//	loadgen compare [flags] V... the same, for the named variants, with ratios to the first
//	loadgen sweep [flags]        latency against offered load, and each variant's knee
//	loadgen list                 workloads and variants, one line each
//	loadgen report FILE...       render saved -json results as HTML/SVG
//	loadgen pprof top|diff ...   analyse -profile output
//
// How it measures: variants run interleaved
// (ABAB), -count times each; open loop (-rate > 0) follows a pacer and
// measures latency from each operation's INTENDED start (coordinated omission
// corrected, as wrk2) with the uncorrected distribution kept beside it; closed
// loop (-rate 0) runs as fast as a window of in-flight ops per producer
// allows. Latency goes into HDR histograms (1 ns .. 60 s, 3 digits), one per
// recording goroutine, merged. Throughput is compared with benchmath (median,
// 95% interval, Mann-Whitney U).
//
// Exit status: 0 success; 1 a run failed; 2 bad usage (nothing was run);
// 130 interrupted (SIGINT/SIGTERM) — what was measured is still written,
// marked partial.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFail        = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch picks the subcommand: the first argument when it is not a flag,
// otherwise "run".
func dispatch(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run", "compare":
		return runCmd(cmd, args, stdout, stderr)
	case "sweep":
		return sweepCmd(args, stdout, stderr)
	case "list":
		return listCmd(args, stdout, stderr)
	case "report":
		return runReport(args, stdout, stderr)
	case "pprof":
		return runPprof(args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, topUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "loadgen: unknown subcommand %q (accepted: run, compare, sweep, list, report, pprof, help)\n\n%s", cmd, topUsage)
		return exitUsage
	}
}

// subcommandList is the list `loadgen help` and `loadgen -h` both print.
const subcommandList = `  loadgen [run] [flags]            run a workload on its variants (default: every variant)
  loadgen compare [flags] [V...]   run variants side by side, ratios to the baseline
  loadgen sweep [flags]            latency against offered load: a ladder of rates, each variant's knee
  loadgen list                     workloads and variants, one line each
  loadgen report [flags] FILE...   render saved -json results as HTML / SVG
  loadgen pprof top|diff ...       analyse profiles written by -profile
  loadgen <subcommand> -h          flags and examples of a subcommand
`

const topUsage = `loadgen drives ringloop's scheduler variants and reports latency percentiles and throughput.

Usage:
` + subcommandList + `
Examples:
  loadgen                                          every inbox variant on threadsafe, closed loop
  loadgen -workload threadsafe -producers 4 -rate 1000000 -variants mpsc,mutex
  loadgen compare -workload wakeup -rate 2000 eventfd chan
  loadgen -json out.json -bench out.txt && benchstat out.txt
`
