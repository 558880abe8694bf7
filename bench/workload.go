package bench

// workload.go: the workloads loadgen runs and the benchmarks measure — one
// definition, so `loadgen -workload threadsafe` and a benchmark of the same
// name measure the same thing.
//
// A Workload drives one or more sched.Loops with operations and calls a
// hist.Recorder, on the loop goroutine that observes each completion, with the
// operation's intended start, actual start and end. Two modes:
//
//   - closed loop (Config.Rate == 0): each producer submits as fast as its
//     in-flight window allows (max throughput); intended start == start.
//   - open loop (Config.Rate > 0): each producer follows a pace.Pacer schedule
//     (Rate split over the producers); latency is measured from the INTENDED
//     start, so a stall delays every operation scheduled during it and they all
//     show in the corrected distribution (wrk2); the uncorrected one is kept
//     beside it.
//
// Invariants:
//   - Operations intended before the end of the warm-up are not recorded.
//   - Every producer has at most Window operations in flight (a wrk2
//     "connection" count): a producer whose window is full waits, and in open
//     loop its late operations keep their intended times.
//   - Op slots are preallocated and reused: the submission path allocates
//     nothing except what the workload itself measures (a Future, a Handle).
//   - Run returns only after every submitted op completed (or the drain timed
//     out, which is reported) and every loop was stopped and closed.
//   - A closed Config.Stop stops producers at once; what completed is
//     returned with Partial set.

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/sys/unix"

	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/internal/pace"
	"github.com/ringloop/ringloop/multi"
	"github.com/ringloop/ringloop/sched"
)

// DefaultWindow is the default number of in-flight operations per producer.
const DefaultWindow = 128

// drainTimeout bounds the wait for in-flight operations at the end of a run.
const drainTimeout = 10 * time.Second

// Variant is one scheduler configuration a workload runs on.
type Variant struct {
	// Name is what -variants takes: "mpsc", "eventfd-locked", "unlocked".
	Name string
	// Doc is one line for `loadgen list`.
	Doc string
	// Settings are the concrete options, for the result file.
	Settings map[string]string
	// Options build the loop.
	Options []sched.Option
	// Hidden variants are test hooks: accepted by name, never listed.
	Hidden bool

	stall  time.Duration // test hook: one loop stall injected mid-measurement
	window int           // overrides Config.Window when > 0
	null   bool          // the null baseline (workload_null.go): no scheduler
}

// Config is one run of one workload on one variant.
type Config struct {
	Producers int           // producer goroutines (>= 1)
	Rate      float64       // total ops/s over all producers; 0 = closed loop
	Warmup    time.Duration // run but not recorded
	Duration  time.Duration // measured
	// Ops, when > 0 (closed loop only), ends the measurement after that many
	// measured ops instead of after Duration (benchmarks: Ops = b.N).
	Ops    int64
	Loops  int  // group size (group workload; 0 = one per CPU); others use 1
	Pin    bool // pin loop and producer threads to CPUs
	Window int  // in-flight ops per producer; 0 = DefaultWindow
	// Pacer is how open-loop producers wait for each op's intended time
	// (pace.Spin, the default, or pace.Sleep: see internal/pace/sleep.go).
	Pacer pace.Mode

	// Service and Keys are the service and starve workloads' distributions
	// (ParseService, ParseKeys); "" = DefaultService, DefaultKeys.
	Service, Keys string

	// Interval > 0 calls OnInterval from the loop goroutine once per window
	// (from EACH loop's goroutine in the group workload: it must be safe for
	// concurrent use).
	Interval   time.Duration
	OnInterval func(hist.IntervalStat)
	// IntervalHists, when non-nil, makes each IntervalStat carry its
	// window's histogram (hist.Recorder.SetIntervalHistograms): spare
	// empty histograms come from it.
	IntervalHists chan *hdr.Histogram
	// Observe, when non-nil, is called from the loop goroutine with every
	// recorded corrected latency (outlier tracing). Must not allocate; with
	// several loops (group) it is called concurrently.
	Observe hist.Observer
	// Stop, when closed, ends the run early (Partial).
	Stop <-chan struct{}
	// OnLoop, when non-nil, is called once on each loop goroutine before
	// the run starts (e.g. profiles.MarkLoop, so outlier traces name the
	// loop); the function it returns is called when the run is over.
	OnLoop func() (done func())

	loopsDefault bool // Loops was 0
}

