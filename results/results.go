// Package results holds the Go types of loadgen's JSON output and reads and
// writes them. It is the one contract between the tool that measures
// (cmd/loadgen) and the tools that render (package report, loadgen report):
// a report is drawn from exactly these fields.
//
// The first thing a user does is read what `loadgen -json out.json` wrote:
// f, err := results.ReadFile("out.json").
//
// Invariants:
//   - Schema is Schema (SchemaV2, "ringloop.loadgen/v2") in everything Write
//     produces; Read accepts it and SchemaV1, and refuses any other schema,
//     so a renderer never guesses.
//   - v2 adds File.Sweep (loadgen sweep: latency against offered load) and
//     nothing else changes meaning: a v1 file reads as a v2 File with Sweep
//     nil.
//   - Fields are only ever added within a version (with omitempty where a
//     zero value would mislead); a rename or a change of meaning bumps the
//     schema.
//   - Every time and latency is an integer count of nanoseconds (suffix Ns);
//     every rate is per second (float64); a quantile is a fraction in [0, 1]
//     (0.99 = p99), never a percentage.
//   - Partial is true when the run was interrupted (Ctrl-C) or stopped early;
//     the numbers present are real measurements, just fewer of them.
package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ringloop/ringloop/internal/outfile"
)

// The versions of the format; File.Schema carries one. Schema is the one
// Write produces.
const (
	SchemaV1 = "ringloop.loadgen/v1"
	SchemaV2 = "ringloop.loadgen/v2"
	Schema   = SchemaV2
)

// ErrSchema is returned (wrapped) by Read and ReadFile for a document whose
// schema is neither SchemaV1 nor SchemaV2.
var ErrSchema = errors.New("results: unknown schema")

