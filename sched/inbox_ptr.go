package sched

// The default inbox ("mpsc"): ringbuf.PtrMPSC of one word per item. A slot is
// the item itself (8 bytes, nil = not yet published), so a cache line carries 8
// items to the loop where the sequence-word MPSC ("mpsc-seq", inbox_mpsc.go)
// carries 2.67 items {fn, h} behind their sequence words. Producers claim with
// one XADD and publish with a plain MOV; the loop takes a batch with plain loads
// and stores.
//
// The word is a callback or a Handle, told apart by its low bit:
//
//	func() (Post*)                the func value's own word: a pointer to its
//	                              funcval, whose first field is a code address,
//	                              so it is pointer-aligned and its low bit is 0
//	*Handle (CallSoonThreadsafe)  the Handle's address + handleTag (1): an
//	                              interior pointer into the Handle, which the
//	                              garbage collector follows like any other
//
// so a Handle is its own inbox element and CallSoonThreadsafe allocates only the
// Handle it returns, as with every other inbox. The loop's drain turns each
// word into a ready item (setWordItem: the default two-word item undoes the tag;
// with the one-word item of ready_word.go the word is the item, copied
// unchanged), and runBatch runs, cancels and reports them exactly as items from
// the other inboxes. Invariants: a func value's word is never odd
// (TestFuncWordEven checks the kinds Go makes: top-level funcs, closures, method
// values, generic instances, reflect.MakeFunc); a Handle is pointer-aligned and
// larger than handleTag, so h+handleTag stays inside it.
//
// Loop.submit calls this inbox directly, not through the inbox interface
// (Loop.ptrIn): the default's push is one direct, inlinable call.

import (
	"unsafe"

	"github.com/ringloop/ringloop/ringbuf"
)

// handleTag marks a slot word that is a *Handle (+1), not a func value.
const handleTag = 1

// A Handle's address + handleTag must point inside the Handle, and its low bit
// must be free (compile-time checks: a negative constant does not convert).
const (
	_ = uint(unsafe.Sizeof(Handle{}) - handleTag - 1)
	_ = uint(unsafe.Alignof(Handle{}) - 2*handleTag)
)

type ptrInbox struct {
	q *ringbuf.PtrMPSC[unsafe.Pointer]
}

func newPtrInbox() (*ptrInbox, error) {
	q, err := ringbuf.NewPtrMPSC[unsafe.Pointer]()
	if err != nil {
		return nil, err
	}
	return &ptrInbox{q: q}, nil
}

// pushItem is P1 of the sleep protocol for this inbox: the XADD inside Push is
// the full fence before the producer's Load(state) (wakeup.go).
func (m *ptrInbox) pushItem(it item) {
	m.q.Push(it.word())
}

// push never fails: the queue is unbounded.
func (m *ptrInbox) push(it item) bool { m.pushItem(it); return true }

func (m *ptrInbox) pushWait(it item) { m.pushItem(it) }

// drain moves items straight into ready's free slots, one contiguous run at a
// time (setWordItem per word).
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
			p, ok := m.q.Pop()
			if !ok {
				break
			}
			setWordItem(&space[n], p)
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
