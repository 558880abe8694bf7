package ringbuf

// PtrMPSC: the MPSC inbox for pointer-shaped elements, where the element
// itself is the publish flag.
//
// # Why a second MPSC
//
// MPSC's slot is a sequence word beside the value: 16 bytes for a func() (4
// slots per 64-byte cache line), 24 for a two-word element. Every line the
// producers write must cross to the consumer's core once, and on the 2-vCPU
// VMs this project is measured on a crossing costs 150-400 ns, so the bytes
// per element decide the consumer's cost. A pointer-shaped element (a
// pointer, func, chan, map or unsafe.Pointer) is never nil once pushed, so
// the slot can be the element alone, nil meaning "not published yet": 8
// bytes, 8 slots per line, as in JCTools' MpscUnboundedArrayQueue and as a
// mutex-guarded []func() packs them.
//
// # Shape
//
// As MPSC (mpsc.go): a 64-bit ticket counter, tail, hands each push a unique
// position t with one XADD; t lives in slot t&mask of the segment whose base
// is t&^mask; segments are linked base-ascending from the consumer's headSeg
// to the producers' tailSeg, each pointing back to its predecessor; retired
// segments return to linkers through pool (then a sync.Pool). The segment
// chain is MPSC's own code (segchain.go), invariants I2, I3, I5 and I6
// unchanged; I1 and I4 become:
//
//	P1 head <= tail. Every ticket in [head, tail) was claimed by exactly one
//	   Push, which publishes it exactly once; the consumer consumes tickets
//	   strictly in order, never skipping one.
//	P4 The slot for ticket t is non-nil exactly while t is published and not
//	   yet consumed. Push refuses nil (a panic: a nil element could never be
//	   told from an unpublished slot, and the consumer would wait forever). A
//	   fresh slot is nil; the consumer stores nil into every slot it takes, and
//	   a segment is retired only after its last slot was taken, so a reused
//	   segment is all nil too.
//
// # Who writes which word; which atomic publishes what
//
//	tail      producers, XADD: claims ticket t; pairs with the Load in Empty
//	          and Len. Being a locked RMW it is also a full fence, which the
//	          loop's sleep handshake relies on (below).
//	slot      the producer of ticket t: publishPtr (a release store; plain MOV
//	          with the GC write barrier on amd64, an XCHG elsewhere and under
//	          -race); pairs with the consumer's atomic.LoadPointer in Pop and
//	          Drain, which sees either nil or the whole element (one aligned
//	          word). The consumer then stores nil (plain; ordered before the
//	          segment's reuse by the pool cell's Store/Load pair).
//	tailSeg, seg.base, seg.next, seg.prev, pool cells, overflow: as in MPSC.
//	head, headEnd, headSeg, poolW: consumer only, plain.
//
// # Cost of Push (amd64)
//
// One locked instruction, the XADD. Plus two plain loads of read-mostly words
// (tailSeg, seg.base) and the slot store (a plain MOV, plus the write
// barrier's flag check). The consumer's Pop and Drain have no locked
// instruction: a plain load and a plain store per element, and no shared
// word written per batch (there is no bounded mode, so no headPub).
//
// # Emptiness and the sleep handshake
//
// Empty is a sequentially consistent Load of tail compared with head, so a
// claimed but unpublished slot reads as not empty. The loop's handshake is a
// Dekker pair: the loop stores "sleeping" (XCHG) and then calls Empty; a
// producer XADDs tail and then loads the loop state. Both stores are locked
// instructions, full fences on x86 (and seq-cst atomics in Go's model), so
// at least one side sees the other: either the loop's Empty sees the claim
// (and does not sleep), or the producer sees "sleeping" (and signals). The
// slot's release-only publish is never the store half of that handshake:
// the loop never decides to sleep on a slot's content, only on tail.

