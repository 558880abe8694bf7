package sched

// timerHeap: the loop's timers, a 4-ary min-heap ordered by (when, seq).
//
// Why 4-ary with inline keys: a pop moves down log4(n) levels instead of log2(n),
// and the four children of a node share one or two cache lines because each entry
// carries its key (24 bytes) rather than a pointer to chase. At 1e6 pending that is
// 10 levels instead of 20, each a likely cache miss.
//
// Invariants:
//   - every entry e satisfies less(parent(e), e) == false: the root is the earliest
//     (when, seq); equal whens come out in seq (scheduling) order, so timers for the
//     same instant fire FIFO.
//   - touched only by the loop goroutine (or the owner before Run).
//   - e.t.inHeap is true for exactly the handles with an entry here.

import "time"

type timerEntry struct {
	when time.Duration
	seq  uint64
	t    *TimerHandle
}

func (a *timerEntry) less(b *timerEntry) bool {
	return a.when < b.when || (a.when == b.when && a.seq < b.seq)
}

type timerHeap struct {
	e []timerEntry
}

func (h *timerHeap) len() int { return len(h.e) }

// top returns the earliest entry; the caller checks len first.
func (h *timerHeap) top() *timerEntry { return &h.e[0] }

func (h *timerHeap) push(x timerEntry) {
	h.e = append(h.e, x)
	h.up(len(h.e) - 1)
}

// pop removes and returns the earliest entry; the caller checks len first.
func (h *timerHeap) pop() timerEntry {
	n := len(h.e) - 1
	x := h.e[0]
	h.e[0] = h.e[n]
	h.e[n] = timerEntry{}
	h.e = h.e[:n]
	if n > 0 {
		h.down(0)
	}
	return x
}

func (h *timerHeap) up(i int) {
	e := h.e
	x := e[i]
	for i > 0 {
		p := (i - 1) / 4
		if !x.less(&e[p]) {
			break
		}
		e[i] = e[p]
		i = p
	}
	e[i] = x
}

func (h *timerHeap) down(i int) {
	e := h.e
	n := len(e)
	x := e[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		// smallest of up to four children
		m := c
		end := c + 4
		if end > n {
			end = n
		}
		for j := c + 1; j < end; j++ {
			if e[j].less(&e[m]) {
				m = j
			}
		}
		if !e[m].less(&x) {
			break
		}
		e[i] = e[m]
		i = m
	}
	e[i] = x
}

// filter keeps the entries for which keep returns true and restores the heap
// property in O(n). If the kept entries use under a quarter of the capacity the
// backing array is reallocated, so a purge gives memory back.
func (h *timerHeap) filter(keep func(*timerEntry) bool) {
	k := 0
	for i := range h.e {
		if keep(&h.e[i]) {
			h.e[k] = h.e[i]
			k++
		}
	}
	clear(h.e[k:])
	h.e = h.e[:k]
	if cap(h.e) > 256 && k < cap(h.e)/4 {
		h.e = append(make([]timerEntry, 0, 2*k), h.e...)
	}
	for i := (k - 2) / 4; k > 1 && i >= 0; i-- {
		h.down(i)
	}
}

// clear drops every entry (Close).
func (h *timerHeap) clear() { h.e = nil }
