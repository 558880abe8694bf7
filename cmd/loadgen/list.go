package main

// list.go: `loadgen list` — every workload and its variants, one line each.

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ringloop/ringloop/bench"
)

func listCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: loadgen list

Lists every workload (with its default producer count) and the variants it
runs on, the default variant first. Pass these names to -workload and -variants.

Example:
  loadgen list
`)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "loadgen list: unexpected argument %q (list takes none)\n", fs.Arg(0))
		return exitUsage
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, w := range bench.Workloads() {
		fmt.Fprintf(tw, "%s\t%s (default producers %d)\n", w.Name, w.Doc, w.DefaultProducers)
		for i, v := range w.ListedVariants() {
			def := ""
			if i == 0 {
				def = " [default]"
			}
			fmt.Fprintf(tw, "  %s\t%s%s\t%s\n", v.Name, v.Doc, def, settings(v.Settings))
		}
	}
	tw.Flush()
	nv := bench.NullVariant()
	fmt.Fprintf(stdout, "\nevery workload, open loop only: %s (%s), run beside the variants unless -null=false\n", nv.Name, nv.Doc)
	return exitOK
}

func settings(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, " ")
}
