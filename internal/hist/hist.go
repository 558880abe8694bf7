// Package hist is loadgen's latency recorder: HDR histograms of the latency
// corrected and uncorrected for coordinated omission, and of the generator's
// own lateness (submission minus intended time), fed once per completed
// operation from the goroutine that observes the completion, plus the
// monotonic clock the samples are taken with.
//
// Invariants:
//   - A Recorder belongs to ONE recording goroutine (the loop goroutine that
//     runs the completion callbacks). Record is not safe for concurrent use;
//     one Recorder per recording goroutine, merged afterwards (Merge).
//   - Record never allocates and takes no lock; its cost budget is < 50 ns per
//     sample including the clock read (BenchmarkRecord).
//   - Histograms cover 1 ns .. 60 s with 3 significant digits. A value above
//     60 s is recorded as 60 s and counted in Clamped, never dropped.
//   - Samples whose intended start is before the measurement window (From) are
//     warm-up: counted in Warm, not recorded.
//   - hdrhistogram-go's ValueAtQuantile takes a percentage (0-100); this
//     package's API takes fractions (0-1) and converts at the call.
package hist

import (
	"math"
	"time"
	_ "unsafe" // go:linkname

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/ringloop/ringloop/results"
)

// The histogram range: 1 ns .. 60 s, 3 significant digits.
const (
	Lowest  = 1
	Highest = int64(60 * time.Second)
	Digits  = 3
)

//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Now returns the monotonic clock in nanoseconds (runtime.nanotime: one
// vDSO clock_gettime, no wall-clock read). Every intended, start and end time
// passed to Record comes from Now.
func Now() int64 { return nanotime() }

// NewHistogram returns an empty histogram with the package's range.
func NewHistogram() *hdr.Histogram { return hdr.New(Lowest, Highest, Digits) }

// IntervalStat is one -interval window, reported from the recording goroutine.
type IntervalStat struct {
	EndNs  int64 // the window's end, from the start of the measurement (From)
	SpanNs int64 // the window's length: the interval, or less for a run's last window
	Ops    int64 // samples in the window
	P99Ns  int64 // corrected p99 of the window
	MaxNs  int64 // corrected max of the window
	// Hist is the window's corrected histogram when the Recorder was given
	// SetIntervalHistograms (nil otherwise). It is handed over: the callee
	// owns it from then on (Reset it and offer it back to the spare
	// channel, or drop it).
	Hist *hdr.Histogram
}

// Recorder collects the latency samples of one recording goroutine.
type Recorder struct {
	// Corrected holds end-intended, Uncorrected end-start, Lateness
	// start-intended (the generator's own lateness: how far behind its
	// schedule each op was submitted; 0 in closed loop). Written only by the
	// recording goroutine; read after it has stopped.
	Corrected   *hdr.Histogram
	Uncorrected *hdr.Histogram
	Lateness    *hdr.Histogram

	from int64 // samples with intended < from are warm-up; set before use

	Warm    int64 // warm-up samples seen and not recorded
	Clamped int64 // samples above Highest, recorded as Highest

	// observe, when non-nil, is called with each recorded corrected latency
	// and this Recorder (outlier tracing). It must not allocate.
	observe Observer

	// Per-interval window (off when every == 0).
	win      *hdr.Histogram
	every    int64
	next     int64 // end of the open window (absolute Now() time)
	lastEnd  int64 // end time of the window's latest sample
	onWindow func(IntervalStat)
	spare    chan *hdr.Histogram // SetIntervalHistograms: empty windows to swap in; nil = Reset in place
}

// NewRecorder returns a Recorder that records samples intended at or after
// from (a Now() value).
func NewRecorder(from int64) *Recorder {
	return &Recorder{Corrected: NewHistogram(), Uncorrected: NewHistogram(), Lateness: NewHistogram(), from: from}
}

// Observer is called by Record, on the recording goroutine, with each
// recorded corrected latency and the Recorder it went into (so it may read the
// running distribution, e.g. its p99.99, from the same goroutine).
type Observer func(latency time.Duration, r *Recorder)

// SetObserver makes Record call fn with every recorded corrected latency.
// Call before recording starts.
func (r *Recorder) SetObserver(fn Observer) { r.observe = fn }

// SetInterval makes Record call fn, from the recording goroutine, once per
// elapsed window of length every (the first ending at from+every) that saw at
// least one sample. fn must be cheap (hand the stat off, do not print).
// Call before recording starts.
func (r *Recorder) SetInterval(every time.Duration, fn func(IntervalStat)) {
	if every <= 0 || fn == nil {
		return
	}
	r.win = NewHistogram()
	r.every = int64(every)
	r.next = r.from + r.every
	r.onWindow = fn
}

// SetIntervalHistograms makes each IntervalStat carry its window's
// histogram (Hist), handed over to the interval function; the Recorder
// takes an empty one from spare (which the receiver refills with Reset
// histograms) or, when spare is empty, allocates one. Call after
// SetInterval and before recording starts.
func (r *Recorder) SetIntervalHistograms(spare chan *hdr.Histogram) { r.spare = spare }

