package ringbuf

// MPSC: the multi-producer, single-consumer inbox of a loop.
//
// # Shape
//
// A 64-bit ticket counter, tail, hands every push a unique position t (one
// XADD). Position t lives in slot t&mask of the segment whose base is
// t&^mask (S = mask+1 slots per segment). Segments are linked base-ascending
// from the consumer's head segment (headSeg) to the producers' tail segment
// (tailSeg); each also points back to its predecessor (prev), so a producer
// that finds tailSeg already past its ticket walks back to its own segment.
// Retired segments return to producers through pool, a single-producer
// (consumer) single-consumer (the current linker) ring of segment pointers,
// so a queue in steady state allocates nothing. Segments retired while the
// ring is full (after a burst) go to a sync.Pool, which the linker tries
// before allocating. The chain's code (segmentFor, link, advance) lives in
// segchain.go, shared with PtrMPSC; this file holds the slots' protocol.
//
// # Invariants
//
//	I1 head <= tail (mod 2^64, as distances). Every ticket in [head, tail) was
//	   claimed by exactly one Push, which publishes it exactly once; the
//	   consumer consumes tickets strictly in order, never skipping one.
//	I2 The segment with base b holds tickets [b, b+S). It stays alive (not
//	   retired, not reused) while head < b+S. A producer holding an
//	   unpublished ticket t therefore keeps segment t&^mask, and every later
//	   segment, alive until it publishes.
//	I3 The segment with base b is linked only by the producer that claimed
//	   ticket b, and only once tailSeg.base == b-S. Links are therefore
//	   serialised and in base order and need no CAS; the linker of the moment
//	   is the only goroutine that takes segments out of pool.
//	I4 The slot for ticket t holds seq == t+1 exactly when t is published and
//	   not yet consumed. A fresh slot holds 0, which is t+1 only for
//	   t == 2^64-1 (newSegment gives that one slot 1 instead); a reused slot
//	   holds an older ticket+1. Neither equals t+1 (tickets do not lap 2^64).
//	I5 tailSeg is never retired: a linker stores tailSeg = N before
//	   prev.next = N, and the consumer retires a segment only after it has
//	   loaded that segment's next.
//	I6 Per-producer FIFO: one goroutine's pushes claim increasing tickets
//	   (its XADDs are ordered), and the consumer hands tickets out in order.
//
// # Who writes which word; which atomic publishes what
//
//	tail        producers, XADD (or CAS). The XADD claims ticket t; pairs with
//	            the Loads in Empty, Len, Drain's snapshot and the bounded check.
//	slot.val    the producer holding ticket t (plain write), then the consumer
//	            (plain read, then plain clear of the reference).
//	slot.seq    the producer: publish(t+1) (release) publishes slot.val;
//	            pairs with the consumer's Load in Pop/Drain/DrainTo (acquire).
//	seg.base    the linker: Store publishes the segment's identity, after
//	            prev and next are set; pairs with the producers' Load in Push
//	            and segmentFor. A producer that reads base == t&^mask owns a
//	            live segment (I2) whatever pointer it came through.
//	tailSeg     the linker: Store publishes a linked segment to producers;
//	            pairs with the Load at the top of Push / segmentFor.
//	seg.next    the linker: Store(N) after tailSeg = N; pairs with the
//	            consumer's Load in advance.
//	seg.prev    the linker sets it before base; the consumer clears it when it
//	            retires the segment (so dropped segments do not chain).
//	overflow    sync.Pool: the consumer Puts, the linker Gets (its own
//	            happens-before edge).
//	pool[i]     the consumer stores a retired segment into an empty cell; the
//	            linker loads it and stores nil. Each cell's Store pairs with the
//	            other side's Load (the segment's cleared slots travel with it).
//	headPub     the consumer: publish(head) (release) after a batch; pairs
//	            with the Loads in Len and in the bounded check.
//	head, headEnd, headSeg, poolW: consumer only, plain.
//
// Go's sync/atomic operations are sequentially consistent, so every Load
// above is at least an acquire of the store it pairs with. publish is a
// release store only; no Dekker handshake depends on slot.seq or headPub
// (the sleep handshake uses the XADD on tail, which is a full barrier).
//
// # Cost of Push (amd64, unbounded, XADD claim)
//
// One locked instruction: the XADD on tail. The slot is published with
// publish (release_amd64.go), a plain aligned MOV, which is a release store
// under x86-TSO; atomic.Store would be an XCHG, a second locked instruction
// (race builds, and builds with -tags ringbuf_xchgpublish to measure the
// difference, use it). Plus two plain loads of read-mostly words (tailSeg,
// seg.base) and the slot write. Bounded mode adds two plain loads (headPub,
// tail) and no locked instruction; the CAS build replaces the XADD with a
// LOCK CMPXCHG loop (one per attempt). Once per S pushes one producer links
// a segment (link): four atomic Stores, each an XCHG, for a fresh segment (its
// base and prev, tailSeg, the old tail's next; plus the allocation), five for
// one from the overflow sync.Pool (its next as well), seven for one from the
// pool ring (the cell and poolR as well). The consumer's Drain has
// no locked instruction at all: plain loads of slot.seq and one release MOV
// of headPub per batch.
//
// # Waiting
//
// The consumer never waits: Pop reports false when the next ticket is
// claimed but not yet published (Empty tells that apart from a truly empty
// queue). A producer waits only for another producer that is between its
// claim and its link of a new segment (I3), yielding the processor while it
// waits; it never waits for the consumer, so the consumer's own goroutine may
// push at any time, also when the queue is long or, bounded, full.
//
// # Emptiness and the sleep handshake
//
// Empty is a sequentially consistent Load of tail compared with head: a
// claimed but unpublished ticket counts as not empty. A loop that stores
// "sleeping" and then calls Empty, against a producer that XADDs tail and
// then loads the loop state, is a Dekker pair: at least one sees the other.
// docs/protocols.md ("the claim argument") gives the steps and fences. A
// handshake whose consumer looks at the slots instead of tail needs a locked
// instruction between the producer's publish and its load.

