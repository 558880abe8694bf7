package multi

// StealGroup: one loop per CPU (or N) that share work by stealing, the Tokio
// and Go-runtime model. Each member (a worker) has
//   - runq: a ringbuf.RunQ[func()], its local run queue. Owner: the worker's
//     loop goroutine (Spawn from its callbacks, the runner). Thieves: the other
//     workers, which take half when they run out of work.
//   - lifo: the LIFO slot (worker only, not stealable): the most recently
//     spawned callback runs next, at most maxLIFORuns times in a row; switched
//     off by WithStealLIFO(false).
//
// and the group has one injection queue (inject: a ringbuf.MPSC whose
// consumer side is serialised by a mutex only the workers take) for
// submissions from outside and for a full runq's overflow. A
// worker's runner is one callback on its sched.Loop: it runs up to batch
// callbacks, then Posts itself again so the loop's own inbox and timers get
// their turn. A worker with nothing to run steals, then parks: its runner
// returns without re-posting and the loop sleeps in its own sleep protocol.
//
// Every worker is, at any time, exactly one of: runner scheduled or running;
// parked (its bit set in idle, no runner scheduled); stopped. Whoever clears a
// parked worker's idle bit owns the duty to post its runner.
//
// # Sleep/wake protocol (fences named; seq-cst atomics on amd64 are locked
// instructions, a full fence)
//
// Producer (Submit, and a worker spilling its runq):
//
//	S1. inject.q.Push: claim a ticket, XADD(tail)       [LOCK XADD: full fence]
//	    then write the slot and publish it (a release-only MOV, no fence:
//	    nothing below decides "empty" from the slots, only from tail)
//	S2. Load(searching); if > 0, done (a searcher will see the work, W4b-c)
//	S3. Load(idle); CAS one bit off; post that worker's runner
//
// Worker whose runner found nothing in its lifo slot, runq or inject:
//
//	W1. if 2*searching >= n: too many searchers, skip to W4 (Go caps spinning
//	    Ms at half the Ps)
//	W2. searching.Add(1)                                 [LOCK XADD: full fence]
//	    check inject, then StealHalf from every other worker
//	W3. found work: searching.Add(-1); if that was the last searcher and inject
//	    is not empty, notify (S2-S3) so another worker joins; run the work
//	W4. park:
//	    a. idle.Or(own bit)                              [LOCK OR: full fence]
//	    b. if counted in W2: searching.Add(-1)           [LOCK XADD: full fence]
//	    c. inject.q.Len() (Load(headPub), then Load(tail): a claimed but
//	       unpublished ticket counts as present), Load(stopping), own runq; if
//	       counted in W2, every runq's Len (a hint: owners run their own runqs)
//	    d. work (or stopping) seen: CAS own bit off; won: go on running (or
//	       stop); lost: a producer took the bit and posts the runner: return
//	    e. nothing: return; the loop sleeps
//
// Why nothing in inject is stranded: each side stores then loads with a full
// fence between (the producer's is the claim's XADD, docs/protocols.md "the
// claim argument"; the worker's is W4a's LOCK OR, or W4b's XADD). If the
// producer's S2 saw searching > 0, the searcher's decrement (W4b) comes after
// S1 in the total order, so its W4c Load(tail) sees the ticket. If S2 saw 0
// and S3 read idle after W4a, it sees the bit and wakes that worker; if
// before, S1 precedes W4c, whose Load(tail) sees the ticket. Len() == 0 then
// needs headPub == tail, i.e. the ticket already consumed (headPub never
// passes tail, and a stale headPub only overstates Len). A worker that finds
// work elsewhere (W3) does not park, and checks inject again when its runq
// empties.
//
// Consumers of inject (workers only; producers never take the lock):
//
//	T1. inject.mu.Lock(): this worker is the MPSC's one consumer
//	T2. Pop one share (Go's globrunqget) into its runq; stop early at a
//	    ticket claimed but not yet published
//	T3. inject.mu.Unlock() (Unlock/Lock order the consumer-only fields
//	    between successive holders)
//
// A worker that finds the next ticket claimed but unpublished takes nothing
// and goes on (steal, then W4); it does not park on it: W4c's Len() counts
// the ticket, so W4d puts its runner back and it tries again, for as long as
// the producer's claim-to-publish window lasts. The lock is held for one
// share's pops and pushes; a worker that waits for it waits for another
// worker, never for a producer (a producer descheduled while holding the old
// shared lock made the loops wait for it, and sync.Mutex's starvation
// hand-off gave a loop's processor to a blocked producer).
//
// The local push in Spawn is a release-only store (a plain MOV): it is never
// the store half of this handshake. Spawn's wakeup of a parked worker is a
// hint for parallelism; the owner is running and runs what it pushed, so a
// lost hint delays nothing past the owner's own turn.
//
// Shutdown (Close):
//  1. set the closed bit on gate: Submit fails with ErrGroupClosed;
//  2. wait until gate's in-flight count is zero (every accepted push is in
//     inject);
//  3. stopping.Store(true) [XCHG], then clear every idle bit and post those
//     runners. A worker stops when stopping is set and its lifo slot, its
//     runq and inject are empty (W4c); spawns from running callbacks go to
//     the spawner's own runq (or inject, which the spawner drains before it
//     stops), so every accepted callback and everything it spawns runs once;
//  4. wait for every loop goroutine and return their errors joined.
//
// Cost (locked instructions): Submit 3 (gate XADD twice, S1's claim XADD; no
// lock) plus a CAS and a PostThreadsafe when it wakes a loop; taking a share
// of inject 2 (Lock's CAS, Unlock's XADD) per batch;
// Spawn from a callback 0 (LIFO slot, or RunQ.Push: a release MOV) plus two
// loads for the wake hint; the runner 1 per callback run from the runq
// (RunQ.Pop's CAS), 0 from the LIFO slot; a steal 2 CASes per batch. An
// unlocked runner also yields the processor (runtime.Gosched) once per batch
// when more is queued, so two busy loops do not stay on one P (see run).

