package sched

// Loop: the event loop. See doc.go for the iteration and wakeup.go for the sleep
// protocol.
//
// Field ownership (who writes / who reads):
//   - state, stopping, closed, owner, running, signalled: atomics shared with
//     producers; each says what it pairs with. They share a cache line that the
//     busy path only reads (state is written only around a sleep).
//   - cfg, in, w, epoch: written by New, read-only afterwards.
//   - everything after the pad: the loop goroutine (or the owner before Run) only.
//     lifeMu orders the hand-over between successive Run calls and Close.

import (
	"errors"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringloop/ringloop/internal/goid"
	"golang.org/x/sys/cpu"
)

// Sentinel errors; all are errors.Is-able.
var (
	ErrClosed           = errors.New("sched: event loop is closed")
	ErrRunning          = errors.New("sched: event loop is running")
	ErrOtherLoopRunning = errors.New("sched: another event loop is running on this goroutine")
	ErrStopped          = errors.New("sched: event loop stopped before the future completed")
	ErrInboxFull        = errors.New("sched: bounded inbox is full and the loop is not running")
	ErrWrongLoop        = errors.New("sched: the future is attached to a different loop")
)

// asyncio's thresholds for purging cancelled timers: purge when the heap holds more
// than minTimersForPurge entries and more than half of them are cancelled.
const minTimersForPurge = 100

// Loop is an event loop. Create it with New; run it with RunForever or
// RunUntilComplete on the goroutine that is to own it.
type Loop struct {
	// Shared with producers.
	state     atomic.Uint32  // stRunning/stSleeping/stNotified; L1/L2/L4 by the loop, P2/P3 by producers (wakeup.go)
	stopping  atomic.Bool    // Stop stores true (any goroutine); the loop loads it in L2 and after each iteration
	closed    atomic.Bool    // Close stores true under lifeMu; scheduling methods load it and refuse
	running   atomic.Bool    // stored under lifeMu by RunForever; IsRunning loads it
	owner     atomic.Uintptr // goid of the goroutine in RunForever, 0 otherwise; InLoop loads it
	signalled atomic.Uint64  // producers Add(1) after waker.signal; Close waits until it equals notifies
	in        inbox          // immutable after New
	ptrIn     *ptrInbox      // immutable after New: in, when it is the pointer-slot inbox (submit calls it directly)
	w         waker          // immutable after New
	cfg       config         // immutable after New
	epoch     time.Time      // immutable after New
	lifeMu    sync.Mutex     // orders RunForever start/end against Close

	_ cpu.CacheLinePad

	// Loop goroutine only.
	ready           fifo
	timers          timerQueue
	timerSeq        uint64         // next timer's seq (timerEntry.seq)
	timerAlloc      timerAlloc     // TimerHandles, a slab at a time (timeralloc.go)
	timersFired     []*TimerHandle // fired by the last iteration's step 4; their fn is released in step 1
	timersCancelled int            // cancelled TimerHandles still in the heap (counted == true)
	notifies        uint64         // L4 observations of stNotified; see Close
	iterations      uint64         // runOnce calls
	lastDrain       int            // items the last iteration took from the inbox
	sleeps          uint64         // waits entered (L3)

	// slowPost sends Post to postSlow: true in debug mode (the goroutine check)
	// and while the loop is not running (drainBeforeRun); false only inside a
	// non-debug run. Written by RunForever on the loop goroutine at the start and
	// end of a run (never in debug mode, where it stays true), read by Post: the
	// same hand-over as ready's orders them.
	slowPost bool
}

// Stats are loop-owned counters, for benchmarks and diagnostics.
type Stats struct {
	Iterations uint64 // loop iterations run
	Sleeps     uint64 // times the loop blocked in its wakeup mechanism (L3)
	Signals    uint64 // of those, ended by a producer's signal (stNotified at L4)
}

// Stats returns the loop's counters. Call it when the loop is not running (or
// from the loop goroutine): the counters belong to the loop.
func (l *Loop) Stats() Stats {
	return Stats{Iterations: l.iterations, Sleeps: l.sleeps, Signals: l.notifies}
}

