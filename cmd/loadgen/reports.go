package main

// reports.go: the hooks into packages report and profiles: -report and -svg
// (package report), -profile and -trace-outliers (package profiles). The
// `report` and `pprof` subcommands live in cmd_report.go and cmd_pprof.go.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/profiles"
	"github.com/ringloop/ringloop/report"
	"github.com/ringloop/ringloop/results"
)

// maxOutlierFiles bounds the trace files written per run of a variant.
const maxOutlierFiles = 5

// autoOutlierMin is how many samples a run must have recorded before the
// running p99.99 is used as the outlier threshold (below it p99.99 is
// nearly the max).
const autoOutlierMin = 4096

// markLoop registers the calling loop goroutine so outlier trace summaries
// name it instead of guessing.
func markLoop() func() { return profiles.MarkLoop(context.Background()) }

func startProfile(dir, workload, variant string) (func() error, error) {
	return profiles.Start(dir, workload, variant)
}

// outlierHook wraps one run's profiles.OutlierRecorder. With a fixed
// threshold (-outlier) it passes samples through; with none it keeps the
// threshold at the run's running p99.99, re-read every 4096 samples on the
// recording goroutine from that goroutine's own histogram.
type outlierHook struct {
	rec     *profiles.OutlierRecorder
	variant string
	observe hist.Observer
}

func newOutlierHook(dir, workload, variant string, rep int, threshold time.Duration) (*outlierHook, error) {
	// One flight recorder per process: one OutlierRecorder per run, each
	// writing <workload>-<variant>_run<rep>-<n>.trace.
	r, err := profiles.NewOutlierRecorder(dir, workload, fmt.Sprintf("%s_run%d", variant, rep), threshold, maxOutlierFiles)
	if err != nil {
		return nil, err
	}
	h := &outlierHook{rec: r, variant: variant}
	if threshold > 0 {
		h.observe = func(d time.Duration, _ *hist.Recorder) { r.Observe(d) }
	} else {
		h.observe = func(d time.Duration, hr *hist.Recorder) {
			if n := hr.Count(); n&4095 == 0 && n >= autoOutlierMin {
				r.SetThreshold(time.Duration(hist.Quantile(hr.Corrected, 0.9999)))
			}
			r.Observe(d)
		}
	}
	return h, nil
}

// close stops the recorder and returns its outliers under the real variant
// name.
func (h *outlierHook) close() ([]results.Outlier, error) {
	outs, err := h.rec.Close()
	for i := range outs {
		outs[i].Variant = h.variant
	}
	return outs, err
}

// writeReports writes -report and -svg. With nothing measured (interrupted
// during the first warm-up) there is nothing to draw: it writes neither, says
// so on stderr, and leaves an existing file as it was.
func writeReports(fl *runFlags, f *results.File, stderr io.Writer) error {
	if len(f.Summaries) == 0 && (f.Sweep == nil || len(f.Sweep.Steps) == 0) && (fl.reportPath != "" || fl.svgDir != "") {
		fmt.Fprintf(stderr, "loadgen %s: -report/-svg: nothing written: no variant was measured (existing files are left as they were)\n", fl.cmd)
		return nil
	}
	var errs []error
	if fl.reportPath != "" {
		if err := writeFileWith(fl.reportPath, func(w io.Writer) error { return report.WriteHTML(w, f) }); err != nil {
			errs = append(errs, fmt.Errorf("-report: %w", err))
		}
	}
	if fl.svgDir != "" {
		if err := report.WriteSVGs(fl.svgDir, f); err != nil {
			errs = append(errs, fmt.Errorf("-svg %s: %w", fl.svgDir, err))
		}
	}
	return errors.Join(errs...)
}