import (
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/ringloop/ringloop/internal/goid"
	"github.com/ringloop/ringloop/ringbuf"
	"github.com/ringloop/ringloop/sched"
)

const (
	maxStealLoops = 64 // idle is one 64-bit mask
	// maxLIFORuns: consecutive runs from the LIFO slot before the slot's
	// callback goes to the back of the runq (Tokio's MAX_LIFO_POLLS_PER_TICK).
	maxLIFORuns = 3
	// injectInterval: every this many callbacks a worker takes from inject
	// first, so outside submissions are not starved by local work (Go's
	// schedtick%61, Tokio's global_queue_interval).
	injectInterval = 61
	// searchRounds: passes over the victims before a searcher parks.
	searchRounds = 2
)

// StealOption configures NewStealGroup.
type StealOption func(*stealConfig) error

type stealConfig struct {
	loops    int
	cpus     []int
	pin      bool
	lock     bool
	lifo     bool
	queueCap int
	batch    int
	loopOpts []sched.Option
}

// WithStealLoops sets the number of loops (default: one per allowed CPU).
func WithStealLoops(n int) StealOption {
	return func(c *stealConfig) error {
		if n < 1 || n > maxStealLoops {
			return fmt.Errorf("multi: WithStealLoops(%d): want 1..%d", n, maxStealLoops)
		}
		c.loops = n
		return nil
	}
}

// WithStealLIFO turns the LIFO slot on (the default) or off.
func WithStealLIFO(on bool) StealOption {
	return func(c *stealConfig) error { c.lifo = on; return nil }
}

