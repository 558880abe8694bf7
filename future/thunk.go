package future

// thunk.go: a func() that runs a future's callbacks, built inside the Future
// itself, so handing the dispatch to the loop (Loop.Post / Loop.PostThreadsafe
// take a func()) allocates nothing per completion and nothing extra per future.
//
// Why: a Go func value is a pointer to a closure object {code pointer, captured
// variables...}. The obvious ways to get a func() bound to a future (a method value
// f.runCallbacks, or func() { f.runCallbacks() }) allocate that closure object on
// the heap: a second allocation per future (BenchmarkRoundTrip/dispatch=closure
// versus dispatch=thunk: 2 allocs instead of 1, and about +20..30 ns of CPU per
// round trip on the shared 2-vCPU machine; docs/DESIGN.md). Instead every Future embeds a thunk laid out exactly like the
// closure object that closureOf builds, and dispatcher() returns a func value
// pointing at that embedded thunk. Calling it runs closureOf's literal, which reads
// its captured runner from the thunk.
//
// Invariants:
//   - thunkPC is written once, during package initialisation, before any Future
//     exists; afterwards it is only read (no synchronisation needed).
//   - thunkPC != 0 only if probeThunk verified, on this build, that a closure
//     capturing one runner interface is laid out as {pc uintptr, r runner} and
//     that calling a hand-built thunk runs the captured runner. Otherwise
//     thunkPC == 0 and dispatcher() falls back to allocating a real closure per
//     dispatch (correct, one allocation slower); TestThunkFastPath fails in that
//     case so the regression is seen.
//   - A thunk's fields are written in New before the future is published to any
//     other goroutine, and never again: the loop reads them (by calling the
//     thunk) only after a Post / PostThreadsafe that happens after New.
//   - The garbage collector sees the func value as a pointer into the Future
//     (interior pointers keep the whole object alive); pc is a code address and
//     is not a heap pointer, so it is typed uintptr; r is a real interface and
//     is scanned.

import "unsafe"

// runner is what the dispatch thunk calls: *Future[T] for every T.
type runner interface{ runCallbacks() }

// thunk has the memory layout of the closure object closureOf returns.
type thunk struct {
	pc uintptr // code address of closureOf's func literal; == thunkPC
	r  runner  // the future whose callbacks the thunk runs
}

// closureOf returns a real closure capturing r. It is the template whose layout
// thunk copies, and the fallback dispatcher when the fast path is off.
//
//go:noinline
func closureOf(r runner) func() { return func() { r.runCallbacks() } }

// thunkPC is the code address of closureOf's literal, or 0 if the layout check
// failed. Written once by package initialisation.
var thunkPC = probeThunk()

// probe is a runner used only by probeThunk.
type probe struct{ calls int }

func (p *probe) runCallbacks() { p.calls++ }

// iface is the runtime layout of a non-empty interface value.
type iface struct {
	tab  unsafe.Pointer
	data unsafe.Pointer
}

// probeThunk checks the closure layout on this build and returns closureOf's code
// address, or 0 when the layout is not the one thunk assumes.
func probeThunk() uintptr {
	p := &probe{}
	var want runner = p
	fn := closureOf(p)
	obj := *(*unsafe.Pointer)(unsafe.Pointer(&fn)) // the closure object
	if obj == nil {
		return 0
	}
	wantWords := (*iface)(unsafe.Pointer(&want))
	// Compare word by word, stopping at the first mismatch, so a smaller closure
	// object (a by-reference capture: {pc, *runner}) is never read past its end.
	pcWord := *(*uintptr)(obj)
	tabWord := *(*unsafe.Pointer)(unsafe.Add(obj, unsafe.Sizeof(uintptr(0))))
	if pcWord == 0 || tabWord != wantWords.tab {
		return 0
	}
	dataWord := *(*unsafe.Pointer)(unsafe.Add(obj, 2*unsafe.Sizeof(uintptr(0))))
	if dataWord != wantWords.data {
		return 0
	}
	// Live check: a hand-built thunk must run the runner it holds.
	q := &probe{}
	th := &thunk{pc: pcWord, r: q}
	thunkFunc(th)()
	if q.calls != 1 || p.calls != 0 {
		return 0
	}
	return pcWord
}

// thunkFunc returns the func value that points at th.
func thunkFunc(th *thunk) func() {
	p := unsafe.Pointer(th)
	return *(*func())(unsafe.Pointer(&p))
}
