// Package ring is ringloop's one growable FIFO for a single goroutine: a
// power-of-two ring of T with no atomics, so a push is a bounds-checked store and
// an increment. The first thing a user does is declare one and push to it:
//
//	var q ring.Ring[func()]
//	q.Push(fn)
//	for q.Len() > 0 {
//		q.Pop()()
//	}
//
// Its users: sched's ready queue of callbacks and its tasks waiting for their
// first step (touched only by the loop goroutine), and multi's shared injection
// queue (touched only under its mutex). A Ring is not safe for concurrent use:
// its caller serialises every method.
package ring

//
// Invariants:
//   - len(buf) is zero or a power of two; head <= tail; tail-head <= len(buf).
//   - elements live at buf[i & (len(buf)-1)] for i in [head, tail);
//   - slots outside [head, tail) hold the zero value, so the GC can free finished
//     callbacks and tasks (pop clears the slot it reads). One exception: between
//     Mark and ClearPopped, the slots PopKeep popped keep stale copies (nothing
//     reads a free slot; a push overwrites it whole); ClearPopped restores the
//     invariant.

// Ring is a growable FIFO; the zero value is empty and ready to use.
type Ring[T any] struct {
	buf  []T
	head uint // index of the oldest element, unmasked
	tail uint // index one past the newest, unmasked
}

func (q *Ring[T]) Len() int { return int(q.tail - q.head) }

// Push appends it. Fast path: a compare, one store and an increment; growth is out
// of line.
func (q *Ring[T]) Push(it T) {
	if q.tail-q.head == uint(len(q.buf)) {
		q.grow()
	}
	q.buf[q.tail&uint(len(q.buf)-1)] = it
	q.tail++
}

// TryPush appends it if there is room and reports whether it did: Push's fast
// path alone, small enough to inline into a caller's own fast path (sched's
// Loop.Post), which sends the full case to its slow path.
func (q *Ring[T]) TryPush(it T) bool {
	// Each field is loaded once, into a local: the compiler does not reuse a
	// field load across the check, so writing q.tail and len(q.buf) twice costs
	// two loads more on the caller's fast path.
	buf, t := q.buf, q.tail
	if t-q.head == uint(len(buf)) {
		return false
	}
	buf[t&uint(len(buf)-1)] = it
	q.tail = t + 1
	return true
}

// Pop removes and returns the oldest item; the caller checks Len first.
func (q *Ring[T]) Pop() T {
	var zero T
	buf, h := q.buf, q.head // loaded once, as in TryPush
	i := h & uint(len(buf)-1)
	it := buf[i]
	buf[i] = zero
	q.head = h + 1
	return it
}

// PopKeep is Pop without clearing the slot: the slot keeps a stale copy of the
// item until ClearPopped clears it. For a caller that pops a batch and clears it
// once at the end (sched's runBatch), saving a zeroing store and its write-barrier
// check per item; between the two, the invariant that free slots hold the zero
// value does not hold for that batch's slots (nothing reads free slots: a push
// overwrites them whole), only the GC sees the stale copies a little longer.
func (q *Ring[T]) PopKeep() T {
	buf, h := q.buf, q.head
	it := buf[h&uint(len(buf)-1)]
	q.head = h + 1
	return it
}

// Mark is where a PopKeep batch began: the array and the head at that moment.
type Mark[T any] struct {
	buf  []T
	head uint
}

// Mark returns the start of a PopKeep batch.
func (q *Ring[T]) Mark() Mark[T] { return Mark[T]{buf: q.buf, head: q.head} }

// ClearPopped zeroes the slots popped with PopKeep since m that no push has
// reused since, restoring the invariant. If the ring grew meanwhile, the slots
// popped before the growth are in the old array, which the ring no longer
// references, and those popped after it are somewhere in the new one: it clears
// the new array's whole free region (growth is rare; the cost is one pass).
func (q *Ring[T]) ClearPopped(m Mark[T]) {
	n := uint(len(q.buf))
	if n == 0 {
		return
	}
	lo, hi := m.head, q.head
	if uint(len(m.buf)) != n || &m.buf[0] != &q.buf[0] {
		lo, hi = q.tail, q.head+n // the free region, [tail, head+n)
	} else if q.tail-lo > n { // pushes since have wrapped onto [lo, tail-n): those slots hold live items
		lo = q.tail - n
	}
	if lo >= hi {
		return
	}
	q.clearRange(lo, hi)
}

// clearRange zeroes the slots of indices [lo, hi), hi-lo <= len(buf).
func (q *Ring[T]) clearRange(lo, hi uint) {
	mask := uint(len(q.buf)) - 1
	a, b := lo&mask, hi&mask
	if a < b {
		clear(q.buf[a:b])
	} else {
		clear(q.buf[a:])
		clear(q.buf[:b])
	}
}

// grow doubles the ring (out of line: Push's fast path stays small).
//
//go:noinline
func (q *Ring[T]) grow() {
	n := len(q.buf) * 2
	if n == 0 {
		n = 64
	}
	nb := make([]T, n)
	m := q.Len()
	for i := 0; i < m; i++ {
		nb[i] = q.buf[(q.head+uint(i))&uint(len(q.buf)-1)]
	}
	q.buf, q.head, q.tail = nb, 0, uint(m)
}

// Space returns the free slots after tail that are contiguous in buf, as a
// zero-length slice whose capacity is their number (at least one: it grows the
// ring when full). Append at most cap items to it, then Commit their count. Lets a
// queue copy a batch straight in (sched's inbox drains) without a call per item.
func (q *Ring[T]) Space() []T {
	if q.tail-q.head == uint(len(q.buf)) {
		q.grow()
	}
	mask := uint(len(q.buf) - 1)
	t := q.tail & mask
	end := uint(len(q.buf))
	if h := q.head & mask; h > t {
		end = h // free region wraps: stop at head
	}
	return q.buf[t:t:end]
}

// Commit publishes n items written into the slice Space returned.
func (q *Ring[T]) Commit(n int) { q.tail += uint(n) }

// Clear drops every item.
func (q *Ring[T]) Clear() { *q = Ring[T]{} }
