package sched

import (
	"reflect"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// The sleep protocol over the pointer-slot inbox, whose slot publish is a plain
// MOV on amd64: only the producer's XADD on the tail may carry the handshake.
// Run on the shipped (non-race) build as well as under -race.
func TestNoLostWakeupPtrInbox(t *testing.T) {
	n := 300_000
	if testing.Short() {
		n = 50_000
	}
	for _, w := range WakeupVariants() {
		t.Run("wakeup="+w, func(t *testing.T) {
			testNoLostWakeup(t, n, 2, WithInbox("mpsc"), WithWakeup(w), WithYieldBeforeSleep(0))
		})
	}
}

// A Handle travels through the pointer-slot inbox as its own tagged address: it
// still runs once, a cancelled one never runs, and a panic in it is reported
// with the Handle, as for every other inbox.
func TestPtrInboxHandles(t *testing.T) {
	var reports []ExceptionContext
	l := newLoop(t, WithInbox("mpsc"), WithExceptionHandler(func(c ExceptionContext) { reports = append(reports, c) }))
	if l.ptrIn == nil {
		t.Fatal("mpsc loop does not submit through ptrIn")
	}
	ran, cancelledRan := make(chan struct{}), false
	var hPanic, hCancel *Handle
	done := make(chan struct{})
	go func() { // off the loop, before it runs: through the inbox, cancelled while queued
		defer close(done)
		var err error
		if hCancel, err = l.CallSoonThreadsafe(func() { cancelledRan = true }); err != nil {
			t.Error(err)
		}
		hCancel.Cancel()
		if hPanic, err = l.CallSoonThreadsafe(func() { panic("in a queued handle") }); err != nil {
			t.Error(err)
		}
		if _, err = l.CallSoonThreadsafe(func() { close(ran) }); err != nil {
			t.Error(err)
		}
	}()
	<-done
	wait := runAsync(t, l)
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("queued handle never ran")
	}
	l.PostThreadsafe(l.Stop)
	if err := wait(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if cancelledRan {
		t.Error("a handle cancelled while queued ran")
	}
	if len(reports) != 1 || reports[0].Handle != hPanic || reports[0].Panic != "in a queued handle" {
		t.Fatalf("reports %+v, want one naming the panicking handle %p", reports, hPanic)
	}
}

// The inbox tells a callback from a Handle by the word's low bit: every kind of
// func value Go makes must have it clear (pushItem / drain in inbox_ptr.go).
func TestFuncWordEven(t *testing.T) {
	n := 0
	var cl closer
	fns := map[string]func(){
		"top-level":       funcWordTopLevel,
		"closure":         func() { n++ },
		"method value":    cl.close,
		"pointer method":  (&cl).closePtr,
		"generic":         funcWordGeneric[int],
		"generic closure": funcWordGenericClosure[string](),
		"makefunc":        reflect.MakeFunc(reflect.TypeOf(func() {}), func([]reflect.Value) []reflect.Value { return nil }).Interface().(func()),
	}
	for name, fn := range fns {
		if w := *(*uintptr)(unsafe.Pointer(&fn)); w&handleTag != 0 {
			t.Errorf("%s: func word %#x has the handle tag bit set", name, w)
		}
	}
	// Many closures of odd sizes, so the allocator's placements vary.
	for i := 0; i < 1000; i++ {
		b := byte(i)
		fn := func() { n += int(b) }
		if i%3 == 0 {
			x, y := i, b
			fn = func() { n += x + int(y) }
		}
		if w := *(*uintptr)(unsafe.Pointer(&fn)); w&handleTag != 0 {
			t.Fatalf("closure %d: func word %#x has the handle tag bit set", i, w)
		}
	}
}

type closer struct{ b byte }

func (c closer) close()     { _ = c.b }
func (c *closer) closePtr() { c.b++ }

func funcWordTopLevel() {}

func funcWordGeneric[T any]() { var z T; _ = z }

func funcWordGenericClosure[T any]() func() {
	var z T
	return func() { _ = z }
}

// Each drained word becomes the item it was pushed as: a Handle item for
// CallSoonThreadsafe, a plain callback otherwise, in push order.
func TestPtrInboxTagRoundTrip(t *testing.T) {
	in, err := newPtrInbox()
	if err != nil {
		t.Fatal(err)
	}
	fn := func() {}
	hs := []*Handle{{fn: fn}, {fn: fn}, {fn: fn}}
	in.pushItem(handleItem(hs[0]))
	in.pushItem(fnItem(fn))
	in.pushItem(handleItem(hs[1]))
	in.pushItem(handleItem(hs[2]))
	in.pushItem(fnItem(fn))
	var dst fifo
	if got := in.drain(&dst, 0); got != 5 {
		t.Fatalf("drained %d, want 5", got)
	}
	want := []*Handle{hs[0], nil, hs[1], hs[2], nil} // nil: the bare fn
	for i, wh := range want {
		it := dst.Pop()
		if it.isHandle() != (wh != nil) || it.handleOrNil() != wh {
			t.Errorf("item %d: Handle %p, want Handle %p", i, it.handleOrNil(), wh)
		}
		if wh == nil {
			got := it.bare()
			if *(*uintptr)(unsafe.Pointer(&got)) != *(*uintptr)(unsafe.Pointer(&fn)) {
				t.Errorf("item %d: a different func came back", i)
			}
		}
		cb := it.callback()
		if *(*uintptr)(unsafe.Pointer(&cb)) != *(*uintptr)(unsafe.Pointer(&fn)) {
			t.Errorf("item %d: callback is not the pushed func", i)
		}
	}
	if !in.empty() {
		t.Error("inbox not empty after draining everything")
	}
}

// A queued Handle whose only reference is the inbox's tagged word (the caller
// dropped it) survives collections: the word points inside the Handle, which
// the collector treats as a reference to it.
func TestPtrInboxTaggedHandleSurvivesGC(t *testing.T) {
	l := newLoop(t, WithInbox("mpsc"))
	const n = 20_000
	ran, sum := 0, 0
	done := make(chan struct{})
	go func() { // off the loop goroutine: through the inbox
		defer close(done)
		for i := 0; i < n; i++ {
			k := i // each closure its own object, so a freed Handle would run the wrong one
			if _, err := l.CallSoonThreadsafe(func() { ran++; sum += k }); err != nil {
				t.Error(err)
				return
			}
			if i%4096 == 0 {
				runtime.GC()
			}
		}
	}()
	<-done
	for i := 0; i < 3; i++ {
		runtime.GC()
		_ = make([]byte, 1<<20) // churn the heap the dropped Handles would be reused from
	}
	l.PostThreadsafe(l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if ran != n || sum != n*(n-1)/2 {
		t.Fatalf("ran %d of %d queued handles, sum %d want %d", ran, n, sum, n*(n-1)/2)
	}
}
