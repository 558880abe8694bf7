package future

// callbacks.go: the loop-owned callback list of a Future — inline slots, then an
// overflow block — and the dispatch that runs it. The ordering argument and the
// dispatch states are at the top of future.go.
//
// Representation (all loop-owned):
//   - inline[i] is the closure pointer of the i-th registration (a func value is a
//     pointer to its closure object; that pointer is also the registration's
//     identity), nil when unused. Bit i of kinds says how to call it: set = an
//     OnDone func(), clear = an AddDoneCallback func(*Future[T]).
//   - Compact: inline[i] != nil for every i below the number of registrations
//     (up to inlineSlots); more != nil only with len(more.cbs) > 0, and then every
//     inline slot is in use. Registration order = inline[0..], then more.cbs[0..].
//   - more is allocated on the first registration past the inline slots, with
//     room for overflowFirst entries in the same allocation.
//
// Cost budget of the fast path (AddDoneCallback with a free inline slot): a scan
// of inlineSlots words, two stores, one plain load of state. No allocation.

import (
	"fmt"
	"unsafe"
)

// overflowFirst is how many registrations past the inline slots the first
// overflow allocation holds.
const overflowFirst = 6

// entry is one registration outside the inline slots (or in transit).
type entry struct {
	p    unsafe.Pointer // closure pointer of the func value: code to call and identity
	bare bool           // func() (OnDone) rather than func(*Future[T])
}

// overflow holds the registrations after the inline ones.
type overflow struct {
	cbs   []entry
	first [overflowFirst]entry // initial backing of cbs
}

// AddDoneCallback registers fn to run on the loop when the future is done, with
// the future as its argument; if the future is already done, fn is scheduled at
// once (asyncio's call_soon). Never synchronous. Callbacks run in registration
// order. The first inlineSlots registrations allocate nothing. Loop goroutine
// only (see the package comment). The returned Registration can be passed to
// Unregister. Panics (programmer error) on a nil fn.
func (f *Future[T]) AddDoneCallback(fn func(*Future[T])) Registration {
	p := funcPtr(fn)
	if p == nil {
		panic("ringloop: future.AddDoneCallback: nil func")
	}
	f.add(p, false)
	return Registration{p: p}
}

// OnDone registers a func() to run on the loop when the future is done; the
// Awaitable form of AddDoneCallback, with the same rules. Loop goroutine only.
func (f *Future[T]) OnDone(fn func()) {
	p := funcPtr(fn)
	if p == nil {
		panic("ringloop: future.OnDone: nil func")
	}
	f.add(p, true)
}

// add appends a registration and, if the future is already done and no dispatch
// is queued, posts one.
func (f *Future[T]) add(p unsafe.Pointer, bare bool) {
	added := false
	for i := range inlineSlots {
		if f.inline[i] == nil {
			f.inline[i] = p
			if bare {
				f.kinds |= 1 << i
			}
			added = true
			break
		}
	}
	if !added {
		f.addOverflow(entry{p: p, bare: bare})
	}
	if f.state.Load() != statePending { // pairs with a completer's CAS/Store
		f.addedWhenDone()
	}
}

func (f *Future[T]) addOverflow(e entry) {
	if f.more == nil {
		o := &overflow{}
		o.cbs = o.first[:0]
		f.more = o
	}
	f.more.cbs = append(f.more.cbs, e)
}

// addedWhenDone schedules a registration made on a done future (the last one in
// the list). asyncio's add_done_callback on a done future is call_soon(fn): it runs
// after everything scheduled before the add. Only an off-loop completion's
// dispatch that has not run yet (dispInitial) may carry it: that dispatch stands
// for the completion itself (asyncio would run set_result on the loop through
// call_soon_threadsafe, and a callback added before that runs with the others).
// Every other case — the list was handed to the loop by an on-loop completion
// (dispHanded), already ran (dispIdle), or is running (dispRunning) — schedules
// the registration alone, at the end of the loop's queue: Post(fn) for an OnDone
// func(), Post of a closure binding the future for a func(*Future[T]) (one
// allocation; asyncio allocates a Handle there too).
func (f *Future[T]) addedWhenDone() {
	if f.disp == dispInitial {
		return // the off-loop completion's dispatch is still queued and runs the list
	}
	e := f.popLast()
	f.flags |= flagLate // Pool.Put: a scheduled closure may still reach f
	var fn func()
	if e.bare {
		fn = *(*func())(unsafe.Pointer(&e.p))
	} else {
		cb := *(*func(*Future[T]))(unsafe.Pointer(&e.p))
		fn = func() { cb(f) }
	}
	if f.loop.InLoop() {
		_ = f.loop.Post(fn)
	} else {
		_ = f.loop.PostThreadsafe(fn)
	}
}