// WithStealQueueCapacity sets each loop's run queue capacity (default 256,
// Tokio's), a power of two in [2, 65536].
func WithStealQueueCapacity(n int) StealOption {
	return func(c *stealConfig) error {
		if n < 2 || n > 1<<16 || n&(n-1) != 0 {
			return fmt.Errorf("multi: WithStealQueueCapacity(%d): want a power of two in [2, 65536]", n)
		}
		c.queueCap = n
		return nil
	}
}

// WithStealBatch sets how many callbacks a loop runs before it lets its own
// inbox and timers in (default 64).
func WithStealBatch(n int) StealOption {
	return func(c *stealConfig) error {
		if n < 1 {
			return fmt.Errorf("multi: WithStealBatch(%d): want >= 1", n)
		}
		c.batch = n
		return nil
	}
}

// WithStealLockOSThread locks each loop goroutine to its thread (default
// false: the loops are goroutines the Go scheduler places; with it, and
// WithStealPinning, each thread is pinned to a CPU as in Group).
func WithStealLockOSThread(on bool) StealOption {
	return func(c *stealConfig) error { c.lock = on; return nil }
}

// WithStealPinning pins each locked loop thread to a CPU (default true; it
// takes effect only with WithStealLockOSThread(true)).
func WithStealPinning(on bool) StealOption {
	return func(c *stealConfig) error { c.pin = on; return nil }
}

// WithStealLoopOptions passes opts to sched.New for every member loop.
func WithStealLoopOptions(opts ...sched.Option) StealOption {
	return func(c *stealConfig) error { c.loopOpts = append(c.loopOpts, opts...); return nil }
}

// injectQ is the shared injection queue. q: producers are anyone (Push);
// its consumer side (Pop) belongs to whichever worker holds mu (T1-T3); Len
// is read by anyone (W4c, the runners' checks).
type injectQ struct {
	_  cpu.CacheLinePad
	mu sync.Mutex // serialises q's consumers; workers only (T1-T3)
	_  cpu.CacheLinePad
	q  *ringbuf.MPSC[func()] // Push's XADD is S1's fence; pairs with the Load(tail) in Len (W4c)
}

// worker is one loop of a StealGroup.
type worker struct {
	_    cpu.CacheLinePad
	runq *ringbuf.RunQ[func()] // owner: this loop goroutine; thieves: the other workers

	// Loop goroutine only.
	lifo     func() // the LIFO slot
	lifoRuns int    // consecutive runs from lifo
	tick     uint32 // callbacks run; every injectInterval-th looks at inject first
	buf      []func()
	stats    StealStats
	stopped  bool
	_        cpu.CacheLinePad

	// Read-only after NewStealGroup (gid: written by the worker goroutine
	// before it signals started; NewStealGroup receives that signal).
	idx   int
	bit   uint64
	gid   uintptr
	cpu   int
	g     *StealGroup
	loop  *sched.Loop
	runFn func()
	done  chan struct{}
	err   error // RunForever's / Close's error; read after done
}

// StealStats are per-group counters, summed over the workers. Read them
// after Close (they belong to the loops while the group runs).
type StealStats struct {
	Ran     uint64 // callbacks run by the runners
	LIFO    uint64 // of those, taken from the LIFO slot
	Injects uint64 // batches taken from the injection queue
	Steals  uint64 // successful StealHalf calls
	Parks   uint64 // times a worker parked (W4e)
	Spills  uint64 // runq overflows moved to the injection queue
}

// StealGroup runs n loops that steal work from each other. All methods are
// safe for concurrent use.
type StealGroup struct {
	workers   []*worker
	inject    injectQ
	_         cpu.CacheLinePad // gate is the producers' line; the rest the workers'
	gate      atomic.Int64     // closed bit | in-flight submitters; Submit Adds ±1, Close Adds gateClosed and Loads (shutdown 1-2)
	_         cpu.CacheLinePad
	idle      atomic.Uint64 // bit i: worker i parked; Or in W4a, CAS in S3/W4d/Close; pairs as in the protocol
	searching atomic.Int32  // workers in W2-W4b; Add in W2/W3/W4b, Load in S2/W1
	stopping  atomic.Bool   // Close step 3 Stores; runners Load in W4c
	lifo      bool
	batch     int
	lock      bool

	pinMu   sync.Mutex
	pinErrs []error

	closeOnce sync.Once
	closeErr  error
}

