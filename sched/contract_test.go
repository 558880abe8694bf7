package sched

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// One contract, every inbox x wakeup variant (and tiny capacities for the bounded
// inboxes, so the full-inbox paths run): every accepted submit runs exactly once,
// each producer's submits run in its order, cancelled handles never run, the
// loop's own thread-safe submits keep their order even when the inbox is full,
// timers and Stop work, and Close leaves nothing running.
func TestContractAllVariants(t *testing.T) {
	eachVariant(t, func(t *testing.T, opts ...Option) {
		for _, capacity := range []int{4, 1 << 16} {
			testContract(t, append(opts, WithInboxCapacity(capacity), WithDrainBatch(capacity*2))...)
		}
	})
}

func testContract(t *testing.T, opts ...Option) {
	const producers, per = 4, 5000
	l := newLoop(t, opts...)
	wait := runAsync(t, l)
	waitSleeping(t, l) // bounded inboxes refuse (ErrInboxFull) before the loop runs

	last := make([]int, producers) // loop-owned
	var dup, reorder, total int
	var cancelMu sync.Mutex
	type probe struct {
		h   *Handle
		ran *bool
	}
	var probes []probe
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= per; i++ {
				fn := func() {
					switch {
					case i == last[p]:
						dup++
					case i != last[p]+1:
						reorder++
					}
					last[p] = i
					total++
				}
				var err error
				if i%2 == 0 {
					err = l.PostThreadsafe(fn)
				} else {
					_, err = l.CallSoonThreadsafe(fn)
				}
				if err != nil {
					t.Error(err)
					return
				}
				if i%100 == 0 {
					ran := new(bool)
					h, _ := l.CallSoonThreadsafe(func() { *ran = true })
					h.Cancel() // races with the loop: exactly one of the two wins
					cancelMu.Lock()
					probes = append(probes, probe{h, ran})
					cancelMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()

	// The loop submits to itself thread-safely, past a bounded inbox's capacity
	// (it goes straight to ready, like asyncio's call_soon_threadsafe).
	selfDone := make(chan []int, 1)
	l.PostThreadsafe(func() {
		var got []int
		for i := 0; i < 50; i++ {
			l.PostThreadsafe(func() { got = append(got, i) })
		}
		l.PostThreadsafe(func() { selfDone <- got }) // after the 50: per-producer FIFO
	})
	select {
	case got := <-selfDone:
		for i, v := range got {
			if v != i {
				t.Fatalf("loop's own thread-safe submits out of order: %v", got)
			}
		}
		if len(got) != 50 {
			t.Fatalf("loop's own thread-safe submits: %d of 50 ran", len(got))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("self-submits never completed")
	}
	l.PostThreadsafe(l.Stop)
	if err := wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if total != producers*per || dup != 0 || reorder != 0 {
		t.Fatalf("ran %d of %d, %d duplicated, %d out of producer order",
			total, producers*per, dup, reorder)
	}
	for _, p := range probes {
		// Cancel raced with the run: if it won, the callback never ran; if it lost,
		// the handle ran and (asyncio) still reports Cancelled() after the Cancel.
		if !p.h.Cancelled() {
			t.Fatalf("Cancelled() = false after Cancel (ran=%v)", *p.ran)
		}
		if *p.ran && p.h.state.Load() != handleRanCancelled {
			t.Fatalf("a cancelled handle ran (state %d)", p.h.state.Load())
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.PostThreadsafe(func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("PostThreadsafe after Close = %v", err)
	}
}

// A bounded inbox that fills before the loop runs says so instead of blocking.
func TestBoundedInboxFullBeforeRun(t *testing.T) {
	for _, in := range []string{"chan", "xsync"} {
		l := newLoop(t, WithInbox(in), WithInboxCapacity(2))
		var err error
		for i := 0; i < 3 && err == nil; i++ {
			err = l.PostThreadsafe(func() {})
		}
		if !errors.Is(err, ErrInboxFull) {
			t.Errorf("inbox=%s: third submit into capacity 2 = %v, want ErrInboxFull", in, err)
		}
	}
}

// The fire-and-forget forms allocate nothing, for every inbox, once warm;
// CallSoonThreadsafe allocates only its Handle.
func TestPostZeroAlloc(t *testing.T) {
	fn := func() {}
	for _, in := range InboxVariants() {
		t.Run("inbox="+in, func(t *testing.T) {
			l := newLoop(t, WithInbox(in))
			// Warm up: grow ready and the inbox to their steady-state sizes.
			for i := 0; i < 4096; i++ {
				l.Post(fn)
				l.PostThreadsafe(fn)
			}
			l.Stop()
			l.RunForever()
			if a := testing.AllocsPerRun(1000, func() { l.Post(fn) }); a != 0 {
				t.Errorf("Post: %v allocs/op", a)
			}
			if a := testing.AllocsPerRun(1000, func() { l.PostThreadsafe(fn) }); a != 0 {
				t.Errorf("PostThreadsafe: %v allocs/op", a)
			}
			// The Handle the caller gets back is the only allocation.
			if a := testing.AllocsPerRun(1000, func() { l.CallSoonThreadsafe(fn) }); a != 1 {
				t.Errorf("CallSoonThreadsafe: %v allocs/op, want 1 (the Handle)", a)
			}
			l.Stop()
			l.RunForever()
		})
	}
}