// popLast removes and returns the last registration. Loop goroutine.
func (f *Future[T]) popLast() entry {
	n := f.count()
	e := f.at(n - 1)
	f.put(n-1, entry{})
	if f.more != nil && n-1 <= inlineSlots {
		f.more = nil
	} else if f.more != nil {
		f.more.cbs = f.more.cbs[:n-1-inlineSlots]
	}
	return e
}

// invoke calls one registration.
func (f *Future[T]) invoke(p unsafe.Pointer, bare bool) {
	if bare {
		(*(*func())(unsafe.Pointer(&p)))()
	} else {
		(*(*func(*Future[T]))(unsafe.Pointer(&p)))(f)
	}
}

// runCallbacks is the dispatch (called through the thunk, on the loop goroutine):
// detach the whole list, then run it in order.
func (f *Future[T]) runCallbacks() {
	f.disp = dispIdle
	p0 := f.inline[0]
	if p0 == nil {
		return
	}
	inl, kinds, more := f.inline, f.kinds, f.more
	f.inline = [inlineSlots]unsafe.Pointer{}
	f.kinds = 0
	f.more = nil
	n := 0
	for _, p := range inl {
		if p != nil {
			n++
		}
	}
	if more != nil {
		n += len(more.cbs)
	}
	if n == 1 {
		f.invoke(p0, kinds&1 != 0)
		return
	}
	f.runMany(&inl, kinds, more, n)
}

// runMany runs n detached registrations. If one panics, the ones after it still
// run right away (asyncio: each callback is its own handle, and the one after a
// raising callback runs next), each under its own recover, and then the panic goes
// on to the loop: the first value alone, or a *CallbackPanics holding every value
// when more than one panicked. A runtime.Goexit in a callback (no panic value)
// puts the rest back and posts a dispatch for them instead.
func (f *Future[T]) runMany(inl *[inlineSlots]unsafe.Pointer, kinds uint8, more *overflow, n int) {
	f.disp = dispRunning // Pool.Put refuses while later callbacks still get f
	i := 0
	defer func() {
		if i < n {
			at := detachedAt(inl, kinds, more)
			if r := recover(); r != nil {
				f.finishAfterPanic(at, i+1, n, r) // re-panics
			}
			f.requeue(at, i+1, n) // Goexit
		}
		if f.disp == dispRunning {
			f.disp = dispIdle
		}
	}()
	for ; i < n; i++ {
		if i < inlineSlots {
			f.invoke(inl[i], kinds&(1<<i) != 0)
		} else {
			e := more.cbs[i-inlineSlots]
			f.invoke(e.p, e.bare)
		}
	}
}

// CallbackPanics is the panic value a dispatch raises when more than one of a
// future's done-callbacks panicked: every value, in callback order.
type CallbackPanics struct{ Values []any }

func (p *CallbackPanics) Error() string {
	return fmt.Sprintf("ringloop: future: %d done-callbacks panicked: %v", len(p.Values), p.Values)
}

// finishAfterPanic runs detached registrations from..n-1 after a callback panicked
// with first, each under its own recover, then re-panics. Panic path only.
func (f *Future[T]) finishAfterPanic(at func(int) entry, from, n int, first any) {
	var all []any
	for j := from; j < n; j++ {
		if r := f.invokeRecover(at(j)); r != nil {
			all = append(all, r)
		}
	}
	if f.disp == dispRunning {
		f.disp = dispIdle
	}
	if len(all) == 0 {
		panic(first)
	}
	panic(&CallbackPanics{Values: append([]any{first}, all...)})
}

// invokeRecover calls one registration and returns what it panicked with, if
// anything.
func (f *Future[T]) invokeRecover(e entry) (r any) {
	defer func() { r = recover() }()
	f.invoke(e.p, e.bare)
	return nil
}

// detachedAt returns an accessor for a detached list. Panic path only.
func detachedAt(inl *[inlineSlots]unsafe.Pointer, kinds uint8, more *overflow) func(int) entry {
	return func(i int) entry {
		if i < inlineSlots {
			return entry{p: inl[i], bare: kinds&(1<<i) != 0}
		}
		return more.cbs[i-inlineSlots]
	}
}

