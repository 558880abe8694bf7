// This file is the coroutine engine under Task: something that runs a job (a task
// body) until the job suspends itself, and later resumes it exactly where it stopped.
// It knows nothing about loops, futures or tasks; task.go drives it.
//
// Three engines, chosen per task by name (CoroVariants):
//
//   - "coro": the runtime's coroutine switch (what iter.Pull uses: one direct
//     goroutine-to-goroutine hand-off on the same thread, no scheduler, ~57 ns a
//     round trip), with the coroutines pooled per loop: a finished job parks its
//     coroutine in the pool and the next spawn reuses it, so a spawn pays no new
//     goroutine once the pool is warm.
//   - "coro-nopool": the same switch, a fresh iter.Pull per job (the cost the pool
//     saves, kept to be measured).
//   - "goroutine": a goroutine per job, resumed and suspended through two unbuffered
//     channels (the plain-Go baseline; a futex round trip when the loop is locked to
//     its OS thread).
//
// Roles and invariants:
//   - Loop side: get, resume, kill, inspect, put, close are called by one goroutine
//     at a time, the loop goroutine (or whoever owns the loop while it is not
//     running). Nothing here is safe for concurrent loop-side use and nothing needs
//     to be: there are no atomics in this file.
//   - Task side: suspend is called only from inside the job, on the coroutine's own
//     goroutine, while the loop side is blocked in resume/kill/inspect. At any instant
//     exactly one of the two sides runs; every hand-off (coroswitch or a channel
//     operation) is a happens-before edge, so the plain fields below are written by
//     one side and read by the other only across a hand-off.
//   - A coroutine runs one job at a time. get hands it a job; resume runs the job
//     until it suspends (resume returns false) or returns (true); after true the
//     owner calls put exactly once and never touches the coroutine again.
//   - kill makes the pending suspend, and every later one, return false so the job
//     unwinds (task.go panics a private sentinel through the body's defers); kill
//     returns when the job has returned, unless the job refuses to return.
//   - inspect runs a probe function on the suspended coroutine's own stack (GetStack
//     uses it to capture the frames where a task awaits) and suspends it again.
//   - Threads: the runtime requires a runtime coroutine ("coro", "coro-nopool";
//     threadBound() == true) to be switched to only from the OS thread and
//     thread-lock state it was created under, or it throws "coro: OS thread locking
//     must match" and the process dies. On a loop locked to its thread, every
//     resume/kill/inspect/put/drain/close of such an engine must therefore happen
//     under the same lock as its get (task_loop.go keeps that rule). The goroutine
//     engine has no such rule.
//   - Goroutines: every goroutine this file starts calls hooks.enter(goid) before it
//     runs a job and hooks.exit(goid) before it ends; drain and close end every
//     parked one (close also makes later puts end theirs), and a goroutine-engine
//     goroutine ends with its job. After close returns and
//     every in-use coroutine was killed and put back, no goroutine of this engine is
//     left (tested with goleak).
package sched

import (
	"iter"

	"github.com/ringloop/ringloop/internal/goid"
)

// Coroutine engine names accepted by WithCoro.
const (
	CoroPull       = "coro"        // pooled runtime coroutines (default)
	CoroPullNoPool = "coro-nopool" // a new runtime coroutine per task
	CoroGoroutine  = "goroutine"   // a goroutine per task, channel hand-off
)

// CoroVariants returns every coroutine engine name WithCoro accepts, default first.
func CoroVariants() []string {
	return []string{CoroPull, CoroPullNoPool, CoroGoroutine}
}

// defaultCoroPoolMax bounds how many idle coroutines one loop keeps parked. An idle
// coroutine costs its goroutine (a few KiB of stack); beyond the bound, finished
// coroutines are ended instead of parked.
const defaultCoroPoolMax = 256

// coroJob is what a coroutine runs: a task body together with its completion.
// runCoro is called on the coroutine's goroutine and may call co.suspend.
// It must not panic (task.go recovers the body's panics itself).
type coroJob interface {
	runCoro(co coroutine)
}

// coroutine is one suspendable job runner; see the file comment for the protocol.
type coroutine interface {
	// resume runs the job until it suspends (false) or returns (true). Loop side.
	resume() (finished bool)
	// suspend hands control back to the loop side until the next resume. It returns
	// false when the coroutine was killed: the job must unwind without suspending
	// again. Task side only.
	suspend() (alive bool)
	// kill resumes a suspended job with suspend returning false, and reports
	// whether the job returned. Loop side.
	kill() (finished bool)
	// inspect runs probe on the suspended coroutine's goroutine, with the job's
	// suspended stack below it, and returns when probe has returned. Loop side.
	inspect(probe func())
	// goid is the identity (internal/goid) of the goroutine that runs the job; valid
	// once the job has started.
	goid() uintptr
}

// coroHooks is told about every goroutine the engine starts and ends, so a loop can
// answer InLoop/RunningLoop from inside task bodies. Both may be nil.
type coroHooks struct {
	enter func(id uintptr) // on the new goroutine, before its first job
	exit  func(id uintptr) // on that goroutine, before it ends
}

func (h *coroHooks) onEnter(id uintptr) {
	if h.enter != nil {
		h.enter(id)
	}
}

func (h *coroHooks) onExit(id uintptr) {
	if h.exit != nil {
		h.exit(id)
	}
}

