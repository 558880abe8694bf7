// Package future is asyncio's Future for Go: a one-shot result (a value, an error,
// or a cancellation) whose done-callbacks run on an event loop, never
// synchronously. It is the Future of CPython's _asyncio accelerator re-thought for
// completion from any goroutine: the state changes with one CAS, the callback list
// belongs to the loop goroutine, and the first callbacks live inline in the Future.
//
// The first thing a user does is make a Future on a loop, hand it to whoever will
// complete it, and wait for it: with a done-callback, or from a Task with
// sched.Await, or from plain Go with Wait:
//
//	f := future.New[int](loop)                 // sched.CreateFuture(loop) does the same
//	f.AddDoneCallback(func(f *future.Future[int]) { v, err := f.Result(); ... })
//	go func() { f.SetResult(42) }()            // any goroutine; the callback runs on the loop
//
// SetResult, SetException and Cancel may be called from any goroutine; exactly one
// of them wins. Callbacks and their registration belong to the loop goroutine. Go
// runs a function in a goroutine and completes a future with its result; Wait
// blocks plain Go code (never the loop goroutine) until the future is done.
//
// future does not import sched: a Future needs only a Loop (Post, PostThreadsafe,
// InLoop). NewTestLoop gives a minimal single-goroutine Loop for tests and
// examples.
package future

