// Package sched is ringloop's event loop: asyncio's BaseEventLoop (the parts the
// _asyncio accelerator relies on) re-thought for Go, with Tasks on coroutines and
// with the cross-goroutine inbox, the sleep/wake mechanism and the coroutine engine
// as interchangeable variants, so every design is measured on the same workload.
//
// # First steps
//
// The first thing a user does is run a main task on a fresh loop, as asyncio.run
// does; the task awaits futures, other tasks, Gather and WaitFor, and sleeps,
// without blocking the loop:
//
//	v, err := sched.Run(func(c *sched.Coro) (int, error) {
//		t, _ := sched.CreateTask(c.Loop(), work) // runs concurrently on this loop
//		return sched.WaitFor(c, t, time.Second)  // suspends this task, not the loop
//	})
//
// Or build a loop with New, give it to one goroutine (RunForever), and feed it
// from any other with CallSoonThreadsafe; every callback runs on the loop
// goroutine, one at a time, so state the callbacks share needs no lock. The
// examples (Loop.CallSoonThreadsafe, Await, Gather) show both whole.
//
// Variants are chosen with options: New(WithInbox("mutex"), WithWakeup("eventfd"))
// for the loop, CreateTask(l, fn, WithCoro("goroutine")) per task. Variants lists
// every one with a line of doc; without options a loop gets the defaults
// (DefaultInbox, DefaultWakeup, CoroPull); docs/DESIGN.md gives the
// measurements behind them.
//
// # Shape
//
// A Loop is owned by one goroutine, the one inside RunForever / RunUntilComplete.
// Two queues feed it:
//
//   - ready: a plain growable ring (internal/ring) touched only by the loop goroutine.
//     CallSoon / Post from the loop append here with no atomic instruction at all.
//   - inbox: the cross-goroutine queue (inbox*.go). CallSoonThreadsafe /
//     PostThreadsafe push here from any goroutine. Its implementation is the
//     inbox variant (the "inbox" rows of Variants; ringbuf.PtrMPSC by default).
//
// One iteration (runOnce in loop.go), asyncio's _run_once:
//
//  1. drop the callbacks of the timers the last iteration ran; purge cancelled
//     timers when more than 100 are pending and more than half of them are
//     cancelled (asyncio's rule);
//  2. if nothing is ready and the loop is not stopping, sleep until the next timer
//     or a wakeup (the sleep protocol: wakeup.go, and docs/protocols.md in the
//     repository);
//  3. drain the inbox, in one batch, into ready;
//  4. move every due timer (when <= Time()) into ready, in (when, seq) order;
//  5. run exactly the callbacks that are in ready now; what they schedule runs in
//     the next iteration.
//
// # Caller rules
//
// CallSoon, Post, CallLater and CallAt belong to the loop goroutine (or to whoever
// owns the loop before it runs, as in asyncio); WithDebug(true) checks the rule and
// panics on a violation. CallSoonThreadsafe, PostThreadsafe, Stop, Time, IsRunning,
// IsClosed, InLoop and Handle.Cancel may be called from any goroutine.
//
// # Errors
//
// Scheduling on a closed loop returns ErrClosed; running a running loop, or closing
// one, returns ErrRunning; RunUntilComplete stopped before its future completed
// returns ErrStopped. All are errors.Is-able sentinels. A panicking callback is
// reported to the exception handler as a *PanicError and the loop goes on; a
// panicking task body fails its task with a *TaskPanicError.
//
// # Tasks
//
// A Task is a Future whose result a coroutine computes: fn(c) runs on the loop
// goroutine's behalf (through the chosen engine, internal/coro) and suspends at
// each Await, Coro.Sleep or Coro.Wait until what it waits for is done. Cancel
// throws a *future.CancelledError in at the next await. Gather, WaitFor and Shield
// are asyncio's; RunningLoop and GetEventLoop answer from inside any callback or
// task of a running loop.
package sched