// Result is what one run measured.
type Result struct {
	Rec       *hist.Recorder // merged over the recording goroutines
	Ops       int64          // measured ops completed (Rec.Count())
	Submitted int64          // measured ops submitted
	// Elapsed is from the start of the measurement to the moment the last
	// measured op completed.
	Elapsed time.Duration
	// SubmitElapsed is from the start of the measurement to the last
	// measured submission: AchievedRate = Submitted / SubmitElapsed.
	SubmitElapsed time.Duration
	Behind        int64 // open loop: ops submitted later than one period after their intended time
	Partial       bool  // stopped early through Config.Stop
	Warnings      []string
}

// Throughput is completed ops per second of Window.
func (r *Result) Throughput() float64 {
	if r.Window() <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Window().Seconds()
}

// Window is the span throughput is measured over: Elapsed, or SubmitElapsed
// when longer (open loop: the schedule ran to the deadline after the last op
// completed). Throughput and AchievedRate share it, so throughput never
// exceeds the rate offered (Ops <= Submitted).
func (r *Result) Window() time.Duration { return max(r.Elapsed, r.SubmitElapsed) }

// AchievedRate is submitted ops per second.
func (r *Result) AchievedRate() float64 {
	if r.SubmitElapsed <= 0 {
		return 0
	}
	return float64(r.Submitted) / r.SubmitElapsed.Seconds()
}

// Workload is one named way of loading the scheduler.
type Workload struct {
	Name string
	Doc  string
	// DefaultProducers is the producer count when -producers is not given.
	DefaultProducers int
	// Variants lists every variant this workload runs on, the default first.
	Variants func() []Variant
	// Hidden workloads are not listed.
	Hidden bool

	run func(cfg Config, v Variant) (*Result, error)
}

var registry []*Workload

func register(w *Workload) { registry = append(registry, w) }

// Workloads returns the listed workloads, in a fixed order.
func Workloads() []*Workload {
	out := make([]*Workload, 0, len(registry))
	for _, w := range registry {
		if !w.Hidden {
			out = append(out, w)
		}
	}
	order := []string{"threadsafe", "callsoon", "future", "task", "timers", "wakeup", "group", "service", "starve"}
	sort.SliceStable(out, func(i, j int) bool {
		return slices.Index(order, out[i].Name) < slices.Index(order, out[j].Name)
	})
	return out
}

// ErrUnknown is wrapped by Lookup and Workload.Variant for unknown names.
var ErrUnknown = errors.New("unknown name")

// Lookup returns the workload called name.
func Lookup(name string) (*Workload, error) {
	for _, w := range registry {
		if w.Name == name {
			return w, nil
		}
	}
	var names []string
	for _, w := range Workloads() {
		names = append(names, w.Name)
	}
	return nil, fmt.Errorf("%w: workload %q (accepted: %s)", ErrUnknown, name, strings.Join(names, ", "))
}

// Variant returns the variant called name (hidden ones included).
func (w *Workload) Variant(name string) (Variant, error) {
	var names []string
	for _, v := range w.allVariants() {
		if v.Name == name {
			return v, nil
		}
		if !v.Hidden {
			names = append(names, v.Name)
		}
	}
	return Variant{}, fmt.Errorf("%w: variant %q for workload %s (accepted: %s)", ErrUnknown, name, w.Name, strings.Join(names, ", "))
}

