package future

// testloop.go: TestLoop, a minimal single-goroutine Loop so package future (and
// other packages' tests) can run futures without sched. It is asyncio's
// _run_once in miniature: a ready list touched only by its owner goroutine, and
// a mutex-guarded inbox for PostThreadsafe.
//
// Invariants:
//   - owner is the goroutine that called NewTestLoop; it never changes. InLoop
//     is true exactly on that goroutine (goid.Current, see internal/goid: the
//     owner must outlive the loop's use, as a test goroutine does).
//   - ready and spare are owner-only; Post from another goroutine panics (a
//     programmer error that would be a data race).
//   - inbox, inSpare and sleeping are guarded by mu. PostThreadsafe appends under
//     mu and, if the owner is sleeping in RunUntil, clears sleeping and sends one
//     token on wake (cap 1), so concurrent wakeups coalesce into one.
//   - RunOnce runs exactly the callbacks that were ready when it started (inbox
//     drained first, in push order); what they schedule runs on the next RunOnce.
//   - Steady state allocates nothing: the ready/spare and inbox/inSpare slices
//     are swapped, never reallocated once grown.

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/ringloop/ringloop/internal/goid"
)

// TestLoop is a single-goroutine Loop for tests. Create it with NewTestLoop on
// the goroutine that will run it.
type TestLoop struct {
	owner uintptr  // goid of the creating goroutine; read-only
	ready []func() // owner-only
	spare []func() // owner-only: the other ready buffer

	// queued is true while the inbox may be non-empty: set under mu by
	// PostThreadsafe, cleared under mu by RunOnce; loaded without mu by RunOnce
	// so an empty inbox costs no lock. A set that RunOnce misses is seen by the
	// next RunOnce (and RunUntil re-checks under mu before sleeping).
	queued atomic.Bool

	mu       sync.Mutex
	inbox    []func() // guarded by mu
	inSpare  []func() // guarded by mu: the other inbox buffer
	sleeping bool     // guarded by mu: the owner waits on wake
	wake     chan struct{}
}

// NewTestLoop returns a TestLoop owned by the calling goroutine: only that
// goroutine may call Post, RunOnce, RunUntilIdle and RunUntil, and InLoop is true
// only there.
func NewTestLoop() *TestLoop {
	return &TestLoop{owner: goid.Current(), wake: make(chan struct{}, 1)}
}

// InLoop reports whether the caller is the owner goroutine.
func (l *TestLoop) InLoop() bool { return goid.Current() == l.owner }

// Post schedules fn on the loop. Owner goroutine only (panics elsewhere). Never
// fails. No allocation once the ready buffer has grown.
func (l *TestLoop) Post(fn func()) error {
	if goid.Current() != l.owner {
		panic("ringloop: future.TestLoop.Post called off the loop goroutine; use PostThreadsafe")
	}
	l.ready = append(l.ready, fn)
	return nil
}

// PostThreadsafe schedules fn from any goroutine. Never fails.
func (l *TestLoop) PostThreadsafe(fn func()) error {
	l.mu.Lock()
	l.inbox = append(l.inbox, fn)
	if !l.queued.Load() {
		l.queued.Store(true) // pairs with the Load in RunOnce
	}
	wake := l.sleeping
	l.sleeping = false
	l.mu.Unlock()
	if wake {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// RunOnce drains the inbox into the ready list and runs the callbacks that were
// ready when it started; it returns how many ran. Owner only. A panicking
// callback propagates; the callbacks after it in this batch stay ready, ahead of
// anything posted meanwhile (as a loop that recovers and goes on would run them).
func (l *TestLoop) RunOnce() int {
	l.mustOwn("RunOnce")
	if l.queued.Load() { // pairs with the Store in PostThreadsafe
		l.mu.Lock()
		l.queued.Store(false)
		in := l.inbox
		l.inbox = l.inSpare[:0]
		l.ready = append(l.ready, in...)
		clear(in)
		l.inSpare = in[:0]
		l.mu.Unlock()
	}
	batch := l.ready
	if len(batch) == 0 {
		return 0
	}
	l.ready = l.spare[:0]
	l.spare = nil // while batch runs, Post must not reuse it
	i := 0
	defer func() {
		if i < len(batch) { // a callback panicked: keep the rest, ahead of what it posted
			rest := append([]func(){}, batch[i+1:]...)
			l.ready = append(rest, l.ready...)
			clear(batch)
		}
	}()
	for ; i < len(batch); i++ {
		fn := batch[i]
		batch[i] = nil
		fn()
	}
	l.spare = batch[:0]
	return len(batch)
}

// RunUntilIdle calls RunOnce until nothing is ready or queued; it returns how many
// callbacks ran. Owner only.
func (l *TestLoop) RunUntilIdle() int {
	total := 0
	for {
		n := l.RunOnce()
		if n == 0 && l.idle() {
			return total
		}
		total += n
	}
}

// RunUntil runs the loop until cond() is true (checked after every RunOnce),
// blocking while nothing is ready until a PostThreadsafe wakes it; it returns
// ctx.Err() if ctx ends first. Owner only.
func (l *TestLoop) RunUntil(ctx context.Context, cond func() bool) error {
	for {
		n := l.RunOnce()
		if cond() {
			return nil
		}
		if n > 0 {
			continue
		}
		l.mu.Lock()
		if len(l.inbox) > 0 || len(l.ready) > 0 {
			l.mu.Unlock()
			continue
		}
		l.sleeping = true
		l.mu.Unlock()
		select {
		case <-l.wake:
		case <-ctx.Done():
			l.mu.Lock()
			l.sleeping = false
			l.mu.Unlock()
			return ctx.Err()
		}
	}
}

// Len returns how many callbacks are ready or queued. Owner only.
func (l *TestLoop) Len() int {
	l.mustOwn("Len")
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ready) + len(l.inbox)
}

func (l *TestLoop) idle() bool { return l.Len() == 0 }

func (l *TestLoop) mustOwn(what string) {
	if goid.Current() != l.owner {
		panic("ringloop: future.TestLoop." + what + " called off the loop goroutine")
	}
}
