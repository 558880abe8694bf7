//go:build !ringloop_readyword

package sched

import (
	"unsafe"

	"github.com/ringloop/ringloop/internal/ring"
)

// The ready queue: what runs in the next iteration. Loop goroutine only (or the
// owner before Run), no atomics: see internal/ring.
//
// An item is two words, a bare func (the Post forms, zero alloc) or a Handle
// (the cancellable forms), never both: exactly one of fn and h is non-nil in a
// queued item. The build tag ringloop_readyword selects the one-word item of
// ready_word.go instead (a func word or a tagged Handle address), with the
// same methods; its measured trade-off is written there.

// item is one scheduled callback.
type item struct {
	fn func()
	h  *Handle
}

// fnItem is the item for a bare callback.
func fnItem(fn func()) item { return item{fn: fn} }

// handleItem is the item for a Handle.
func handleItem(h *Handle) item { return item{h: h} }

// isHandle reports whether it is a Handle, not a bare func.
func (it item) isHandle() bool { return it.h != nil }

// handle returns the item's Handle; only when isHandle.
func (it item) handle() *Handle { return it.h }

// bare returns the item's bare func; only when !isHandle.
func (it item) bare() func() { return it.fn }

// handleOrNil is the item's Handle, or nil for a bare func (exception reports).
func (it item) handleOrNil() *Handle { return it.h }

// callback is the function the item runs: the bare func or the Handle's fn.
func (it item) callback() func() {
	if it.h != nil {
		return it.h.fn
	}
	return it.fn
}

// word is the default inbox's slot word for it (inbox_ptr.go): the func
// value's word, or the Handle's address + handleTag. A pointer receiver, so the
// caller's own copy is read in place.
func (it *item) word() unsafe.Pointer {
	w := *(*unsafe.Pointer)(unsafe.Pointer(&it.fn))
	if it.h != nil {
		w = unsafe.Add(unsafe.Pointer(it.h), handleTag)
	}
	return w
}

// setWordItem stores into *dst the item for a slot word of the default inbox,
// undoing word (one store per branch: no select of a whole item).
func setWordItem(dst *item, p unsafe.Pointer) {
	if uintptr(p)&handleTag != 0 {
		*dst = item{h: (*Handle)(unsafe.Add(p, -handleTag))}
	} else {
		*dst = item{fn: *(*func())(unsafe.Pointer(&p))}
	}
}

// fifo is the ready queue: Loop.ready, and the destination of every inbox drain.
type fifo = ring.Ring[item]
