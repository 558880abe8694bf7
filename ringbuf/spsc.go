package ringbuf

// SPSC: a bounded single-producer, single-consumer ring for loop-to-loop
// channels (Lamport's queue with cached indices, as in Vyukov's and
// rigtorp's SPSC rings).
//
// # Invariants
//
//	I1 0 <= tail - head <= len(buf) (unsigned distances; the counters run
//	   freely and wrap at 2^64). Slots [head, tail) (mod len(buf)) hold
//	   elements; every other slot holds the zero value.
//	I2 Only the producer writes tail and slots in [tail, head+len(buf));
//	   only the consumer writes head and clears slots in [head, tail).
//	I3 len(buf) is a power of two, so slot = counter & mask across the wrap.
//
// # Memory ordering
//
//	tail  producer publish(t+1) publishes buf[t&mask]; pairs with the
//	      consumer's Load in Pop/Drain/DrainTo/Len.
//	head  consumer publish(h) publishes "slots before h are free and cleared";
//	      pairs with the producer's Load in Push (when its cache says full).
//	ptail, headCache: producer only.  chead, tailCache: consumer only.
//
// publish is a release store (release_amd64.go): a plain MOV on amd64, an
// atomic.Store (XCHG) in -race and ringbuf_xchgpublish builds and STLR on arm64.
// Release is all the ring itself needs. It is not a full fence: a caller that
// pushes and then loads another word (a sleep flag: a store-then-load
// handshake) must put a locked instruction between the two (docs/protocols.md).
// Push has no locked instruction on amd64: a store of the element, the tail
// MOV and, only when its cached head says full, one load of the consumer's
// line. Drain publishes head once per batch.

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// maxSPSCCapacity bounds NewSPSC's capacity.
const maxSPSCCapacity = 1 << 30

// SPSC is a bounded FIFO for exactly one producer goroutine and one consumer
// goroutine. Create it with NewSPSC.
type SPSC[T any] struct {
	_         cpu.CacheLinePad
	tail      atomic.Uint64 // producer stores, consumer loads
	ptail     uint64        // producer's own copy of tail
	headCache uint64        // producer's last view of head
	_         cpu.CacheLinePad
	head      atomic.Uint64 // consumer stores, producer loads
	chead     uint64        // consumer's own copy of head
	tailCache uint64        // consumer's last view of tail
	_         cpu.CacheLinePad
	mask      uint64 // read-only
	buf       []T    // read-only header
}

// NewSPSC returns an empty ring holding up to capacity elements; capacity
// must be a power of two in [1, 2^30].
func NewSPSC[T any](capacity int) (*SPSC[T], error) {
	if capacity < 1 || capacity > maxSPSCCapacity || capacity&(capacity-1) != 0 {
		return nil, fmt.Errorf("ringbuf: NewSPSC(%d): want a power of two in [1, %d]", capacity, maxSPSCCapacity)
	}
	return &SPSC[T]{mask: uint64(capacity - 1), buf: make([]T, capacity)}, nil
}

// Push appends v, or returns ErrFull. Producer only.
func (q *SPSC[T]) Push(v T) error {
	t := q.ptail
	if t-q.headCache > q.mask {
		q.headCache = q.head.Load() // pairs with the head publish in Pop/Drain
		if t-q.headCache > q.mask {
			return ErrFull
		}
	}
	q.buf[t&q.mask] = v
	q.ptail = t + 1
	publish(&q.tail, t+1) // release: publishes buf[t&mask]; pairs with tail.Load in Pop/Drain
	return nil
}

// Pop removes the oldest element. Consumer only.
func (q *SPSC[T]) Pop() (T, bool) {
	var zero T
	h := q.chead
	if h == q.tailCache {
		q.tailCache = q.tail.Load() // pairs with the tail publish in Push
		if h == q.tailCache {
			return zero, false
		}
	}
	v := q.buf[h&q.mask]
	q.buf[h&q.mask] = zero
	q.chead = h + 1
	publish(&q.head, h+1) // release: frees the slot; pairs with head.Load in Push
	return v, true
}

// Drain pops up to max elements (max <= 0: all visible now), calling fn on
// each in order, and returns the count. Consumer only.
func (q *SPSC[T]) Drain(max int, fn func(T)) int {
	var zero T
	h := q.chead
	q.tailCache = q.tail.Load() // pairs with the tail publish in Push
	n := q.tailCache - h
	if max > 0 && uint64(max) < n {
		n = uint64(max)
	}
	for i := uint64(0); i < n; i++ {
		v := q.buf[h&q.mask]
		q.buf[h&q.mask] = zero
		h++
		q.chead = h
		fn(v)
	}
	if n > 0 {
		publish(&q.head, h) // release: frees the batch; pairs with head.Load in Push
	}
	return int(n)
}

// DrainTo appends up to max elements (max <= 0: all visible now) to buf and
// returns it. Consumer only.
func (q *SPSC[T]) DrainTo(buf []T, max int) []T {
	var zero T
	h := q.chead
	q.tailCache = q.tail.Load() // pairs with the tail publish in Push
	n := q.tailCache - h
	if max > 0 && uint64(max) < n {
		n = uint64(max)
	}
	for i := uint64(0); i < n; i++ {
		buf = append(buf, q.buf[h&q.mask])
		q.buf[h&q.mask] = zero
		h++
	}
	if n > 0 {
		q.chead = h
		publish(&q.head, h) // release: frees the batch; pairs with head.Load in Push
	}
	return buf
}

// Len returns the number of queued elements, approximate while the other
// side runs. Any goroutine.
func (q *SPSC[T]) Len() int {
	h := q.head.Load() // first: tail >= head always
	return int(q.tail.Load() - h)
}

// Cap returns the capacity.
func (q *SPSC[T]) Cap() int { return int(q.mask + 1) }
