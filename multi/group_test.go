package multi

import (
	"errors"
	"fmt"
	"github.com/ringloop/ringloop/sched"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringloop/ringloop/ringbuf"
)

func newTestGroup(t *testing.T, opts ...GroupOption) *Group {
	t.Helper()
	g, err := NewGroup(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// waitFor polls cond for up to 10 s (a failing test fails, it does not hang).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Every submission runs exactly once, on the loop its route picked, with
// RunningLoop answering that loop from inside the callback.
func TestGroupSubmitRunsOnceOnPickedLoop(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, r := range []Route{RouteKey, RouteRoundRobin, RouteLeastLoaded} {
		t.Run("route="+r.String(), func(t *testing.T) {
			g := newTestGroup(t, WithGroupLoops(3))
			const producers, per = 4, 2000
			ran := make([]atomic.Int32, producers*per)
			var wrong atomic.Int32
			var firstWrong atomic.Value
			perLoop := make([]atomic.Int64, g.Len())
			var wg sync.WaitGroup
			for p := 0; p < producers; p++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < per; i++ {
						id := p*per + i
						var picked atomic.Int64
						picked.Store(-1)
						fn := func() {
							want := int(picked.Load())
							for want < 0 { // Submit returns the index after the push: rare spin
								want = int(picked.Load())
							}
							l, err := sched.RunningLoop()
							if err != nil || l != g.Loop(want) || !g.Loop(want).InLoop() {
								if wrong.Add(1) == 1 {
									firstWrong.Store(fmt.Sprintf("id %d: want loop %d, RunningLoop %p err %v", id, want, l, err))
								}
							}
							ran[id].Add(1)
							perLoop[want].Add(1)
						}
						idx, err := g.Submit(r, uint64(id), fn)
						if err != nil {
							t.Errorf("Submit: %v", err)
							return
						}
						if r == RouteKey && idx != g.KeyIndex(uint64(id)) {
							t.Errorf("key %d: Submit picked %d, KeyIndex says %d", id, idx, g.KeyIndex(uint64(id)))
						}
						picked.Store(int64(idx))
					}
				}()
			}
			wg.Wait()
			if err := g.Close(); err != nil {
				t.Fatal(err)
			}
			if n := wrong.Load(); n != 0 {
				t.Errorf("%d callbacks ran off their picked loop; first: %v", n, firstWrong.Load())
			}
			for id := range ran {
				if c := ran[id].Load(); c != 1 {
					t.Fatalf("submission %d ran %d times, want 1", id, c)
				}
			}
			for i := range perLoop {
				if perLoop[i].Load() == 0 {
					t.Errorf("loop %d got no submissions out of %d with route %v", i, producers*per, r)
				}
			}
		})
	}
}

func TestGroupKeyIndexStableAndSpread(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestGroup(t, WithGroupLoops(4), WithGroupPinning(false))
	defer g.Close()
	counts := make([]int, g.Len())
	const keys = 100000
	for k := uint64(0); k < keys; k++ {
		i := g.KeyIndex(k)
		if i != g.KeyIndex(k) || i != g.Pick(RouteKey, k) {
			t.Fatalf("key %d: index not stable", k)
		}
		counts[i]++
	}
	for i, c := range counts {
		if c < keys/4*9/10 || c > keys/4*11/10 {
			t.Errorf("loop %d owns %d of %d sequential keys, want within 10%% of %d", i, c, keys, keys/4)
		}
	}
	// String keys: same string, same loop.
	var a, b atomic.Int64
	a.Store(-1)
	b.Store(-2)
	done := make(chan struct{}, 2)
	record := func(dst *atomic.Int64) func() {
		return func() {
			for i := 0; i < g.Len(); i++ {
				if g.Loop(i).InLoop() {
					dst.Store(int64(i))
				}
			}
			done <- struct{}{}
		}
	}
	if err := g.SubmitString("user-42", record(&a)); err != nil {
		t.Fatal(err)
	}
	if err := g.SubmitString("user-42", record(&b)); err != nil {
		t.Fatal(err)
	}
	<-done
	<-done
	if a.Load() != b.Load() {
		t.Errorf("SubmitString(\"user-42\") ran on loops %d and %d", a.Load(), b.Load())
	}
}

func TestGroupRoundRobinCycles(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestGroup(t, WithGroupLoops(3), WithGroupPinning(false))
	defer g.Close()
	for i := 0; i < 9; i++ {
		if got := g.Pick(RouteRoundRobin, 0); got != i%3 {
			t.Fatalf("pick %d: loop %d, want %d", i, got, i%3)
		}
	}
}