// NewStealGroup starts the loops, every worker parked, and returns.
func NewStealGroup(opts ...StealOption) (*StealGroup, error) {
	c := stealConfig{lifo: true, pin: true, queueCap: 256, batch: 64}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if c.cpus == nil {
		c.cpus = defaultCPUs()
	}
	if c.loops == 0 {
		c.loops = min(len(c.cpus), maxStealLoops)
	}
	g := &StealGroup{lifo: c.lifo, batch: c.batch, lock: c.lock, workers: make([]*worker, c.loops)}
	iq, err := ringbuf.NewMPSC[func()]()
	if err != nil {
		return nil, fmt.Errorf("multi: NewStealGroup: %w", err)
	}
	g.inject.q = iq
	for i := range g.workers {
		l, err := sched.New(c.loopOpts...)
		if err != nil {
			g.closeUnstarted(i)
			return nil, fmt.Errorf("multi: NewStealGroup: loop %d: %w", i, err)
		}
		q, err := ringbuf.NewRunQ[func()](c.queueCap)
		if err != nil {
			l.Close()
			g.closeUnstarted(i)
			return nil, fmt.Errorf("multi: NewStealGroup: %w", err)
		}
		w := &worker{idx: i, bit: 1 << i, cpu: -1, g: g, loop: l, runq: q,
			buf: make([]func(), 0, c.queueCap), done: make(chan struct{})}
		if c.lock && c.pin {
			w.cpu = c.cpus[i%len(c.cpus)]
		}
		w.runFn = w.run
		g.workers[i] = w
		g.idle.Or(w.bit) // parked until work arrives
	}
	started := make(chan struct{}, c.loops)
	for _, w := range g.workers {
		go g.runWorker(w, started)
	}
	for range g.workers {
		<-started
	}
	return g, nil
}

func (g *StealGroup) closeUnstarted(n int) {
	for _, w := range g.workers[:n] {
		w.loop.Close()
	}
}

// runWorker is worker w's goroutine: lock and pin if asked, run, close.
func (g *StealGroup) runWorker(w *worker, started chan<- struct{}) {
	defer close(w.done)
	if g.lock {
		pe, unlock := lockThread(w.idx, w.cpu)
		if unlock {
			defer runtime.UnlockOSThread()
		}
		if pe != nil {
			g.pinMu.Lock()
			g.pinErrs = append(g.pinErrs, pe)
			g.pinMu.Unlock()
		}
	}
	w.gid = goid.Current()
	started <- struct{}{}
	w.err = errors.Join(w.loop.RunForever(), w.loop.Close())
}

// Len returns the number of loops.
func (g *StealGroup) Len() int { return len(g.workers) }

// Loop returns loop i. Do not Stop or Close it yourself: Close the group.
func (g *StealGroup) Loop(i int) *sched.Loop { return g.workers[i].loop }

// PinErrors returns the pinning refusals (*PinError); complete once
// NewStealGroup has returned.
func (g *StealGroup) PinErrors() []error {
	g.pinMu.Lock()
	defer g.pinMu.Unlock()
	return append([]error(nil), g.pinErrs...)
}

// Self returns the index of the loop the caller runs on (a callback of the
// group), or -1.
func (g *StealGroup) Self() int {
	if w := g.current(); w != nil {
		return w.idx
	}
	return -1
}

// current returns the worker whose loop goroutine is calling, or nil: one
// goid load and a compare per worker.
func (g *StealGroup) current() *worker {
	id := goid.Current()
	for _, w := range g.workers {
		if w.gid == id {
			return w
		}
	}
	return nil
}

