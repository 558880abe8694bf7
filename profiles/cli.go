package profiles

// cli.go: `loadgen pprof`, the command line over Top, Diff and SummarizeTrace.
// cmd/loadgen's runPprof calls RunPprofCLI; it lives here so it is tested here.
//
// Exit status: 0 done, 1 a file could not be analysed after the arguments were
// accepted, 2 bad usage or input (unknown subcommand or flag, a value out of
// range, a file that is missing or is not a profile/trace), always with a
// message naming the bad value.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

const pprofUsage = `usage: loadgen pprof <command> [flags] FILE...

Commands:
  top [-n N] [-cum] FILE       flat (or cumulative) top-N functions of a profile, with the
                               share spent in the runtime's scheduler, locks, syscalls and GC
  diff [-n N] BASE NEW         what got slower (+) or faster (-) from BASE to NEW, by function
                               (go tool pprof -diff_base BASE NEW, as a table)
  trace [-loop IDS] FILE.trace...
                               what the loop goroutine was doing in an outlier trace window
                               (running, runnable, syscall, blocked, GC assist, stop-the-world)

Examples:
  loadgen pprof top prof/threadsafe-mpsc.cpu.pb.gz
  loadgen pprof top -n 30 -cum prof/threadsafe-mutex.cpu.pb.gz
  loadgen pprof diff prof/threadsafe-mutex.cpu.pb.gz prof/threadsafe-mpsc.cpu.pb.gz
  loadgen pprof trace outliers/threadsafe-mpsc-1.trace

Profiles come from loadgen run -profile DIR; traces from loadgen run -trace-outliers DIR.
`

// RunPprofCLI runs `loadgen pprof` with args (after "pprof").
func RunPprofCLI(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, pprofUsage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, pprofUsage)
		return 0
	case "top":
		return pprofTop(args[1:], stdout, stderr)
	case "diff":
		return pprofDiff(args[1:], stdout, stderr)
	case "trace":
		return pprofTrace(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "loadgen pprof: unknown command %q; want top, diff or trace\n\n%s", args[0], pprofUsage)
	return 2
}

// parseInterleaved parses flags anywhere among the positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// usageExit maps a flag parse error to an exit status: -h is success.
func usageExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

func checkN(n int, stderr io.Writer) bool {
	if n < 1 || n > 100000 {
		fmt.Fprintf(stderr, "loadgen pprof: -n %d out of range; want 1..100000\n", n)
		return false
	}
	return true
}

// readProfileFile parses a pprof file, naming the file in any error.
func readProfileFile(path string) (*profile.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s is not a pprof profile: %w", path, err)
	}
	return p, nil
}

func pprofTop(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("loadgen pprof top", "usage: loadgen pprof top [-n N] [-cum] FILE\n\nExample:\n  loadgen pprof top -n 20 prof/threadsafe-mpsc.cpu.pb.gz\n\nFlags:\n", stderr)
	n := fs.Int("n", 20, "number of functions to list (1..100000)")
	cum := fs.Bool("cum", false, "order by cumulative instead of flat value")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return usageExit(err)
	}
	if !checkN(*n, stderr) {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "loadgen pprof top: want exactly one profile file, got %d (%s)\n", len(pos), strings.Join(pos, " "))
		return 2
	}
	p, err := readProfileFile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "loadgen pprof top: %v\n", err)
		return 2
	}
	r, err := Top(p, *n, *cum)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen pprof top: %s: %v\n", pos[0], err)
		return 1
	}
	if err := WriteTop(stdout, r); err != nil {
		fmt.Fprintf(stderr, "loadgen pprof top: %v\n", err)
		return 1
	}
	return 0
}

func pprofDiff(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("loadgen pprof diff", "usage: loadgen pprof diff [-n N] BASE NEW\n\nExample:\n  loadgen pprof diff prof/threadsafe-mutex.cpu.pb.gz prof/threadsafe-mpsc.cpu.pb.gz\n\nFlags:\n", stderr)
	n := fs.Int("n", 20, "number of functions to list, biggest change first (1..100000)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return usageExit(err)
	}
	if !checkN(*n, stderr) {
		return 2
	}
	if len(pos) != 2 {
		fmt.Fprintf(stderr, "loadgen pprof diff: want two profile files, BASE and NEW; got %d (%s)\n", len(pos), strings.Join(pos, " "))
		return 2
	}
	var ps [2]*profile.Profile
	for i, path := range pos {
		if ps[i], err = readProfileFile(path); err != nil {
			fmt.Fprintf(stderr, "loadgen pprof diff: %v\n", err)
			return 2
		}
	}
	r, err := Diff(ps[0], ps[1], *n)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen pprof diff: %s vs %s: %v\n", pos[0], pos[1], err)
		return 2
	}
	if err := WriteDiff(stdout, r); err != nil {
		fmt.Fprintf(stderr, "loadgen pprof diff: %v\n", err)
		return 1
	}
	return 0
}

func pprofTrace(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("loadgen pprof trace", "usage: loadgen pprof trace [-loop IDS] [-window D] FILE.trace...\n\nExample:\n  loadgen pprof trace outliers/threadsafe-mpsc-1.trace\n\nFlags:\n", stderr)
	loop := fs.String("loop", "", "comma-separated goroutine IDs of the loop (default: from the trace's ringloop markers, else the busiest goroutine)")
	window := fs.Duration("window", 0, "without an outlier marker in the trace: analyse its last D (default: all of it)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return usageExit(err)
	}
	var opts SummaryOptions
	if *loop != "" {
		for _, f := range strings.Split(*loop, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil || id < 1 {
				fmt.Fprintf(stderr, "loadgen pprof trace: -loop value %q is not a goroutine ID; want positive integers separated by commas\n", f)
				return 2
			}
			opts.Loop = append(opts.Loop, id)
		}
	}
	if *window < 0 || *window > time.Hour {
		fmt.Fprintf(stderr, "loadgen pprof trace: -window %v out of range; want 0 (all) .. 1h\n", *window)
		return 2
	}
	opts.Window = *window
	if len(pos) == 0 {
		fmt.Fprintln(stderr, "loadgen pprof trace: want at least one .trace file")
		return 2
	}
	status := 0
	for _, path := range pos {
		s, err := SummarizeTraceFile(path, opts)
		if err != nil {
			fmt.Fprintf(stderr, "loadgen pprof trace: %v\n", err)
			status = 2
			continue
		}
		head := path
		if s.Latency > 0 {
			head += fmt.Sprintf(" (outlier %d, latency %s)", s.Outlier, ms(s.Latency))
		}
		fmt.Fprintf(stdout, "%s\n  %s\n", head, s)
	}
	return status
}
