package bench

// arch.go: the scheduler architectures that the arch workloads (service,
// starve) and BenchmarkArch run side by side, behind one small interface:
//
//	loop          one sched.Loop (the asyncio / Node model)
//	shard         multi.Group: one loop per CPU, routed by key, no migration
//	steal         multi.StealGroup: local run queues, LIFO slot, stealing
//	steal-nolifo  the same without the LIFO slot
//	goroutine     the Go runtime: every operation is `go fn()`
//	workers       N goroutines reading one shared channel
//
// Invariants:
//   - Submit is for goroutines outside the scheduler; Spawn and Yield are for
//     callbacks running on it (Spawn: soon, maybe first; Yield: after what is
//     queued now). Each runs fn exactly once unless it returns an error.
//   - Close runs everything accepted and everything it spawned, then stops.
//   - The interface call is the same for every architecture (a few ns per
//     operation), so ratios between architectures are not skewed by it.

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/ringloop/ringloop/multi"
	"github.com/ringloop/ringloop/sched"
)

// Arch is a scheduler architecture under test.
type Arch interface {
	// Submit runs fn from outside the scheduler; key routes it where the
	// architecture routes (shard), and is ignored elsewhere.
	Submit(key uint64, fn func()) error
	// Spawn runs fn soon, from a callback running on the scheduler.
	Spawn(fn func())
	// Yield runs fn after the work queued now, from a callback on the scheduler.
	Yield(fn func())
	// SubmitEach runs one copy of fn per loop or worker (for goroutine and
	// steal: Workers() copies, placed wherever the scheduler puts them).
	SubmitEach(fn func()) error
	// Workers is how many callbacks can run at once (loops, or GOMAXPROCS).
	Workers() int
	// Close runs what was accepted and stops.
	Close() error
}

// ArchInfo names and documents one architecture.
type ArchInfo struct {
	Name string
	Doc  string
}

// Archs lists the architectures, in the order the tables show them.
func Archs() []ArchInfo {
	return []ArchInfo{
		{"loop", "one sched.Loop (asyncio / Node model)"},
		{"shard", "multi.Group: one loop per CPU, routed by key, no migration (Seastar / Glommio)"},
		{"steal", "multi.StealGroup: per-loop run queue + LIFO slot, idle loops steal half (Tokio / Go runtime)"},
		{"steal-nolifo", "steal without the LIFO slot"},
		{"goroutine", "the Go runtime: every operation is `go fn()`"},
		{"workers", "N goroutines reading one shared channel (the common Go worker pool)"},
	}
}

// ArchNames returns the names of Archs.
func ArchNames() []string {
	var out []string
	for _, a := range Archs() {
		out = append(out, a.Name)
	}
	return out
}

// NewArch starts architecture name with n loops or workers (0: one per CPU;
// loop always has one). Loops are not pinned (the Go scheduler places them,
// as it places goroutines), so every architecture gets the same threads.
func NewArch(name string, n int) (Arch, error) {
	if n < 0 {
		return nil, fmt.Errorf("bench: NewArch(%q, %d): want n >= 0", name, n)
	}
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	switch name {
	case "loop":
		return newLoopArch()
	case "shard":
		g, err := multi.NewGroup(multi.WithGroupLoops(n), multi.WithGroupLockOSThread(false))
		if err != nil {
			return nil, err
		}
		return &shardArch{g: g}, nil
	case "steal", "steal-nolifo":
		g, err := multi.NewStealGroup(multi.WithStealLoops(n), multi.WithStealLIFO(name == "steal"))
		if err != nil {
			return nil, err
		}
		return &stealArch{g: g}, nil
	case "goroutine":
		return &goArch{}, nil
	case "workers":
		return newWorkersArch(n), nil
	}
	return nil, fmt.Errorf("bench: architecture %q: unknown (accepted: %s)", name, strings.Join(ArchNames(), ", "))
}

// ---- loop ----

type loopArch struct {
	l    *sched.Loop
	done chan error
}

func newLoopArch() (*loopArch, error) {
	l, err := sched.New()
	if err != nil {
		return nil, err
	}
	a := &loopArch{l: l, done: make(chan error, 1)}
	ready := make(chan struct{})
	_ = l.PostThreadsafe(func() { close(ready) })
	go func() { a.done <- l.RunForever() }()
	<-ready
	return a, nil
}