// Record adds one completed operation: intended is when the operation was
// due (the pacer's schedule; equal to start in closed loop), start when it
// was actually submitted, end when it completed. Only the recording
// goroutine calls Record.
func (r *Recorder) Record(intended, start, end int64) {
	if intended < r.from {
		r.Warm++
		return
	}
	c, u, l := end-intended, end-start, start-intended
	if c > Highest || u > Highest || c < Lowest || u < Lowest || uint64(l) > uint64(Highest) {
		c, u, l = r.clampSlow(c, u, l)
	}
	_ = r.Corrected.RecordValue(c)   // in range by clamp: cannot fail
	_ = r.Uncorrected.RecordValue(u) // in range by clamp: cannot fail
	_ = r.Lateness.RecordValue(l)    // 0..Highest by clamp: cannot fail
	if r.observe != nil {
		r.observe(time.Duration(c), r)
	}
	if r.win != nil {
		r.window(end, c)
	}
}

// RecordNow is Record with end = Now().
func (r *Recorder) RecordNow(intended, start int64) { r.Record(intended, start, nanotime()) }

// clampSlow brings the latencies into the histograms' range and the lateness
// into 0..Highest, counting the sample once in Clamped if either latency was
// above it.
func (r *Recorder) clampSlow(c, u, l int64) (int64, int64, int64) {
	if c > Highest || u > Highest {
		r.Clamped++
	}
	return min(max(c, Lowest), Highest), min(max(u, Lowest), Highest), min(max(l, 0), Highest)
}

// window is Record's per-interval part, out of line to keep Record small.
func (r *Recorder) window(end, c int64) {
	if end >= r.next {
		if n := r.win.TotalCount(); n > 0 {
			r.emit(IntervalStat{EndNs: r.next - r.from, SpanNs: r.every, Ops: n, P99Ns: r.win.ValueAtQuantile(99), MaxNs: r.win.Max()})
		}
		// Skip the empty windows in one step (a stall may span many).
		r.next += ((end-r.next)/r.every + 1) * r.every
	}
	_ = r.win.RecordValue(c)
	r.lastEnd = end
}

// FlushInterval reports the open per-interval window, if it holds samples
// (the last window of a run is otherwise never closed: no later sample comes).
// Call it once the recording goroutine has stopped recording; it calls the
// interval function from the caller's goroutine.
func (r *Recorder) FlushInterval() {
	if r.win == nil || r.win.TotalCount() == 0 {
		return
	}
	// The run ended inside this window: it spans up to the last sample.
	end := min(r.next, max(r.lastEnd, r.next-r.every+1))
	r.emit(IntervalStat{EndNs: end - r.from, SpanNs: end - (r.next - r.every), Ops: r.win.TotalCount(), P99Ns: r.win.ValueAtQuantile(99), MaxNs: r.win.Max()})
	r.next += r.every
}

// emit hands st to the interval function and empties the window: swapped
// for a spare one (the full one travels in st.Hist) or Reset in place.
func (r *Recorder) emit(st IntervalStat) {
	if r.spare == nil {
		r.onWindow(st)
		r.win.Reset()
		return
	}
	st.Hist = r.win
	select {
	case r.win = <-r.spare:
	default:
		r.win = NewHistogram()
	}
	r.onWindow(st)
}

// Count is the number of recorded (non-warm-up) samples.
func (r *Recorder) Count() int64 { return r.Corrected.TotalCount() }

// Merge adds o's samples into r. Both recording goroutines must have stopped.
func (r *Recorder) Merge(o *Recorder) {
	r.Corrected.Merge(o.Corrected)
	r.Uncorrected.Merge(o.Uncorrected)
	r.Lateness.Merge(o.Lateness)
	r.Warm += o.Warm
	r.Clamped += o.Clamped
}

// Quantile returns h's value at quantile q in [0, 1] (0.99 = p99).
func Quantile(h *hdr.Histogram, q float64) int64 { return h.ValueAtQuantile(q * 100) }

// Summarize reduces h to a results.Latency with its full percentile curve
// (HdrHistogram's percentile iteration, 5 ticks per half-distance).
func Summarize(h *hdr.Histogram) results.Latency {
	l := results.Latency{Count: h.TotalCount()}
	if l.Count == 0 {
		return l
	}
	l.MeanNs = h.Mean()
	l.StdDevNs = h.StdDev()
	if math.IsNaN(l.StdDevNs) {
		l.StdDevNs = 0
	}
	l.MinNs = h.Min()
	l.P50Ns = Quantile(h, 0.50)
	l.P90Ns = Quantile(h, 0.90)
	l.P99Ns = Quantile(h, 0.99)
	l.P999Ns = Quantile(h, 0.999)
	l.P9999Ns = Quantile(h, 0.9999)
	l.MaxNs = h.Max()
	for _, b := range h.CumulativeDistributionWithTicks(5) {
		q := b.Quantile / 100 // hdrhistogram-go brackets are percentages
		if q > 1 {
			q = 1
		}
		l.Curve = append(l.Curve, results.Point{Quantile: q, ValueNs: b.ValueAt})
	}
	return l
}

// MeasureCost times RecordNow on a scratch Recorder (observer and interval
// hooks off, as most runs are) in 10 batches of n/10 samples and returns the
// cheapest batch's cost per sample in ns: what the tool adds to every latency
// it reports, with other processes' interference (a shared machine) taken out
// as far as a minimum can. A few ms for n = 200_000.
func MeasureCost(n int) float64 {
	if n < 10 {
		n = 200_000
	}
	r := NewRecorder(0)
	start := Now()
	for range 1000 { // warm the histograms' counts arrays
		r.RecordNow(start, start)
	}
	best := 0.0
	for range 10 {
		t0 := Now()
		for range n / 10 {
			r.RecordNow(start, start)
		}
		c := float64(Now()-t0) / float64(n/10)
		if best == 0 || c < best {
			best = c
		}
	}
	return best
}
