package future

// unretrieved.go: asyncio's "Future exception was never retrieved". A future
// that SetException finished, and that the GC collects without anyone having
// looked at its error (Result, Exception, Err, Wait), is reported to its loop
// (the loop's exception handler, for sched.Loop), with the error and, when the
// loop is in debug mode, the stack where the future was created (asyncio's
// source_traceback).
//
// Invariants:
//   - Nothing here touches the Future's fields or the success path: the state
//     lives outside the Future, in reports and creations, keyed by the
//     future's address. An entry also holds a weak pointer to its future, and
//     is used only while that pointer still resolves to the future asking, so
//     a dead future's entry whose cleanup has not run yet is never mistaken
//     for a newer future allocated at the same address.
//   - A report is armed only by SetException / SetExceptionAllowCancelled (not
//     Cancel: asyncio does not log cancellations), only when the loop
//     implements UnretrievedReporter, and before the final state is published,
//     so every reader that sees the error finds the report.
//   - retrieved: set (atomic Store) by any goroutine that read the error;
//     loaded by the cleanup (runtime.AddCleanup, its own goroutine), which runs
//     after the future became unreachable, so after every such read.
//   - The cleanup's argument is the report alone, which does not reference the
//     future: the future stays collectable.
//   - Pool.Put ends a future's life without the GC: it stops the cleanup and
//     reports at once if the error was never retrieved.
//   - Cost: armed counts the live reports; while it is zero, a read of an
//     error costs one atomic load more. A successful round trip pays nothing,
//     except in New one load of debugLoops (zero unless a debug loop exists).

import (
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"
)

// UnretrievedReporter is an optional interface of Loop. A future whose loop
// implements it reports an error nobody retrieved when it is collected.
// sched.Loop implements it.
type UnretrievedReporter interface {
	// ReportUnretrieved hands err (and created, where the future was created,
	// nil outside debug mode) to the loop's exception handler, with msg as
	// the message. Called from the runtime's cleanup goroutine, or from
	// Pool.Put: it must be safe from any goroutine and must not block.
	ReportUnretrieved(msg string, err error, created []byte)
	// GetDebug reports whether the loop is in debug mode (asyncio's
	// get_debug): then New records the stack where each future is created.
	GetDebug() bool
}

// UnretrievedMessage is the message of the report.
const UnretrievedMessage = "Future exception was never retrieved"

type report struct {
	self      weak.Pointer[byte] // the future; identity check (see the invariants)
	retrieved atomic.Bool        // Store by readers of the error; Load by the cleanup
	to        UnretrievedReporter
	err       error
	created   []byte
	cleanup   runtime.Cleanup
}

type creation struct {
	self  weak.Pointer[byte]
	stack []byte
}

var (
	reports    sync.Map     // uintptr(future) -> *report
	creations  sync.Map     // uintptr(future) -> *creation (debug mode only)
	armed      atomic.Int64 // live reports; Add in arm / end, Load in markRetrieved
	debugLoops atomic.Int32 // loops in debug mode (AddDebugLoops); Load in New
)

// AddDebugLoops is for Loop implementations: AddDebugLoops(1) when a loop
// enters debug mode, AddDebugLoops(-1) when it leaves it (or closes). While
// any loop is in debug mode, New asks its loop's GetDebug and, if true,
// records where the future is created for the unretrieved-exception report.
// With no loop in debug mode New pays one atomic load.
func AddDebugLoops(delta int32) { debugLoops.Add(delta) }

// recordCreation stores the creating goroutine's stack for future p if its
// loop is in debug mode. Off the fast path: New calls it only while
// debugLoops != 0.
//
//go:noinline
func recordCreation(p unsafe.Pointer, loop Loop) {
	r, ok := loop.(UnretrievedReporter)
	if !ok || !r.GetDebug() {
		return
	}
	c := &creation{self: weak.Make((*byte)(p)), stack: debug.Stack()}
	key := uintptr(p)
	creations.Store(key, c)
	runtime.AddCleanup((*byte)(p), func(key uintptr) { creations.CompareAndDelete(key, c) }, key)
}

// createdStack returns the stack recorded for future p, or nil.
func createdStack(p unsafe.Pointer) []byte {
	if debugLoops.Load() == 0 {
		return nil
	}
	v, ok := creations.Load(uintptr(p))
	if !ok {
		return nil
	}
	c := v.(*creation)
	if c.self.Value() != (*byte)(p) {
		return nil
	}
	return c.stack
}

// armReport makes the GC report err for future p unless someone reads it
// first. Called by the winning completer before it publishes the final state.
//
//go:noinline
func armReport(p unsafe.Pointer, loop Loop, err error) {
	to, ok := loop.(UnretrievedReporter)
	if !ok {
		return
	}
	r := &report{self: weak.Make((*byte)(p)), to: to, err: err, created: createdStack(p)}
	key := uintptr(p)
	armed.Add(1)
	reports.Store(key, r)
	r.cleanup = runtime.AddCleanup((*byte)(p), collected, reportKey{key, r})
}

type reportKey struct {
	key uintptr
	r   *report
}

// collected is the cleanup: the future is unreachable.
func collected(k reportKey) {
	reports.CompareAndDelete(k.key, k.r)
	armed.Add(-1)
	if !k.r.retrieved.Load() { // pairs with the Store in markRetrieved
		k.r.to.ReportUnretrieved(UnretrievedMessage, k.r.err, k.r.created)
	}
}

// lookupReport returns future p's live report, or nil.
func lookupReport(p unsafe.Pointer) *report {
	if armed.Load() == 0 { // pairs with the Adds in armReport / collected
		return nil
	}
	v, ok := reports.Load(uintptr(p))
	if !ok {
		return nil
	}
	r := v.(*report)
	if r.self.Value() != (*byte)(p) {
		return nil
	}
	return r
}

// markRetrieved records that future p's error was read.
//
//go:noinline
func markRetrieved(p unsafe.Pointer) {
	if r := lookupReport(p); r != nil && !r.retrieved.Load() {
		r.retrieved.Store(true) // pairs with the Load in collected
	}
}

// endReport is Pool.Put's: the future's life ends here, not at collection.
func endReport(p unsafe.Pointer) {
	r := lookupReport(p)
	if r == nil {
		return
	}
	r.cleanup.Stop() // f is reachable (Put holds it): the cleanup has not been queued
	reports.CompareAndDelete(uintptr(p), r)
	armed.Add(-1)
	if !r.retrieved.Load() {
		r.to.ReportUnretrieved(UnretrievedMessage, r.err, r.created)
	}
}

// MarkRetrieved records that f's error has been dealt with elsewhere, so f
// reports nothing when it is collected (asyncio's fut._log_traceback =
// False). sched.Task calls it on its own future: a task reports its own
// "Task exception was never retrieved" instead. Any goroutine.
func (f *Future[T]) MarkRetrieved() { markRetrieved(unsafe.Pointer(f)) }
