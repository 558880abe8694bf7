// Package coro is the coroutine engine under sched's Task: something that runs a job (a task
// body) until the job suspends itself, and later resumes it exactly where it stopped.
// It knows nothing about loops, futures or tasks; sched's task.go drives it.
//
// Three engines, chosen per task by name (New); package sched's variant table
// lists them with their docs:
//
//   - "coro": the runtime's coroutine switch (what iter.Pull uses: one direct
//     goroutine-to-goroutine hand-off on the same thread, no scheduler, ~90 ns a
//     round trip here, BenchmarkFloor/op=coroswitch), with the coroutines pooled
//     per loop: a finished job parks its coroutine in the pool and the next spawn
//     reuses it, so a spawn pays no new goroutine once the pool is warm.
//   - "coro-nopool": the same switch, a fresh iter.Pull per job (the cost the pool
//     saves, kept to be measured).
//   - "goroutine": a goroutine per job, resumed and suspended through two unbuffered
//     channels (the plain-Go baseline; a futex round trip when the loop is locked to
//     its OS thread).
//
// The one user is sched: it builds an engine per loop with New(name, hooks), hands
// each task body to Get, and drives it with Resume until it finishes, then Put.
package coro

// coro.go: the three engines.
//
// Roles and invariants:
//   - Loop side: Get, Resume, Kill, Inspect, Put, Drain and Close are called by one goroutine
//     at a time, the loop goroutine (or whoever owns the loop while it is not
//     running). Nothing here is safe for concurrent loop-side use and nothing needs
//     to be: there are no atomics in this file.
//   - Task side: Suspend is called only from inside the job, on the coroutine's own
//     goroutine, while the loop side is blocked in Resume/Kill/Inspect. At any instant
//     exactly one of the two sides runs; every hand-off (coroswitch or a channel
//     operation) is a happens-before edge, so the plain fields below are written by
//     one side and read by the other only across a hand-off.
//   - A coroutine runs one job at a time. Get hands it a job; Resume runs the job
//     until it suspends (Resume returns false) or returns (true); after true the
//     owner calls Put exactly once and never touches the coroutine again.
//   - Kill makes the pending Suspend, and every later one, return false so the job
//     unwinds (sched's task.go panics a private sentinel through the body's defers); Kill
//     returns when the job has returned, unless the job refuses to return.
//   - Inspect runs a probe function on the suspended coroutine's own stack (GetStack
//     uses it to capture the frames where a task awaits) and suspends it again.
//   - Threads: the runtime requires a runtime coroutine ("coro", "coro-nopool";
//     ThreadBound() == true) to be switched to only from the OS thread and
//     thread-lock state it was created under, or it throws "coro: OS thread locking
//     must match" and the process dies. On a loop locked to its thread, every
//     Resume/Kill/Inspect/Put/Drain/Close of such an engine must therefore happen
//     under the same lock as its Get (sched's task_loop.go keeps that rule). The goroutine
//     engine has no such rule.
//   - Goroutines: every goroutine this file starts calls Hooks.Enter(goid) before it
//     runs a job and Hooks.Exit(goid) before it ends; Drain and Close end every
//     parked one (Close also makes later Puts end theirs), and a goroutine-engine
//     goroutine ends with its job. After Close returns and
//     every in-use coroutine was killed and put back, no goroutine of this engine is
//     left (tested with goleak).

import (
	"iter"

	"github.com/ringloop/ringloop/internal/goid"
)

// coroutine engine names accepted by WithCoro.
const (
	Pull       = "coro"        // pooled runtime coroutines (default)
	PullNoPool = "coro-nopool" // a new runtime coroutine per task
	Goroutine  = "goroutine"   // a goroutine per task, channel hand-off
)

// DefaultPoolMax bounds how many idle coroutines one loop keeps parked. An idle
// coroutine costs its goroutine (a few KiB of stack); beyond the bound, finished
// coroutines are ended instead of parked.
const DefaultPoolMax = 256

// Job is what a coroutine runs: a task body together with its completion.
// RunCoro is called on the coroutine's goroutine and may call co.Suspend.
// It must not panic (task.go recovers the body's panics itself).
type Job interface {
	RunCoro(co Coroutine)
}