import (
	"fmt"
	"reflect"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// ptrSegment is a segment of the chain (segchain.go) whose slots are the
// elements themselves: nil = unpublished (P4).
type ptrSegment = segment[unsafe.Pointer]

// PtrMPSC is an unbounded multi-producer single-consumer FIFO of
// pointer-shaped elements (see NewPtrMPSC). Push may be called from any
// goroutine; Pop, Drain, Empty and Len only from the one consumer goroutine.
//
// The queue itself (ptrCore) is not generic: it moves unsafe.Pointer words,
// so its fast paths inline into callers (a generic body is compiled once per
// shape and called with a dictionary, which the inliner does not see
// through). PtrMPSC converts T to and from its single word.
type PtrMPSC[T any] struct {
	c ptrCore
}

type ptrCore struct {
	_    cpu.CacheLinePad
	tail atomic.Uint64 // next ticket; producers XADD it
	_    cpu.CacheLinePad

	// read-mostly, producers: written once per segment by the linker
	segTail[unsafe.Pointer] // tailSeg, poolR, mask, pool, overflow (segchain.go)
	_                       cpu.CacheLinePad

	// consumer only
	head                    uint64
	segHead[unsafe.Pointer] // headEnd, headSeg, poolW (segchain.go)
	_                       cpu.CacheLinePad
}

// NewPtrMPSC returns an empty queue of T, which must be pointer-shaped: a
// pointer, func, chan, map or unsafe.Pointer type. WithSegmentSize is
// honoured; WithCapacity and WithCASClaim are refused (PtrMPSC is the
// unbounded XADD queue only). The error names the bad type or option.
func NewPtrMPSC[T any](opts ...Option) (*PtrMPSC[T], error) {
	var zero T
	switch k := reflect.TypeOf(&zero).Elem().Kind(); k {
	case reflect.Pointer, reflect.Func, reflect.Chan, reflect.Map, reflect.UnsafePointer:
	default:
		return nil, fmt.Errorf("ringbuf: NewPtrMPSC[%T]: element kind %v is not pointer-shaped, want a pointer, func, chan, map or unsafe.Pointer type", zero, k)
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.bounded || c.casClaim {
		return nil, fmt.Errorf("ringbuf: NewPtrMPSC: WithCapacity and WithCASClaim are not supported (PtrMPSC is unbounded with an XADD claim; use MPSC)")
	}
	q := &PtrMPSC[T]{}
	q.c.init(c)
	return q, nil
}

func (q *ptrCore) init(c config) {
	q.mask = uint64(c.segSize - 1)
	q.pool = make([]atomic.Pointer[ptrSegment], c.keepFree)
	q.fresh = q.newSegment
	s := q.newSegment(c.startTicket)
	q.tail.Store(c.startTicket)
	q.head = c.startTicket
	q.headEnd = c.startTicket + q.mask + 1
	q.headSeg = s
	q.tailSeg.Store(s)
}

func (q *ptrCore) newSegment(b uint64) *ptrSegment {
	s := &ptrSegment{slots: make([]unsafe.Pointer, q.mask+1)}
	s.base.Store(b)
	return s
}

// word returns v's single machine word (T is pointer-shaped).
func word[T any](v T) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&v)) }

// fromWord is word's inverse.
func fromWord[T any](p unsafe.Pointer) T { return *(*T)(unsafe.Pointer(&p)) }

// Push appends v. Any goroutine. v must not be nil (a panic: programmer
// error). Steady state: no allocation, one locked instruction (the XADD).
func (q *PtrMPSC[T]) Push(v T) { q.c.push(word(v)) }

func (q *ptrCore) push(p unsafe.Pointer) {
	if p == nil {
		nilPush()
	}
	t := q.tail.Add(1) - 1 // XADD claims ticket t; pairs with tail.Load in Empty/Len
	s := q.tailSeg.Load()  // pairs with tailSeg.Store in link
	if s.base.Load() != t&^q.mask {
		s = q.segmentFor(t)
	}
	publishPtr(&s.slots[t&q.mask], p) // release; pairs with LoadPointer in pop
}

func nilPush() { panic("ringloop: ringbuf.PtrMPSC.Push of a nil element") }

// advance moves the consumer to the next segment (segchain.go).
func (q *ptrCore) advance() bool { return q.segHead.advance(&q.segTail) }

// Pop removes and returns the oldest element. Consumer only. It reports false
// when the queue is empty or the next element is claimed but not yet
// published (Empty tells the two apart). It inlines into a caller's drain
// loop (the segment change is out of line).
func (q *PtrMPSC[T]) Pop() (T, bool) {
	p := q.c.pop()
	return fromWord[T](p), p != nil
}

func (q *ptrCore) pop() unsafe.Pointer {
	h := q.head
	if h == q.headEnd {
		return q.popSlow()
	}
	sl := &q.headSeg.slots[h&q.mask]
	p := atomic.LoadPointer(sl) // pairs with publishPtr in push
	if p != nil {
		*sl = nil // P4: unpublished again, and no retained garbage
		q.head = h + 1
	}
	return p
}

// popSlow is pop at a segment's end: advance, then pop from the next one.
func (q *ptrCore) popSlow() unsafe.Pointer {
	if !q.advance() {
		return nil
	}
	return q.pop()
}

// Drain pops up to max elements (max <= 0: every element published when
// Drain reaches it, at most DrainAll) and calls fn on each in order. It
// returns how many it popped. Consumer only; fn must not call Pop/Drain.
//
// The per-element step is written out here rather than calling pop: pop is
// too large to inline (cost > 80), and a call per element is most of what
// the consumer spends on a slot it finds in its cache. head moves before fn
// runs, so a panicking fn leaves the queue consistent (the element it got is
// consumed).
func (q *PtrMPSC[T]) Drain(max int, fn func(T)) int {
	limit := DrainAll
	if max > 0 {
		limit = max
	}
	c := &q.c
	n := 0
	for n < limit {
		h := c.head
		if h == c.headEnd {
			if !c.advance() {
				break
			}
			continue
		}
		sl := &c.headSeg.slots[h&c.mask]
		p := atomic.LoadPointer(sl) // pairs with publishPtr in push
		if p == nil {
			break
		}
		*sl = nil // P4
		c.head = h + 1
		n++
		fn(fromWord[T](p))
	}
	return n
}

// Empty reports whether every claimed element has been consumed. Consumer
// only. A claimed but unpublished element counts as present (the Dekker-safe
// direction; see the file header).
func (q *PtrMPSC[T]) Empty() bool {
	return q.c.tail.Load() == q.c.head // seq-cst; pairs with the XADD in push
}

// Len returns the number of claimed but not yet consumed elements. Consumer
// only (it reads the consumer's head).
func (q *PtrMPSC[T]) Len() int { return int(q.c.tail.Load() - q.c.head) }
