package future

// pool.go: Pool, an optional free list of futures for one loop, so a hot path
// that owns its futures end to end can take the allocation out of a round trip.
// Nothing in the package uses it; New always allocates.
//
// Invariants:
//   - A Pool and the futures in it belong to one loop and are touched only by
//     that loop's goroutine (Get, Put): no atomics, no locks.
//   - Put takes a future back only when nothing can still reach it through the
//     package: it is done (settled, not completing), its dispatch has run or was
//     never needed (disp == dispIdle) and its list is empty, no callback added
//     after completion was posted on its own (flagLate: that closure holds f
//     until it runs), and no Wait / DoneChan waiter exists (a waiter goroutine
//     may still read it). Otherwise Put
//     refuses (returns false) and the future is left alone for the GC.
//   - What Put cannot check is the caller's own pointers: after Put the caller
//     must not use the future again (the sync.Pool rule). A stale pointer sees a
//     recycled future in another state; memory safety is unaffected.
//   - Get returns a future indistinguishable from New's: pending, no callbacks,
//     the thunk already bound (it points into the same object, so it survives
//     reuse unchanged).
//   - Put ends an armed unretrieved-exception report (unretrieved.go): the
//     future's life ends at Put, not at collection.

import "unsafe"

// Pool recycles done futures of one loop. The zero value is not usable; create it
// with NewPool. Loop goroutine only.
type Pool[T any] struct {
	loop Loop
	free []*Future[T]
	max  int
}

// NewPool returns a pool for futures bound to loop, keeping at most max idle
// futures. It panics (programmer error) on a nil loop or max < 1.
func NewPool[T any](loop Loop, max int) *Pool[T] {
	if loop == nil {
		panic("ringloop: future.NewPool: nil Loop")
	}
	if max < 1 {
		panic("ringloop: future.NewPool: max must be >= 1")
	}
	return &Pool[T]{loop: loop, max: max}
}

// Get returns a pending future bound to the pool's loop, recycled when one is
// available, else from New.
func (p *Pool[T]) Get() *Future[T] {
	if n := len(p.free); n > 0 {
		f := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return f
	}
	return New[T](p.loop)
}

// Put offers f back to the pool and reports whether it was taken (see the
// invariants for when it is refused). After a true result the caller must not use
// f again.
func (p *Pool[T]) Put(f *Future[T]) bool {
	if f == nil || f.loop != p.loop || len(p.free) >= p.max {
		return false
	}
	s := f.state.Load() // pairs with the Store in publish
	if s != stateFinished && s != stateCancelled {
		return false
	}
	if f.disp != dispIdle || f.inline[0] != nil || f.flags&flagLate != 0 || f.waiter.Load() != nil { // waiter: pairs with the CAS in doneChan
		return false
	}
	if s == stateFinished && f.errp != nil {
		endReport(unsafe.Pointer(f)) // its life ends here (unretrieved.go)
	}
	var zero T
	f.value = zero
	f.errp = nil
	f.disp = dispInitial
	f.kinds = 0
	f.more = nil
	f.state.Store(statePending) // no other goroutine can reach f (invariants); Store for the atomic type's sake
	p.free = append(p.free, f)
	return true
}

// Len returns the number of idle futures in the pool.
func (p *Pool[T]) Len() int { return len(p.free) }