// ListedVariants returns the non-hidden variants, the default first.
func (w *Workload) ListedVariants() []Variant {
	var out []Variant
	for _, v := range w.allVariants() {
		if !v.Hidden {
			out = append(out, v)
		}
	}
	return out
}

func (w *Workload) allVariants() []Variant {
	vs := w.Variants()
	if w.Name == "threadsafe" {
		vs = append(vs, stallVariant())
	}
	return vs
}

// Run runs the workload once on variant v.
func (w *Workload) Run(cfg Config, v Variant) (*Result, error) {
	if cfg.Producers <= 0 {
		cfg.Producers = w.DefaultProducers
	}
	if cfg.Loops <= 0 {
		cfg.Loops = 1
		cfg.loopsDefault = true
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if v.window > 0 {
		cfg.Window = v.window
	}
	if cfg.Rate < 0 || cfg.Warmup < 0 || cfg.Duration < 0 || cfg.Ops < 0 || (cfg.Duration == 0 && cfg.Ops == 0) {
		return nil, fmt.Errorf("bench: bad config %+v: rate, warmup, duration and ops must be >= 0, and duration or ops > 0", cfg)
	}
	if cfg.Ops > 0 && cfg.Rate > 0 {
		return nil, fmt.Errorf("bench: Ops (%d) is for closed loop only, rate is %v", cfg.Ops, cfg.Rate)
	}
	if v.null {
		return runNull(cfg)
	}
	return w.run(cfg, v)
}

// stallVariant is the coordinated-omission test hook: the default inbox, one
// op in flight per producer (a wrk2 connection), and one 100 ms loop stall
// (a callback that sleeps) half-way through the measurement.
func stallVariant() Variant {
	d := 100 * time.Millisecond
	return Variant{
		Name:     "test-stall",
		Doc:      "TEST ONLY: mpsc inbox, window 1, one loop stall mid-run",
		Settings: map[string]string{"inbox": "mpsc", "stall": d.String(), "window": "1"},
		Options:  []sched.Option{sched.WithInbox("mpsc")},
		Hidden:   true,
		stall:    d,
		window:   1,
	}
}

// inboxVariants is one variant per sched inbox.
func inboxVariants() []Variant {
	var out []Variant
	for _, name := range sched.InboxVariants() {
		out = append(out, Variant{
			Name:     name,
			Doc:      sched.VariantDoc("inbox", name),
			Settings: map[string]string{"inbox": name},
			Options:  []sched.Option{sched.WithInbox(name)},
		})
	}
	return out
}

// threadVariants: the loop goroutine free, or locked to its OS thread.
func threadVariants() []Variant {
	return []Variant{
		{Name: "unlocked", Doc: "loop goroutine not locked to its thread", Settings: map[string]string{"lock_os_thread": "false"}, Options: []sched.Option{sched.WithLockOSThread(false)}},
		{Name: "locked", Doc: "loop goroutine locked to its OS thread", Settings: map[string]string{"lock_os_thread": "true"}, Options: []sched.Option{sched.WithLockOSThread(true)}},
	}
}

// wakeupVariants: every wakeup mechanism, unlocked and locked.
func wakeupVariants() []Variant {
	return partVariants("wakeup", sched.WakeupVariants(), func(name string) []sched.Option {
		return []sched.Option{sched.WithWakeup(name)}
	})
}

// partVariants is one Variant per name of a part of sched's variant table, with
// its doc from the table, first on an unlocked loop, then on a loop locked to its
// OS thread (names suffixed "-locked"). opts gives the loop options that select
// the variant (none when the variant is chosen per task, as coroutine engines are).
func partVariants(part string, names []string, opts func(name string) []sched.Option) []Variant {
	var out []Variant
	for _, lock := range []bool{false, true} {
		for _, name := range names {
			v := Variant{
				Name:     name,
				Doc:      sched.VariantDoc(part, name),
				Settings: map[string]string{part: name, "lock_os_thread": fmt.Sprint(lock)},
				Options:  append(opts(name), sched.WithLockOSThread(lock)),
			}
			if lock {
				v.Name += "-locked"
				v.Doc += ", loop locked to its OS thread"
			}
			out = append(out, v)
		}
	}
	return out
}

// ---- the shared driver ----

// harness owns the loops of one run, their recorders, and the clock of the
// measurement window.
type harness struct {
	cfg   Config
	v     Variant
	loops []*sched.Loop
	group *multi.Group // the group workload's; it owns loops then
	recs  []*hist.Recorder
	done  []chan error // RunForever's result per loop (not for a group)

	t0, from, deadline int64 // hist.Now(): start, start of measurement, end of measurement

	onLoopDone []func() // from Config.OnLoop; appended in begin (ordered by its ready channels), run by close

	stopping atomic.Bool // set once when Config.Stop closes; read by producers
	quit     chan struct{}

	mu        sync.Mutex // guards the fields below, written by producers at their end
	submitted int64
	lastSub   int64
	behind    int64
}

// cpus returns the CPUs this process may run on.
func cpus() []int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil
	}
	var out []int
	for i := 0; i < 1024 && len(out) < set.Count(); i++ {
		if set.IsSet(i) {
			out = append(out, i)
		}
	}
	return out
}