// future.go: the Future itself: its state machine, its loop-owned callback list
// and how a completion reaches the loop.
//
// # State
//
// Two words are written by more than one goroutine: waiter (CASed nil -> chan by
// any goroutine that blocks in Wait or asks for DoneChan; see the field) and
// state, which every completer races for:
//
//	pending --CAS--> completing --Store--> finished   (SetResult, SetException)
//	pending --CAS--> completing --Store--> cancelled  (Cancel)
//
// The CAS out of pending is the decision: exactly one completer (SetResult,
// SetException or Cancel, from any goroutine) wins it; every other completer
// fails its CAS and returns ErrInvalidState (Cancel returns false) without
// touching anything. The winner then writes value / err (only the winner ever
// writes them, and only while the state is completing) and publishes them with a
// seq-cst Store of finished or cancelled. A reader that loads finished or
// cancelled therefore sees value / err (the Store pairs with the Loads in Done,
// Result, Exception, Err and String). completing lasts a few instructions; a
// reader that sees it waits for the Store (settle), so to every observer the
// future is done exactly from the CAS on, and a losing completer that returned
// ErrInvalidState always sees Done() == true afterwards.
//
// Cost of a completion: one CAS + one XCHG (two locked instructions), one plain
// load of waiter, then one Post or PostThreadsafe (or nothing, see below).
//
// # Callbacks
//
// The callback list (inline, kinds, more) and disp are owned by the loop goroutine:
// only the loop goroutine reads or writes them (AddDoneCallback, OnDone,
// RemoveDoneCallback, runCallbacks, and SetResult/SetException/Cancel when they
// run on the loop). Before the loop runs, the goroutine that will run it may use
// them too, as long as starting the loop happens after (asyncio's rule: a Future
// is not thread-safe except for completion). A completion off the loop never
// touches the list: it flips the state and posts one dispatch.
//
// A dispatch is the func() returned by dispatcher(): it runs runCallbacks on the
// loop. runCallbacks detaches the whole list (callbacks added while it runs go to
// a fresh list and a new dispatch) and calls the detached callbacks in the order
// they were added. Which dispatch is in flight is tracked by disp (loop-owned):
//
//	dispInitial  no dispatch has run yet. If the state is not pending, the
//	             completion was off the loop and its dispatch is queued.
//	dispHanded   an on-loop completion posted a dispatch for the list as it was
//	             (asyncio's _schedule_callbacks: the list belongs to the loop
//	             from the completion on; later adds do not join it).
//	dispIdle     a dispatch ran (or none was needed: on-loop completion with an
//	             empty list) and the list is empty.
//	dispRunning  a dispatch is calling two or more detached callbacks (the list
//	             itself is empty, as in dispIdle; Pool.Put refuses meanwhile).
//
// Completion: on the loop (Loop.InLoop()), an empty list means nothing to run:
// disp = dispIdle, no Post; otherwise one Post(dispatch), disp = dispHanded. Off
// the loop: exactly one PostThreadsafe(dispatch) (one push on the loop's inbox,
// never a lock here), whatever the list holds, because the list cannot be read
// off the loop.
//
// AddDoneCallback (on the loop) appends to the list, then loads the state:
// pending: nothing else (a later completion posts the dispatch). Not pending:
// asyncio's call_soon(fn). With disp == dispInitial the off-loop completion's
// dispatch is still queued; it stands for the completion (asyncio would run
// set_result on the loop through call_soon_threadsafe, after this add) and runs
// the new callback with the others. In every other state the new registration
// is taken off the list and posted alone, at the end of the loop's queue.
//
// Ordering argument, callback added on the loop while another goroutine
// completes (the only interleaving there is, since everything else touching the
// list runs on the loop goroutine one thing at a time):
//   - Add loads pending: the completer's CAS is later than that load, so the
//     dispatch it posts afterwards cannot have run before Add (a dispatch that
//     ran before Add would make the CAS happen before Add's load, which would
//     then have seen it); it runs on the loop after Add returned, finds the
//     callback in the list and runs it once.
//   - Add loads completing/finished/cancelled: the completion's dispatch either
//     has not run yet (disp == dispInitial: it will run the list, callback
//     included, once) or already ran or was handed the list (disp is dispIdle,
//     dispHanded or dispRunning: Add posts the callback alone, once).
//
// In both cases exactly one dispatch runs each registered callback exactly once:
// runCallbacks detaches the list before calling anything, so a second dispatch
// (if any) finds it empty. Callbacks run in the order they were added because the
// list is append-only between dispatches and RemoveDoneCallback compacts it
// keeping order. asyncio's semantics follow: never synchronous; registered before
// completion -> run after it; added after completion -> run soon (call_soon);
// RemoveDoneCallback on a done future removes nothing and returns 0 (asyncio
// cleared its list when it scheduled the callbacks).
//
// Deviation from asyncio, by design: asyncio posts one handle per callback; we
// post one dispatch per completion that runs all the future's callbacks
// back-to-back. In asyncio they run consecutively too (scheduled together, in
// order, before anything scheduled later), so the observable order is the same.
// If a callback panics, the callbacks after it still run at once (each under its
// own recover) and then the panic goes on to the loop, as asyncio runs the next
// handle right after a raising one; every other callback runs exactly once.
//
// # Inline slots
//
// The first inlineSlots callbacks live in the Future (no allocation); the rest in
// the overflow block (callbacks.go; one allocation for the next six). inlineSlots is 2 by default and 1 with -tags future_inline1, so
// both builds stay measurable (docs/DESIGN.md has the numbers).