// New creates a loop. A bad option returns an error naming the bad value and the
// accepted values; nothing is clamped.
func New(opts ...Option) (*Loop, error) {
	c := config{inbox: DefaultInbox, wakeup: DefaultWakeup, inboxCapacity: 1 << 16, yields: -1}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if c.yields < 0 { // not set: yield on an unlocked loop only (see DefaultYieldBeforeSleep)
		c.yields = DefaultYieldBeforeSleep
		if c.lockOSThread {
			c.yields = 0
		}
	}
	l := &Loop{cfg: c, epoch: time.Now(), slowPost: true}
	in, err := newInbox(&c)
	if err != nil {
		return nil, err
	}
	l.in = in
	l.ptrIn, _ = in.(*ptrInbox) // the default inbox, called without the interface
	if l.w, err = newWaker(&c, &l.state); err != nil {
		return nil, err
	}
	l.startDebug() // unretrieved.go
	return l, nil
}

// InboxName and WakeupName report the variants this loop was built with.
func (l *Loop) InboxName() string  { return l.cfg.inbox }
func (l *Loop) WakeupName() string { return l.cfg.wakeup }

// Time returns the loop's clock: monotonic time since New (or WithClock's clock).
// Any goroutine.
func (l *Loop) Time() time.Duration {
	if l.cfg.clock != nil {
		return l.cfg.clock()
	}
	return time.Since(l.epoch)
}

// IsRunning reports whether RunForever / RunUntilComplete is in progress.
func (l *Loop) IsRunning() bool { return l.running.Load() }

// Sleeping reports whether the loop is in its sleep (between L1 and L4 of the
// protocol in wakeup.go): a diagnostic for tests and benchmarks that want to wake
// an idle loop. Any goroutine; the answer may be stale by the time it is used.
func (l *Loop) Sleeping() bool { return l.state.Load() == stSleeping } // pairs with L1/L4

// IsClosed reports whether Close has been called.
func (l *Loop) IsClosed() bool { return l.closed.Load() }

// InLoop reports whether the caller runs on this loop's behalf right now: the loop
// goroutine itself (one load and a compare), or a goroutine registered for it in
// the running-loop registry (a task's coroutine body; registry.go).
func (l *Loop) InLoop() bool {
	g := goid.Current()
	if g == l.owner.Load() { // pairs with the Stores in RunForever
		return true
	}
	return loopOf(g) == l
}

func nilCallback(method string) {
	panic("ringloop: sched.Loop." + method + " called with a nil callback")
}

func (l *Loop) checkLoopGoroutine(method string) {
	if l.running.Load() && !l.InLoop() {
		panic("ringloop: sched.Loop." + method + " called from a goroutine that is not the running loop's; use the Threadsafe form")
	}
}

// Post schedules fn to run in a later iteration, FIFO with CallSoon: asyncio's
// call_soon without a handle. Loop goroutine only (or the owner before Run). Zero
// allocations, no atomic read-modify-write.
//
// Cost: Post is not inlinable (cost > budget 80: the call to postSlow alone
// costs 61), so its fast path is one call with the ready ring's TryPush inlined
// in it: three predictable branches, one store and an increment, no second call,
// no atomic load.
//
// Why closed is not loaded on the fast path: slowPost is false only inside a
// non-debug run (RunForever clears it after storing running = true under lifeMu
// and sets it again before storing running = false), and Close refuses a running
// loop (it loads running under the same lifeMu), so closed cannot become true
// while slowPost is false; postSlow checks it whenever slowPost is true.
func (l *Loop) Post(fn func()) error {
	// Fast path: nil, slowPost (debug mode, or the loop not running) and a full
	// ring go to postSlow.
	if fn != nil && !l.slowPost && l.ready.TryPush(fnItem(fn)) {
		return nil
	}
	return l.postSlow(fn)
}

func (l *Loop) postSlow(fn func()) error {
	if fn == nil {
		nilCallback("Post")
	}
	if l.closed.Load() { // pairs with the Store in Close
		return ErrClosed
	}
	if l.cfg.debug {
		l.checkLoopGoroutine("Post")
	}
	if !l.running.Load() { // pairs with the Stores in RunForever
		l.drainBeforeRun()
	}
	l.ready.Push(fnItem(fn))
	return nil
}

// drainBeforeRun keeps call order for the loop's owner before (or between) runs,
// as asyncio's single _ready deque orders call_soon and call_soon_threadsafe: what
// PostThreadsafe queued earlier moves to ready ahead of the callback being
// scheduled now. The common case is a future this goroutine completed before
// RunForever: with no loop goroutine yet, InLoop is false and the completion took
// the cross-goroutine path, so without this its callbacks would run after
// everything Posted later. Only the owner calls
// Post or CallSoon while the loop is not running, so it may act as the inbox's
// consumer, as Close does.
func (l *Loop) drainBeforeRun() {
	if !l.in.empty() {
		l.in.drain(&l.ready, 0)
	}
}

