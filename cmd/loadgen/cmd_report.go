package main

// cmd_report.go: `loadgen report FILE... [-o out.html] [-svg DIR]`, rendering saved
// results as a self-contained HTML report. The work (and its tests) live in
// package report; this file only connects the subcommand to it.

import (
	"io"

	"github.com/ringloop/ringloop/report"
)

// runReport runs the report subcommand with the arguments after "report" and
// returns the exit status (0 ok, 1 failed while writing, 2 bad input).
func runReport(args []string, stdout, stderr io.Writer) int {
	return report.RunCLI(args, stdout, stderr)
}