import (
	"errors"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Loop is what a Future needs from an event loop. sched.*Loop implements it, and
// so does *TestLoop.
type Loop interface {
	// Post schedules fn to run on the loop (call_soon without a handle). Only the
	// loop goroutine calls it (or the goroutine that will run the loop, before it
	// runs). It must not allocate.
	Post(fn func()) error
	// PostThreadsafe schedules fn from any goroutine (call_soon_threadsafe without
	// a handle). It must not allocate.
	PostThreadsafe(fn func()) error
	// InLoop reports whether the caller is this loop's goroutine right now.
	InLoop() bool
}

// Awaitable is the non-generic view of a future that loops, tasks and gather
// use. Every *Future[T] implements it.
type Awaitable interface {
	Done() bool
	Cancelled() bool
	Cancel(msg string) bool
	// Err, once done: nil on success, the error set by SetException, or a
	// *CancelledError. While pending: an error matching ErrInvalidState.
	Err() error
	// OnDone is AddDoneCallback for a func(): scheduled on the loop, never
	// synchronous, in order; the first inline slots allocate nothing.
	OnDone(fn func())
	GetLoop() Loop
}

// States of Future.state.
const (
	statePending    uint32 = iota // nothing set
	stateCompleting               // a completer won the CAS and is writing value/err
	stateFinished                 // value or err set and published
	stateCancelled                // err = *CancelledError set and published
)

// Dispatch states of Future.disp (loop-owned). See the package comment.
const (
	dispInitial uint8 = iota
	dispIdle
	dispHanded  // an on-loop completion (or a panic requeue) posted a dispatch for the list as it was
	dispRunning // runMany is calling detached callbacks; otherwise like dispIdle
)

// Bits of Future.flags (loop-owned).
const (
	flagLate uint8 = 1 << iota // a registration on a done future was scheduled on its own
)

// Future is asyncio's Future[T]. Create it with New (or sched.CreateFuture); the
// zero value is not usable. A Future must not be copied.
//
// Goroutine rules: SetResult, SetException, Cancel, Done, Cancelled, Result,
// Exception, Err, GetLoop, Wait and DoneChan may be called from any goroutine.
// AddDoneCallback, OnDone, RemoveDoneCallback, Unregister and RemoveOnDone are
// loop-goroutine only (see the package comment), like asyncio's.
type Future[T any] struct {
	// state: see the package comment. Written by completers (CAS, then Store),
	// read by anyone.
	state atomic.Uint32
	// disp: which dispatch is in flight. Loop-owned.
	disp uint8
	// kinds: bit i set = inline[i] is an OnDone func() (else a func(*Future[T])).
	// Loop-owned.
	kinds uint8
	// flags: flagLate. Loop-owned.
	flags uint8

	// loop: set in New, read-only afterwards.
	loop Loop

	// waiter: the channel Wait / DoneChan block on, created on demand. Written
	// by CAS (nil -> chan) by waiters; loaded by the winning completer after its
	// Store of the final state, which closes it. Dekker: waiter CAS then state
	// Load, versus state Store then waiter Load; at least one side sees the other.
	// "future-waiter" in docs/protocols.md: the state Store must stay seq-cst.
	// Placed next to state and loop: an off-loop completer touches state, loop,
	// waiter, value and errp and nothing else, so they sit in the first 48 bytes
	// (for T = int) and share as few cache lines as the object allows.
	waiter atomic.Pointer[chan struct{}]

	// value, errp: written only by the winning completer while state ==
	// stateCompleting; read only after loading stateFinished / stateCancelled
	// (or on the loop, after the dispatch that the completion posted). The error
	// lives in a box the completer allocates (nil = no error): a successful
	// future, the common case, carries one word for it instead of an interface's
	// two, which takes Future[int] from 104 bytes (size class 112) to 96.
	value T
	errp  *error

	// inline, more: the callback list, in registration order, inline first
	// (callbacks.go). Loop-owned.
	inline [inlineSlots]unsafe.Pointer
	more   *overflow

	// th: the dispatch thunk (thunk.go). Written in New, read-only afterwards.
	th thunk
}

// New returns a pending future bound to loop. It panics if loop is nil.
func New[T any](loop Loop) *Future[T] {
	if loop == nil {
		panic("ringloop: future.New: nil Loop")
	}
	f := &Future[T]{}
	f.init(loop)
	return f
}

// Init makes the zero Future f a pending future bound to loop, in place: for a
// Future that lives inside a larger object (sched's Task allocates itself and
// its Future together), so that object and its future are one allocation. f must
// be a zero Future that no other goroutine has seen; Init on anything else, or
// twice, is a programmer error and panics. It panics if loop is nil.
func Init[T any](f *Future[T], loop Loop) {
	if loop == nil {
		panic("ringloop: future.Init: nil Loop")
	}
	if f.loop != nil || f.th.r != nil || f.state.Load() != statePending { // pairs with nothing: f is not shared yet
		panic("ringloop: future.Init: the Future is not a zero Future")
	}
	f.init(loop)
}

func (f *Future[T]) init(loop Loop) {
	f.loop = loop
	f.th = thunk{pc: thunkPC, r: f}
	if debugLoops.Load() != 0 { // a debug loop exists (unretrieved.go); pairs with AddDebugLoops
		recordCreation(unsafe.Pointer(f), loop)
	}
}

// dispatcher returns the func() that runs f's callbacks on the loop. No allocation
// on the fast path (thunkPC != 0).
func (f *Future[T]) dispatcher() func() {
	if thunkPC != 0 {
		return thunkFunc(&f.th)
	}
	return closureOf(f) // fallback: allocates; see thunk.go
}

// GetLoop returns the loop the future is bound to.
func (f *Future[T]) GetLoop() Loop { return f.loop }

// settled loads the state, waiting out a completer that is between its CAS and
// its Store (a few instructions, unless that goroutine is preempted).
func (f *Future[T]) settled() uint32 {
	s := f.state.Load() // pairs with the Store in publish
	for s == stateCompleting {
		runtime.Gosched()
		s = f.state.Load()
	}
	return s
}

// Done reports whether the future is finished or cancelled.
func (f *Future[T]) Done() bool {
	s := f.state.Load() // pairs with the Store in publish
	if s == statePending {
		return false
	}
	return f.settled() != statePending
}

// Cancelled reports whether the future was cancelled.
func (f *Future[T]) Cancelled() bool {
	s := f.state.Load() // pairs with the Store in publish
	if s == statePending {
		return false
	}
	return f.settled() == stateCancelled
}

// Result returns the value set by SetResult. Pending: an ErrInvalidState error.
// Cancelled: the *CancelledError (errors.Is(err, ErrCancelled)) with the cancel
// message. Failed: the error set by SetException, and the zero T.
func (f *Future[T]) Result() (T, error) {
	var zero T
	switch f.settled() {
	case statePending:
		return zero, errResultNotSet
	case stateFinished:
		if f.errp != nil {
			markRetrieved(unsafe.Pointer(f)) // unretrieved.go
			return zero, *f.errp
		}
		return f.value, nil
	default: // cancelled
		return zero, *f.errp
	}
}

// Exception returns the error set by SetException, or nil for a successful
// future. Pending: an error matching ErrInvalidState. Cancelled: the
// *CancelledError (asyncio's exception() raises CancelledError). One error result
// carries both what asyncio returns and what it raises, as the contract asks: a
// caller that must tell a failed future from a pending one checks Done() first.
func (f *Future[T]) Exception() error {
	s := f.settled()
	if s == statePending {
		return errExceptionNotSet
	}
	if s == stateFinished && f.errp != nil {
		markRetrieved(unsafe.Pointer(f)) // unretrieved.go
	}
	return f.errv()
}

// Err is Awaitable's single-error view: nil on success, the set error, or the
// *CancelledError; ErrInvalidState while pending.
func (f *Future[T]) Err() error {
	s := f.settled()
	if s == statePending {
		return errNotDone
	}
	if s == stateFinished && f.errp != nil {
		markRetrieved(unsafe.Pointer(f)) // unretrieved.go
	}
	return f.errv()
}

// SetResult marks the future finished with v and schedules its callbacks. If the
// future is already done it returns ErrInvalidState and changes nothing. The
// future is done when SetResult returns nil or the loop's scheduling error (the
// loop's Post / PostThreadsafe failed, e.g. closed: the callbacks will not run).
// Any goroutine.
func (f *Future[T]) SetResult(v T) error {
	if !f.state.CompareAndSwap(statePending, stateCompleting) { // the decision; pairs with every state Load
		return f.lost()
	}
	f.value = v
	return f.publish(stateFinished)
}

// SetException marks the future finished with err and schedules its callbacks.
// Already done: ErrInvalidState, nothing changed (checked first, as asyncio does).
// Refused with an error matching ErrInvalidArgument, future left pending: a nil
// err, and an err matching ErrCancelled. asyncio refuses StopIteration here (a
// TypeError up to 3.11) because it would be mistaken for the generator's own
// completion; the Go analogue is a cancellation error, which would make a
// finished future read as cancelled to errors.Is while Cancelled() is false. Use
// Cancel(msg) to cancel. Any goroutine.
func (f *Future[T]) SetException(err error) error {
	if f.state.Load() != statePending { // pairs with the Store in publish
		return f.lost()
	}
	if err == nil {
		return errNilException
	}
	if isCancellation(err) {
		return errCancelException
	}
	if !f.state.CompareAndSwap(statePending, stateCompleting) { // the decision
		return f.lost()
	}
	f.errp = boxError(err)
	armReport(unsafe.Pointer(f), f.loop, err) // before publishing: unretrieved.go
	return f.publish(stateFinished)
}

// SetExceptionAllowCancelled is SetException without the cancellation refusal:
// err may match ErrCancelled, and the future then finishes (Cancelled() false)
// with that error as its exception. It exists for asyncio's _GatheringFuture,
// whose gather() outer future is finished with a child's CancelledError rather
// than cancelled; ordinary code should call Cancel. A nil err is still refused
// (ErrInvalidArgument); a done future still gives ErrInvalidState.
func (f *Future[T]) SetExceptionAllowCancelled(err error) error {
	if f.state.Load() != statePending { // pairs with the Store in publish
		return f.lost()
	}
	if err == nil {
		return errNilException
	}
	if !f.state.CompareAndSwap(statePending, stateCompleting) { // the decision
		return f.lost()
	}
	f.errp = boxError(err)
	armReport(unsafe.Pointer(f), f.loop, err) // before publishing: unretrieved.go
	return f.publish(stateFinished)
}

// isCancellation is errors.Is(err, ErrCancelled), kept off SetException's
// inlinable path.
func isCancellation(err error) bool {
	if _, ok := err.(*CancelledError); ok {
		return true
	}
	return errors.Is(err, ErrCancelled)
}

// Cancel cancels a pending future: state cancelled with a *CancelledError
// carrying msg, callbacks scheduled, returns true. On a done future it returns
// false and changes nothing. Any goroutine. Allocates the *CancelledError.
func (f *Future[T]) Cancel(msg string) bool {
	if f.state.Load() != statePending { // cheap early out; pairs with the Store in publish
		return false
	}
	if !f.state.CompareAndSwap(statePending, stateCompleting) { // the decision
		f.settled()
		return false
	}
	b := &cancelBox{ce: CancelledError{Msg: msg}} // one allocation: the error and its box
	b.err = &b.ce
	f.errp = &b.err
	_ = f.publish(stateCancelled)
	return true
}

// errv returns the error set by a completion, nil for none. Only after loading
// stateFinished / stateCancelled (see errp).
func (f *Future[T]) errv() error {
	if f.errp == nil {
		return nil
	}
	return *f.errp
}

// boxError returns err in a fresh box (errp). Error paths only.
func boxError(err error) *error {
	p := new(error)
	*p = err
	return p
}

// cancelBox is Cancel's one allocation: the *CancelledError and the box errp
// points to.
type cancelBox struct {
	err error // = &ce
	ce  CancelledError
}

// lost is the losing completer's path: wait until the winner published, then
// report the state it left.
func (f *Future[T]) lost() error {
	if f.settled() == stateCancelled {
		return errCancelledState
	}
	return errFinished
}

// publish is the winner's second step: publish value/err with the final state,
// wake Wait-ers, and schedule the callbacks.
func (f *Future[T]) publish(final uint32) error {
	f.state.Store(final)                // publishes value/err; pairs with the Loads in settled/Done/...
	if w := f.waiter.Load(); w != nil { // pairs with the CAS in doneChan (Dekker)
		close(*w)
	}
	if f.loop.InLoop() {
		if f.inline[0] == nil { // loop-owned: safe here; empty list, no dispatch
			f.disp = dispIdle
			return nil
		}
		f.disp = dispHanded // the list is the loop's now: later adds do not join it
		return f.loop.Post(f.dispatcher())
	}
	return f.loop.PostThreadsafe(f.dispatcher())
}