// File is one loadgen invocation's result: a `run` or `compare` over one
// workload and one or more variants.
type File struct {
	// Schema is the version the file was written with: Schema (SchemaV2)
	// for every file Write produces, SchemaV1 for an older file read back.
	Schema string `json:"schema"`
	// Tool is the program that wrote the file ("loadgen") and its subcommand,
	// e.g. "loadgen compare".
	Tool string `json:"tool"`
	// Machine is where it ran.
	Machine Machine `json:"machine"`
	// Config is what was asked for, after defaults were applied.
	Config Config `json:"config"`
	// Summaries holds one entry per (workload, variant), in the order the
	// variants were given (the baseline first if it was given first).
	Summaries []Summary `json:"summaries"`
	// Intervals holds the per-interval lines (-interval), in time order;
	// empty when -interval was 0.
	Intervals []Interval `json:"intervals,omitempty"`
	// Outliers lists samples above the outlier threshold that were captured
	// with a trace (-trace-outliers); empty otherwise.
	Outliers []Outlier `json:"outliers,omitempty"`
	// Partial is true when the run stopped before every repetition of every
	// variant finished (Ctrl-C, SIGTERM); what is present was measured.
	Partial bool `json:"partial"`
	// Warnings are things a reader must know to trust the numbers: too few
	// repetitions for a confidence interval, a target rate not kept, a
	// recorder cost that is a large share of the measured latency, ...
	Warnings []string `json:"warnings,omitempty"`
	// Sweep is what `loadgen sweep` measured: latency against offered load,
	// per variant, and each one's knee (v2). Nil for run and compare. In a
	// sweep file Summaries holds the closed-loop capacity runs the ladder of
	// rates was derived from.
	Sweep *Sweep `json:"sweep,omitempty"`
	// StartedAt and FinishedAt bound the whole invocation (wall clock, UTC).
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// Machine describes where a result was measured.
type Machine struct {
	// CPUModel is the "model name" of /proc/cpuinfo (or "unknown").
	CPUModel string `json:"cpu_model"`
	// Cores is runtime.NumCPU(): the logical CPUs this process may use.
	Cores int `json:"cores"`
	// GOMAXPROCS is runtime.GOMAXPROCS(0) during the run.
	GOMAXPROCS int `json:"gomaxprocs"`
	// GoVersion is runtime.Version().
	GoVersion string `json:"go_version"`
	// OS and Arch are runtime.GOOS and runtime.GOARCH.
	OS   string `json:"os"`
	Arch string `json:"arch"`
	// Pinned is true when loops were pinned to CPUs (-pin).
	Pinned bool `json:"pinned"`
	// XcoreNs is the cross-core cache-line round trip measured at the start
	// of the run (internal/xcore), in ns; 0 when it could not be measured
	// (one CPU, or the probe unavailable). Near placement is ~80 ns on the
	// project's VMs, far ~400 ns.
	XcoreNs float64 `json:"xcore_ns"`
	// Date is when the run started (UTC).
	Date time.Time `json:"date"`
	// Hostname is os.Hostname(), or "" if unknown.
	Hostname string `json:"hostname"`
}

// Config is the run configuration after defaults were applied.
type Config struct {
	// Workload is the workload name (see `loadgen list`).
	Workload string `json:"workload"`
	// Variants are the variant names run, in order.
	Variants []string `json:"variants"`
	// Producers is the number of producer goroutines.
	Producers int `json:"producers"`
	// Rate is the target rate in operations per second over all producers;
	// 0 means closed loop (as fast as possible).
	Rate float64 `json:"rate"`
	// DurationNs is the measured duration of one repetition of one variant.
	DurationNs int64 `json:"duration_ns"`
	// WarmupNs is the unmeasured warm-up before each repetition.
	WarmupNs int64 `json:"warmup_ns"`
	// Count is the number of repetitions of each variant (interleaved ABAB).
	Count int `json:"count"`
	// Loops is the group size for the group workload (1 otherwise).
	Loops int `json:"loops"`
	// Pin is true when loops were pinned to CPUs.
	Pin bool `json:"pin"`
	// Baseline is the variant every other one is compared against.
	Baseline string `json:"baseline"`
	// IntervalNs is the per-interval reporting period; 0 when off.
	IntervalNs int64 `json:"interval_ns,omitempty"`
	// Pacer is how open-loop producers waited for each intended time:
	// "spin" (sleep to 200 us before, then spin) or "sleep" (precise
	// absolute-time sleeps on a locked thread with 1 ns timer slack).
	Pacer string `json:"pacer,omitempty"`
	// OutlierNs is the fixed outlier threshold (-outlier); 0 means the
	// running p99.99 was used, or that outlier tracing was off.
	OutlierNs int64 `json:"outlier_ns,omitempty"`
	// Service and Keys are the service-time distribution and key skew of
	// the service and starve workloads (-service, -keys); empty elsewhere.
	Service string `json:"service,omitempty"`
	Keys    string `json:"keys,omitempty"`
}

// Summary is everything measured for one (workload, variant).
type Summary struct {
	Workload string `json:"workload"`
	Variant  string `json:"variant"`
	// Settings are the concrete scheduler options this variant ran with,
	// e.g. {"inbox":"mpsc","wakeup":"eventfd","lock_os_thread":"false"}.
	Settings map[string]string `json:"settings,omitempty"`
	// Runs holds one entry per completed repetition, in run order.
	Runs []Run `json:"runs"`
	// Throughput summarises Runs[i].Throughput: median and confidence
	// interval (benchmath, AssumeNothing), in operations per second.
	Throughput Estimate `json:"throughput"`
	// TargetRate is Config.Rate (0 = closed loop).
	TargetRate float64 `json:"target_rate"`
	// AchievedRate is the median over Runs of the rate actually submitted,
	// per second. In closed loop it equals the median throughput.
	AchievedRate float64 `json:"achieved_rate"`
	// RateKept is false when an open-loop run fell more than 1% short of
	// TargetRate in any repetition (the pacer or the loop could not keep up).
	// Always true in closed loop.
	RateKept bool `json:"rate_kept"`
	// Corrected is the latency measured from each operation's INTENDED start
	// (the pacer's schedule), all repetitions merged: a stall delays every
	// operation scheduled during it, and they all show (coordinated omission
	// corrected, as wrk2). In closed loop the intended start is the actual
	// start, so Corrected equals Uncorrected.
	Corrected Latency `json:"corrected"`
	// Uncorrected is the latency measured from each operation's ACTUAL
	// submission, all repetitions merged: what a naive tool reports. For the
	// timers workload, whose timers are set up to 1 ms ahead of their due
	// time, it counts from the due time or from when the timer was set if
	// that was later, so it is never above Corrected.
	Uncorrected Latency `json:"uncorrected"`
	// Ratio compares this variant to the baseline; nil for the baseline
	// itself and when there is no baseline.
	Ratio *Ratio `json:"ratio,omitempty"`
	// RecorderNsPerSample is the measured cost of recording one sample
	// (taking the end time and adding to both histograms), in ns, measured on
	// this machine at the start of the run.
	RecorderNsPerSample float64 `json:"recorder_ns_per_sample"`
	// Floor is true for the null baseline (variant "null"): the same pacer
	// and recorder, each op completed by its producer right after its
	// submission, no scheduler. Its latency is the harness's floor: the part
	// of every other variant's tail that is not the scheduler's.
	Floor bool `json:"floor,omitempty"`
	// Lateness is the generator's own lateness, all repetitions merged: each
	// op's actual submission time minus its intended time (0 in closed
	// loop). A corrected tail far above the uncorrected one with a lateness
	// tail as large is the generator's, not the scheduler's.
	Lateness *Latency `json:"lateness,omitempty"`
	// CPUCores is the median over Runs of the process CPU time used during
	// a run divided by its wall time (1.0 = one CPU busy). For the null
	// baseline it is what the generator alone costs.
	CPUCores float64 `json:"cpu_cores,omitempty"`
}

// Run is one repetition of one variant.
type Run struct {
	// Index is the repetition number, from 0.
	Index int `json:"index"`
	// Ops is the number of operations completed in the measured window.
	Ops int64 `json:"ops"`
	// ElapsedNs is the measured window's length.
	ElapsedNs int64 `json:"elapsed_ns"`
	// Throughput is Ops per second of ElapsedNs.
	Throughput float64 `json:"throughput"`
	// AchievedRate is the submissions per second actually made (open loop:
	// compare with the target rate; closed loop: equals Throughput).
	AchievedRate float64 `json:"achieved_rate"`
	// P50Ns ... MaxNs are this repetition's corrected percentiles, so a
	// reader can see their spread across repetitions.
	P50Ns   int64 `json:"p50_ns"`
	P90Ns   int64 `json:"p90_ns"`
	P99Ns   int64 `json:"p99_ns"`
	P999Ns  int64 `json:"p999_ns"`
	P9999Ns int64 `json:"p9999_ns"`
	MaxNs   int64 `json:"max_ns"`
	// XcoreNs is the cross-core round trip measured right before this
	// repetition (0 if unmeasured), so samples can be split by placement.
	XcoreNs float64 `json:"xcore_ns"`
	// LatenessP50Ns ... LatenessP999Ns are this repetition's generator
	// lateness percentiles (submission minus intended time).
	LatenessP50Ns  int64 `json:"lateness_p50_ns,omitempty"`
	LatenessP99Ns  int64 `json:"lateness_p99_ns,omitempty"`
	LatenessP999Ns int64 `json:"lateness_p999_ns,omitempty"`
	// CPUNs is the process CPU time (user + system, getrusage) used from
	// the start to the end of this repetition (warm-up and drain included)
	// and WallNs the wall time of the same span.
	CPUNs  int64 `json:"cpu_ns,omitempty"`
	WallNs int64 `json:"wall_ns,omitempty"`
	// Partial is true when this repetition was cut short (Ctrl-C): its
	// numbers are real but cover less than the configured duration, so it
	// is left out of -bench output, where it would be averaged with
	// complete runs.
	Partial bool `json:"partial,omitempty"`
}

// Estimate is a median with its confidence interval (benchmath.Summary).
type Estimate struct {
	// Center is the median of the samples.
	Center float64 `json:"center"`
	// Lo and Hi bound the confidence interval; equal to Center when there are
	// too few samples for an interval (see Warnings).
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Confidence is the interval's actual confidence level (e.g. 0.95); 0
	// when no interval could be computed.
	Confidence float64 `json:"confidence"`
	// N is the number of samples.
	N int `json:"n"`
	// Warnings says why the interval is missing or weak ("need >= 6 samples
	// for confidence interval at level 0.95").
	Warnings []string `json:"warnings,omitempty"`
}

// Latency is one latency distribution (an HDR histogram, 3 significant
// digits, 1 ns .. 60 s) reduced to numbers.
type Latency struct {
	// Count is the number of samples.
	Count int64 `json:"count"`
	// MeanNs, StdDevNs are the mean and standard deviation.
	MeanNs   float64 `json:"mean_ns"`
	StdDevNs float64 `json:"stddev_ns"`
	// MinNs, P50Ns ... MaxNs are the percentiles (HDR values: the highest
	// value equivalent to the recorded ones, 3 significant digits).
	MinNs   int64 `json:"min_ns"`
	P50Ns   int64 `json:"p50_ns"`
	P90Ns   int64 `json:"p90_ns"`
	P99Ns   int64 `json:"p99_ns"`
	P999Ns  int64 `json:"p999_ns"`
	P9999Ns int64 `json:"p9999_ns"`
	MaxNs   int64 `json:"max_ns"`
	// Curve is the full percentile curve for plotting, quantiles ascending
	// from 0 up to 1 (the last point is the max), dense towards the tail
	// (as HdrHistogram's percentile distribution, 5 ticks per half-distance).
	Curve []Point `json:"curve"`
}

// Point is one point of a percentile curve.
type Point struct {
	// Quantile is a fraction in [0, 1] (0.999 = p99.9).
	Quantile float64 `json:"q"`
	// ValueNs is the latency at that quantile.
	ValueNs int64 `json:"ns"`
}

// Ratio compares a variant against the baseline.
type Ratio struct {
	// Baseline is the baseline variant's name.
	Baseline string `json:"baseline"`
	// Throughput is variant/baseline median throughput (> 1 = faster), with
	// a conservative interval from the two medians' intervals
	// (Lo = v.Lo/b.Hi, Hi = v.Hi/b.Lo).
	Throughput Estimate `json:"throughput"`
	// ThroughputP is the Mann-Whitney U p-value (benchmath.AssumeNothing
	// Compare) of the two throughput samples; ThroughputSignificant is
	// P < Alpha. With too few runs P is 1 and a warning says so.
	ThroughputP           float64 `json:"throughput_p"`
	Alpha                 float64 `json:"alpha"`
	ThroughputSignificant bool    `json:"throughput_significant"`
	// P99 is variant/baseline median over runs of the corrected p99 (< 1 =
	// better), with the same conservative interval, and P99P its
	// Mann-Whitney U p-value.
	P99  Estimate `json:"p99"`
	P99P float64  `json:"p99_p"`
	// Warnings from the comparison (too few samples, ...).
	Warnings []string `json:"warnings,omitempty"`
}

// Interval is one per-interval line (-interval): rate and p99 over a short
// window, so drift within a run is visible.
type Interval struct {
	Workload string `json:"workload"`
	Variant  string `json:"variant"`
	// Run is the repetition index.
	Run int `json:"run"`
	// OffsetNs is the window's end, from the start of the measured part of
	// the repetition.
	OffsetNs int64 `json:"offset_ns"`
	// SpanNs is the window's length: the interval, shorter for a run's last
	// window (which ends at its last sample).
	SpanNs int64 `json:"span_ns"`
	// Ops completed in the window, and their rate per second (Ops / SpanNs).
	Ops  int64   `json:"ops"`
	Rate float64 `json:"rate"`
	// P99Ns and MaxNs are the window's corrected p99 and max.
	P99Ns int64 `json:"p99_ns"`
	MaxNs int64 `json:"max_ns"`
	// Partial is true for a run's last window, cut by the end of the run
	// (SpanNs is not the interval; it may hold the drain after the deadline).
	Partial bool `json:"partial,omitempty"`
}

// Outlier is one sample above the outlier threshold whose surrounding
// execution trace was saved (-trace-outliers).
type Outlier struct {
	Workload string `json:"workload"`
	Variant  string `json:"variant"`
	// LatencyNs is the sample's corrected latency.
	LatencyNs int64 `json:"latency_ns"`
	// At is when the sample completed (wall clock, UTC).
	At time.Time `json:"at"`
	// TraceFile is the path of the saved trace (go tool trace opens it).
	TraceFile string `json:"trace_file"`
	// Summary says what the loop goroutine was doing in the window ("GC
	// stop-the-world 1.9 ms"), or "" if not analysed.
	Summary string `json:"summary,omitempty"`
}

// Read decodes a File from r and checks its schema.
func Read(r io.Reader) (*File, error) {
	var f File
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("results: decode: %w", err)
	}
	if f.Schema != SchemaV1 && f.Schema != SchemaV2 {
		return nil, fmt.Errorf("%w %q (want %q or %q)", ErrSchema, f.Schema, SchemaV2, SchemaV1)
	}
	return &f, nil
}

// ReadFile reads and decodes the File at path.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	defer fh.Close()
	f, err := Read(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Write encodes f as indented JSON to w, setting Schema to Schema.
func (f *File) Write(w io.Writer) error {
	f.Schema = Schema
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("results: encode: %w", err)
	}
	return nil
}

// WriteFile writes f to path as package internal/outfile does: a new or
// regular file is replaced atomically (a reader never sees half a file, a
// failed write leaves the old one); a FIFO or a device is written through,
// never replaced. Every write error (ENOSPC included) is returned.
func (f *File) WriteFile(path string) error {
	return outfile.Write(path, f.Write) // its errors name the path
}

// Find returns the summary for (workload, variant), or nil.
func (f *File) Find(workload, variant string) *Summary {
	for i := range f.Summaries {
		if f.Summaries[i].Workload == workload && f.Summaries[i].Variant == variant {
			return &f.Summaries[i]
		}
	}
	return nil
}
