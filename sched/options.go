// Options for New, and the names of every variant New accepts.
package sched

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
	handler       func(ExceptionContext)
	slowCallback  time.Duration
	debug         bool
	clock         func() time.Duration
	inboxCapacity int
	drainBatch    int
}

// DefaultInbox and DefaultWakeup are the variants New uses without options.
// See docs/notes/sched.md for the measurements behind the choice.
const (
	DefaultInbox  = "mpsc"
	DefaultWakeup = "chan"
)

var inboxVariants = []string{"mpsc", "mpsc-cas", "mutex", "chan", "xsync", "xsync4"}

// InboxVariants returns every inbox name WithInbox accepts, the default first.
func InboxVariants() []string { return append([]string(nil), inboxVariants...) }

// WakeupVariants returns every wakeup name WithWakeup accepts, the default first.
func WakeupVariants() []string {
	if kernelWakers {
		return []string{"chan", "eventfd", "futex"}
	}
	return []string{"chan"}
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
