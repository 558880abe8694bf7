package profiles

// outlier.go: tail forensics. While a run records, a runtime/trace flight recorder
// keeps the last second or so of execution trace in memory; when a latency sample
// lands above a threshold, the recorder's window is written to
// DIR/<workload>-<variant>-<n>.trace and, at Close, summarised (SummarizeTrace).
//
// Roles and cost:
//   - Observe is called by the recording goroutine(s) for every sample. Its fast
//     path is one atomic load and a compare (inlinable, no allocation, ~1.6 ns
//     measured by BenchmarkObserve).
//     Above the threshold observeSlow runs: it claims a slot (bounded by
//     maxFiles), emits a LogCategoryOutlier log event into the trace so the
//     summary knows when the outlier happened, and hands the request to the
//     writer goroutine through a buffered channel (no allocation, never blocks).
//   - One writer goroutine (started by NewOutlierRecorder, ended by Close) writes
//     the snapshots. While a snapshot is pending or being written, further
//     outliers are counted but not captured: they are almost always the queue
//     behind the same stall, which the pending snapshot already covers.
//   - Close stops the recorder, waits for the writer, then parses every trace
//     file and returns the outliers with their summaries. Parsing happens only
//     here, after the measurement, so it never perturbs a run.
//
// Invariants:
//   - threshold is math.MaxInt64 while disabled (threshold <= 0, all maxFiles
//     claimed, or closed), so the fast path rejects everything without a second
//     branch. While a snapshot is pending the threshold stays armed: outliers then
//     cost a failed CAS and an Add (counted by Skipped), nothing more.
//   - At most maxFiles snapshots are written; accepted counts claims and never
//     exceeds maxFiles once the claim is checked.
//   - Only one flight recorder may run per process (a runtime rule): a second
//     NewOutlierRecorder before Close fails.

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringloop/ringloop/results"
)

// FlightRecorderMinAge is how much recent execution the flight recorder keeps;
// an outlier's window (its latency plus a margin) must fit in it.
const FlightRecorderMinAge = time.Second

// FlightRecorderMaxBytes caps the flight recorder's memory.
const FlightRecorderMaxBytes = 16 << 20

// OutlierRecorder captures execution traces around latency outliers. Create it
// with NewOutlierRecorder; Observe from any goroutine; Close once.
type OutlierRecorder struct {
	threshold atomic.Int64 // ns; written by SetThreshold/observeSlow/Close, read by Observe (the fast path)
	want      atomic.Int64 // the threshold asked for via SetThreshold (<= 0: disabled)
	accepted  atomic.Int32 // snapshot claims; Add in observeSlow pairs with the bound check there
	pending   atomic.Bool  // true from a claim until its snapshot is written; CAS in observeSlow, Store(false) by the writer
	closed    atomic.Bool  // set once by Close; read by observeSlow and SetThreshold
	skipped   atomic.Int64 // outliers seen while a snapshot was pending

	dir, workload, variant string
	maxFiles               int
	fr                     *trace.FlightRecorder
	reqs                   chan outlierReq // capacity maxFiles: a claim always fits
	quit                   chan struct{}
	done                   chan struct{}

	mu       sync.Mutex // guards captured, errs (written by the writer, read by Close)
	captured []results.Outlier
	errs     []error

	closeOnce sync.Once
	closeOut  []results.Outlier
	closeErr  error

	beforeWrite func() // testHookBeforeWrite at construction; nil outside tests
}

// testHookBeforeWrite, when set by a test before NewOutlierRecorder, runs on the
// writer goroutine before each snapshot, so a test can hold a snapshot pending.
var testHookBeforeWrite func()

type outlierReq struct {
	n       int
	latency time.Duration
	at      time.Time
}

// NewOutlierRecorder starts the flight recorder and the writer goroutine.
// Outliers are samples above threshold (threshold <= 0 disables capture until
// SetThreshold sets a positive one, e.g. the running p99.99). At most maxFiles
// traces (1..1000) are written to DIR/<workload>-<variant>-<n>.trace.
func NewOutlierRecorder(dir, workload, variant string, threshold time.Duration, maxFiles int) (*OutlierRecorder, error) {
	if err := checkName("workload", workload); err != nil {
		return nil, err
	}
	if err := checkName("variant", variant); err != nil {
		return nil, err
	}
	if maxFiles < 1 || maxFiles > 1000 {
		return nil, fmt.Errorf("profiles: outlier file limit %d out of range; want 1..1000", maxFiles)
	}
	if dir == "" {
		return nil, fmt.Errorf("profiles: outlier directory is empty; want a directory path")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("profiles: outlier directory %q: %w", dir, err)
	}
	r := &OutlierRecorder{
		dir: dir, workload: workload, variant: variant, maxFiles: maxFiles,
		fr:   trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: FlightRecorderMinAge, MaxBytes: FlightRecorderMaxBytes}),
		reqs: make(chan outlierReq, maxFiles),
		quit: make(chan struct{}),
		done: make(chan struct{}),

		beforeWrite: testHookBeforeWrite,
	}
	if err := r.fr.Start(); err != nil {
		return nil, fmt.Errorf("profiles: start flight recorder (only one may run per process): %w", err)
	}
	r.threshold.Store(math.MaxInt64)
	r.SetThreshold(threshold)
	go r.writer()
	return r, nil
}

