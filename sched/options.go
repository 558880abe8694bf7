package sched

// Options for New, and the names of every variant New accepts.

import (
	"fmt"
	"time"
)

// Option configures a Loop in New.
type Option func(*config) error

type config struct {
	inbox         string
	wakeup        string
	lockOSThread  bool
	spin          time.Duration
	yields        int
	handler       func(ExceptionContext)
	slowCallback  time.Duration
	debug         bool
	clock         func() time.Duration
	inboxCapacity int
	drainBatch    int
}

// DefaultInbox and DefaultWakeup are the variants New uses without options.
// See docs/notes/sched.md for the measurements behind the choice. Wakeup, 2-vCPU
// Xeon VM, loop unlocked, p50 / p99 in us, medians of 4 x 300 wakes (preliminary,
// machine shared, load 4-7; earlier rounds under load 11-13 agree in ranking):
//
//	chan-yield  waker blocks 3.1 / 27,  waker runs 4.1 / 23   (p99s 20-37)
//	chan        waker blocks 3.2 / 21,  waker runs 606 / 4580
//	eventfd     waker blocks 2.3-4.2 / 9-44, waker runs 2.6-4.3 / 570-3800
//	futex       waker blocks 3.1-3.5 / 32-191, waker runs 1.8-4.7 / 20-13500
//
// chan-yield is the only one whose waker=runs tail stays under 100 us in every
// sample, it costs little CPU per wake, and it blocks durably in Go's sense, so
// testing/synctest can drive the loop. A loop locked to its thread loses the
// advantage (readying a locked goroutine is a futex hand-off): use eventfd there.
const (
	DefaultInbox  = "mpsc"
	DefaultWakeup = "chan-yield"
)

var inboxVariants = []string{"mpsc", "mpsc-seq", "mpsc-cas", "mutex", "chan", "xsync", "xsync4"}

// InboxVariants returns every inbox name WithInbox accepts, the default first.
func InboxVariants() []string { return append([]string(nil), inboxVariants...) }

// WakeupVariants returns every wakeup name WithWakeup accepts, the default first.
func WakeupVariants() []string {
	if kernelWakers {
		return []string{"chan-yield", "chan", "eventfd", "futex"}
	}
	return []string{"chan-yield", "chan"}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WithInbox selects the cross-goroutine queue: one of InboxVariants().
func WithInbox(name string) Option {
	return func(c *config) error {
		if !contains(inboxVariants, name) {
			return fmt.Errorf("sched: WithInbox(%q): unknown inbox variant, want one of %q", name, inboxVariants)
		}
		c.inbox = name
		return nil
	}
}

// WithWakeup selects the sleep/wake mechanism: one of WakeupVariants().
func WithWakeup(name string) Option {
	return func(c *config) error {
		if v := WakeupVariants(); !contains(v, name) {
			return fmt.Errorf("sched: WithWakeup(%q): unknown wakeup variant, want one of %q", name, v)
		}
		c.wakeup = name
		return nil
	}
}

// WithLockOSThread makes RunForever lock the loop goroutine to its OS thread for
// the duration of the run.
func WithLockOSThread(lock bool) Option {
	return func(c *config) error { c.lockOSThread = lock; return nil }
}

// WithSpin makes the loop poll its inbox for up to d before it sleeps: lower wakeup
// latency for idle CPU. 0 (the default) never spins.
func WithSpin(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > time.Second {
			return fmt.Errorf("sched: WithSpin(%v): want 0 <= d <= 1s", d)
		}
		c.spin = d
		return nil
	}
}

// DefaultYieldBeforeSleep is WithYieldBeforeSleep's default. Measured
// (BenchmarkCallSoonThreadsafe, preliminary, machine shared, 3 samples): with 0 the
// loop slept once per ~20 callbacks under a steady flood (each sleep/wake cycle
// several us: 190-290 ns per callback at 1 producer); with 1 it slept once per
// ~100k (110-210 ns); 4 yields bought nothing more. It applies to loops that do
// not lock their OS thread: a locked goroutine that yields while others are
// runnable on its P must wait for its thread to be handed back (a futex round
// trip), so a locked loop does not yield unless WithYieldBeforeSleep says so.
const DefaultYieldBeforeSleep = 1

// WithYieldBeforeSleep makes the loop call runtime.Gosched up to n times, checking
// its inbox after each, before it sleeps: producers that share the loop's P get to
// push, and a busy phase avoids a sleep/wake cycle, at the price of a few hundred
// nanoseconds of CPU each time the loop runs dry (not while it sleeps, so an idle
// loop still costs nothing). 0 never yields; the default is
// DefaultYieldBeforeSleep for an unlocked loop and 0 for a locked one.
func WithYieldBeforeSleep(n int) Option {
	return func(c *config) error {
		if n < 0 || n > 1000 {
			return fmt.Errorf("sched: WithYieldBeforeSleep(%d): want 0 <= n <= 1000", n)
		}
		c.yields = n
		return nil
	}
}

// WithExceptionHandler replaces the default handler (which logs) for panics in
// callbacks and slow-callback reports: asyncio's set_exception_handler.
func WithExceptionHandler(h func(ExceptionContext)) Option {
	return func(c *config) error { c.handler = h; return nil }
}

// WithSlowCallback reports every callback that runs longer than d to the exception
// handler (asyncio's slow_callback_duration in debug mode). 0 disables it.
func WithSlowCallback(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("sched: WithSlowCallback(%v): want d >= 0", d)
		}
		c.slowCallback = d
		return nil
	}
}

// WithDebug makes the loop-only methods (CallSoon, Post, CallLater, CallAt) panic
// when called from a goroutine other than the running loop's (asyncio's debug-mode
// thread check). It costs one goroutine-id compare per call.
func WithDebug(on bool) Option {
	return func(c *config) error { c.debug = on; return nil }
}

// WithClock replaces the loop's clock (asyncio lets a subclass override time()).
// The loop still sleeps in real time for the difference the clock reports, so the
// clock should advance at the real rate or be driven by callbacks that keep the
// loop busy (benchmarks and simulations do the latter). nil restores the default.
func WithClock(now func() time.Duration) Option {
	return func(c *config) error { c.clock = now; return nil }
}

// WithInboxCapacity sets the capacity of the bounded inbox variants ("chan",
// "xsync"); a full inbox falls back without losing the callback (see
// Loop.PostThreadsafe). Default 65536.
func WithInboxCapacity(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 1<<26 {
			return fmt.Errorf("sched: WithInboxCapacity(%d): want 1 <= n <= %d", n, 1<<26)
		}
		c.inboxCapacity = n
		return nil
	}
}

// WithDrainBatch caps how many inbox items one iteration moves to ready (0, the
// default, moves all that are visible), so timers stay timely under a flood.
func WithDrainBatch(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("sched: WithDrainBatch(%d): want n >= 0", n)
		}
		c.drainBatch = n
		return nil
	}
}