// CallSoon schedules fn like Post and returns a Handle that can cancel it.
func (l *Loop) CallSoon(fn func()) (*Handle, error) {
	if fn == nil {
		nilCallback("CallSoon")
	}
	if l.closed.Load() { // pairs with the Store in Close
		return nil, ErrClosed
	}
	if l.cfg.debug {
		l.checkLoopGoroutine("CallSoon")
	}
	if !l.running.Load() { // pairs with the Stores in RunForever
		l.drainBeforeRun()
	}
	h := &Handle{fn: fn, loop: l}
	l.ready.Push(handleItem(h))
	return h, nil
}

// PostThreadsafe schedules fn from any goroutine and wakes the loop if it sleeps:
// asyncio's call_soon_threadsafe without a handle. Zero allocations; while the loop
// is busy it costs the inbox push plus one load (no syscall). Each goroutine's
// submissions run in the order it made them.
func (l *Loop) PostThreadsafe(fn func()) error {
	if fn == nil {
		nilCallback("PostThreadsafe")
	}
	return l.submit(fnItem(fn))
}

// CallSoonThreadsafe is PostThreadsafe returning a Handle that can cancel fn.
func (l *Loop) CallSoonThreadsafe(fn func()) (*Handle, error) {
	if fn == nil {
		nilCallback("CallSoonThreadsafe")
	}
	h := &Handle{fn: fn, loop: l}
	if err := l.submit(handleItem(h)); err != nil {
		return nil, err
	}
	return h, nil
}

// submit is the producer side of the sleep protocol (wakeup.go, P1-P3).
func (l *Loop) submit(it item) error {
	if l.closed.Load() { // pairs with the Store in Close
		return ErrClosed
	}
	if l.owner.Load() == goid.Current() { // pairs with the Stores in RunForever
		// The loop goroutine itself: straight to ready, in order with its Posts,
		// as asyncio's call_soon_threadsafe appends to _ready. (~1 ns; coroutine
		// goroutines of tasks take the inbox, which keeps their own order.)
		l.ready.Push(it)
		return nil
	}
	if p := l.ptrIn; p != nil {
		p.pushItem(it) // P1, devirtualised: the default inbox
	} else if !l.in.push(it) { // P1
		if err := l.pushSlow(it); err != nil {
			return err
		}
	}
	if l.state.Load() == stSleeping { // P2; pairs with the Store in sleep (L1)
		l.wake()
	}
	return nil
}

// pushSlow handles a full bounded inbox ("chan", "xsync"). The loop itself (or a
// coroutine running on its behalf) drains the inbox into ready first, which keeps
// its own submissions in order and cannot deadlock; another goroutine waits for
// room while the loop runs; nobody is draining a loop that is not running, so that
// case returns ErrInboxFull and the caller still holds its callback.
func (l *Loop) pushSlow(it item) error {
	if l.InLoop() {
		for {
			l.in.drain(&l.ready, 0)
			if l.in.push(it) {
				return nil
			}
		}
	}
	if !l.running.Load() {
		return ErrInboxFull
	}
	if l.state.Load() == stSleeping {
		l.wake()
	}
	l.in.pushWait(it)
	return nil
}

// wake is P3: one producer wins the CAS and signals; the others see stNotified and
// leave, so concurrent wakeups coalesce.
func (l *Loop) wake() {
	if l.state.CompareAndSwap(stSleeping, stNotified) { // P3; pairs with the Swap in sleep (L4)
		l.w.signal()
		l.signalled.Add(1) // pairs with the Load in Close
	}
}

// CallLater schedules fn to run no earlier than d from now on the loop's clock.
// Loop goroutine only (or the owner before Run), as in asyncio.
func (l *Loop) CallLater(d time.Duration, fn func()) (*TimerHandle, error) {
	return l.callAt(l.Time()+d, fn, "CallLater", d <= 0)
}

// CallAt schedules fn to run no earlier than when on the loop's clock (Time).
// Timers with equal when run in the order they were scheduled.
func (l *Loop) CallAt(when time.Duration, fn func()) (*TimerHandle, error) {
	return l.callAt(when, fn, "CallAt", false)
}