// coroEngine hands out coroutines for jobs and takes them back. Loop side only.
type coroEngine interface {
	// get returns a coroutine that will run job on its first resume.
	get(job coroJob) coroutine
	// put takes back a coroutine whose job has returned.
	put(co coroutine)
	// idle reports how many parked coroutines (goroutines) the engine holds.
	idle() int
	// threadBound reports whether the engine's coroutines may be switched to only
	// from the thread-lock state they were created under (runtime coroutines).
	threadBound() bool
	// drain ends every parked coroutine; the engine stays usable.
	drain()
	// close ends every parked coroutine; later puts end theirs at once.
	close()
}

// newCoroEngine builds the engine called name, or returns ok=false.
func newCoroEngine(name string, hooks coroHooks) (coroEngine, bool) {
	switch name {
	case CoroPull:
		return &pullEngine{hooks: hooks, max: defaultCoroPoolMax}, true
	case CoroPullNoPool:
		return &pullEngine{hooks: hooks, max: 0}, true
	case CoroGoroutine:
		return &goEngine{hooks: hooks}, true
	}
	return nil, false
}

// ---- "coro" and "coro-nopool": runtime coroutines via iter.Pull ----

// pullEngine pools parked pull coroutines (LIFO, so the most recently used stack is
// reused while it is still in cache). max == 0 disables pooling.
type pullEngine struct {
	hooks  coroHooks
	free   []*pullCoro // parked, job == nil; loop side only
	max    int         // most coroutines kept in free
	closed bool        // set by close; later puts end their coroutine
}

func (e *pullEngine) get(job coroJob) coroutine {
	var c *pullCoro
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

func (e *pullEngine) put(co coroutine) {
	c := co.(*pullCoro)
	if !c.finished {
		panic("ringloop: coroutine put back before its job returned")
	}
	if e.closed || len(e.free) >= e.max {
		c.stop() // the body sees yield return false and ends its goroutine
		return
	}
	e.free = append(e.free, c)
}

func (e *pullEngine) idle() int { return len(e.free) }

func (e *pullEngine) close() {
	e.closed = true
	e.drain()
}

func (e *pullEngine) threadBound() bool { return true }

func (e *pullEngine) drain() {
	for i, c := range e.free {
		e.free[i] = nil
		c.stop()
	}
	e.free = nil
}

// pullCoro is one runtime coroutine. Fields other than next/stop are handed between
// the two sides across coroswitch (see the file comment).
type pullCoro struct {
	next  func() (struct{}, bool) // loop side: switch in; returns at the next yield
	stop  func()                  // loop side: end a parked coroutine
	yield func(struct{}) bool     // task side: switch out; set by body

	hooks *coroHooks
	job   coroJob // written by get (loop side), read by body
	probe func()  // written by inspect, run and cleared by suspend
	gid   uintptr // written once by body, read after a hand-off
	// finished is set by body when the job returned, read by resume after next.
	finished bool
	// killed is set by kill before switching in, read by suspend after it.
	killed bool
}

func newPullCoro(hooks *coroHooks) *pullCoro {
	c := &pullCoro{hooks: hooks}
	c.next, c.stop = iter.Pull(c.body)
	return c
}

// body is the coroutine's whole life: run a job, park (yield) until the next one,
// and end when stopped while parked.
func (c *pullCoro) body(yield func(struct{}) bool) {
	c.yield = yield
	c.gid = goid.Current()
	c.hooks.onEnter(c.gid)
	defer c.hooks.onExit(c.gid)
	for {
		c.job.runCoro(c)
		c.job = nil
		c.finished = true
		if !yield(struct{}{}) { // parked; false means stop
			return
		}
	}
}

func (c *pullCoro) resume() bool {
	c.next()
	return c.finished
}

func (c *pullCoro) suspend() bool {
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

func (c *pullCoro) kill() bool {
	c.killed = true
	c.next()
	return c.finished
}

func (c *pullCoro) inspect(probe func()) {
	c.probe = probe
	c.next()
}

func (c *pullCoro) goid() uintptr { return c.gid }

// ---- "goroutine": a goroutine per job, channel hand-off ----

type goEngine struct {
	hooks  coroHooks
	closed bool
}

func (e *goEngine) get(job coroJob) coroutine {
	return &goCoro{
		hooks: &e.hooks,
		job:   job,
		wake:  make(chan struct{}),
		back:  make(chan bool),
	}
}

// put has nothing to do: the goroutine ended after its job returned.
func (e *goEngine) put(co coroutine) {
	if !co.(*goCoro).done {
		panic("ringloop: coroutine put back before its job returned")
	}
}

func (e *goEngine) idle() int { return 0 }

func (e *goEngine) drain() {}

func (e *goEngine) threadBound() bool { return false }

func (e *goEngine) close() { e.closed = true }

// goCoro runs its job on its own goroutine. The loop side sends on wake and then
// receives from back; the job's goroutine does the mirror image, so exactly one side
// runs at a time and every field below crosses between them through a channel
// operation (a happens-before edge).
type goCoro struct {
	hooks   *coroHooks
	job     coroJob
	wake    chan struct{} // loop -> job: run on
	back    chan bool     // job -> loop: true = job returned, false = suspended
	probe   func()        // written by inspect, run and cleared by suspend
	gid     uintptr       // written by run before its first send on back
	started bool          // loop side only
	killed  bool          // written by kill before wake, read by suspend after it
	done    bool          // loop side: resume saw true on back
}

func (c *goCoro) resume() bool {
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
	c.job.runCoro(c)
}

func (c *goCoro) suspend() bool {
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

func (c *goCoro) kill() bool {
	c.killed = true
	return c.resume()
}

func (c *goCoro) inspect(probe func()) {
	c.probe = probe
	c.wake <- struct{}{}
	<-c.back
}

func (c *goCoro) goid() uintptr { return c.gid }
