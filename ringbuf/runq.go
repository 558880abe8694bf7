package ringbuf

// RunQ: a bounded run queue with one owner and any number of thieves, the
// per-loop local queue of a work-stealing scheduler. The owner pushes at the
// tail and pops at the head; a thief takes half of the queue with one CAS to
// claim it and one CAS to release it. It follows Tokio's local queue
// (runtime/scheduler/multi_thread/queue.rs): the head packs two indices, so a
// thief claims a range before it copies it and the owner never overwrites a
// slot that a thief may still be reading. The Go runtime's runqput/runqget are
// the same shape without the claim (its thieves read racily and discard).
//
// # Invariants
//
//	I1 Indices are uint32 and wrap at 2^32; distances are uint32 differences.
//	   head = steal<<32 | real, with steal <= real <= tail (as distances).
//	I2 [real, tail) are queued elements: the owner's Pop and thieves' claims
//	   take from real. [steal, real) is a range a thief has claimed and is
//	   copying out; steal == real when no steal is in progress. At most one
//	   steal is in progress (a thief that sees steal != real gives up).
//	I3 tail - steal <= cap (len(buf), a power of two): the owner writes slot
//	   t only if t - steal < cap, so it never overwrites a slot in a thief's
//	   claimed range. Every slot outside [steal, tail) holds the zero value
//	   (Pop, the thief and PushOverflow clear what they take).
//	I4 Only the owner writes tail and writes elements into slots; a thief
//	   writes (clears) only slots of its claimed range, before its release.
//
// # Memory ordering ("pairs with")
//
//	tail  owner: publish (a release store; a plain MOV on amd64) in Push and
//	      when it receives stolen elements; pairs with the thief's Load in
//	      StealHalf, so the slots below tail are visible to the thief.
//	head  CAS by the owner (Pop, PushOverflow) and thieves (claim, release);
//	      the thief's release CAS pairs with the owner's Load in Push: a slot
//	      the owner reuses was read and cleared before the release it saw.
//
// The owner's Push is one release store (and a load of head only when its
// cached steal index says full): no locked instruction. Pop is one CAS (thieves may race for the same element); PopN
// takes a batch with one CAS. Push
// is never half of a store-then-load handshake: a scheduler that wants a
// thief to notice new work must add its own full fence (see multi's steal
// group, which treats the local push as a hint and lets the owner run it).

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// maxRunQCapacity bounds NewRunQ: distances must stay far below 2^31.
const maxRunQCapacity = 1 << 16

// RunQ is a bounded work-stealing run queue. One goroutine owns it: only the
// owner calls Push, PushOverflow, Pop, and StealHalf with the queue as dst.
// Any goroutine may call StealHalf on it as the victim (the thief must own
// the dst it passes) and Len. Create it with NewRunQ.
type RunQ[T any] struct {
	_    cpu.CacheLinePad
	head atomic.Uint64 // steal<<32|real; CAS by owner and thieves, Load by all (I2; pairs with itself and with Push's Load)
	_    cpu.CacheLinePad
	tail atomic.Uint64 // low 32 bits; owner publishes, thieves Load in StealHalf (pairs with publish)
	// otail is the owner's copy of tail; csteal the steal index it last
	// loaded (steal only moves forward, so a stale csteal is conservative:
	// Push reloads head only when csteal says full). Owner only.
	otail  uint32
	csteal uint32
	mask   uint32 // read-only
	buf    []T    // read-only header; slots per I3/I4
}

// NewRunQ returns an empty queue of the given capacity, a power of two in
// [2, 65536].
func NewRunQ[T any](capacity int) (*RunQ[T], error) {
	return newRunQAt[T](capacity, 0)
}

// newRunQAt starts every index at start: the test hook for wrap-around.
func newRunQAt[T any](capacity int, start uint32) (*RunQ[T], error) {
	if capacity < 2 || capacity > maxRunQCapacity || capacity&(capacity-1) != 0 {
		return nil, fmt.Errorf("ringbuf: NewRunQ(%d): want a power of two in [2, %d]", capacity, maxRunQCapacity)
	}
	q := &RunQ[T]{mask: uint32(capacity - 1), buf: make([]T, capacity), otail: start, csteal: start}
	q.head.Store(pack(start, start))
	q.tail.Store(uint64(start))
	return q, nil
}

func pack(steal, real uint32) uint64 { return uint64(steal)<<32 | uint64(real) }

func unpack(h uint64) (steal, real uint32) { return uint32(h >> 32), uint32(h) }

// Cap returns the capacity.
func (q *RunQ[T]) Cap() int { return int(q.mask) + 1 }

// Len returns the number of queued elements, not counting a range a thief is
// copying out. Any goroutine; racy by nature (a snapshot).
func (q *RunQ[T]) Len() int {
	_, real := unpack(q.head.Load())  // pairs with the CASes on head
	n := uint32(q.tail.Load()) - real // pairs with publish
	if n > q.mask+1 {                 // tail read before a concurrent pop moved real past it
		return 0
	}
	return int(n)
}

// Free returns how many Pushes will succeed now, at least: the capacity less
// the queued elements and a thief's claimed range. Owner only (thieves only
// make it grow).
func (q *RunQ[T]) Free() int {
	steal, _ := unpack(q.head.Load()) // pairs with the thieves' release CAS
	return int(q.mask + 1 - (q.otail - steal))
}

