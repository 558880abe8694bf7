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