import (
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// claim modes
const (
	claimXADD        = iota // unbounded, one XADD
	claimXADDBounded        // soft bound checked before the XADD
	claimCAS                // CAS loop (bounded or not)
)

// defaultPoolSize is how many retired segments the consumer keeps for reuse.
const defaultPoolSize = 8

type mpscSlot[T any] struct {
	seq atomic.Uint64 // t+1 when ticket t is published (I4)
	val T
}

// MPSC is an unbounded (or soft-bounded) multi-producer single-consumer FIFO.
// Push may be called from any goroutine; Pop, Drain, DrainTo and Empty only
// from the one consumer goroutine. Create it with NewMPSC.
type MPSC[T any] struct {
	_    cpu.CacheLinePad
	tail atomic.Uint64 // next ticket; producers XADD it
	_    cpu.CacheLinePad

	// read-mostly, producers: written once per segment by the linker
	mode                 uint8  // claim mode, read-only (first: Push reads it with tailSeg and mask, one line)
	bounded              bool   // read-only
	capacity             uint64 // bounded modes, read-only
	segTail[mpscSlot[T]]        // tailSeg, poolR, mask, pool, overflow (segchain.go)
	_                    cpu.CacheLinePad

	headPub atomic.Uint64 // consumer publishes head after a batch
	_       cpu.CacheLinePad

	// consumer only
	head                 uint64
	segHead[mpscSlot[T]] // headEnd, headSeg, poolW (segchain.go)
	_                    cpu.CacheLinePad
}

// NewMPSC returns an empty queue configured by opts. The error names a bad
// option value and its accepted range.
func NewMPSC[T any](opts ...Option) (*MPSC[T], error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	q := &MPSC[T]{
		capacity: uint64(c.capacity),
		bounded:  c.bounded,
	}
	q.mask = uint64(c.segSize - 1)
	q.pool = make([]atomic.Pointer[segment[mpscSlot[T]]], c.keepFree)
	q.fresh = q.newSegment
	switch {
	case c.casClaim:
		q.mode = claimCAS
	case c.bounded:
		q.mode = claimXADDBounded
	default:
		q.mode = claimXADD
	}
	s := q.newSegment(c.startTicket)
	q.tail.Store(c.startTicket)
	q.headPub.Store(c.startTicket)
	q.head = c.startTicket
	q.headEnd = c.startTicket + q.mask + 1
	q.headSeg = s
	q.tailSeg.Store(s)
	return q, nil
}

// newSegment allocates a segment for base b, its slots unpublished (I4):
// the zeroed memory already is, except for ticket 2^64-1, whose published
// value would be 0. No per-slot initialisation (it cost an XCHG per slot).
func (q *MPSC[T]) newSegment(b uint64) *segment[mpscSlot[T]] {
	s := &segment[mpscSlot[T]]{slots: make([]mpscSlot[T], q.mask+1)}
	if last := b + q.mask; last == ^uint64(0) {
		s.slots[q.mask].seq.Store(1) // != last+1 == 0; before base is published
	}
	s.base.Store(b)
	return s
}

// Push appends v. Any goroutine. Unbounded: always nil. Bounded: ErrFull when
// the queue holds its capacity (see WithCapacity for how exact that is).
// Steady state: no allocation, no syscall; one locked instruction (the
// XADD) on amd64, two where publish is an atomic Store (see release_*.go).
func (q *MPSC[T]) Push(v T) error {
	if q.mode != claimXADD {
		return q.pushSlow(v)
	}
	q.put(q.tail.Add(1)-1, v) // XADD claims ticket t; pairs with tail.Load in Empty/Len
	return nil
}

// put writes v into the slot of ticket t and publishes it.
func (q *MPSC[T]) put(t uint64, v T) {
	s := q.tailSeg.Load()           // pairs with tailSeg.Store in link
	if s.base.Load() != t&^q.mask { // pairs with base.Store in link
		s = q.segmentFor(t)
	}
	sl := &s.slots[t&q.mask]
	sl.val = v
	publish(&sl.seq, t+1) // release: publishes sl.val; pairs with seq.Load in Pop/Drain/DrainTo
}

// pushSlow is Push for the bounded and CAS-claim modes.
func (q *MPSC[T]) pushSlow(v T) error {
	var t uint64
	if q.mode == claimXADDBounded {
		// headPub first: it only grows, and tail >= headPub always, so the
		// difference is never negative.
		h := q.headPub.Load() // pairs with publish(&q.headPub) in Pop/Drain
		if q.tail.Load()-h >= q.capacity {
			return ErrFull
		}
		t = q.tail.Add(1) - 1 // claims ticket t (racing producers may overshoot: soft bound)
	} else {
		var ok bool
		if t, ok = q.claimCAS(); !ok {
			return ErrFull
		}
	}
	q.put(t, v)
	return nil
}

// claimCAS claims a ticket with a CAS loop, refusing when bounded and full.
func (q *MPSC[T]) claimCAS() (uint64, bool) {
	for {
		h := q.headPub.Load() // pairs with publish(&q.headPub) in Pop/Drain
		t := q.tail.Load()
		if q.bounded && t-h >= q.capacity {
			return 0, false
		}
		if q.tail.CompareAndSwap(t, t+1) { // claims ticket t; pairs with tail.Load in Empty/Len
			return t, true
		}
	}
}

// advance moves the consumer to the next segment (segchain.go).
func (q *MPSC[T]) advance() bool { return q.segHead.advance(&q.segTail) }

// Pop removes and returns the oldest element. Consumer only. It reports false
// when the queue is empty or the next element is claimed but not yet
// published (Empty distinguishes the two).
func (q *MPSC[T]) Pop() (T, bool) {
	var zero T
	h := q.head
	if h == q.headEnd && !q.advance() {
		return zero, false
	}
	sl := &q.headSeg.slots[h&q.mask]
	if sl.seq.Load() != h+1 { // pairs with the publish in put
		return zero, false
	}
	v := sl.val
	sl.val = zero // no retained garbage
	q.head = h + 1
	publish(&q.headPub, h+1) // release; pairs with headPub.Load in Len and the bounded check
	return v, true
}

// Drain pops up to max elements (max <= 0: every element published when
// Drain reaches it, at most DrainAll) and calls fn on each in order. It
// returns how many it popped. Consumer only; fn must not call Pop/Drain.
func (q *MPSC[T]) Drain(max int, fn func(T)) int {
	var zero T
	limit := q.limit(max)
	h := q.head
	n := uint64(0)
	for ; n < limit; n++ {
		if h == q.headEnd && !q.advance() {
			break
		}
		sl := &q.headSeg.slots[h&q.mask]
		if sl.seq.Load() != h+1 { // pairs with the publish in put
			break
		}
		v := sl.val
		sl.val = zero
		h++
		q.head = h
		fn(v)
	}
	if n > 0 {
		publish(&q.headPub, h) // release; pairs with headPub.Load in Len and the bounded check
	}
	return int(n)
}

// DrainTo appends up to max elements (max <= 0: as Drain) to buf and returns
// it. Consumer only.
func (q *MPSC[T]) DrainTo(buf []T, max int) []T {
	var zero T
	limit := q.limit(max)
	h := q.head
	n := uint64(0)
	for ; n < limit; n++ {
		if h == q.headEnd && !q.advance() {
			break
		}
		sl := &q.headSeg.slots[h&q.mask]
		if sl.seq.Load() != h+1 { // pairs with the publish in put
			break
		}
		buf = append(buf, sl.val)
		sl.val = zero
		h++
	}
	if n > 0 {
		q.head = h
		publish(&q.headPub, h) // release; pairs with headPub.Load in Len and the bounded check
	}
	return buf
}

// DrainAll is how many elements Drain and DrainTo take at most per call
// when max <= 0, so producers that keep up with the consumer cannot keep
// one call going forever.
const DrainAll = 1 << 16

// limit turns Drain's max into a count. It does not read tail: that line is
// hot in the producers' caches, and a miss per call would cost more than a
// small batch.
func (q *MPSC[T]) limit(max int) uint64 {
	if max > 0 {
		return uint64(max)
	}
	return DrainAll
}

// Len returns the number of claimed but not yet consumed elements, as of
// recently. Any goroutine; approximate while producers or the consumer run.
func (q *MPSC[T]) Len() int {
	h := q.headPub.Load() // first: tail >= headPub always, so no underflow
	return int(q.tail.Load() - h)
}

// Empty reports whether every claimed element has been consumed. Consumer
// only. A claimed but unpublished element counts as present, so a consumer
// that stores "sleeping" and then sees Empty() == true cannot miss a push
// whose producer loads the state after its claim (Dekker; see file header).
func (q *MPSC[T]) Empty() bool {
	return q.tail.Load() == q.head // seq-cst; pairs with the claim in Push
}

// Cap returns the bounded capacity, or 0 for an unbounded queue.
func (q *MPSC[T]) Cap() int {
	if !q.bounded {
		return 0
	}
	return int(q.capacity)
}
