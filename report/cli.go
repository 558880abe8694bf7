package report

// cli.go: `loadgen report`, the command line over WriteHTMLNamed and
// WriteSVGsNamed. cmd/loadgen's runReport calls RunCLI; it lives here so it is
// tested here. An outlier with a trace file but no summary is summarised here
// (profiles.SummarizeTraceFile) before rendering.
//
// Exit status: 0 written; 1 rendering or writing failed after the inputs were
// accepted; 2 bad usage or input (no file, a file that is missing or not loadgen
// JSON, an output path that cannot be created), always naming the bad value and
// before any output is written.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ringloop/ringloop/internal/outfile"
	"github.com/ringloop/ringloop/profiles"
	"github.com/ringloop/ringloop/results"
)

const cliUsage = `usage: loadgen report [-o out.html] [-svg DIR] [-names A,B] FILE.json...

Renders loadgen results (run/compare -json FILE) as one self-contained HTML page
(no network needed to open it): per workload, latency by percentile (corrected
solid, uncorrected dashed), throughput with confidence intervals, the ratio table
and the machine. Several files render into the same plots, labelled by file, so
two runs compare in one look.

Examples:
  loadgen report results.json                       # writes report.html
  loadgen report -o before-after.html before.json after.json
  loadgen report -svg plots/ -o '' results.json     # SVG files only
  loadgen report -o - results.json > report.html

Flags:
`

// summarizeOutliers fills in the summary of every outlier that has a trace file
// but no summary (a results file written by a tool that did not analyse its
// traces), so the report still says what the loop goroutine was doing.
func summarizeOutliers(f *results.File, stderr io.Writer) {
	for i := range f.Outliers {
		o := &f.Outliers[i]
		if o.Summary != "" || o.TraceFile == "" {
			continue
		}
		s, err := profiles.SummarizeTraceFile(o.TraceFile, profiles.SummaryOptions{Latency: time.Duration(o.LatencyNs)})
		if err != nil {
			fmt.Fprintf(stderr, "loadgen report: outlier %s: %v (left without a summary)\n", o.TraceFile, err)
			continue
		}
		o.Summary = s.String()
	}
}

// RunCLI runs `loadgen report` with args (after "report").
func RunCLI(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, cliUsage)
		fs.PrintDefaults()
	}
	out := fs.String("o", "report.html", "HTML output path; - for stdout, empty for none")
	svgDir := fs.String("svg", "", "also write each plot as its own SVG file in this directory")
	names := fs.String("names", "", "comma-separated labels for the files (default: file names without .json when more than one file)")
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "loadgen report: no results file given; want one or more FILE.json written by loadgen run/compare -json")
		return 2
	}
	if *out == "" && *svgDir == "" {
		fmt.Fprintln(stderr, "loadgen report: -o is empty and -svg is not set; nothing to write")
		return 2
	}
	var labels []string
	if *names != "" {
		labels = strings.Split(*names, ",")
		if len(labels) != len(files) {
			fmt.Fprintf(stderr, "loadgen report: -names %q has %d labels for %d files; want one per file\n", *names, len(labels), len(files))
			return 2
		}
	}
	inputs := make([]Input, len(files))
	for i, path := range files {
		f, err := results.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "loadgen report: %v\n", err)
			return 2
		}
		summarizeOutliers(f, stderr)
		inputs[i] = Input{File: f}
		switch {
		case labels != nil:
			inputs[i].Name = labels[i]
		case len(files) > 1:
			inputs[i].Name = strings.TrimSuffix(filepath.Base(path), ".json")
		}
	}
	if len(files) > 1 && labels == nil {
		seen := map[string]bool{}
		for i := range inputs {
			if seen[inputs[i].Name] {
				for j := range inputs { // same base names in different dirs: use the paths
					inputs[j].Name = files[j]
				}
				break
			}
			seen[inputs[i].Name] = true
		}
	}
	// Every input and every output is checked, and the page rendered in
	// memory, before any output is opened: a bad input or a bad path leaves
	// every existing file as it was.
	if _, err := build(inputs); err != nil {
		fmt.Fprintf(stderr, "loadgen report: %s: %v\n", strings.Join(files, ", "), err)
		return 2
	}
	if *out != "" && *out != "-" {
		for _, in := range files {
			if outfile.Same(*out, in) {
				fmt.Fprintf(stderr, "loadgen report: -o %q is also an input file; it would be overwritten\n", *out)
				return 2
			}
		}
		if err := outfile.Check(*out); err != nil {
			fmt.Fprintf(stderr, "loadgen report: -o %q cannot be written: %v\n", *out, err)
			return 2
		}
	}
	if *svgDir != "" {
		if st, err := os.Stat(*svgDir); err == nil && !st.IsDir() {
			fmt.Fprintf(stderr, "loadgen report: -svg %q is not a directory\n", *svgDir)
			return 2
		}
	}
	var page bytes.Buffer
	if err := WriteHTMLNamed(&page, inputs...); err != nil {
		fmt.Fprintf(stderr, "loadgen report: %v\n", err)
		return 1
	}
	if *svgDir != "" {
		if err := os.MkdirAll(*svgDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "loadgen report: -svg %q cannot be created: %v\n", *svgDir, err)
			return 2
		}
	}
	switch *out {
	case "":
	case "-":
		if _, err := stdout.Write(page.Bytes()); err != nil {
			fmt.Fprintf(stderr, "loadgen report: stdout: %v\n", err)
			return 1
		}
	default:
		if err := outfile.Write(*out, func(w io.Writer) error { _, err := w.Write(page.Bytes()); return err }); err != nil {
			fmt.Fprintf(stderr, "loadgen report: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "loadgen report: wrote %s\n", *out)
	}
	if *svgDir != "" {
		paths, err := WriteSVGsNamed(*svgDir, inputs...)
		if err != nil {
			fmt.Fprintf(stderr, "loadgen report: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "loadgen report: wrote %d SVG files to %s\n", len(paths), *svgDir)
	}
	return 0
}
