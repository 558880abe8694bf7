package future

import (
	"strings"
	"testing"
)

// Init makes a Future inside a larger object (sched's Task allocates itself and
// its future together): it must behave exactly as one from New, and refuse
// anything but a zero Future.

func TestInitInPlace(t *testing.T) {
	l := NewTestLoop()
	var box struct {
		pad int
		f   Future[int]
	}
	Init(&box.f, l)
	if box.f.GetLoop() != Loop(l) || box.f.Done() {
		t.Fatalf("after Init: loop %v, done %v", box.f.GetLoop(), box.f.Done())
	}
	got := 0
	box.f.AddDoneCallback(func(f *Future[int]) { got, _ = f.Result() })
	set := make(chan struct{})
	go func() { _ = box.f.SetResult(7); close(set) }() // off the loop: the dispatch thunk must point into box
	<-box.f.DoneChan()
	// DoneChan closes when the result is published, before SetResult posts the
	// dispatch to the loop; the dispatch is queued once SetResult has returned.
	<-set
	l.RunUntilIdle()
	if got != 7 {
		t.Fatalf("callback saw %d, want 7", got)
	}
}

func TestInitRefuses(t *testing.T) {
	l := NewTestLoop()
	mustPanic := func(name string, fn func()) {
		t.Helper()
		defer func() {
			r := recover()
			s, _ := r.(string)
			if !strings.HasPrefix(s, "ringloop: future.Init") {
				t.Errorf("%s: recovered %v, want a ringloop: future.Init panic", name, r)
			}
		}()
		fn()
	}
	mustPanic("nil loop", func() { Init(&Future[int]{}, nil) })
	mustPanic("twice", func() {
		var f Future[int]
		Init(&f, l)
		Init(&f, l)
	})
	mustPanic("a future from New", func() { Init(New[int](l), l) })
	mustPanic("a completed zero-loop future", func() {
		var f Future[int]
		f.state.Store(stateFinished)
		Init(&f, l)
	})
}

func TestInitAllocatesNothing(t *testing.T) {
	l := NewTestLoop()
	var f Future[int]
	if a := testing.AllocsPerRun(100, func() {
		f = Future[int]{}
		Init(&f, l)
	}); a != 0 {
		t.Errorf("Init: %.1f allocs, want 0", a)
	}
}
