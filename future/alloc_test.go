package future

import (
	"testing"
	"unsafe"
)

// The allocation budget: a round trip (New, add K callbacks, complete on the loop,
// run the dispatch) allocates the Future and nothing else for K <= inlineSlots;
// an off-loop completion's dispatch allocates nothing.

func roundTrip(l *TestLoop, cbs []func(*Future[int])) {
	f := New[int](l)
	for _, cb := range cbs {
		f.AddDoneCallback(cb)
	}
	_ = f.SetResult(1)
	l.RunOnce()
}

func TestAllocsRoundTrip(t *testing.T) {
	l := NewTestLoop()
	ran := 0
	cb := func(*Future[int]) { ran++ }
	bare := func() { ran++ }
	for k := 1; k <= inlineSlots; k++ {
		cbs := make([]func(*Future[int]), k)
		for i := range cbs {
			cbs[i] = cb
		}
		roundTrip(l, cbs) // grow the loop's buffers
		if a := testing.AllocsPerRun(1000, func() { roundTrip(l, cbs) }); a > 1 {
			t.Errorf("round trip with %d callbacks: %.1f allocs, want <= 1 (the Future)", k, a)
		}
	}
	if a := testing.AllocsPerRun(1000, func() {
		f := New[int](l)
		f.OnDone(bare)
		f.Cancel("") // the *CancelledError is the second allocation
		l.RunOnce()
	}); a > 2 {
		t.Errorf("OnDone + Cancel round trip: %.1f allocs, want <= 2", a)
	}
	if ran == 0 {
		t.Fatal("callbacks did not run")
	}
}

func TestAllocsDispatchAndRegistration(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	cb := func(*Future[int]) {}
	if a := testing.AllocsPerRun(1000, func() { _ = f.dispatcher() }); a != 0 {
		t.Errorf("dispatcher(): %.1f allocs, want 0", a)
	}
	if a := testing.AllocsPerRun(1000, func() {
		_ = l.PostThreadsafe(f.dispatcher())
		l.RunOnce()
	}); a != 0 {
		t.Errorf("off-loop style dispatch: %.1f allocs, want 0", a)
	}
	if a := testing.AllocsPerRun(1000, func() {
		r := f.AddDoneCallback(cb)
		f.Unregister(r)
	}); a != 0 {
		t.Errorf("AddDoneCallback + Unregister (inline): %.1f allocs, want 0", a)
	}
	if a := testing.AllocsPerRun(1000, func() { _, _ = f.Result() }); a != 0 {
		t.Errorf("Result on pending: %.1f allocs, want 0", a)
	}
}

func TestFutureSize(t *testing.T) {
	// Recorded in docs/notes/future.md: the size class decides the allocation.
	t.Logf("inlineSlots=%d: sizeof(Future[int]) = %d bytes, Future[struct{}] = %d",
		inlineSlots, unsafe.Sizeof(Future[int]{}), unsafe.Sizeof(Future[struct{}]{}))
}
