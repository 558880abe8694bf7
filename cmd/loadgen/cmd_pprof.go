package main

// cmd_pprof.go: `loadgen pprof top|diff|trace`, analysing the profiles written by
// -profile DIR and the outlier traces written by -trace-outliers DIR. The work
// (and its tests) live in package profiles; this file only connects the
// subcommand to it.

import (
	"io"

	"github.com/ringloop/ringloop/profiles"
)

// runPprof runs the pprof subcommand with the arguments after "pprof" and returns
// the exit status (0 ok, 1 failed while analysing, 2 bad input).
func runPprof(args []string, stdout, stderr io.Writer) int {
	return profiles.RunPprofCLI(args, stdout, stderr)
}