// pin locks the calling goroutine to its thread and the thread to CPU
// number idx (modulo the CPUs available). The caller must not unlock.
func pin(idx int) {
	cs := cpus()
	if len(cs) == 0 {
		return
	}
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(cs[idx%len(cs)])
	_ = unix.SchedSetaffinity(0, &set) // best effort; Machine.Pinned reports the request
}

// start creates n loops of variant v, runs each on its own goroutine (pinned
// to CPU i when cfg.Pin) and waits until every one is running.
func start(cfg Config, v Variant, n int) (*harness, error) {
	h := &harness{cfg: cfg, v: v, quit: make(chan struct{})}
	for i := range n {
		l, err := sched.New(v.Options...)
		if err != nil {
			h.close()
			return nil, fmt.Errorf("bench: variant %s: %w", v.Name, err)
		}
		h.loops = append(h.loops, l)
		errc := make(chan error, 1)
		h.done = append(h.done, errc)
		go func() {
			if cfg.Pin {
				pin(i)
			}
			errc <- l.RunForever()
		}()
	}
	return h, h.begin()
}

// startGroup creates a multi.Group of cfg.Loops loops (pinned when cfg.Pin)
// with variant v's loop options.
func startGroup(cfg Config, v Variant) (*harness, error) {
	h := &harness{cfg: cfg, v: v, quit: make(chan struct{})}
	g, err := multi.NewGroup(multi.WithGroupLoops(cfg.Loops), multi.WithGroupPinning(cfg.Pin), multi.WithGroupLoopOptions(v.Options...))
	if err != nil {
		return nil, fmt.Errorf("bench: group of %d loops: %w", cfg.Loops, err)
	}
	h.group = g
	for i := range g.Len() {
		h.loops = append(h.loops, g.Loop(i))
	}
	return h, h.begin()
}

