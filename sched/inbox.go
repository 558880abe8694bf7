package sched

// The inbox: the cross-goroutine queue behind CallSoonThreadsafe / PostThreadsafe.
// Its implementation is a variant (WithInbox), so every design runs the same
// workloads; this file holds the contract and the two simplest variants.
//
// Contract every variant keeps (checked by the contract test over all variants):
//   - push: any goroutine. Returns false only for a bounded variant that is full;
//     the loop then falls back (Loop.pushSlow). Never loses an item it accepted.
//   - pushWait: any goroutine except the loop; blocks until a bounded variant has
//     room. Unbounded variants never get here.
//   - drain: loop goroutine only. Moves up to max (<= 0: all visible now) items to
//     dst in the order each producer pushed them; returns the count.
//   - empty: loop goroutine only. Must be a sequentially consistent read of
//     "something was pushed and not drained": it is step 2 of the sleep protocol
//     (wakeup.go), paired with the producer's push-then-Load(state). A pushed but not
//     yet published item must read as NOT empty, or a wakeup could be lost.

import "sync"

type inbox interface {
	push(it item) bool
	pushWait(it item)
	drain(dst *fifo, max int) int
	empty() bool
}

// mutexInbox is CPython's design: a slice under a lock (asyncio appends to _ready
// under the GIL). The loop swaps the slice out under the lock and copies outside it,
// so a drain holds the lock for O(1), and the two slices are reused: no allocation
// in steady state.
type mutexInbox struct {
	mu    sync.Mutex
	items []item // guarded by mu; producers append, drain swaps it out
	spare []item // loop-owned: the slice drained last time, emptied, for reuse
}

func (q *mutexInbox) push(it item) bool {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock() // an atomic add (LOCK XADD on amd64), a full fence: the following Load(state) (P2) cannot pass it
	return true
}

func (q *mutexInbox) pushWait(it item) { q.push(it) }

func (q *mutexInbox) drain(dst *fifo, max int) int {
	q.mu.Lock()
	got := q.items
	if max > 0 && len(got) > max {
		// Rare: take a prefix, leave the rest in place (copying is fine here).
		for _, it := range got[:max] {
			dst.Push(it)
		}
		n := copy(got, got[max:])
		clear(got[n:])
		q.items = got[:n]
		q.mu.Unlock()
		return max
	}
	q.items = q.spare[:0]
	q.mu.Unlock()
	for _, it := range got {
		dst.Push(it)
	}
	clear(got)
	q.spare = got[:0]
	return len(got)
}

func (q *mutexInbox) empty() bool {
	// Lock/Unlock make this read synchronise with every push: either the push's
	// critical section came first (we see it) or ours did, and then the loop's
	// Store(sleeping) happens-before the producer's Load(state).
	q.mu.Lock()
	n := len(q.items)
	q.mu.Unlock()
	return n == 0
}

// chanInbox is a buffered Go channel. Bounded: a full channel makes push return
// false, and the loop falls back (Loop.pushSlow).
type chanInbox struct {
	ch     chan item
	peeked item // loop-owned: an item empty() received; drained first
	has    bool // loop-owned: peeked is valid
}

func newChanInbox(capacity int) *chanInbox { return &chanInbox{ch: make(chan item, capacity)} }

func (q *chanInbox) push(it item) bool {
	select {
	case q.ch <- it:
		return true
	default:
		return false
	}
}

func (q *chanInbox) pushWait(it item) { q.ch <- it }

func (q *chanInbox) drain(dst *fifo, max int) int {
	n := 0
	if q.has {
		dst.Push(q.peeked)
		q.peeked, q.has = item{}, false
		n++
	}
	if max <= 0 {
		max = len(q.ch) + n
	}
	for n < max {
		select {
		case it := <-q.ch:
			dst.Push(it)
			n++
		default:
			return n
		}
	}
	return n
}

func (q *chanInbox) empty() bool {
	if q.has {
		return false
	}
	// A non-blocking receive, not len(ch): the runtime's empty-channel fast path
	// reads qcount with an atomic load, which orders it after our Store(sleeping).
	select {
	case it := <-q.ch:
		q.peeked, q.has = it, true
		return false
	default:
		return true
	}
}