func (a *loopArch) Submit(_ uint64, fn func()) error { return a.l.PostThreadsafe(fn) }
func (a *loopArch) Spawn(fn func())                  { _ = a.l.Post(fn) }
func (a *loopArch) Yield(fn func())                  { _ = a.l.Post(fn) }
func (a *loopArch) Workers() int                     { return 1 }
func (a *loopArch) SubmitEach(fn func()) error       { return a.l.PostThreadsafe(fn) }
func (a *loopArch) Close() error {
	// Stop from the loop, behind everything queued (a FIFO): what was accepted
	// runs first; what it schedules later is dropped with the loop, as asyncio's.
	_ = a.l.PostThreadsafe(a.l.Stop)
	return errors.Join(<-a.done, a.l.Close())
}

// ---- shard ----

type shardArch struct{ g *multi.Group }

func (a *shardArch) Submit(key uint64, fn func()) error { return a.g.SubmitKey(key, fn) }
func (a *shardArch) Spawn(fn func()) {
	l, err := sched.RunningLoop()
	if err != nil {
		panic("ringloop: bench: shard Spawn off its loops")
	}
	_ = l.Post(fn)
}
func (a *shardArch) Yield(fn func()) { a.Spawn(fn) }
func (a *shardArch) Workers() int    { return a.g.Len() }
func (a *shardArch) SubmitEach(fn func()) error {
	for i := range a.g.Len() {
		if err := a.g.SubmitTo(i, fn); err != nil {
			return err
		}
	}
	return nil
}
func (a *shardArch) Close() error { return a.g.Close() }

// ---- steal ----

type stealArch struct{ g *multi.StealGroup }

func (a *stealArch) Submit(_ uint64, fn func()) error { return a.g.Submit(fn) }
func (a *stealArch) Spawn(fn func())                  { _ = a.g.Spawn(fn) }
func (a *stealArch) Yield(fn func())                  { _ = a.g.Yield(fn) }
func (a *stealArch) Workers() int                     { return a.g.Len() }
func (a *stealArch) SubmitEach(fn func()) error       { return submitN(a, fn) }
func (a *stealArch) Close() error                     { return a.g.Close() }

// ---- goroutine ----

// goArch: the Go runtime. Close waits for every goroutine it started.
type goArch struct{ wg sync.WaitGroup }

func (a *goArch) Submit(_ uint64, fn func()) error { a.Spawn(fn); return nil }
func (a *goArch) Spawn(fn func()) {
	a.wg.Add(1)
	go func() { fn(); a.wg.Done() }()
}

// Yield is runtime.Gosched then fn on the same goroutine: a goroutine's yield.
func (a *goArch) Yield(fn func())            { runtime.Gosched(); fn() }
func (a *goArch) Workers() int               { return runtime.GOMAXPROCS(0) }
func (a *goArch) SubmitEach(fn func()) error { return submitN(a, fn) }
func (a *goArch) Close() error               { a.wg.Wait(); return nil }

// ---- workers ----

// workersArch: n goroutines ranging over one buffered channel. A spawn into
// a full channel from a worker would deadlock the pool; it hands the send to
// a new goroutine instead (counted in pending, so Close waits for it).
type workersArch struct {
	ch      chan func()
	n       int
	wg      sync.WaitGroup // the workers
	pending sync.WaitGroup // every accepted fn, until it has run
}

const workersQueue = 1 << 16

func newWorkersArch(n int) *workersArch {
	a := &workersArch{ch: make(chan func(), workersQueue), n: n}
	for range n {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			for fn := range a.ch {
				fn()
				a.pending.Done()
			}
		}()
	}
	return a
}

func (a *workersArch) Submit(_ uint64, fn func()) error {
	a.pending.Add(1)
	a.ch <- fn
	return nil
}

func (a *workersArch) Spawn(fn func()) {
	a.pending.Add(1)
	select {
	case a.ch <- fn:
	default:
		go func() { a.ch <- fn }()
	}
}
func (a *workersArch) Yield(fn func())            { a.Spawn(fn) }
func (a *workersArch) Workers() int               { return a.n }
func (a *workersArch) SubmitEach(fn func()) error { return submitN(a, fn) }
func (a *workersArch) Close() error {
	a.pending.Wait()
	close(a.ch)
	a.wg.Wait()
	return nil
}

// submitN submits Workers() copies of fn.
func submitN(a Arch, fn func()) error {
	for i := range a.Workers() {
		if err := a.Submit(uint64(i), fn); err != nil {
			return err
		}
	}
	return nil
}