// Submit runs fn on some loop of the group, from any goroutine: it goes to
// the injection queue and a parked loop is woken if no loop is searching.
// After Close has begun: ErrGroupClosed. Zero allocations once the
// injection queue has grown.
func (g *StealGroup) Submit(fn func()) error {
	if fn == nil {
		panic("ringloop: multi.StealGroup.Submit: nil func")
	}
	if g.gate.Load()&gateClosed != 0 {
		return ErrGroupClosed
	}
	if g.gate.Add(1)&gateClosed != 0 { // pairs with the Add(gateClosed) in Close
		g.gate.Add(-1)
		return ErrGroupClosed
	}
	_ = g.inject.q.Push(fn) // S1: XADD claim; unbounded, never an error; pairs with Len's Load(tail) in W4c
	g.notify()
	g.gate.Add(-1) // the push is visible; Close may pass step 2
	return nil
}

// Spawn runs fn on the caller's loop when the caller is a callback of the
// group (into the LIFO slot, or the back of the run queue without it, where
// idle loops can steal it), else as Submit. A spawn from a running callback
// is accepted during Close: it is part of the work Close waits for.
func (g *StealGroup) Spawn(fn func()) error {
	if fn == nil {
		panic("ringloop: multi.StealGroup.Spawn: nil func")
	}
	w := g.current()
	if w == nil {
		return g.Submit(fn)
	}
	if g.lifo {
		prev := w.lifo
		w.lifo = fn
		if prev == nil {
			return nil // the slot is not stealable: nobody to tell
		}
		fn = prev
	}
	w.push(fn)
	return nil
}

// Yield runs fn on the caller's loop after what is queued there now (never
// through the LIFO slot): a task's yield. Off the group it is Submit.
func (g *StealGroup) Yield(fn func()) error {
	if fn == nil {
		panic("ringloop: multi.StealGroup.Yield: nil func")
	}
	w := g.current()
	if w == nil {
		return g.Submit(fn)
	}
	w.push(fn)
	return nil
}

// push puts fn on w's runq (spilling half to inject when full) and hints a
// parked worker. Loop goroutine of w only.
func (w *worker) push(fn func()) {
	g := w.g
	if !w.runq.Push(fn) {
		w.spill(fn)
		return
	}
	// The hint (see the protocol): two loads, a wake only when someone is
	// parked and nobody is searching.
	if g.idle.Load() != 0 && g.searching.Load() == 0 {
		g.notify()
	}
}

// spill is PushOverflow: half the runq and fn go to inject (S1-S3).
func (w *worker) spill(fn func()) {
	g := w.g
	w.buf = w.runq.PushOverflow(fn, w.buf[:0])
	w.stats.Spills++
	for _, f := range w.buf {
		_ = g.inject.q.Push(f) // S1 (the last XADD is the fence before notify's loads)
	}
	clear(w.buf)
	g.notify()
}

// notify is S2-S3: wake one parked worker unless someone is searching.
func (g *StealGroup) notify() {
	if g.searching.Load() > 0 { // S2; pairs with W2/W4b
		return
	}
	for {
		m := g.idle.Load() // S3; pairs with W4a
		if m == 0 {
			return
		}
		b := m & -m
		if g.idle.CompareAndSwap(m, m&^b) { // pairs with W4a/W4d
			w := g.workers[bits.TrailingZeros64(b)]
			// ErrClosed only when the loop has stopped (shutdown): no work is lost
			// with it, see the shutdown steps.
			_ = w.loop.PostThreadsafe(w.runFn)
			return
		}
	}
}

