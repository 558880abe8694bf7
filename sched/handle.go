package sched

// Handles: what CallSoon, CallSoonThreadsafe, CallLater and CallAt return, so a
// scheduled callback can be cancelled before it runs.
//
// Invariants:
//   - state moves pending -> cancelled (Cancel, any goroutine) or pending -> ran
//     (the loop, just before calling fn), each by one CAS, never back; Cancel after
//     the run moves ran -> ranCancelled (asyncio's cancel() marks a handle that
//     already ran as cancelled too). Whichever of the first two CASes wins decides
//     whether fn runs: a handle cancelled while pending never runs.
//   - fn is written once before the handle is published (to ready, the inbox or the
//     timer heap) and is read only by the loop; Cancel never writes it.
//   - timer is non-nil exactly for the Handle embedded in a TimerHandle; it points
//     back to it so Cancel can tell the loop that a heap entry became garbage.

import (
	"fmt"
	"sync/atomic"
	"time"
)

const (
	handlePending      uint32 = iota // scheduled, not yet run or cancelled
	handleCancelled                  // Cancel won the CAS; the loop skips it
	handleRan                        // the loop won the CAS and called fn
	handleRanCancelled               // Cancel after the run: Cancelled() reports true, as in asyncio
)

// Handle is a scheduled callback. The zero value is not usable; handles come from
// the Loop's scheduling methods.
type Handle struct {
	fn    func()
	state atomic.Uint32 // handlePending -> handleCancelled | handleRan by CAS; pairs with the CAS in Loop.runItem
	loop  *Loop
	timer *TimerHandle // non-nil iff this Handle is embedded in a TimerHandle
}

// Cancel prevents the callback from running if it has not started yet. It may be
// called from any goroutine, any number of times.
func (h *Handle) Cancel() {
	for {
		switch h.state.Load() {
		case handlePending:
			if h.state.CompareAndSwap(handlePending, handleCancelled) { // pairs with the CAS in Loop.runBatch
				if h.timer != nil {
					h.loop.timerCancelled(h.timer)
				}
				return
			}
		case handleRan:
			if h.state.CompareAndSwap(handleRan, handleRanCancelled) {
				return
			}
		default:
			return
		}
	}
}

// Cancelled reports whether Cancel has been called (asyncio's cancelled(): also
// true for a handle cancelled after it ran). A handle cancelled while pending
// never runs.
func (h *Handle) Cancelled() bool {
	s := h.state.Load()
	return s == handleCancelled || s == handleRanCancelled
}

// String describes the handle for debug and exception reports.
func (h *Handle) String() string {
	s := "pending"
	switch h.state.Load() {
	case handleCancelled:
		s = "cancelled"
	case handleRan:
		s = "ran"
	case handleRanCancelled:
		s = "ran cancelled"
	}
	if h.timer != nil {
		return fmt.Sprintf("<TimerHandle %s when=%v>", s, h.timer.when)
	}
	return fmt.Sprintf("<Handle %s>", s)
}

// TimerHandle is a Handle scheduled at a time on the loop's clock (CallLater,
// CallAt). Its heap bookkeeping fields belong to the loop goroutine.
type TimerHandle struct {
	Handle
	when time.Duration // loop clock; immutable after scheduling (the FIFO tie-break, seq, lives in the queue's entry)

	// Owned by the loop goroutine.
	inHeap  bool // the timer heap still holds an entry for this handle
	counted bool // counted in Loop.timersCancelled (reset when it leaves the heap)
}

// When returns the time on the loop's clock (Loop.Time) the callback is scheduled for.
func (t *TimerHandle) When() time.Duration { return t.when }