// begin waits until every loop runs an iteration, fixes the measurement
// window, and creates one recorder per loop.
func (h *harness) begin() error {
	cfg, v := h.cfg, h.v
	for _, l := range h.loops {
		ready := make(chan struct{})
		if err := l.PostThreadsafe(func() {
			if cfg.OnLoop != nil {
				h.onLoopDone = append(h.onLoopDone, cfg.OnLoop())
			}
			close(ready)
		}); err != nil {
			h.close()
			return err
		}
		<-ready
	}
	h.t0 = hist.Now()
	h.from = h.t0 + int64(cfg.Warmup)
	h.deadline = h.from + int64(cfg.Duration)
	if cfg.Ops > 0 {
		h.deadline = 1<<63 - 1
	}
	for range h.loops {
		r := hist.NewRecorder(h.from)
		r.SetObserver(cfg.Observe)
		r.SetInterval(cfg.Interval, cfg.OnInterval)
		if cfg.IntervalHists != nil {
			r.SetIntervalHistograms(cfg.IntervalHists)
		}
		h.recs = append(h.recs, r)
	}
	if cfg.Stop != nil {
		go func() {
			select {
			case <-cfg.Stop:
				h.stopping.Store(true) // read by producers (stopped)
			case <-h.quit:
			}
		}()
	}
	if v.stall > 0 {
		go func() {
			// One stall on loop 0, half-way through the measurement (not if
			// the run is over first).
			t := time.NewTimer(time.Duration(max(h.from+int64(cfg.Duration/2)-hist.Now(), 0)))
			defer t.Stop()
			select {
			case <-t.C:
				_ = h.loops[0].PostThreadsafe(func() { time.Sleep(v.stall) })
			case <-h.quit:
			}
		}()
	}
	return nil
}

// stopped reports whether producers must stop: Config.Stop closed.
func (h *harness) stopped() bool { return h.stopping.Load() }

// producerDone adds one producer's counts.
func (h *harness) producerDone(submitted, lastSub, behind int64) {
	h.mu.Lock()
	h.submitted += submitted
	h.lastSub = max(h.lastSub, lastSub)
	h.behind += behind
	h.mu.Unlock()
}

// close stops and closes every loop and waits for their goroutines.
func (h *harness) close() error {
	select {
	case <-h.quit:
		return nil // closed already
	default:
		close(h.quit)
	}
	for _, fn := range h.onLoopDone {
		if fn != nil {
			fn()
		}
	}
	var errs []error
	if h.group != nil {
		return h.group.Close()
	}
	for i, l := range h.loops {
		l.Stop()
		if i < len(h.done) {
			if err := <-h.done[i]; err != nil {
				errs = append(errs, err)
			}
		}
		if err := l.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// finish closes the loops and builds the Result; drained is when the last
// op completed (hist.Now()).
func (h *harness) finish(drained int64, drainErr error) (*Result, error) {
	if err := h.close(); err != nil {
		return nil, fmt.Errorf("bench: closing loops: %w", err)
	}
	for _, r := range h.recs {
		r.FlushInterval() // the loops have stopped: the last window is complete
	}
	rec := h.recs[0]
	for _, r := range h.recs[1:] {
		rec.Merge(r)
	}
	res := &Result{Rec: rec, Ops: rec.Count(), Submitted: h.submitted, Behind: h.behind, Partial: h.stopped()}
	res.Elapsed = time.Duration(max(drained-h.from, 0))
	res.SubmitElapsed = time.Duration(max(h.lastSub-h.from, 0))
	if h.cfg.Rate > 0 && !res.Partial {
		// Ops were due until the deadline: the submission window is at least
		// the configured duration, even if the last op was submitted early.
		res.SubmitElapsed = max(res.SubmitElapsed, h.cfg.Duration)
	}
	if drainErr != nil {
		res.Warnings = append(res.Warnings, drainErr.Error())
	}
	if rec.Clamped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d samples above %v were recorded as %v", rec.Clamped, time.Duration(hist.Highest), time.Duration(hist.Highest)))
	}
	return res, nil
}

// waitFor polls cond until it holds or drainTimeout passes; it returns the
// time it held (hist.Now()) or an error naming what did not drain.
func waitFor(what string, cond func() bool) (int64, error) {
	limit := hist.Now() + int64(drainTimeout)
	for spins := 0; !cond(); spins++ {
		if hist.Now() > limit {
			return hist.Now(), fmt.Errorf("%s did not drain within %v", what, drainTimeout)
		}
		if spins < 100 {
			runtime.Gosched()
		} else {
			time.Sleep(50 * time.Microsecond)
		}
	}
	return hist.Now(), nil
}
