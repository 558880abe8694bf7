package sched

// The default inbox ("mpsc"): ringbuf.PtrMPSC of func(). A slot is the callback
// itself (8 bytes, nil = not yet published), so a cache line carries 8
// callbacks to the loop where the sequence-word MPSC ("mpsc-seq", inbox_mpsc.go) carries
// 2.67 items {fn, h} behind their sequence words. Producers claim with one XADD
// and publish with a plain MOV; the loop takes a batch with plain loads and
// stores.
//
// A Handle (CallSoonThreadsafe) travels as its method value h.runQueued: one
// 16-byte allocation beside the Handle's own, on that path only; Post and
// PostThreadsafe stay at zero. runQueued does what the loop's batch does for
// a Handle item (the pending -> ran CAS, then fn) and names the handle for an
// exception report while fn runs (Loop.queuedHandle).
//
// Loop.submit calls this inbox directly, not through the inbox interface
// (Loop.ptrIn): the default's push is one direct, inlinable call.

import "github.com/ringloop/ringloop/ringbuf"

type ptrInbox struct {
	q *ringbuf.PtrMPSC[func()]
}

func newPtrInbox() (*ptrInbox, error) {
	q, err := ringbuf.NewPtrMPSC[func()]()
	if err != nil {
		return nil, err
	}
	return &ptrInbox{q: q}, nil
}

// pushItem is P1 of the sleep protocol for this inbox: the XADD inside Push is
// the full fence before the producer's Load(state) (wakeup.go).
func (m *ptrInbox) pushItem(it item) {
	fn := it.fn
	if it.h != nil {
		fn = it.h.runQueued
	}
	m.q.Push(fn)
}

// push never fails: the queue is unbounded.
func (m *ptrInbox) push(it item) bool { m.pushItem(it); return true }

func (m *ptrInbox) pushWait(it item) { m.pushItem(it) }

// drain moves items straight into ready's free slots, one contiguous run at a
// time.
func (m *ptrInbox) drain(dst *fifo, max int) int {
	total := 0
	for {
		space := dst.Space()
		lim := cap(space)
		if max > 0 && max-total < lim {
			lim = max - total
		}
		space = space[:lim]
		n := 0
		for n < lim {
			fn, ok := m.q.Pop()
			if !ok {
				break
			}
			space[n] = item{fn: fn}
			n++
		}
		dst.Commit(n)
		total += n
		if n < lim || (max > 0 && total >= max) {
			return total
		}
	}
}

// empty is PtrMPSC's Empty: one seq-cst load of the tail; a claimed but
// unpublished slot reads as not empty (the Dekker-safe direction).
func (m *ptrInbox) empty() bool { return m.q.Empty() }

// runQueued runs a Handle that came through the pointer-slot inbox, as
// runBatch runs a Handle item. Loop goroutine only.
func (h *Handle) runQueued() {
	if !h.state.CompareAndSwap(handlePending, handleRan) { // pairs with the CAS in Handle.Cancel
		return
	}
	h.loop.queuedHandle = h
	h.fn()
	h.loop.queuedHandle = nil
}
