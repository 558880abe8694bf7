package sched

// The two xsync inbox variants, kept as measured baselines.
//
//   - "xsync": xsync/v3 MPMCQueueOf, a bounded Vyukov-style ring; producers claim
//     with a CAS (TryEnqueue), so it degrades under contention (docs/DESIGN.md).
//   - "xsync4": xsync/v4 UMPSCQueue, unbounded segments, XADD claim, a WaitGroup
//     per slot for publication. It has no non-blocking dequeue and no emptiness
//     test, so this wrapper counts pushes: producers Add(1) after Enqueue (one
//     extra locked instruction per push, charged to this variant) and the loop
//     dequeues exactly the counted items. Dequeue may wait for a slot claimed by a
//     producer still mid-Enqueue; that producer is running, so the wait is short.

import (
	"runtime"
	"sync/atomic"

	xsync3 "github.com/puzpuzpuz/xsync/v3"
	xsync4 "github.com/puzpuzpuz/xsync/v4"
)

type xsync3Inbox struct {
	q      *xsync3.MPMCQueueOf[item]
	peeked item // loop-owned
	has    bool // loop-owned
}

func newXsync3Inbox(capacity int) *xsync3Inbox {
	return &xsync3Inbox{q: xsync3.NewMPMCQueueOf[item](capacity)}
}

func (q *xsync3Inbox) push(it item) bool { return q.q.TryEnqueue(it) }

func (q *xsync3Inbox) pushWait(it item) {
	for !q.q.TryEnqueue(it) {
		runtime.Gosched()
	}
}

func (q *xsync3Inbox) drain(dst *fifo, max int) int {
	n := 0
	if q.has {
		dst.Push(q.peeked)
		q.peeked, q.has = item{}, false
		n++
	}
	for max <= 0 || n < max {
		it, ok := q.q.TryDequeue()
		if !ok {
			break
		}
		dst.Push(it)
		n++
	}
	return n
}

func (q *xsync3Inbox) empty() bool {
	if q.has {
		return false
	}
	// TryDequeue's loads are atomic (seq-cst); a claimed-but-unpublished slot reads
	// as empty here, but its producer has not yet reached its Load(state) either,
	// and will see sleeping and signal.
	it, ok := q.q.TryDequeue()
	if ok {
		q.peeked, q.has = it, true
	}
	return !ok
}

type xsync4Inbox struct {
	q        *xsync4.UMPSCQueue[item]
	pushed   atomic.Uint64 // producers Add(1) after Enqueue; pairs with the Loads in drain/empty
	consumed uint64        // loop-owned: items dequeued so far
}

func newXsync4Inbox() *xsync4Inbox { return &xsync4Inbox{q: xsync4.NewUMPSCQueue[item]()} }

func (q *xsync4Inbox) push(it item) bool {
	q.q.Enqueue(it)
	q.pushed.Add(1) // publishes the count; pairs with the Load in drain and empty
	return true
}

func (q *xsync4Inbox) pushWait(it item) { q.push(it) }

func (q *xsync4Inbox) drain(dst *fifo, max int) int {
	avail := int(q.pushed.Load() - q.consumed) // pairs with Add in push
	if max > 0 && avail > max {
		avail = max
	}
	for i := 0; i < avail; i++ {
		dst.Push(q.q.Dequeue())
	}
	q.consumed += uint64(avail)
	return avail
}

func (q *xsync4Inbox) empty() bool { return q.pushed.Load() == q.consumed } // pairs with Add in push