// coroutine is one suspendable job runner; see the file comment for the protocol.
type Coroutine interface {
	// Resume runs the job until it suspends (false) or returns (true). Loop side.
	Resume() (finished bool)
	// Suspend hands control back to the loop side until the next resume. It returns
	// false when the coroutine was killed: the job must unwind without suspending
	// again. Task side only.
	Suspend() (alive bool)
	// Kill resumes a suspended job with suspend returning false, and reports
	// whether the job returned. Loop side.
	Kill() (finished bool)
	// Inspect runs probe on the suspended coroutine's goroutine, with the job's
	// suspended stack below it, and returns when probe has returned. Loop side.
	Inspect(probe func())
	// Goid is the identity (internal/goid) of the goroutine that runs the job; valid
	// once the job has started.
	Goid() uintptr
}

// Hooks is told about every goroutine the engine starts and ends, so a loop can
// answer InLoop/RunningLoop from inside task bodies. Both may be nil.
type Hooks struct {
	Enter func(id uintptr) // on the new goroutine, before its first job
	Exit  func(id uintptr) // on that goroutine, before it ends
}

func (h *Hooks) onEnter(id uintptr) {
	if h.Enter != nil {
		h.Enter(id)
	}
}

func (h *Hooks) onExit(id uintptr) {
	if h.Exit != nil {
		h.Exit(id)
	}
}

// Engine hands out coroutines for jobs and takes them back. Loop side only.
type Engine interface {
	// Get returns a coroutine that will run job on its first resume.
	Get(job Job) Coroutine
	// Put takes back a coroutine whose job has returned.
	Put(co Coroutine)
	// Idle reports how many parked coroutines (goroutines) the engine holds.
	Idle() int
	// ThreadBound reports whether the engine's coroutines may be switched to only
	// from the thread-lock state they were created under (runtime coroutines).
	ThreadBound() bool
	// Drain ends every parked coroutine; the engine stays usable.
	Drain()
	// Close ends every parked coroutine; later puts end theirs at once.
	Close()
}

// New builds the engine called name, or returns ok=false.
func New(name string, hooks Hooks) (Engine, bool) {
	switch name {
	case Pull:
		return &PullEngine{hooks: hooks, max: DefaultPoolMax}, true
	case PullNoPool:
		return &PullEngine{hooks: hooks, max: 0}, true
	case Goroutine:
		return &goEngine{hooks: hooks}, true
	}
	return nil, false
}

// ---- "coro" and "coro-nopool": runtime coroutines via iter.Pull ----

// PullEngine pools parked pull coroutines (LIFO, so the most recently used stack is
// reused while it is still in cache). max == 0 disables pooling.
type PullEngine struct {
	hooks  Hooks
	free   []*PullCoro // parked, job == nil; loop side only
	max    int         // most coroutines kept in free
	closed bool        // set by close; later puts end their coroutine
}

func (e *PullEngine) Get(job Job) Coroutine {
	var c *PullCoro
	if n := len(e.free); n > 0 {
		c = e.free[n-1]
		e.free[n-1] = nil
		e.free = e.free[:n-1]
	} else {
		c = newPullCoro(&e.hooks)
	}
	c.job, c.finished, c.killed = job, false, false
	return c
}

func (e *PullEngine) Put(co Coroutine) {
	c := co.(*PullCoro)
	if !c.finished {
		panic("ringloop: Coroutine put back before its job returned")
	}
	if e.closed || len(e.free) >= e.max {
		c.stop() // the body sees yield return false and ends its goroutine
		return
	}
	e.free = append(e.free, c)
}

func (e *PullEngine) Idle() int { return len(e.free) }

func (e *PullEngine) Close() {
	e.closed = true
	e.Drain()
}

func (e *PullEngine) ThreadBound() bool { return true }

func (e *PullEngine) Drain() {
	for i, c := range e.free {
		e.free[i] = nil
		c.stop()
	}
	e.free = nil
}

