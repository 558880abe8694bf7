//go:build ringloop_readyword

package sched

import (
	"unsafe"

	"github.com/ringloop/ringloop/internal/ring"
)

// The one-word ready item, selected by the build tag ringloop_readyword; the
// default is the two-word item of ready.go, which shares fifo and every method
// below, so loop.go and the inboxes compile unchanged against either.
//
// An item is one word, the same word the default inbox's slots hold
// (inbox_ptr.go), told apart by its low bit:
//
//	func() (the Post forms: zero alloc)         the func value's own word, a
//	                                            pointer to its funcval: even
//	*Handle (the cancellable forms)             the Handle's address + handleTag
//	                                            (1): an interior pointer, which
//	                                            keeps the Handle alive
//
// Invariants: w is never nil in a queued item (Post and the Handle forms refuse
// a nil callback); a func word is never odd (TestFuncWordEven); a Handle is
// pointer-aligned and larger than handleTag (the compile-time checks in
// inbox_ptr.go), so h+handleTag stays inside it. One word per item means Post
// stores one word, runBatch loads one word and tests one bit, and the default
// inbox's drain copies its slots into ready unchanged.
//
// Measured against the two-word item (interleaved runs on 2 vCPUs): CallSoon
// 0-2% less CPU per callback; PostThreadsafe + drain + run on one goroutine
// about 6% less; but CallSoonThreadsafe across goroutines 10-35% slower at 1-2
// producers (4-22% over all producer counts). The drains shrink (a quarter
// fewer items per batch at 2 producers): the faster drain seems to catch
// producers mid-line, so the per-iteration costs (the inbox's empty check on
// the producers' tail line) are paid more often. Hence not the default.

// item is one scheduled callback: a bare func or a tagged Handle, never both.
type item struct {
	w unsafe.Pointer
}

// fnItem is the item for a bare callback.
func fnItem(fn func()) item { return item{w: *(*unsafe.Pointer)(unsafe.Pointer(&fn))} }

// handleItem is the item for a Handle.
func handleItem(h *Handle) item { return item{w: unsafe.Add(unsafe.Pointer(h), handleTag)} }

// isHandle reports whether it is a Handle (tagged), not a bare func.
func (it item) isHandle() bool { return uintptr(it.w)&handleTag != 0 }

// handle returns the item's Handle; only when isHandle.
func (it item) handle() *Handle { return (*Handle)(unsafe.Add(it.w, -handleTag)) }

// bare returns the item's bare func; only when !isHandle.
func (it item) bare() func() { return *(*func())(unsafe.Pointer(&it.w)) }

// handleOrNil is the item's Handle, or nil for a bare func (exception reports).
func (it item) handleOrNil() *Handle {
	if it.isHandle() {
		return it.handle()
	}
	return nil
}

// callback is the function the item runs: the bare func or the Handle's fn.
func (it item) callback() func() {
	if it.isHandle() {
		return it.handle().fn
	}
	return it.bare()
}

// word is the default inbox's slot word for it: the item's own word.
func (it *item) word() unsafe.Pointer { return it.w }

// setWordItem stores into *dst the item for a slot word of the default inbox:
// the word itself.
func setWordItem(dst *item, p unsafe.Pointer) { *dst = item{w: p} }

// fifo is the ready queue: Loop.ready, and the destination of every inbox drain.
type fifo = ring.Ring[item]
