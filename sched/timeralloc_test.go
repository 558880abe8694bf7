package sched

import (
	"runtime"
	"testing"
	"time"
	"weak"
)

// Handles from slabs: each CallLater gets its own handle, with its own when,
// state and callback, across several slab refills.
func TestTimerHandlesDistinctAcrossSlabs(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const n = 3*timerSlabSize + 5
	ran := make([]int, n)
	hs := make([]*TimerHandle, n)
	seen := map[*TimerHandle]bool{}
	for i := range n {
		h, err := l.CallAt(time.Duration(n-i)*time.Nanosecond-time.Hour, func() { ran[i]++ })
		if err != nil {
			t.Fatal(err)
		}
		if seen[h] {
			t.Fatalf("handle %d handed out twice", i)
		}
		seen[h] = true
		hs[i] = h
	}
	for i := 0; i < n; i += 3 {
		hs[i].Cancel()
	}
	l.CallLater(0, l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	for i, h := range hs {
		if want := time.Duration(n-i)*time.Nanosecond - time.Hour; h.When() != want {
			t.Fatalf("handle %d: When() = %v, want %v", i, h.When(), want)
		}
		want := 1
		if i%3 == 0 {
			want = 0
		}
		if ran[i] != want || h.Cancelled() != (want == 0) {
			t.Fatalf("handle %d: ran %d times, Cancelled() = %v; want %d runs", i, ran[i], h.Cancelled(), want)
		}
	}
}

// A retained handle keeps its slab alive, but not the callbacks of its siblings
// (nor its own) once they ran or were cancelled.
func TestTimerCallbacksReleased(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type big struct{ b [1 << 16]byte }
	var wps []weak.Pointer[big]
	var keep []*TimerHandle
	runs := 0
	for i := range 4 {
		p := &big{}
		wps = append(wps, weak.Make(p))
		d := time.Duration(0)
		if i >= 2 {
			d = time.Hour // cancelled below: dropped when purged or popped
		}
		h, _ := l.CallLater(d, func() { p.b[0]++; runs++ })
		keep = append(keep, h)
	}
	keep[2].Cancel()
	keep[3].Cancel()
	// The cancelled hour-away timers reach the top once the due ones are popped
	// (step 1 drops cancelled timers at the top), and the fired ones are released
	// by the iteration after they ran.
	iters := 0
	var tick func()
	tick = func() {
		if iters++; iters == 3 {
			l.Stop()
			return
		}
		l.Post(tick)
	}
	l.Post(tick)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Fatalf("%d callbacks ran, want 2", runs)
	}
	runtime.GC()
	runtime.GC()
	for i, wp := range wps {
		if wp.Value() != nil {
			t.Errorf("callback %d still reachable through its retained handle", i)
		}
	}
	runtime.KeepAlive(keep)
}

// Cancels from another goroutine race the loop firing the same timers, across
// slab boundaries: every timer runs at most once, a timer whose Cancel won never
// runs, the rest all run, and the purge count returns to zero. Under -race this
// also checks that releasing callbacks (fn = nil on the loop) races with nothing.
func TestTimerCancelRacesFiring(t *testing.T) {
	l := newLoop(t)
	const n = 20 * timerSlabSize
	runs := make([]int, n)
	hs := make([]*TimerHandle, n)
	for i := range n { // due over 1.3 ms, one per microsecond
		hs[i], _ = l.CallLater(time.Duration(i)*time.Microsecond, func() { runs[i]++ })
	}
	// The canceller starts with the loop and walks from the last timer down while
	// the loop fires from the first one up: the early cancels win, the late lose.
	done := make(chan struct{})
	l.Post(func() {
		go func() {
			defer close(done)
			for i := n - 1; i >= 0; i -= 2 {
				hs[i].Cancel()
				runtime.Gosched()
			}
		}()
	})
	var check func()
	check = func() {
		select {
		case <-done:
			if l.timers.len() == 0 {
				l.Stop()
				return
			}
		default:
		}
		l.CallLater(20*time.Microsecond, check)
	}
	l.Post(check)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	// One more run drains the inbox (off-loop cancels hand their count to the loop).
	l.Post(l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	for i, h := range hs {
		switch {
		case runs[i] > 1:
			t.Fatalf("timer %d ran %d times", i, runs[i])
		case runs[i] == 0 && !h.Cancelled():
			t.Fatalf("timer %d neither ran nor was cancelled", i)
		case runs[i] == 0 && h.state.Load() != handleCancelled:
			t.Fatalf("timer %d did not run, state %d", i, h.state.Load())
		case i%2 == 0 && runs[i] == 0: // the canceller takes the odd ones (n is even)
			t.Fatalf("timer %d was never cancelled but did not run", i)
		}
	}
	won := 0
	for i := 1; i < n; i += 2 {
		if runs[i] == 0 {
			won++
		}
	}
	t.Logf("cancels that won: %d of %d", won, n/2)
	if l.timersCancelled != 0 || l.timers.len() != 0 {
		t.Fatalf("after draining: %d timers queued, timersCancelled = %d; want 0, 0", l.timers.len(), l.timersCancelled)
	}
}

// A timer that fires in the loop's last iteration (here, the one that stops it)
// is released when RunForever returns, not only by a next iteration that a
// stopped loop may never run.
func TestTimerCallbackReleasedAtStop(t *testing.T) {
	l := newLoop(t)
	type big struct{ b [1 << 16]byte }
	p := &big{}
	wp := weak.Make(p)
	h, err := l.CallLater(0, func() { p.b[0]++; l.Stop() })
	if err != nil {
		t.Fatal(err)
	}
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	if wp.Value() != nil {
		t.Error("the last iteration's fired callback is still reachable through its retained handle")
	}
	runtime.KeepAlive(h)
}
