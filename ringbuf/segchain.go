package ringbuf

// segchain.go: the chain of linked, recycled segments that both unbounded MPSC
// queues (MPSC, mpsc.go; PtrMPSC, ptrmpsc.go) keep their slots in. A segment
// holds S = mask+1 slots of type Slot; the queue decides what a slot is and how
// it is published, the chain only finds, links and recycles segments.
//
// Invariants (mpsc.go states them in full; the names are the same):
//
//	I2 The segment with base b holds tickets [b, b+S) and stays alive (not
//	   retired, not reused) while the consumer's head < b+S.
//	I3 The segment with base b is linked only by the producer that claimed
//	   ticket b, and only once tailSeg.base == b-S: links are serialised, in
//	   base order, without a CAS; the linker of the moment is the only
//	   goroutine that takes segments out of pool.
//	I5 tailSeg is never retired: a linker stores tailSeg = N before
//	   prev.next = N, and the consumer retires a segment only after it has
//	   loaded that segment's next.
//	A retired segment's slots are all unpublished again (the queue's consumer
//	cleared each slot it took), so a reused segment needs no initialisation.
//
// Who writes which word: segTail's fields are the producers' (read-mostly:
// written once per segment by the linker); segHead's are the consumer's
// (plain). The atomics say what they pair with at the end of their lines.

import (
	"runtime"
	"sync"
	"sync/atomic"
)

type segment[Slot any] struct {
	base  atomic.Uint64                 // first ticket; written by the linker only
	prev  atomic.Pointer[segment[Slot]] // predecessor, for producers walking back
	next  atomic.Pointer[segment[Slot]] // successor, for the consumer
	slots []Slot                        // len S; all unpublished when linked; never resized
	_     [0]func()                     // not comparable
}

// segTail is the producers' side of the chain. Read-mostly: each field is
// written once per segment, by the linker, or never after New.
type segTail[Slot any] struct {
	tailSeg  atomic.Pointer[segment[Slot]]
	poolR    atomic.Uint64 // linker-owned read index into pool (linkers are serialised, I3)
	mask     uint64        // S-1, read-only
	pool     []atomic.Pointer[segment[Slot]]
	overflow sync.Pool                        // *segment[Slot] retired while pool was full; consumer Puts, linker Gets
	fresh    func(base uint64) *segment[Slot] // allocates a segment with all slots unpublished and base stored; read-only
}

// segHead is the consumer's side of the chain. Consumer only, plain.
type segHead[Slot any] struct {
	headEnd uint64 // headSeg's base + S
	headSeg *segment[Slot]
	poolW   uint64
}

// segmentFor returns the live segment holding ticket t, linking it if t is
// its first ticket (I3), or waiting for its linker otherwise. Producers only
// (Push's slow path: tailSeg's base was not t&^mask).
func (c *segTail[Slot]) segmentFor(t uint64) *segment[Slot] {
	want := t &^ c.mask
	size := int64(c.mask + 1)
	for spins := 0; ; spins++ {
		s := c.tailSeg.Load() // pairs with tailSeg.Store in link
		b := s.base.Load()    // pairs with base.Store in link
		d := int64(want - b)
		switch {
		case d == 0:
			return s
		case d < 0:
			// tailSeg is past our segment: walk back. Every segment from ours
			// to s is alive (I2), so every prev on the way is set and valid.
			for s.base.Load() != want {
				s = s.prev.Load()
			}
			return s
		case d == size && t == want:
			return c.link(s, want)
		}
		// Our segment's linker is between its claim and its link. It is
		// another producer, never the consumer: yield so it can run.
		if spins > 8 {
			runtime.Gosched()
		}
	}
}

// link makes a segment with base want the new tail after p. Only the holder
// of ticket want calls it, with p == tailSeg and p.base == want-S (I3).
func (c *segTail[Slot]) link(p *segment[Slot], want uint64) *segment[Slot] {
	var n *segment[Slot]
	r := c.poolR.Load() // linker-owned; serialised by the tailSeg Store/Load chain
	cell := &c.pool[r%uint64(len(c.pool))]
	if n = cell.Load(); n != nil { // pairs with cell.Store in advance
		cell.Store(nil) // hands the cell back; pairs with cell.Load in advance
		c.poolR.Store(r + 1)
	} else if x, ok := c.overflow.Get().(*segment[Slot]); ok {
		n = x // a segment retired while the pool was full (burst)
	}
	if n != nil {
		n.next.Store(nil)
		n.prev.Store(p)
		n.base.Store(want) // publishes the reused segment's identity
	} else {
		n = c.fresh(want)
		n.prev.Store(p)
	}
	c.tailSeg.Store(n) // publishes n to producers; pairs with the Loads in Push/segmentFor
	p.next.Store(n)    // publishes n to the consumer; pairs with next.Load in advance (after tailSeg: I5)
	return n
}

// advance moves the consumer from a finished head segment to its successor,
// retiring the old one to c's pool. It reports false if the successor is not
// linked yet. Consumer only.
func (h *segHead[Slot]) advance(c *segTail[Slot]) bool {
	s := h.headSeg
	n := s.next.Load() // pairs with next.Store in link
	if n == nil {
		return false
	}
	h.headSeg = n
	h.headEnd += c.mask + 1
	s.prev.Store(nil) // no producer reads it any more (I2); stops chains of dropped segments
	cell := &c.pool[h.poolW%uint64(len(c.pool))]
	if cell.Load() == nil { // pairs with cell.Store(nil) in link
		cell.Store(s) // hands s (slots cleared) to a future linker; pairs with cell.Load in link
		h.poolW++
	} else {
		// After a burst: keep s for reuse as long as the GC lets us.
		c.overflow.Put(s)
	}
	return true
}
