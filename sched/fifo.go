package sched

// ring: the loop's one growable FIFO, touched only by the loop goroutine (or by
// the loop's owner before Run). No atomics: CallSoon's whole cost is a
// bounds-checked store and an increment. Two rings use it: the ready queue of
// callbacks (fifo, ring[item]) and the tasks waiting for their first step
// (loopTasks.starting, ring[AnyTask]).
//
// Invariants:
//   - len(buf) is zero or a power of two; head <= tail; tail-head <= len(buf).
//   - elements live at buf[i & (len(buf)-1)] for i in [head, tail);
//   - slots outside [head, tail) hold the zero value, so the GC can free finished
//     callbacks and tasks (pop clears the slot it reads).

// item is one scheduled callback: a bare func (Post forms, zero alloc) or a
// Handle (cancellable forms), never both.
type item struct {
	fn func()
	h  *Handle
}

// fifo is the ready queue: Loop.ready, and the destination of every inbox drain.
type fifo = ring[item]

type ring[T any] struct {
	buf  []T
	head uint // index of the oldest element, unmasked
	tail uint // index one past the newest, unmasked
}

func (q *ring[T]) len() int { return int(q.tail - q.head) }

// push appends it. Fast path: a compare, one store and an increment; growth is out
// of line. (At cost 92 it misses the inliner's budget of 80, so Loop.Post writes
// this fast path out in its own body: one call per Post, not two.)
func (q *ring[T]) push(it T) {
	if q.tail-q.head == uint(len(q.buf)) {
		q.grow()
	}
	q.buf[q.tail&uint(len(q.buf)-1)] = it
	q.tail++
}

// pop removes the oldest item; the caller checks len first.
func (q *ring[T]) pop() T {
	var zero T
	i := q.head & uint(len(q.buf)-1)
	it := q.buf[i]
	q.buf[i] = zero
	q.head++
	return it
}

// grow doubles the ring (out of line: push's fast path stays small).
//
//go:noinline
func (q *ring[T]) grow() {
	n := len(q.buf) * 2
	if n == 0 {
		n = 64
	}
	nb := make([]T, n)
	m := q.len()
	for i := 0; i < m; i++ {
		nb[i] = q.buf[(q.head+uint(i))&uint(len(q.buf)-1)]
	}
	q.buf, q.head, q.tail = nb, 0, uint(m)
}

// space returns the free slots after tail that are contiguous in buf, as a
// zero-length slice whose capacity is their number (at least one: it grows the
// ring when full). Append at most cap items to it, then commit their count. Lets a
// queue copy a batch straight into ready (mpscInbox.drain) without a call per item.
func (q *ring[T]) space() []T {
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

// commit publishes n items written into the slice space returned.
func (q *ring[T]) commit(n int) { q.tail += uint(n) }

// clear drops every item (Close).
func (q *ring[T]) clear() { *q = ring[T]{} }