// takeInject moves a share of inject to w (Go's globrunqget: len/n+1, at most
// half the runq) and returns one to run, or nil. Loop goroutine of w only.
func (w *worker) takeInject() func() {
	g := w.g
	if g.inject.q.Len() == 0 { // pairs with S1
		return nil
	}
	g.inject.mu.Lock()    // T1: workers only; held for one share (T2)
	n := g.inject.q.Len() // claimed tickets; some may be unpublished yet
	k := min(n, n/len(g.workers)+1, w.runq.Cap()/2, w.runq.Free()+1)
	fn, ok := g.inject.q.Pop() // T2
	if !ok {
		// The next ticket is claimed, not yet published (or n was 0).
		g.inject.mu.Unlock()
		return nil
	}
	i := 1
	for ; i < k; i++ {
		f, ok := g.inject.q.Pop()
		if !ok {
			break
		}
		w.runq.Push(f) // fits: k-1 <= Free, and Free only grows under thieves
	}
	g.inject.mu.Unlock() // T3
	k = i
	w.stats.Injects++
	if k > 1 && g.idle.Load() != 0 && g.searching.Load() == 0 {
		// The batch is stealable now: wake a parked loop, so that if the
		// callback about to run is a long one, the rest does not wait behind
		// it (the same hint as push's).
		g.notify()
	}
	return fn
}

// next returns the callback to run next, or nil when the lifo slot, the runq
// and inject are empty. Loop goroutine of w only.
func (w *worker) next() func() {
	w.tick++
	if w.tick%injectInterval == 0 {
		if fn := w.takeInject(); fn != nil {
			return fn
		}
	}
	if fn := w.lifo; fn != nil {
		w.lifo = nil
		if w.lifoRuns < maxLIFORuns {
			w.lifoRuns++
			w.stats.LIFO++
			return fn
		}
		w.push(fn) // the slot ran maxLIFORuns in a row: to the back of the queue
	}
	w.lifoRuns = 0
	if fn, ok := w.runq.Pop(); ok {
		return fn
	}
	return w.takeInject()
}

// run is the runner: the one callback through which worker w runs the
// group's work on its loop. Loop goroutine of w only.
func (w *worker) run() {
	g := w.g
	if w.stopped { // a wakeup that raced with this worker's stop: nothing is queued here
		return
	}
	clean := false
	defer func() {
		if !clean { // a callback panicked: the loop reports it; keep running
			_ = w.loop.Post(w.runFn)
		}
	}()
	for n := 0; n < g.batch; n++ {
		fn := w.next()
		if fn == nil {
			break
		}
		w.stats.Ran++
		fn()
	}
	clean = true
	if w.lifo != nil || w.runq.Len() > 0 || g.inject.q.Len() != 0 {
		if !g.lock {
			// Let the Go scheduler move this loop: a yield puts it on the
			// global run queue, where a P running only a spinning submitter
			// picks it up. Without it two busy loops that never block stay
			// on one P (one runnable behind the other), and a P whose
			// goroutines yield keeps finding those on the global queue and
			// never steals the second loop: measured, the loops ran
			// callbacks at the same time 6% of the time instead of 85%.
			// Once per batch, only with more to do; a locked loop would
			// wait for its thread to be handed back, so it does not yield.
			runtime.Gosched()
		}
		_ = w.loop.Post(w.runFn) // more to do: after the loop's own work
		return
	}
	fn, counted := w.search()
	if fn == nil {
		w.park(counted)
		return
	}
	w.stats.Ran++
	clean = false
	fn()
	clean = true
	_ = w.loop.Post(w.runFn)
}

// search is W1-W3: look in inject and steal half of another worker's runq.
// It returns a callback to run (the rest of a stolen batch is in w's runq),
// or nil and whether w is still counted in searching (W4b drops it).
func (w *worker) search() (fn func(), counted bool) {
	g := w.g
	n := int32(len(g.workers))
	if n == 1 || 2*g.searching.Load() >= n { // W1
		return nil, false
	}
	g.searching.Add(1) // W2: full fence
	for r := 0; r < searchRounds; r++ {
		if fn := w.takeInject(); fn != nil {
			w.stopSearching()
			return fn, false
		}
		start := rand.IntN(len(g.workers))
		for k := range g.workers {
			v := g.workers[(start+k)%len(g.workers)]
			if v == w {
				continue
			}
			if fn, ok := v.runq.StealHalf(w.runq); ok {
				w.stats.Steals++
				w.stopSearching()
				return fn, false
			}
		}
	}
	return nil, true
}