// With loop 0 blocked and its queue long, least-loaded picks loop 1 every time
// (with two loops, the two choices are always both loops).
func TestGroupLeastLoadedAvoidsLongQueue(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestGroup(t, WithGroupLoops(2), WithGroupPinning(false))
	release := make(chan struct{})
	var ran atomic.Int64
	if err := g.SubmitTo(0, func() { <-release }); err != nil {
		t.Fatal(err)
	}
	// Loop 0 holds 10000 queued; 1000 least-loaded submissions can never make
	// loop 1's queue as long, however slowly loop 1 drains.
	for i := 0; i < 10000; i++ {
		if err := g.SubmitTo(0, func() { ran.Add(1) }); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 1000; i++ {
		idx, err := g.Submit(RouteLeastLoaded, 0, func() { ran.Add(1) })
		if err != nil {
			t.Fatal(err)
		}
		if idx != 1 {
			close(release)
			g.Close()
			t.Fatalf("submit %d: least-loaded picked loop %d whose queue holds ~10000, want loop 1", i, idx)
		}
	}
	close(release)
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 11000 {
		t.Errorf("ran %d, want 11000", ran.Load())
	}
}

// Close under concurrent submitters: every accepted submission ran, every
// rejected one got ErrGroupClosed (and sched.ErrClosed), nothing ran twice.
func TestGroupCloseUnderConcurrentSubmitters(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rounds := 5
	if testing.Short() {
		rounds = 2
	}
	for round := 0; round < rounds; round++ {
		g := newTestGroup(t, WithGroupLoops(2), WithGroupDrainBatch(64))
		const producers = 4
		var accepted, ran atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for p := 0; p < producers; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				fn := func() { ran.Add(1) }
				for i := 0; ; i++ {
					_, err := g.Submit(Route(i%3), uint64(i), fn)
					if err != nil {
						if !errors.Is(err, ErrGroupClosed) || !errors.Is(err, sched.ErrClosed) {
							t.Errorf("Submit after Close: %v, want ErrGroupClosed (and sched.ErrClosed)", err)
						}
						return
					}
					accepted.Add(1)
				}
			}()
		}
		close(start)
		time.Sleep(time.Duration(5+5*round) * time.Millisecond)
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if accepted.Load() == 0 {
			t.Fatalf("round %d: no submission accepted before Close", round)
		}
		if ran.Load() != accepted.Load() {
			t.Fatalf("round %d: %d accepted, %d ran", round, accepted.Load(), ran.Load())
		}
		if err := g.SubmitTo(0, func() {}); !errors.Is(err, ErrGroupClosed) {
			t.Errorf("SubmitTo after Close: %v, want ErrGroupClosed", err)
		}
		if err := g.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
}

// Loop-to-loop messages: in order, exactly once, on the destination loop; a full
// ring says ErrFull instead of losing or blocking; only loop `from` may send.
func TestGroupSendOrderedOverSPSC(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestGroup(t, WithGroupLoops(2), WithGroupRingCapacity(64), WithGroupPinning(false))
	const total = 20000
	var got []int // loop 1 only
	var bad, fulls atomic.Int64
	done := make(chan struct{})
	next := 0
	var pump func()
	pump = func() { // runs on loop 0
		if self := g.Self(); self != 0 {
			t.Errorf("Self() on loop 0 = %d", self)
		}
		for next < total {
			v := next
			err := g.Send(0, 1, func() {
				if !g.Loop(1).InLoop() {
					bad.Add(1)
				}
				got = append(got, v)
				if v == total-1 {
					close(done)
				}
			})
			if errors.Is(err, ringbuf.ErrFull) {
				fulls.Add(1)
				_ = g.Loop(0).Post(pump) // back off one iteration
				return
			}
			if err != nil {
				t.Errorf("Send: %v", err)
				return
			}
			next++
		}
	}
	if err := g.SubmitTo(0, pump); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("timed out: messages lost")
	}
	if self := g.Self(); self != -1 {
		t.Errorf("Self() off the group = %d, want -1", self)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Send from a goroutine that is not loop 0 did not panic")
			}
		}()
		_ = g.Send(0, 1, func() {})
	}()
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if bad.Load() != 0 {
		t.Errorf("%d messages ran off loop 1", bad.Load())
	}
	if len(got) != total {
		t.Fatalf("loop 1 ran %d messages, want %d", len(got), total)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("message %d is %d: out of order", i, v)
		}
	}
	t.Logf("ring full %d times (capacity 64)", fulls.Load())
}

// Messages sent before Close run even when their drain had not been reached.
func TestGroupCloseRunsAcceptedSends(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for round := 0; round < 20; round++ {
		g := newTestGroup(t, WithGroupLoops(2), WithGroupPinning(false))
		var sent, ran atomic.Int64
		sentAll := make(chan struct{})
		if err := g.SubmitTo(0, func() {
			for i := 0; i < 500; i++ {
				if err := g.Send(0, 1, func() { ran.Add(1) }); err == nil {
					sent.Add(1)
				}
			}
			close(sentAll)
		}); err != nil {
			t.Fatal(err)
		}
		<-sentAll
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		if sent.Load() == 0 || ran.Load() != sent.Load() {
			t.Fatalf("round %d: sent %d, ran %d", round, sent.Load(), ran.Load())
		}
	}
}

