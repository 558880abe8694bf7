package sched

// timerQueue: the loop's timers, a FIFO of due timers in front of the 4-ary heap
// (timerheap.go).
//
// A timer scheduled with a delay <= 0 (CallLater(0), the commonest timer in an
// asyncio program, and every timer of BenchmarkTimers' op) is due at once, and
// such timers arrive in (when, seq) order while the loop clock does not run
// backwards: appending them to a FIFO keeps them sorted for O(1), where the heap
// costs a push and a pop of log4(n) levels over the n pending timers (most of them
// far in the future). The queue's minimum is the smaller of the FIFO's head and the
// heap's root, by the same (when, seq) order, so the loop sees exactly the order
// the heap alone gave: never early, FIFO for equal deadlines.
//
// Invariants:
//   - due[dueHead:] is sorted by (when, seq); an entry goes to the FIFO only if it
//     is due at scheduling (pushDue) and not before the FIFO's last entry, else to
//     the heap.
//   - due[:dueHead] are popped entries, not cleared one by one: they are cleared in
//     bulk when the FIFO empties (popDue, pop), is compacted (pushDue) or filtered,
//     so a popped handle stays reachable from here only until then.
//   - every pending timer has exactly one entry, in the FIFO or in the heap;
//     e.t.inHeap is true for exactly those (the name predates the FIFO).
//   - touched only by the loop goroutine (or the owner before Run).

import "time"

type timerQueue struct {
	heap    timerHeap
	due     []timerEntry // FIFO of due timers: entries [dueHead, len) are live
	dueHead int
}

func (q *timerQueue) len() int { return q.heap.len() + len(q.due) - q.dueHead }

// push adds a timer that may lie in the future.
func (q *timerQueue) push(x timerEntry) { q.heap.push(x) }

// pushDue adds a timer scheduled with a delay <= 0.
func (q *timerQueue) pushDue(x timerEntry) {
	if n := len(q.due); n > q.dueHead && x.less(&q.due[n-1]) {
		q.heap.push(x) // the clock went backwards (WithClock): keep the FIFO sorted
		return
	}
	if q.dueHead >= 64 && 2*q.dueHead >= len(q.due) { // a long-lived FIFO: drop the dead prefix
		n := copy(q.due, q.due[q.dueHead:])
		clear(q.due[n:])
		q.due, q.dueHead = q.due[:n], 0
	}
	q.due = append(q.due, x)
}

// fromFIFO reports whether the minimum is the FIFO's head; the caller checks len.
func (q *timerQueue) fromFIFO() bool {
	if q.dueHead == len(q.due) {
		return false
	}
	return q.heap.len() == 0 || q.due[q.dueHead].less(q.heap.top())
}

// top returns the earliest entry; the caller checks len first.
func (q *timerQueue) top() *timerEntry {
	if q.fromFIFO() {
		return &q.due[q.dueHead]
	}
	return q.heap.top()
}

// pop removes and returns the earliest entry; the caller checks len first.
func (q *timerQueue) pop() timerEntry {
	if !q.fromFIFO() {
		return q.heap.pop()
	}
	return q.popFIFO()
}

// popFIFO removes the FIFO's head; the caller knows there is one.
func (q *timerQueue) popFIFO() timerEntry {
	x := q.due[q.dueHead]
	q.dueHead++
	if q.dueHead == len(q.due) { // empty: clear what was popped, reuse the array
		clear(q.due)
		q.due, q.dueHead = q.due[:0], 0
	}
	return x
}

// popDue removes and returns the earliest entry if it is due (when <= now): the
// loop's step 4. The FIFO's head is tested first, against the heap's root only
// when the heap holds anything: the path of a zero-delay timer.
func (q *timerQueue) popDue(now time.Duration) (timerEntry, bool) {
	if q.dueHead < len(q.due) {
		e := &q.due[q.dueHead]
		if len(q.heap.e) == 0 || e.less(&q.heap.e[0]) {
			if e.when > now { // the clock went backwards (WithClock)
				return timerEntry{}, false
			}
			return q.popFIFO(), true
		}
	}
	if len(q.heap.e) > 0 && q.heap.e[0].when <= now {
		return q.heap.pop(), true
	}
	return timerEntry{}, false
}

// filter keeps the entries for which keep returns true (the purge of cancelled
// timers), in both parts; the FIFO keeps its order.
func (q *timerQueue) filter(keep func(*timerEntry) bool) {
	q.heap.filter(keep)
	k := 0
	for i := q.dueHead; i < len(q.due); i++ {
		if keep(&q.due[i]) {
			q.due[k] = q.due[i]
			k++
		}
	}
	clear(q.due[k:])
	q.due, q.dueHead = q.due[:k], 0
}

// clear drops every entry (Close).
func (q *timerQueue) clear() { *q = timerQueue{} }