// due: the delay was <= 0, so the timer may go to the timer queue's FIFO.
func (l *Loop) callAt(when time.Duration, fn func(), method string, due bool) (*TimerHandle, error) {
	if fn == nil {
		nilCallback(method)
	}
	if l.closed.Load() { // pairs with the Store in Close
		return nil, ErrClosed
	}
	if l.cfg.debug {
		l.checkLoopGoroutine(method)
	}
	t := l.timerAlloc.get()
	t.fn, t.loop, t.timer = fn, l, t
	t.when, t.inHeap = when, true
	seq := l.timerSeq
	l.timerSeq++
	if due {
		l.timers.pushDue(timerEntry{when: when, seq: seq, t: t})
	} else {
		l.timers.push(timerEntry{when: when, seq: seq, t: t})
	}
	return t, nil
}

// timerCancelled does the purge bookkeeping for a cancelled timer. The counters
// belong to the loop, so a Cancel from another goroutine (or before Run) hands
// the bookkeeping to the loop through the inbox; until then the timer is only
// skipped, never run.
func (l *Loop) timerCancelled(t *TimerHandle) {
	if l.InLoop() {
		l.countCancelled(t)
		return
	}
	_ = l.PostThreadsafe(func() { l.countCancelled(t) }) // ErrClosed: nothing left to count
}

func (l *Loop) countCancelled(t *TimerHandle) {
	if t.inHeap && !t.counted {
		t.counted = true
		l.timersCancelled++
	}
}

// Stop makes RunForever return after the current iteration finishes (asyncio's
// stop). Called before Run, the next Run performs one iteration and returns. Any
// goroutine; it wakes a sleeping loop.
func (l *Loop) Stop() {
	l.stopping.Store(true) // pairs with the Load in sleep (L2) and RunForever
	if l.state.Load() == stSleeping {
		l.wake()
	}
}

