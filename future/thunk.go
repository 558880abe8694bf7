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
// round trip on the shared 2-vCPU machine; docs/DESIGN.md). Instead every Future
// embeds a thunk laid out exactly like the closure object of bind's func literal,
// and dispatcher() returns a func value pointing at that embedded thunk.
//
// bind's literal is compiled once per GC shape of T, and it captures the
// receiver and T's dictionary: its closure object is {pc, f, dict}. Calling the
// thunk runs that literal, which calls the shape's runCallbacks directly, so a
// dispatch is two frames above the callback (literal, runCallbacks). The
// earlier thunk captured a non-generic interface instead ({pc, itab, f}): one
// interface call and one wrapper frame more per dispatch, which a task's await
// pays again after its coroutine switch (every frame between the loop and the
// switch is a return that mispredicts once the stack is switched back).
//
// Invariants:
//   - thunkOK is written once, during package initialisation, before any Future
//     exists (benchmarks flip it to measure the fallback); afterwards it is only
//     read. It is true only if probeThunk verified, on this build, that bind's
//     literal is laid out as {pc, f, dict} and that a hand-built thunk with those
//     pc and dict words runs the runCallbacks of the future it holds.
//   - th.pc != 0 only if thunkOK held when the future was bound and bind saw its
//     own receiver in the literal's second word. Otherwise th stays zero and
//     dispatcher() falls back to allocating a closure per dispatch (correct, one
//     allocation slower); TestThunkFastPath fails in that case so the regression
//     is seen.
//   - A thunk's fields are written by New / Init (bind) before the future is
//     published to any other goroutine, and never again: the loop reads them (by
//     calling the thunk) only after a Post / PostThreadsafe that happens after
//     New.
//   - The garbage collector sees the func value as a pointer into the Future
//     (interior pointers keep the whole object alive) and th.f as a pointer to
//     the Future itself; pc is a code address and dict the address of a static
//     dictionary, neither a heap pointer, so both are typed uintptr.

import "unsafe"

// thunk has the memory layout of the closure object of bind's literal.
type thunk struct {
	pc   uintptr        // code address of bind's literal for T's shape
	f    unsafe.Pointer // the future whose callbacks the thunk runs (itself)
	dict uintptr        // T's dictionary, the literal's second capture (static data)
}

// bind fills f.th from the func literal below without allocating: the literal
// does not escape, only its three words are copied. Not inlined, so the literal
// is always the shape-compiled one whose layout probeThunk checked.
//
//go:noinline
func (f *Future[T]) bind() {
	if !thunkOK {
		return
	}
	fn := func() { f.runCallbacks() }
	w := (*[3]uintptr)(*(*unsafe.Pointer)(unsafe.Pointer(&fn)))
	if w[0] == 0 || w[1] != uintptr(unsafe.Pointer(f)) {
		return // not the layout probeThunk saw: th stays zero, dispatch falls back
	}
	f.th = thunk{pc: w[0], f: unsafe.Pointer(f), dict: w[2]}
}

// runner is what the fallback closure calls: *Future[T] for every T.
type runner interface{ runCallbacks() }

// closureOf returns a real closure calling r.runCallbacks: the fallback dispatcher
// when the thunk is off (one allocation per dispatch).
//
//go:noinline
func closureOf(r runner) func() { return func() { r.runCallbacks() } }

// thunkOK reports whether bind's layout check passed. Written once by package
// initialisation (and by benchmarks measuring the fallback).
var thunkOK bool

func init() { thunkOK = probeThunk() }

// probeLoop is a Loop used only by probeThunk; nothing is ever posted to it.
type probeLoop struct{}

func (probeLoop) Post(func()) error           { return nil }
func (probeLoop) PostThreadsafe(func()) error { return nil }
func (probeLoop) InLoop() bool                { return true }

// probeThunk checks bind's closure layout on this build: the literal's words are
// {pc, receiver, dict}, and a thunk built from another future's pc and dict words
// runs the runCallbacks of the future it holds, and of no other.
func probeThunk() bool {
	thunkOK = true // bind is a no-op without it; init stores the result
	a, b := &Future[int]{loop: probeLoop{}}, &Future[int]{loop: probeLoop{}}
	a.bind()
	if a.th.pc == 0 || a.th.dict == 0 {
		return false
	}
	th := &thunk{pc: a.th.pc, f: unsafe.Pointer(b), dict: a.th.dict}
	thunkFunc(th)() // runCallbacks on a future with no callbacks: disp -> dispIdle
	return b.disp == dispIdle && a.disp == dispInitial
}

// thunkFunc returns the func value that points at th.
func thunkFunc(th *thunk) func() {
	p := unsafe.Pointer(th)
	return *(*func())(unsafe.Pointer(&p))
}
