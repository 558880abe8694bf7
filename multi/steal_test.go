package multi

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringloop/ringloop/sched"
)

func newTestSteal(t *testing.T, opts ...StealOption) *StealGroup {
	t.Helper()
	g, err := NewStealGroup(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func stealShapes() []struct {
	name string
	opts []StealOption
} {
	return []struct {
		name string
		opts []StealOption
	}{
		{"loops=2/lifo=on", []StealOption{WithStealLoops(2)}},
		{"loops=2/lifo=off", []StealOption{WithStealLoops(2), WithStealLIFO(false)}},
		{"loops=4/lifo=on/cap=4", []StealOption{WithStealLoops(4), WithStealQueueCapacity(4)}},
		{"loops=3/lifo=on/locked", []StealOption{WithStealLoops(3), WithStealLockOSThread(true), WithStealPinning(false)}},
		{"loops=1", []StealOption{WithStealLoops(1)}},
	}
}

// Every submission, and every callback it spawns or yields, runs exactly
// once, from concurrent producers; Close waits for all of it.
func TestStealGroupRunsEachOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const producers, per, children = 4, 2000, 3
	for _, s := range stealShapes() {
		t.Run(s.name, func(t *testing.T) {
			g := newTestSteal(t, s.opts...)
			counts := make([]atomic.Int32, producers*per*(children+1))
			var wg sync.WaitGroup
			for p := 0; p < producers; p++ {
				wg.Add(1)
				go func(p int) {
					defer wg.Done()
					for i := 0; i < per; i++ {
						id := (p*per + i) * (children + 1)
						if err := g.Submit(func() {
							counts[id].Add(1)
							if g.Self() < 0 {
								t.Error("callback not on a group loop")
							}
							for c := 1; c <= children; c++ {
								c := c
								run := func() { counts[id+c].Add(1) }
								var err error
								if c == children {
									err = g.Yield(run)
								} else {
									err = g.Spawn(run)
								}
								if err != nil {
									t.Error(err)
								}
							}
						}); err != nil {
							t.Error(err)
						}
						if i%64 == 0 {
							runtime.Gosched()
						}
					}
				}(p)
			}
			wg.Wait()
			if err := g.Close(); err != nil {
				t.Fatal(err)
			}
			for i := range counts {
				if n := counts[i].Load(); n != 1 {
					t.Fatalf("callback %d ran %d times", i, n)
				}
			}
			st := g.Stats()
			t.Logf("%+v", st)
			if st.Ran != uint64(len(counts)) {
				t.Fatalf("Stats.Ran %d, want %d", st.Ran, len(counts))
			}
		})
	}
}

// The sleep/wake window (the protocol's S and W steps): small bursts, then
// wait until they ran, many times, alternating between submitting while the
// loops are parking and after they parked. A stranded callback fails the
// test by timeout. This runs in the shipped (non-race) build too.
func TestStealGroupBurstsNotStranded(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rounds := 3000
	if testing.Short() {
		rounds = 500
	}
	for _, s := range stealShapes()[:3] {
		t.Run(s.name, func(t *testing.T) {
			g := newTestSteal(t, s.opts...)
			all := uint64(1)<<g.Len() - 1
			var ran atomic.Int64
			want := int64(0)
			for r := 0; r < rounds; r++ {
				burst := 1 + r%3
				for k := 0; k < burst; k++ {
					if err := g.Submit(func() {
						ran.Add(1)
						if r%5 == 0 {
							_ = g.Spawn(func() { ran.Add(1) })
						}
					}); err != nil {
						t.Fatal(err)
					}
					want++
					if r%5 == 0 {
						want++
					}
				}
				deadline := time.Now().Add(5 * time.Second)
				for ran.Load() != want {
					if time.Now().After(deadline) {
						t.Fatalf("round %d: %d of %d callbacks ran: stranded (idle=%b searching=%d inject=%d)",
							r, ran.Load(), want, g.idle.Load(), g.searching.Load(), g.inject.q.Len())
					}
					runtime.Gosched()
				}
				if r%2 == 0 { // let every loop park before the next burst
					for deadline := time.Now().Add(5 * time.Second); g.idle.Load() != all; {
						if time.Now().After(deadline) {
							t.Fatalf("round %d: loops never parked (idle=%b)", r, g.idle.Load())
						}
						runtime.Gosched()
					}
				}
			}
			if err := g.Close(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d rounds, %d callbacks, %+v", rounds, want, g.Stats())
		})
	}
}

// An idle loop steals: a callback on one loop spawns children and then
// blocks; the other loop runs them meanwhile.
func TestStealGroupIdleLoopSteals(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, lifo := range []bool{true, false} {
		t.Run(fmt.Sprintf("lifo=%v", lifo), func(t *testing.T) {
			g := newTestSteal(t, WithStealLoops(2), WithStealLIFO(lifo))
			const kids = 100
			var elsewhere, done atomic.Int32
			release := make(chan struct{})
			spawner := make(chan int, 1)
			if err := g.Submit(func() {
				me := g.Self()
				spawner <- me
				for i := 0; i < kids; i++ {
					_ = g.Spawn(func() {
						if g.Self() != me {
							elsewhere.Add(1)
						}
						done.Add(1)
					})
				}
				<-release // blocked: only a thief can run the children now
			}); err != nil {
				t.Fatal(err)
			}
			<-spawner
			// With the LIFO slot, the last child waits for its own loop.
			stealable := int32(kids)
			if lifo {
				stealable--
			}
			deadline := time.Now().Add(10 * time.Second)
			for done.Load() < stealable {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d children ran while their loop was blocked", done.Load(), stealable)
				}
				time.Sleep(time.Millisecond)
			}
			close(release)
			if err := g.Close(); err != nil {
				t.Fatal(err)
			}
			if done.Load() != kids || elsewhere.Load() < stealable {
				t.Fatalf("done %d (want %d), on the other loop %d (want >= %d)", done.Load(), kids, elsewhere.Load(), stealable)
			}
			if g.Stats().Steals == 0 {
				t.Fatal("no steal counted")
			}
		})
	}
}

// A callback that reschedules itself forever on every loop does not starve
// submissions from outside: each runs within a bound.
func TestStealGroupSelfReschedulingDoesNotStarve(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, lifo := range []bool{true, false} {
		t.Run(fmt.Sprintf("lifo=%v", lifo), func(t *testing.T) {
			g := newTestSteal(t, WithStealLoops(2), WithStealLIFO(lifo))
			var stop atomic.Bool
			var spin func()
			spin = func() {
				if !stop.Load() {
					_ = g.Spawn(spin)
				}
			}
			for i := 0; i < g.Len(); i++ {
				_ = g.Submit(spin)
			}
			// The submitter needs a CPU too: with as many busy loops as Ps it
			// runs when the Go scheduler preempts one (every 10 ms), so keep
			// the count small; the bound checked is starvation, not latency.
			for i := 0; i < 20; i++ {
				ch := make(chan struct{})
				t0 := time.Now()
				_ = g.Submit(func() { close(ch) })
				select {
				case <-ch:
				case <-time.After(5 * time.Second):
					t.Fatalf("submission %d starved for %v", i, time.Since(t0))
				}
			}
			stop.Store(true)
			if err := g.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func stealCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// An idle steal group costs under 1% of a core over two seconds, after it
// has been busy (its searchers must park).
func TestStealGroupIdleCPU(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestSteal(t)
	var wg sync.WaitGroup
	for i := 0; i < 10000; i++ {
		wg.Add(1)
		_ = g.Submit(func() { _ = g.Spawn(wg.Done) })
	}
	wg.Wait()
	all := uint64(1)<<g.Len() - 1
	for deadline := time.Now().Add(5 * time.Second); g.idle.Load() != all; {
		if time.Now().After(deadline) {
			t.Fatalf("loops never parked (idle=%b)", g.idle.Load())
		}
		time.Sleep(time.Millisecond)
	}
	runtime.GC()
	c0, w0 := stealCPUTime(), time.Now()
	time.Sleep(2 * time.Second)
	c1, w1 := stealCPUTime(), time.Now()
	pct := 100 * float64(c1-c0) / float64(w1.Sub(w0))
	t.Logf("idle steal group (%d loops): %.3f%% of a core (%v over %v)", g.Len(), pct, c1-c0, w1.Sub(w0).Round(time.Millisecond))
	if pct >= 1 {
		t.Errorf("idle steal group used %.2f%% of a core, want < 1%%", pct)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}

// Close under concurrent submitters: every accepted submission (and its
// spawn) runs once; the rest get ErrGroupClosed.
func TestStealGroupCloseUnderConcurrentSubmitters(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for r := 0; r < 20; r++ {
		g := newTestSteal(t, WithStealLoops(2), WithStealQueueCapacity(8))
		var accepted, ran atomic.Int64
		var wg sync.WaitGroup
		for p := 0; p < 4; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					err := g.Submit(func() {
						ran.Add(1)
						_ = g.Spawn(func() { ran.Add(1) })
					})
					if errors.Is(err, ErrGroupClosed) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					accepted.Add(2)
				}
			}()
		}
		time.Sleep(time.Millisecond)
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if ran.Load() != accepted.Load() {
			t.Fatalf("round %d: accepted %d, ran %d", r, accepted.Load(), ran.Load())
		}
		if err := g.Submit(func() {}); !errors.Is(err, ErrGroupClosed) {
			t.Fatalf("Submit after Close: %v", err)
		}
	}
}

// A panicking callback is reported by its loop; the rest still run.
func TestStealGroupPanicDoesNotStrand(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var reported atomic.Int32
	g := newTestSteal(t, WithStealLoops(2),
		WithStealLoopOptions(sched.WithExceptionHandler(func(sched.ExceptionContext) { reported.Add(1) })))
	var ran atomic.Int32
	for i := 0; i < 100; i++ {
		i := i
		_ = g.Submit(func() {
			if i%10 == 0 {
				panic("boom")
			}
			ran.Add(1)
		})
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 90 || reported.Load() != 10 {
		t.Fatalf("ran %d (want 90), reported %d (want 10)", ran.Load(), reported.Load())
	}
}

func TestStealGroupCloseFromOwnLoopIsError(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestSteal(t, WithStealLoops(2))
	errc := make(chan error, 1)
	_ = g.Submit(func() { errc <- g.Close() })
	if err := <-errc; err == nil || !containsStr(err.Error(), "wait on itself") {
		t.Fatalf("Close from a loop: %v", err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestStealGroupOptionsRejectBadValues(t *testing.T) {
	for _, c := range []struct {
		opt  StealOption
		want string
	}{
		{WithStealLoops(0), "WithStealLoops(0): want 1..64"},
		{WithStealLoops(65), "WithStealLoops(65)"},
		{WithStealQueueCapacity(3), "WithStealQueueCapacity(3): want a power of two in [2, 65536]"},
		{WithStealQueueCapacity(1 << 17), "131072"},
		{WithStealBatch(0), "WithStealBatch(0): want >= 1"},
	} {
		if _, err := NewStealGroup(c.opt); err == nil || !containsStr(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
}

// Submit and Spawn allocate nothing once the queues have grown.
func TestStealGroupZeroAllocs(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestSteal(t, WithStealLoops(2))
	var wg sync.WaitGroup
	done := wg.Done
	spawnDone := func() { _ = g.Spawn(done) }
	for i := 0; i < 4096; i++ { // grow inject
		wg.Add(1)
		_ = g.Submit(spawnDone)
	}
	wg.Wait()
	if n := testing.AllocsPerRun(200, func() {
		wg.Add(1)
		_ = g.Submit(spawnDone)
		wg.Wait()
	}); n != 0 {
		t.Fatalf("Submit+Spawn: %v allocations per run, want 0", n)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}
