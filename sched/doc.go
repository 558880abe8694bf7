// Package sched is ringloop's event loop: asyncio's BaseEventLoop (the parts the
// _asyncio accelerator relies on) re-thought for Go, with the cross-goroutine inbox
// and the sleep/wake mechanism as pluggable variants so every design is measured on
// the same workload.
//
// # Shape
//
// A Loop is owned by one goroutine, the one inside RunForever / RunUntilComplete.
// Two queues feed it:
//
//   - ready: a plain FIFO (fifo in fifo.go) touched only by the loop goroutine.
//     CallSoon / Post from the loop append here with no atomic instruction at all.
//   - inbox: the cross-goroutine queue (inbox*.go). CallSoonThreadsafe /
//     PostThreadsafe push here from any goroutine. Its implementation is the
//     inbox variant: "mpsc" (ringbuf.PtrMPSC: 8-byte slots, the callback is the
//     publish flag; the default), "mpsc-seq" (ringbuf.MPSC, sequence word per
//     slot), "mpsc-cas" (the same claiming with a CAS loop),
//     "mutex" (slice + sync.Mutex, CPython's way), "chan", "xsync" (xsync/v3
//     MPMCQueueOf), "xsync4" (xsync/v4 UMPSCQueue).
//
// One iteration (runOnce in loop.go), asyncio's _run_once:
//
//  1. purge cancelled timers when more than half of the heap is cancelled;
//  2. if nothing is ready and the loop is not stopping, sleep until the next timer
//     or a wakeup (the protocol in wakeup.go);
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
// returns ErrStopped. All are errors.Is-able sentinels.
package sched
