package sched

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// Timer semantics in fake time: the chan wakeup blocks durably, so the bubble's
// clock jumps straight to the next timer and nothing here can flake.
func TestTimersOrderFIFONeverEarlySynctest(t *testing.T) {
	for _, w := range []string{"chan", "chan-yield"} {
		t.Run("wakeup="+w, func(t *testing.T) { testTimersSynctest(t, w) })
	}
}

func testTimersSynctest(t *testing.T, wakeup string) {
	synctest.Test(t, func(t *testing.T) {
		l, err := New(WithWakeup(wakeup))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		type fired struct {
			id   int
			when time.Duration
			at   time.Duration
		}
		var got []fired
		var handles []*TimerHandle
		r := rand.New(rand.NewPCG(1, 2))
		const n = 500
		for i := 0; i < n; i++ {
			d := time.Duration(r.IntN(20)) * time.Millisecond // many equal whens
			var th *TimerHandle
			th, _ = l.CallLater(d, func() { got = append(got, fired{i, th.When(), l.Time()}) })
			handles = append(handles, th)
		}
		cancelled := map[int]bool{}
		for i := 0; i < n; i += 7 {
			handles[i].Cancel()
			cancelled[i] = true
		}
		// A timer in the past runs in the first iteration, after what was ready.
		var order []string
		l.Post(func() { order = append(order, "soon") })
		l.CallAt(-time.Hour, func() { order = append(order, "past") })
		// A far timer on an otherwise idle loop: fake time jumps an hour.
		l.CallLater(time.Hour, l.Stop)
		start := time.Now()
		if err := l.RunForever(); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el != time.Hour {
			t.Fatalf("fake clock advanced %v, want exactly 1h", el)
		}
		if len(got) != n-len(cancelled) {
			t.Fatalf("%d timers fired, want %d", len(got), n-len(cancelled))
		}
		for i, f := range got {
			if cancelled[f.id] {
				t.Fatalf("cancelled timer %d fired", f.id)
			}
			if f.at < f.when {
				t.Fatalf("timer %d fired early: at %v, when %v", f.id, f.at, f.when)
			}
			if f.at != f.when {
				t.Fatalf("timer %d fired at %v, want exactly %v in fake time", f.id, f.at, f.when)
			}
			if i > 0 {
				p := got[i-1]
				if p.when > f.when || (p.when == f.when && p.id > f.id) {
					t.Fatalf("timers out of order: %d (when %v) before %d (when %v)", p.id, p.when, f.id, f.when)
				}
			}
		}
		if !slices.Equal(order, []string{"soon", "past"}) {
			t.Fatalf("order %v, want [soon past]", order)
		}
	})
}

// A thread-safe submit wakes a loop sleeping on a timer before the timer is due.
func TestThreadsafeBeatsTimerSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, _ := New() // the default wakeup (chan-yield) blocks durably too
		defer l.Close()
		var at time.Duration
		l.CallLater(time.Hour, func() { t.Error("the hour timer fired") })
		go func() {
			time.Sleep(time.Second)
			l.PostThreadsafe(func() { at = l.Time(); l.Stop() })
		}()
		if err := l.RunForever(); err != nil {
			t.Fatal(err)
		}
		if at != time.Second {
			t.Fatalf("woken at %v, want 1s", at)
		}
	})
}

// In real time, with every wakeup variant: never early on the loop clock.
func TestTimersNeverEarlyRealClock(t *testing.T) {
	for _, w := range WakeupVariants() {
		t.Run("wakeup="+w, func(t *testing.T) {
			l := newLoop(t, WithWakeup(w))
			r := rand.New(rand.NewPCG(3, 4))
			const n = 200
			left := n
			for i := 0; i < n; i++ {
				var th *TimerHandle
				th, _ = l.CallLater(time.Duration(r.IntN(3000))*time.Microsecond, func() {
					if now := l.Time(); now < th.When() {
						t.Errorf("timer fired %v early", th.When()-now)
					}
					if left--; left == 0 {
						l.Stop()
					}
				})
			}
			wait := runAsync(t, l)
			if err := wait(10 * time.Second); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// asyncio's rule: purge when more than half of more than 100 timers are cancelled.
func TestCancelledTimersPurgeThreshold(t *testing.T) {
	for _, c := range []struct {
		cancel    int
		wantAfter int
	}{{40, 100}, {60, 40}} {
		l := newLoop(t)
		var hs []*TimerHandle
		var after int
		l.Post(func() {
			for i := 0; i < 100; i++ {
				h, _ := l.CallLater(time.Hour+time.Duration(i), func() {})
				hs = append(hs, h)
			}
			// Cancel the latest ones: cancelled timers at the top are dropped anyway.
			for _, h := range hs[100-c.cancel:] {
				h.Cancel()
			}
			l.Post(func() { after = l.timers.len(); l.Stop() })
		})
		l.CallLater(time.Hour+time.Minute, func() {}) // 101st timer, never cancelled
		if err := l.RunForever(); err != nil {
			t.Fatal(err)
		}
		if after != c.wantAfter+1 {
			t.Errorf("%d of 101 cancelled: heap holds %d after an iteration, want %d", c.cancel, after, c.wantAfter+1)
		}
	}
}

// A million cancelled timers do not stay in memory.
func TestMillionCancelledTimersMemory(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	l := newLoop(t)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peakLen, afterLen int
	var peakHeap uint64
	l.Post(func() {
		for i := 0; i < n; i++ {
			h, _ := l.CallLater(time.Hour+time.Duration(i), func() {})
			if i >= 10 {
				h.Cancel()
			}
		}
		peakLen = l.timers.len()
		runtime.ReadMemStats(&ms)
		peakHeap = ms.HeapAlloc
		l.Post(func() { afterLen = l.timers.len(); l.Stop() })
	})
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	grown := int64(ms.HeapAlloc) - int64(base)
	t.Logf("n=%d: heap %d entries / %.1f MB before the purge, %d entries / %.2f MB after",
		n, peakLen, float64(peakHeap-base)/1e6, afterLen, float64(grown)/1e6)
	if peakLen != n {
		t.Fatalf("heap held %d timers before the iteration, want %d (the test would not test the purge)", peakLen, n)
	}
	if afterLen != 10 {
		t.Fatalf("heap holds %d timers after the purge, want the 10 live ones", afterLen)
	}
	if limit := int64(n) * 4; grown > limit { // ~96 bytes/timer live before the purge
		t.Fatalf("heap grew %d bytes after the purge, want < %d (4 B per cancelled timer)", grown, limit)
	}
}