// requeue puts detached registrations from..n-1 back at the front of the list and
// makes sure a dispatch is queued. Panic path only.
func (f *Future[T]) requeue(at func(int) entry, from, n int) {
	rest := make([]entry, 0, n-from+f.count())
	for i := from; i < n; i++ {
		rest = append(rest, at(i))
	}
	rest = append(rest, f.entries()...)
	f.setEntries(rest)
	if len(rest) > 0 && (f.disp == dispIdle || f.disp == dispRunning) {
		f.disp = dispHanded
		_ = f.loop.Post(f.dispatcher())
	}
}

// count returns the number of registrations. Loop goroutine.
func (f *Future[T]) count() int {
	n := 0
	for _, p := range f.inline {
		if p != nil {
			n++
		}
	}
	if f.more != nil {
		n += len(f.more.cbs)
	}
	return n
}

// at returns registration i (i < count()). Loop goroutine.
func (f *Future[T]) at(i int) entry {
	if i < inlineSlots {
		return entry{p: f.inline[i], bare: f.kinds&(1<<i) != 0}
	}
	return f.more.cbs[i-inlineSlots]
}

// put overwrites registration i (i < count()). Loop goroutine.
func (f *Future[T]) put(i int, e entry) {
	if i < inlineSlots {
		f.inline[i] = e.p
		if e.bare {
			f.kinds |= 1 << i
		} else {
			f.kinds &^= 1 << i
		}
		return
	}
	f.more.cbs[i-inlineSlots] = e
}

// entries returns a copy of the registrations in order. Loop goroutine; slow paths.
func (f *Future[T]) entries() []entry {
	n := f.count()
	out := make([]entry, n)
	for i := range out {
		out[i] = f.at(i)
	}
	return out
}

// setEntries replaces the list with es, in order. Loop goroutine; slow paths.
func (f *Future[T]) setEntries(es []entry) {
	f.inline = [inlineSlots]unsafe.Pointer{}
	f.kinds = 0
	f.more = nil
	for i, e := range es {
		if i < inlineSlots {
			f.put(i, e)
		} else {
			f.addOverflow(e)
		}
	}
}

// Registration names a registered callback by the identity of its func value (the
// pointer to the closure object, which Go keeps but does not let you compare).
// Two registrations of the same func value share a Registration. Comparable; the
// zero Registration matches nothing.
type Registration struct{ p unsafe.Pointer }

// RemoveDoneCallback removes every registration of fn (AddDoneCallback with the
// same func value) from the list, wherever it sits (inline or overflow), keeps the
// others in order, and returns how many it removed.
//
// Identity: Go func values are not comparable, so fn matches a registration when
// it is the same func value: the same variable's value, the same top-level
// function, or a closure literal without captures. Two evaluations of a capturing
// closure literal (or of a method value x.M) are different values: keep the value
// you registered, or use the Registration returned by AddDoneCallback with
// Unregister. On a done future the list has been handed to the loop and nothing
// is removed (returns 0), as in asyncio. Loop goroutine only. No allocation.
func (f *Future[T]) RemoveDoneCallback(fn func(*Future[T])) int {
	return f.remove(funcPtr(fn))
}

// RemoveOnDone removes every OnDone registration of fn (same identity rule as
// RemoveDoneCallback) and returns the count. Loop goroutine only.
func (f *Future[T]) RemoveOnDone(fn func()) int { return f.remove(funcPtr(fn)) }

// Unregister removes every registration with r's identity and returns the count.
// Loop goroutine only.
func (f *Future[T]) Unregister(r Registration) int { return f.remove(r.p) }

// remove deletes every registration whose identity is p, compacting in place and
// keeping order.
func (f *Future[T]) remove(p unsafe.Pointer) int {
	if p == nil || f.inline[0] == nil || f.state.Load() != statePending { // pairs with a completer's CAS
		return 0
	}
	n := f.count()
	removed, w := 0, 0
	for i := 0; i < n; i++ {
		e := f.at(i)
		if e.p == p {
			removed++
			continue
		}
		if w != i {
			f.put(w, e)
		}
		w++
	}
	for i := w; i < n; i++ { // clear the tail so the GC can free removed closures
		f.put(i, entry{})
	}
	if f.more != nil {
		if w <= inlineSlots {
			f.more = nil
		} else {
			f.more.cbs = f.more.cbs[:w-inlineSlots]
		}
	}
	return removed
}

// funcPtr returns the closure-object pointer of a func value: its identity.
func funcPtr[F any](fn F) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&fn))
}
