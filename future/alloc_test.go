package future

import (
	"runtime"
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
	// The size class decides the allocation: 96 bytes for Future[int], class 96 (104, class 112, before the error moved to a box).
	t.Logf("inlineSlots=%d: sizeof(Future[int]) = %d bytes, Future[struct{}] = %d",
		inlineSlots, unsafe.Sizeof(Future[int]{}), unsafe.Sizeof(Future[struct{}]{}))
	if n := unsafe.Sizeof(Future[int]{}); inlineSlots == 2 && n > 96 {
		t.Errorf("sizeof(Future[int]) = %d bytes, want <= 96 (size class 96; every unpooled round trip allocates one)", n)
	}
}

// TestThunkKeepsFutureAlive: after an off-loop completion the only reference to a
// future may be the dispatch func value in the loop's queue — an interior pointer
// to the embedded thunk. The GC must keep the future alive through it: collect
// and churn the heap between completion and dispatch, then check every callback
// sees its own future's value.
func TestThunkKeepsFutureAlive(t *testing.T) {
	const n = 2000
	l := NewTestLoop()
	got := make([]int, n)
	func() {
		futs := make([]*Future[int], n)
		for i := range futs {
			f := New[int](l)
			f.AddDoneCallback(func(f *Future[int]) {
				v, err := f.Result()
				if err != nil {
					panic(err)
				}
				got[i] = v
			})
			futs[i] = f
		}
		done := make(chan struct{})
		go func() {
			for i, f := range futs {
				_ = f.SetResult(i + 1)
			}
			close(done)
		}()
		<-done
		clear(futs) // from here only the queued dispatches reference the futures
	}()
	var churn [][]byte
	for range 3 {
		runtime.GC()
		for range 1000 {
			churn = append(churn, make([]byte, 112))
		}
	}
	_ = churn
	l.RunUntilIdle()
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("future %d: callback saw %d, want %d", i, v, i+1)
		}
	}
}