// Push appends v and reports true, or reports false when the queue is full
// (then call PushOverflow). Owner only. No locked instruction.
func (q *RunQ[T]) Push(v T) bool {
	t := q.otail
	if t-q.csteal > q.mask {
		q.csteal, _ = unpack(q.head.Load()) // pairs with the thieves' release CAS (I3)
		if t-q.csteal > q.mask {
			return false
		}
	}
	q.buf[t&q.mask] = v
	q.otail = t + 1
	publish(&q.tail, uint64(t+1)) // pairs with the Load in StealHalf
	return true
}

// PushOverflow is Push's slow path for a full queue: it moves the older half
// of the queue, then v, onto spill (oldest first) and returns it, for the
// caller to put on its injection queue. If a thief is copying out a range at
// that moment (it is making room), or room appeared meanwhile, it queues v
// (or hands over v alone) instead. Owner only.
func (q *RunQ[T]) PushOverflow(v T, spill []T) []T {
	var zero T
	half := (q.mask + 1) / 2
	for {
		h := q.head.Load() // pairs with the CASes on head
		steal, real := unpack(h)
		if steal != real { // a steal is in progress: Tokio hands v to the injection queue alone
			return append(spill, v)
		}
		if q.otail-real <= q.mask { // room appeared: steal == real, so Push succeeds
			q.Push(v)
			return spill
		}
		if !q.head.CompareAndSwap(h, pack(real+half, real+half)) { // pairs with the thieves' CASes
			continue
		}
		for i := uint32(0); i < half; i++ {
			s := (real + i) & q.mask
			spill = append(spill, q.buf[s])
			q.buf[s] = zero
		}
		return append(spill, v)
	}
}

// Pop removes and returns the oldest element. Owner only. One CAS.
func (q *RunQ[T]) Pop() (T, bool) {
	var zero T
	h := q.head.Load() // pairs with the CASes on head
	for {
		steal, real := unpack(h)
		if real == q.otail {
			return zero, false
		}
		next := steal
		if steal == real {
			next = real + 1
		}
		if q.head.CompareAndSwap(h, pack(next, real+1)) { // pairs with the thieves' CASes
			s := real & q.mask
			v := q.buf[s]
			q.buf[s] = zero
			return v, true
		}
		h = q.head.Load()
	}
}

// PopN removes up to max (>= 1) of the oldest elements with one CAS and
// appends them to buf, oldest first. Owner only. What it takes is no longer
// stealable: a scheduler that wants thieves to help with a long callback
// pops few at a time.
func (q *RunQ[T]) PopN(buf []T, max int) []T {
	var zero T
	h := q.head.Load() // pairs with the CASes on head
	for {
		steal, real := unpack(h)
		n := q.otail - real
		if n == 0 {
			return buf
		}
		if uint32(max) < n {
			n = uint32(max)
		}
		next := steal
		if steal == real {
			next = real + n
		}
		if q.head.CompareAndSwap(h, pack(next, real+n)) { // pairs with the thieves' CASes
			for i := uint32(0); i < n; i++ {
				s := (real + i) & q.mask
				buf = append(buf, q.buf[s])
				q.buf[s] = zero
			}
			return buf
		}
		h = q.head.Load()
	}
}

// StealHalf moves half of q's elements (rounded up) into dst and returns one
// of them to run now. The caller must own dst (and must not own q). It gives
// up, returning false, when q is empty, another thief is mid-steal on q, or
// dst is more than half full. Two CASes on q's head per batch.
func (q *RunQ[T]) StealHalf(dst *RunQ[T]) (T, bool) {
	var zero T
	dt := dst.otail
	dsteal, _ := unpack(dst.head.Load()) // pairs with the CASes on dst's head
	free := dst.mask + 1 - (dt - dsteal)
	if dt-dsteal > dst.mask/2 {
		return zero, false
	}

	// Claim [real, real+n): real moves on, steal stays, so the owner keeps off
	// these slots (I3) and other thieves give up (I2).
	var first, n uint32
	h := q.head.Load() // pairs with the CASes on head
	for {
		steal, real := unpack(h)
		if steal != real {
			return zero, false
		}
		avail := uint32(q.tail.Load()) - real // pairs with publish in Push
		if avail == 0 {
			return zero, false
		}
		if avail > q.mask+1 { // h is stale (the owner popped and pushed since): the CAS would fail
			h = q.head.Load()
			continue
		}
		n = avail - avail/2
		if n > free {
			n = free
		}
		if q.head.CompareAndSwap(h, pack(steal, real+n)) { // claim; pairs with the owner's and thieves' CASes
			first = real
			break
		}
		h = q.head.Load()
	}

	// Copy out and clear (I3, I4).
	for i := uint32(0); i < n; i++ {
		s := (first + i) & q.mask
		dst.buf[(dt+i)&dst.mask] = q.buf[s]
		q.buf[s] = zero
	}

	// Release: steal catches up with real (which the owner may have moved).
	h = q.head.Load()
	for {
		_, real := unpack(h)
		if q.head.CompareAndSwap(h, pack(real, real)) { // release; pairs with the Load in Push
			break
		}
		h = q.head.Load()
	}

	// Keep the last one to run; publish the rest in dst.
	n--
	s := (dt + n) & dst.mask
	v := dst.buf[s]
	dst.buf[s] = zero
	if n > 0 {
		dst.otail = dt + n
		publish(&dst.tail, uint64(dt+n)) // pairs with the Load in StealHalf on dst
	}
	return v, true
}