// PullCoro is one runtime coroutine. Fields other than next/stop are handed between
// the two sides across coroswitch (see the file comment).
type PullCoro struct {
	next  func() (struct{}, bool) // loop side: switch in; returns at the next yield
	stop  func()                  // loop side: end a parked coroutine
	yield func(struct{}) bool     // task side: switch out; set by body

	hooks *Hooks
	job   Job     // written by get (loop side), read by body
	probe func()  // written by inspect, run and cleared by suspend
	gid   uintptr // written once by body, read after a hand-off
	// finished is set by body when the job returned, read by resume after next.
	finished bool
	// killed is set by kill before switching in, read by suspend after it.
	killed bool
}

func newPullCoro(hooks *Hooks) *PullCoro {
	c := &PullCoro{hooks: hooks}
	c.next, c.stop = iter.Pull(c.body)
	return c
}

// body is the coroutine's whole life: run a job, park (yield) until the next one,
// and end when stopped while parked.
func (c *PullCoro) body(yield func(struct{}) bool) {
	c.yield = yield
	c.gid = goid.Current()
	c.hooks.onEnter(c.gid)
	defer c.hooks.onExit(c.gid)
	for {
		c.job.RunCoro(c)
		c.job = nil
		c.finished = true
		if !yield(struct{}{}) { // parked; false means stop
			return
		}
	}
}

func (c *PullCoro) Resume() bool {
	c.next()
	return c.finished
}

func (c *PullCoro) Suspend() bool {
	for {
		if c.killed {
			return false
		}
		c.yield(struct{}{}) // never false here: stop is only called on parked coroutines
		if c.probe == nil {
			return !c.killed
		}
		c.probe()
		c.probe = nil
	}
}

func (c *PullCoro) Kill() bool {
	c.killed = true
	c.next()
	return c.finished
}

func (c *PullCoro) Inspect(probe func()) {
	c.probe = probe
	c.next()
}

func (c *PullCoro) Goid() uintptr { return c.gid }

// ---- "goroutine": a goroutine per job, channel hand-off ----

type goEngine struct {
	hooks  Hooks
	closed bool
}

func (e *goEngine) Get(job Job) Coroutine {
	return &goCoro{
		hooks: &e.hooks,
		job:   job,
		wake:  make(chan struct{}),
		back:  make(chan bool),
	}
}

// put has nothing to do: the goroutine ended after its job returned.
func (e *goEngine) Put(co Coroutine) {
	if !co.(*goCoro).done {
		panic("ringloop: Coroutine put back before its job returned")
	}
}

func (e *goEngine) Idle() int { return 0 }

func (e *goEngine) Drain() {}

func (e *goEngine) ThreadBound() bool { return false }

func (e *goEngine) Close() { e.closed = true }

// goCoro runs its job on its own goroutine. The loop side sends on wake and then
// receives from back; the job's goroutine does the mirror image, so exactly one side
// runs at a time and every field below crosses between them through a channel
// operation (a happens-before edge).
type goCoro struct {
	hooks   *Hooks
	job     Job
	wake    chan struct{} // loop -> job: run on
	back    chan bool     // job -> loop: true = job returned, false = suspended
	probe   func()        // written by inspect, run and cleared by suspend
	gid     uintptr       // written by run before its first send on back
	started bool          // loop side only
	killed  bool          // written by kill before wake, read by suspend after it
	done    bool          // loop side: resume saw true on back
}

func (c *goCoro) Resume() bool {
	if !c.started {
		c.started = true
		go c.run()
	} else {
		c.wake <- struct{}{}
	}
	c.done = <-c.back
	return c.done
}

func (c *goCoro) run() {
	c.gid = goid.Current()
	c.hooks.onEnter(c.gid)
	defer func() { // deferred so that a runtime.Goexit in the job still hands back
		c.job = nil
		c.hooks.onExit(c.gid)
		c.back <- true // the goroutine ends right after this hand-off
	}()
	c.job.RunCoro(c)
}

func (c *goCoro) Suspend() bool {
	for {
		if c.killed {
			return false
		}
		c.back <- false
		<-c.wake
		if c.probe == nil {
			return !c.killed
		}
		c.probe()
		c.probe = nil
	}
}

func (c *goCoro) Kill() bool {
	c.killed = true
	return c.Resume()
}

func (c *goCoro) Inspect(probe func()) {
	c.probe = probe
	c.wake <- struct{}{}
	<-c.back
}

func (c *goCoro) Goid() uintptr { return c.gid }