// A submission that panics is reported to the loop's handler; the ones queued
// behind it in the same drain still run.
func TestGroupPanicDoesNotStrandQueue(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var reports atomic.Int64
	h := func(ctx sched.ExceptionContext) {
		if errors.Is(ctx.Err, sched.ErrPanic) {
			reports.Add(1)
		}
	}
	g := newTestGroup(t, WithGroupLoops(1), WithGroupDrainBatch(8), WithGroupPinning(false),
		WithGroupLoopOptions(sched.WithExceptionHandler(h)))
	release := make(chan struct{})
	var ran atomic.Int64
	_ = g.SubmitTo(0, func() { <-release }) // hold the loop so the rest queue up behind
	_ = g.SubmitTo(0, func() { panic("boom") })
	for i := 0; i < 100; i++ {
		_ = g.SubmitTo(0, func() { ran.Add(1) })
	}
	close(release)
	waitFor(t, "queued submissions after a panic", func() bool { return ran.Load() == 100 })
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if reports.Load() != 1 {
		t.Errorf("handler saw %d panics, want 1", reports.Load())
	}
}

func TestGroupCloseFromOwnLoopIsError(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestGroup(t, WithGroupLoops(2), WithGroupPinning(false))
	errc := make(chan error, 1)
	_ = g.SubmitTo(1, func() { errc <- g.Close() })
	if err := <-errc; !errors.Is(err, sched.ErrRunning) {
		t.Errorf("Close from a group loop: %v, want an error wrapping sched.ErrRunning", err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestGroupOptionsRejectBadValues(t *testing.T) {
	for _, c := range []struct {
		opt  GroupOption
		want string
	}{
		{WithGroupLoops(0), "WithGroupLoops(0)"},
		{WithGroupCPUs(), "WithGroupCPUs()"},
		{WithGroupCPUs(-1), "CPU -1"},
		{WithGroupCPUs(maxCPU), fmt.Sprintf("CPU %d", maxCPU)},
		{WithGroupRingCapacity(0), "WithGroupRingCapacity(0)"},
		{WithGroupDrainBatch(0), "WithGroupDrainBatch(0)"},
		{WithGroupLoopOptions(sched.WithInbox("nope")), `"nope"`},
	} {
		g, err := NewGroup(c.opt)
		if err == nil {
			g.Close()
			t.Errorf("%s: accepted", c.want)
			continue
		}
		if !containsStr(err.Error(), c.want) {
			t.Errorf("error %q does not name %s", err, c.want)
		}
	}
	if _, err := ParseRoute("fastest"); err == nil || !containsStr(err.Error(), "fastest") {
		t.Errorf("ParseRoute(fastest): %v", err)
	}
	for i, n := range Routes() {
		if r, err := ParseRoute(n); err != nil || r != Route(i) || r.String() != n {
			t.Errorf("ParseRoute(%q) = %v, %v", n, r, err)
		}
	}
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// A drain batch of 1 still runs everything (the drain re-posts itself).
func TestGroupTinyDrainBatch(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestGroup(t, WithGroupLoops(2), WithGroupDrainBatch(1), WithGroupPinning(false))
	var ran atomic.Int64
	for i := 0; i < 5000; i++ {
		if err := g.SubmitRoundRobin(func() { ran.Add(1) }); err != nil {
			t.Fatal(err)
		}
		if err := g.SubmitLeastLoaded(func() { ran.Add(1) }); err != nil {
			t.Fatal(err)
		}
		if err := g.SubmitKey(uint64(i), func() { ran.Add(1) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 15000 {
		t.Errorf("ran %d, want 15000", ran.Load())
	}
}

// Unlocked loops: no pinning (CPU reports -1), no pin errors, work still runs.
func TestGroupUnlocked(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestGroup(t, WithGroupLoops(2), WithGroupLockOSThread(false), WithGroupCPUs(maxCPU-1))
	var ran atomic.Int64
	for i := 0; i < 1000; i++ {
		if _, err := g.Submit(RouteLeastLoaded, 0, func() { ran.Add(1) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 1000 {
		t.Errorf("ran %d, want 1000", ran.Load())
	}
	if g.CPU(0) != -1 || g.CPU(1) != -1 || len(g.PinErrors()) != 0 {
		t.Errorf("unlocked group: CPU = %d, %d, PinErrors %v; want -1, -1, none", g.CPU(0), g.CPU(1), g.PinErrors())
	}
}

// Submitters that keep retrying after ErrGroupClosed cannot hold Close off.
func TestGroupCloseWithRetryingSubmitters(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestGroup(t, WithGroupLoops(2), WithGroupPinning(false))
	var accepted, ran atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := g.Submit(RouteRoundRobin, 0, func() { ran.Add(1) }); err == nil {
					accepted.Add(1)
				}
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- g.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return while submitters retried")
	}
	close(stop)
	wg.Wait()
	if ran.Load() != accepted.Load() {
		t.Errorf("%d accepted, %d ran", accepted.Load(), ran.Load())
	}
}