// RunForever runs iterations until Stop. It returns ErrClosed on a closed loop,
// ErrRunning if this loop is already running, ErrOtherLoopRunning if the calling
// goroutine is running another loop.
func (l *Loop) RunForever() error {
	g := goid.Current()
	l.lifeMu.Lock()
	switch {
	case l.closed.Load():
		l.lifeMu.Unlock()
		return ErrClosed
	case l.running.Load():
		l.lifeMu.Unlock()
		return ErrRunning
	case loopOf(g) != nil:
		l.lifeMu.Unlock()
		return ErrOtherLoopRunning
	}
	l.running.Store(true) // pairs with the Loads in Close, IsRunning, checkLoopGoroutine
	l.lifeMu.Unlock()

	if l.cfg.lockOSThread {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	l.owner.Store(g) // pairs with the Load in InLoop
	registerGoroutine(g, l)
	if !l.cfg.debug {
		l.slowPost = false // Post's fast path while running; see the field
	}
	defer func() {
		if !l.cfg.debug {
			l.slowPost = true
		}
		l.releaseFired() // a stopped loop keeps no fired timer's callback alive
		unregisterGoroutine(g)
		l.owner.Store(0)
		l.stopping.Store(false)
		l.lifeMu.Lock()
		l.running.Store(false)
		l.lifeMu.Unlock()
	}()
	for {
		l.runOnce()
		if l.stopping.Load() { // pairs with the Store in Stop
			return nil
		}
	}
}

// runOnce is one iteration; see doc.go.
func (l *Loop) runOnce() {
	l.iterations++
	// 1. Release the callbacks of the timers the last iteration ran (a retained
	// handle keeps its slab alive, not its siblings' callbacks; timeralloc.go).
	// Purge cancelled timers (asyncio's rule), and drop cancelled ones at the top.
	if len(l.timersFired) > 0 {
		l.releaseFired()
	}
	if n := l.timers.len(); n > minTimersForPurge && 2*l.timersCancelled > n {
		l.purgeTimers()
	}
	for l.timers.len() > 0 && l.timers.top().t.state.Load() == handleCancelled {
		l.dropTimer(l.timers.pop().t)
	}

	// 2. Sleep if there is nothing to do.
	if l.ready.Len() == 0 && !l.stopping.Load() {
		timeout := time.Duration(-1)
		if l.timers.len() > 0 {
			timeout = l.timers.top().when - l.Time()
		}
		if timeout != 0 && (timeout > 0 || l.timers.len() == 0) {
			l.sleep(timeout)
		}
	}

	// 3. Drain the inbox in one batch.
	l.lastDrain = l.in.drain(&l.ready, l.cfg.drainBatch)

	// 4. Due timers, in (when, seq) order; never early: when <= now.
	if l.timers.len() > 0 {
		now := l.Time()
		for {
			e, ok := l.timers.popDue(now)
			if !ok {
				break
			}
			t := e.t
			cancelled := t.counted || t.state.Load() == handleCancelled
			l.dropTimer(t)
			if !cancelled {
				l.ready.Push(handleItem(&t.Handle))
				l.timersFired = append(l.timersFired, t)
			}
		}
	}

	// 5. Run exactly what is ready now.
	if n := l.ready.Len(); n > 0 {
		if l.cfg.slowCallback > 0 {
			for n > 0 {
				n = l.runBatchTimed(n)
			}
		} else {
			for n > 0 {
				n = l.runBatch(n)
			}
		}
	}
}

// releaseFired drops the callbacks of the timers fired by the last iteration: they
// have run (step 5 runs all that step 4 made ready) and nothing reads fn again.
func (l *Loop) releaseFired() {
	for _, t := range l.timersFired {
		t.fn = nil
	}
	clear(l.timersFired) // one memclr, not a store per slot
	l.timersFired = l.timersFired[:0]
}

// dropTimer updates the bookkeeping of a timer that left the heap (fired or
// cancelled); a cancelled timer's callback is released here.
func (l *Loop) dropTimer(t *TimerHandle) {
	t.inHeap = false
	if t.state.Load() == handleCancelled {
		t.fn = nil
	}
	if t.counted {
		t.counted = false
		l.timersCancelled--
	}
}

func (l *Loop) purgeTimers() {
	l.timers.filter(func(e *timerEntry) bool {
		if e.t.state.Load() == handleCancelled {
			e.t.inHeap, e.t.counted, e.t.fn = false, false, nil
			return false
		}
		return true
	})
	l.timersCancelled = 0
	// Cancelled-but-uncounted timers (cancelled off the loop, bookkeeping still in
	// the inbox) were removed too; their late countCancelled sees inHeap == false.
}

// runBatch runs the next n ready callbacks and returns how many are left: 0, or
// the rest after a callback panicked (the panic is reported and the caller goes on).
// One deferred recover per batch, not per callback.
func (l *Loop) runBatch(n int) (left int) {
	var cur item
	mark := l.ready.Mark() // the batch's slots are cleared once, at its end
	defer func() {
		l.ready.ClearPopped(mark)
		if r := recover(); r != nil {
			l.reportPanic(r, cur, debug.Stack())
			left = n
		}
	}()
	for n > 0 {
		n--
		cur = l.ready.PopKeep()
		if cur.isHandle() {
			h := cur.handle()
			if !h.state.CompareAndSwap(handlePending, handleRan) { // pairs with the CAS in Handle.Cancel
				continue
			}
			h.fn()
		} else {
			cur.bare()()
		}
	}
	return 0
}

// runBatchTimed is runBatch with slow-callback reporting (WithSlowCallback).
func (l *Loop) runBatchTimed(n int) (left int) {
	var cur item
	defer func() {
		if r := recover(); r != nil {
			l.reportPanic(r, cur, debug.Stack())
			left = n
		}
	}()
	for n > 0 {
		n--
		cur = l.ready.Pop()
		var fn func()
		if cur.isHandle() {
			h := cur.handle()
			if !h.state.CompareAndSwap(handlePending, handleRan) { // pairs with the CAS in Handle.Cancel
				continue
			}
			fn = h.fn
		} else {
			fn = cur.bare()
		}
		start := time.Now()
		fn()
		if d := time.Since(start); d > l.cfg.slowCallback {
			l.CallExceptionHandler(ExceptionContext{
				Message:  "Executing callback took " + d.String(),
				Err:      &SlowCallbackError{Took: d, Threshold: l.cfg.slowCallback},
				Handle:   cur.handleOrNil(),
				Callback: fn,
				Loop:     l,
				Duration: d,
			})
		}
	}
	return 0
}

func (l *Loop) reportPanic(r any, it item, stack []byte) {
	fn := it.callback()
	l.CallExceptionHandler(ExceptionContext{
		Message:  "Exception in callback",
		Err:      &PanicError{Value: r, Stack: stack},
		Stack:    stack,
		Handle:   it.handleOrNil(),
		Callback: fn,
		Loop:     l,
		Panic:    r,
	})
}

// sleep is the loop side of the sleep protocol (wakeup.go, L0-L4).
func (l *Loop) sleep(timeout time.Duration) {
	if !l.in.empty() { // work already waiting: no sleep
		if l.lastDrain < chaseBatch && l.cfg.yields > 0 {
			// Chasing the producers a few items at a time (or none: the mpsc
			// inbox reads as not empty while a claimed slot is unpublished)
			// pulls the lines they are writing across cores once per item and
			// makes iterations that run nothing. One yield lets a batch build.
			runtime.Gosched()
		}
		return
	}
	for i := 0; i < l.cfg.yields; i++ { // L0 (WithYieldBeforeSleep)
		runtime.Gosched()
		if !l.in.empty() || l.stopping.Load() {
			return
		}
	}
	if l.cfg.spin > 0 {
		spun, done := l.spin(timeout)
		if done {
			return
		}
		if timeout > 0 {
			if timeout -= spun; timeout <= 0 {
				return
			}
		}
	}
	l.state.Store(stSleeping) // L1; pairs with the Load in submit/Stop (P2)
	if testHookSleep != nil {
		testHookSleep(l, 1)
	}
	if !l.in.empty() || l.stopping.Load() { // L2; pairs with P1 / the Store in Stop
		if l.state.CompareAndSwap(stSleeping, stRunning) {
			return
		}
		// A producer won P3: its signal is coming; wait returns on it.
	}
	if testHookSleep != nil {
		testHookSleep(l, 2)
	}
	l.sleeps++
	l.w.wait(timeout)                          // L3
	if l.state.Swap(stRunning) == stNotified { // L4; pairs with the CAS in wake (P3)
		l.notifies++
	}
}

// chaseBatch: below this many items per drain the loop yields before draining
// again (when it yields at all, see WithYieldBeforeSleep). Measured
// (CallSoonThreadsafe mpsc, 3 interleaved samples, machine shared): without it the
// loop ran 2-3 iterations per callback, 200 / 117 cpu-ns per callback at 1 / 4
// producers; with it 6-52 callbacks per iteration, 61-82 / 48-52 cpu-ns. 128
// measured the same as 16.
const chaseBatch = 16

// testHookSleep, when set by a test, runs on the loop goroutine after L1 (stage 1)
// and after L2 (stage 2), so tests can submit inside the protocol's windows.
var testHookSleep func(l *Loop, stage int)

// spin polls for work for up to WithSpin's duration (capped at timeout). done
// reports that work arrived or the timeout passed; spun is how long it spun.
func (l *Loop) spin(timeout time.Duration) (spun time.Duration, done bool) {
	d := l.cfg.spin
	if timeout >= 0 && timeout < d {
		d = timeout
	}
	start := time.Now()
	for i := 0; ; i++ {
		if !l.in.empty() || l.stopping.Load() {
			return time.Since(start), true
		}
		if i&63 == 63 {
			if spun = time.Since(start); spun >= d {
				return spun, timeout >= 0 && spun >= timeout
			}
		}
	}
}

// Close discards everything scheduled and releases the wakeup mechanism's
// resources. Closing a running loop returns ErrRunning; closing a closed loop is a
// no-op. After Close every scheduling method returns ErrClosed.
func (l *Loop) Close() error {
	l.lifeMu.Lock()
	if l.running.Load() {
		l.lifeMu.Unlock()
		return ErrRunning
	}
	if l.closed.Load() {
		l.lifeMu.Unlock()
		return nil
	}
	l.closed.Store(true) // pairs with the Loads in the scheduling methods
	l.lifeMu.Unlock()

	// Pending tasks are destroyed and reported, and parked coroutines ended, so no
	// goroutine outlives Close (task_loop.go; idempotent, a no-op without tasks).
	l.closeTasks()

	// Every producer that won P3 is counted in notifies (the loop observed it at L4
	// before its Run returned); wait until each has finished its signal, so closing
	// an fd never races a write to it.
	for l.signalled.Load() != l.notifies { // pairs with the Add in wake
		runtime.Gosched()
	}
	l.ready.Clear()
	l.timers.clear()
	l.timersCancelled = 0
	var drop fifo
	l.in.drain(&drop, 0)
	l.endDebug() // unretrieved.go
	return l.w.close()
}
