package multi

// Stress tests of the Group's publish-then-check handshakes on the build that
// ships (docs/protocols.md): submissions (kickIn/drainIn), loop-to-loop
// messages (kickRings/drainRings) and Close's stop marker. Each repeats small
// bursts and waits for every item to run, so a lost wakeup leaves an item
// stranded and the test names it. RINGLOOP_STRESS=30s runs each longer (.ci/run
// does, without -race); RINGLOOP_STRESS_KEEPGOING=1 counts strandings instead
// of stopping at the first.

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringloop/ringloop/internal/stress"
)

// stressDuration is how long each stress test runs: RINGLOOP_STRESS, or 2s
// (200ms with -short, which the -race run uses).
func stressDuration(t *testing.T) time.Duration {
	t.Helper()
	def := 2 * time.Second
	if testing.Short() {
		def = 200 * time.Millisecond
	}
	d, err := stress.Duration(def)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// memberState describes member m for a stranding report.
func memberState(m *member) string {
	return fmt.Sprintf("loop %d: in.Len %d, inScheduled %v, ringScheduled %v, loop sleeping %v",
		m.idx, m.in.Len(), m.inScheduled.Load(), m.ringScheduled.Load(), m.loop.Sleeping())
}

// Two goroutines submit bursts of 1-3 callbacks to one loop with SubmitTo and
// wait for all of them, over and over: no callback whose SubmitTo returned nil
// may wait for a later submission to run (the kickIn/drainIn handshake).
func TestGroupSubmitNeverStranded(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestGroup(t, WithGroupLoops(1), WithGroupPinning(false), WithGroupLockOSThread(false))
	defer g.Close()
	m := g.members[0]
	res, err := stress.Run(stress.Config{Duration: stressDuration(t), KeepGoing: stress.KeepGoing()}, stress.Target{
		Submit: func(_ int, fn func()) error { return g.SubmitTo(0, fn) },
		State:  func() string { return memberState(m) },
	})
	t.Logf("SubmitTo burst-then-wait: %v (GOMAXPROCS %d)", res, runtime.GOMAXPROCS(0))
	if err != nil {
		t.Fatal(err)
	}
}

// The same pattern over loop-to-loop messages: loops 0 and 2 each Send bursts
// to loop 1 (the kickRings/drainRings handshake; the submissions that start
// each burst go through kickIn/drainIn as well).
func TestGroupSendNeverStranded(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := newTestGroup(t, WithGroupLoops(3), WithGroupPinning(false), WithGroupLockOSThread(false))
	defer g.Close()
	var sendErr atomic.Value
	res, err := stress.Run(stress.Config{Duration: stressDuration(t), KeepGoing: stress.KeepGoing()}, stress.Target{
		Submit: func(p int, fn func()) error {
			from := 2 * p // producers 0 and 1 send from loops 0 and 2
			return g.SubmitTo(from, func() {
				if err := g.Send(from, 1, fn); err != nil {
					sendErr.CompareAndSwap(nil, err)
				}
			})
		},
		State: func() string {
			s := memberState(g.members[1])
			for _, from := range []int{0, 2} {
				s += fmt.Sprintf("; ring %d->1 Len %d", from, g.members[1].rings[from].Len())
			}
			if e := sendErr.Load(); e != nil {
				s += fmt.Sprintf("; Send failed: %v", e)
			}
			return s + "; " + memberState(g.members[0]) + "; " + memberState(g.members[2])
		},
	})
	t.Logf("Send burst-then-wait: %v (GOMAXPROCS %d)", res, runtime.GOMAXPROCS(0))
	if err != nil {
		t.Fatal(err)
	}
}

// Close never hangs, and runs everything it accepted, while goroutines submit
// in small bursts and loops send to each other: many groups, each closed in
// the middle of the traffic.
func TestGroupCloseNeverHangs(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	d := stressDuration(t)
	start := time.Now()
	groups := 0
	for ; groups < 3 || time.Since(start) < d; groups++ {
		loops := 1 + groups%2
		g := newTestGroup(t, WithGroupLoops(loops), WithGroupPinning(false), WithGroupLockOSThread(groups%4 < 2))
		var accepted, ran atomic.Int64
		fn := func() { ran.Add(1) }
		send := func() { // runs on loop 0: a burst of messages to the last loop
			for k := 0; k < 3; k++ {
				if g.Send(0, loops-1, fn) == nil {
					accepted.Add(1)
				}
			}
		}
		var wg sync.WaitGroup
		for p := 0; p < 2; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					to, f := i%loops, fn
					if i%4 == 3 {
						to, f = 0, send // Send from loop 0 only
					}
					if err := g.SubmitTo(to, f); err != nil {
						if !errors.Is(err, ErrGroupClosed) {
							t.Errorf("SubmitTo: %v, want ErrGroupClosed", err)
						}
						return
					}
					if i%4 != 3 {
						accepted.Add(1)
					}
					if i%3 == 2 {
						runtime.Gosched() // bursts of three: let the loop go idle
					}
				}
			}()
		}
		// Close after a varying number of submissions, so it meets the loop
		// draining, idle, and in between.
		for w := 0; w < groups%7; w++ {
			runtime.Gosched()
		}
		closed := make(chan error, 1)
		go func() { closed <- g.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Fatalf("group %d: Close: %v", groups, err)
			}
		case <-time.After(10 * time.Second):
			s := ""
			for _, m := range g.members {
				s += memberState(m) + "; "
			}
			t.Fatalf("group %d: Close did not return within 10s: stop marker stranded? %s", groups, s)
		}
		wg.Wait()
		if a, r := accepted.Load(), ran.Load(); a != r {
			t.Fatalf("group %d: %d submissions and sends accepted, %d ran", groups, a, r)
		}
	}
	t.Logf("%d groups closed under traffic in %v", groups, time.Since(start).Round(time.Millisecond))
}