// TracePath returns DIR/<workload>-<variant>-<n>.trace.
func TracePath(dir, workload, variant string, n int) string {
	return filepath.Join(dir, workload+"-"+variant+"-"+strconv.Itoa(n)+".trace")
}

// SetThreshold changes the outlier threshold; d <= 0 disables capture. Any
// goroutine.
func (r *OutlierRecorder) SetThreshold(d time.Duration) {
	r.want.Store(int64(d))
	r.rearm()
}

// rearm publishes the effective threshold: the wanted one, unless disabled,
// full or closed.
func (r *OutlierRecorder) rearm() {
	t := r.want.Load()
	if t <= 0 || r.closed.Load() || int(r.accepted.Load()) >= r.maxFiles {
		t = math.MaxInt64
	}
	r.threshold.Store(t) // read by Observe's fast path
}

// Threshold returns the effective threshold (math.MaxInt64 ns while disabled).
func (r *OutlierRecorder) Threshold() time.Duration { return time.Duration(r.threshold.Load()) }

// Observe checks one latency sample. Any goroutine; no allocation; the common
// case (not an outlier) is one atomic load and a compare.
func (r *OutlierRecorder) Observe(latency time.Duration) {
	if int64(latency) <= r.threshold.Load() {
		return
	}
	r.observeSlow(latency)
}

// observeSlow claims a snapshot for an outlier. Never blocks.
func (r *OutlierRecorder) observeSlow(latency time.Duration) {
	if r.closed.Load() {
		return
	}
	if !r.pending.CompareAndSwap(false, true) { // pairs with the writer's Store(false)
		r.skipped.Add(1)
		return
	}
	n := int(r.accepted.Add(1))
	if n > r.maxFiles {
		r.threshold.Store(math.MaxInt64) // full: the fast path rejects from now on
		r.pending.Store(false)
		return
	}
	trace.Log(context.Background(), LogCategoryOutlier, "")
	r.reqs <- outlierReq{n: n, latency: latency, at: time.Now()} // capacity maxFiles >= n: never blocks
}

func (r *OutlierRecorder) writer() {
	defer close(r.done)
	for {
		select {
		case q := <-r.reqs:
			r.write(q)
		case <-r.quit:
			for {
				select {
				case q := <-r.reqs:
					r.write(q)
				default:
					return
				}
			}
		}
	}
}

// write snapshots the flight recorder for one outlier, then re-arms Observe.
func (r *OutlierRecorder) write(q outlierReq) {
	defer func() {
		r.rearm()              // full after this one? then the fast path rejects before...
		r.pending.Store(false) // ...the next outlier can claim; pairs with the CAS in observeSlow
	}()
	if r.beforeWrite != nil {
		r.beforeWrite()
	}
	loops := markedLoops()
	ids := make([]string, len(loops))
	for i, id := range loops {
		ids[i] = strconv.FormatInt(id, 10)
	}
	trace.Log(context.Background(), LogCategoryOutlierInfo,
		fmt.Sprintf("n=%d latency_ns=%d loop=%s workload=%s variant=%s", q.n, q.latency.Nanoseconds(), strings.Join(ids, ","), r.workload, r.variant))
	path := TracePath(r.dir, r.workload, r.variant, q.n)
	f, err := os.Create(path)
	if err == nil {
		_, err = r.fr.WriteTo(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("profiles: outlier trace %s: %w", path, err))
		return
	}
	r.captured = append(r.captured, results.Outlier{
		Workload: r.workload, Variant: r.variant, LatencyNs: q.latency.Nanoseconds(),
		At: q.at.UTC(), TraceFile: path,
	})
}

// Skipped returns how many outliers were seen while a snapshot was pending and
// so have no trace of their own. (Outliers after the file limit is reached are
// not counted: the fast path rejects them with no work at all.)
func (r *OutlierRecorder) Skipped() int64 { return r.skipped.Load() }

// Close stops capturing, waits for pending snapshots, stops the flight recorder
// and returns the captured outliers (in capture order) with each trace's
// summary. Summarising errors are reported in the Summary field, not as err;
// err reports snapshots that could not be written. Later calls return the same.
func (r *OutlierRecorder) Close() ([]results.Outlier, error) {
	r.closeOnce.Do(func() {
		r.closed.Store(true)
		r.rearm()
		close(r.quit)
		<-r.done
		r.fr.Stop()
		r.mu.Lock()
		out := append([]results.Outlier(nil), r.captured...)
		errs := r.errs
		r.mu.Unlock()
		for i := range out {
			s, err := SummarizeTraceFile(out[i].TraceFile, SummaryOptions{Latency: time.Duration(out[i].LatencyNs)})
			if err != nil {
				out[i].Summary = "not summarised: " + err.Error()
				continue
			}
			out[i].Summary = s.String()
		}
		r.closeOut = out
		if len(errs) > 0 {
			r.closeErr = errs[0]
			if len(errs) > 1 {
				r.closeErr = fmt.Errorf("%w (and %d more)", errs[0], len(errs)-1)
			}
		}
	})
	return r.closeOut, r.closeErr
}