// stopSearching is W3.
func (w *worker) stopSearching() {
	g := w.g
	if g.searching.Add(-1) == 0 && g.inject.q.Len() != 0 {
		g.notify()
	}
}

// park is W4. counted: w is counted in searching (W2).
func (w *worker) park(counted bool) {
	g := w.g
	g.idle.Or(w.bit) // W4a: full fence
	if counted {
		g.searching.Add(-1) // W4b: full fence
	}
	// W4c
	work := g.inject.q.Len() != 0 || w.lifo != nil || w.runq.Len() > 0 // Len: Load(tail) after W4a/W4b
	if !work && counted {                                              // a searcher looks at the runqs once more (Go's findRunnable); others would spin here while one searches
		for _, v := range g.workers {
			if v != w && v.runq.Len() > 0 {
				work = true
				break
			}
		}
	}
	stopping := g.stopping.Load()
	if !work && !stopping {
		w.stats.Parks++
		return // W4e: parked
	}
	// W4d: take the bit back, unless a producer already did (its runner post
	// is on the way).
	for {
		m := g.idle.Load()
		if m&w.bit == 0 {
			return
		}
		if g.idle.CompareAndSwap(m, m&^w.bit) {
			break
		}
	}
	if stopping && g.inject.q.Len() == 0 && w.lifo == nil && w.runq.Len() == 0 {
		w.stopped = true
		w.loop.Stop()
		return
	}
	_ = w.loop.Post(w.runFn)
}

// Stats returns the counters summed over the workers. Call it after Close.
func (g *StealGroup) Stats() StealStats {
	var s StealStats
	for _, w := range g.workers {
		s.Ran += w.stats.Ran
		s.LIFO += w.stats.LIFO
		s.Injects += w.stats.Injects
		s.Steals += w.stats.Steals
		s.Parks += w.stats.Parks
		s.Spills += w.stats.Spills
	}
	return s
}

// Close shuts the group down (the steps at the top of this file): every
// callback submitted before it, and everything those spawn, runs; later
// Submits get ErrGroupClosed. It waits for every loop and returns their
// errors. From one of the group's own callbacks it returns an error at once.
func (g *StealGroup) Close() error {
	if w := g.current(); w != nil {
		return fmt.Errorf("multi: StealGroup.Close called from group loop %d: it would wait on itself: %w", w.idx, sched.ErrRunning)
	}
	g.closeOnce.Do(func() {
		g.gate.Add(gateClosed)                                 // step 1; pairs with the Add(1) in Submit
		for spins := 0; g.gate.Load() != gateClosed; spins++ { // step 2
			if spins < 100 {
				runtime.Gosched()
			} else {
				time.Sleep(10 * time.Microsecond)
			}
		}
		g.stopping.Store(true) // step 3: XCHG; pairs with the Load in W4c
		for {
			m := g.idle.Load() // pairs with W4a
			if m == 0 {
				break
			}
			b := m & -m
			if g.idle.CompareAndSwap(m, m&^b) {
				w := g.workers[bits.TrailingZeros64(b)]
				_ = w.loop.PostThreadsafe(w.runFn)
			}
		}
		var errs []error
		for _, w := range g.workers { // step 4
			<-w.done
			if w.err != nil {
				errs = append(errs, fmt.Errorf("multi: steal group loop %d: %w", w.idx, w.err))
			}
		}
		if n := g.inject.q.Len(); n != 0 {
			errs = append(errs, fmt.Errorf("ringloop: multi.StealGroup.Close: %d callbacks left in the injection queue", n))
		}
		g.closeErr = errors.Join(errs...)
	})
	return g.closeErr
}
