package bench_test

// group_test.go: BenchmarkGroup (the threadsafe workload spread over a
// multi.Group) and BenchmarkRunningLoop (what asking "which loop am I on?"
// costs from inside a callback).
//
// BenchmarkGroup/loops=N/route=R/work=W: N pinned loops, N producer goroutines
// (the load grows with the group, as clients do when a service scales out),
// b.N callbacks in all, each producer with at most groupWindow in flight. An op
// is one callback, submit to run; ns/op is wall time over b.N, so throughput is
// 1/ns-op. work=0 runs the bare threadsafe callback (a counter add); work=1us
// burns about a microsecond in each callback, so the loops, not the producers,
// are the bottleneck: that is where more loops can pay on a 2-core machine.
// cpu-ns/op (process CPU time per op) is reported beside wall time.
// thread=pinned is the Group default (each loop locked to its OS thread and
// pinned to a CPU); thread=unlocked leaves the loops to the Go scheduler.
//
// Flow control without a shared counter: producer p's callbacks for loop i are
// one closure, bound once, that adds to done[p][i] (written only by loop i,
// padded); the producer sums its row only when its local count says the window
// may be full, then spins briefly and sleeps until half its window has run
// (groupProducer): a producer that spun until then would take the CPU the
// loops need, which on a 2-core machine is the whole measurement. Submission
// allocates nothing.

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/cpu"
	"golang.org/x/sys/unix"

	"github.com/ringloop/ringloop/multi"
	"github.com/ringloop/ringloop/sched"
)

const groupWindow = 1024 // in-flight callbacks per producer

// groupLoopOpts go to every member loop of the group benchmarks: nil runs
// sched's defaults; a scratch benchmark can set it to compare wakeup variants.
var groupLoopOpts []sched.Option

type paddedCount struct {
	n atomic.Int64
	_ cpu.CacheLinePad
}

// spinWork is the number of spinIter iterations that take about 1 us here,
// calibrated once on first use.
var (
	spinOnce  sync.Once
	spinPerUS int
	spinSink  atomic.Uint64
)

func spinIter(n int) uint64 {
	x := uint64(88172645463325252)
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// calibrateSpin measures spinIter on this thread's CPU clock, not the wall
// clock, so a calibration taken while other processes share the CPU still
// gives ~1 us of CPU work.
func calibrateSpin() int {
	spinOnce.Do(func() {
		runtime.LockOSThread() // the thread CPU clock must follow this goroutine
		defer runtime.UnlockOSThread()
		threadNanos := func() int64 {
			var ts unix.Timespec
			_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
			return ts.Nano()
		}
		n := 1 << 16
		for {
			t0 := threadNanos()
			spinSink.Add(spinIter(n))
			if el := threadNanos() - t0; el > 5_000_000 {
				spinPerUS = max(1, int(float64(n)*1000/float64(el)))
				break
			}
			n *= 2
		}
	})
	return spinPerUS
}

func groupLoopCounts() []int {
	counts := []int{1, 2, 4}
	for n := 8; n <= runtime.NumCPU(); n *= 2 {
		counts = append(counts, n)
	}
	return counts
}

func BenchmarkGroup(b *testing.B) {
	for _, loops := range groupLoopCounts() {
		for _, route := range multi.Routes() {
			for _, work := range []string{"0", "1us"} {
				for _, thread := range []string{"pinned", "unlocked"} {
					name := fmt.Sprintf("loops=%d/route=%s/work=%s/thread=%s", loops, route, work, thread)
					b.Run(name, func(b *testing.B) {
						r, err := multi.ParseRoute(route)
						if err != nil {
							b.Fatal(err)
						}
						spin := 0
						if work == "1us" {
							spin = calibrateSpin()
						}
						benchGroup(b, loops, r, spin, thread == "pinned")
					})
				}
			}
		}
	}
}

// groupProducer is one producer's flow control. done[i] counts its callbacks
// run on loop i (written by loop i only). A producer whose window is full spins
// briefly, then sleeps on wake; the callback that brings its in-flight count
// down to low wakes it. Sleep protocol (Dekker on waiting vs done):
//  1. producer: Store(target), Store(waiting=true), then sum done; if the
//     in-flight count is already <= low it cancels the wait, else it blocks on wake;
//  2. callback: Add(done), then Load(waiting); if true and the count is <= low,
//     CAS(waiting true->false) and a non-blocking send on wake.
//
// Either the producer's sum sees the callback's Add or the callback sees
// waiting; a stale wake token only makes the producer re-check.
type groupProducer struct {
	done    []paddedCount
	waiting atomic.Bool  // producer sets before sleeping; the waking callback clears (CAS)
	target  atomic.Int64 // submitted count the producer waits against; Stored before waiting
	low     int64        // in-flight count at which the producer is woken
	wake    chan struct{}
	_       cpu.CacheLinePad
}

func (pr *groupProducer) sum() int64 {
	var s int64
	for i := range pr.done {
		s += pr.done[i].n.Load() // pairs with the Add in the callback
	}
	return s
}

// completed runs in every callback, on loop i, after its work.
func (pr *groupProducer) completed(i int) {
	pr.done[i].n.Add(1)
	if pr.waiting.Load() && pr.target.Load()-pr.sum() <= pr.low && pr.waiting.CompareAndSwap(true, false) {
		select {
		case pr.wake <- struct{}{}:
		default:
		}
	}
}

// waitBelow returns once the in-flight count (submitted - done) is <= low,
// spinning a little first (cheap when callbacks are short), then sleeping.
func (pr *groupProducer) waitBelow(submitted, low int64) int64 {
	for spins := 0; ; spins++ {
		acked := pr.sum()
		if submitted-acked <= low {
			return acked
		}
		if spins < 32 {
			runtime.Gosched()
			continue
		}
		pr.low = low // read by callbacks only after they see waiting (below)
		pr.target.Store(submitted)
		pr.waiting.Store(true) // step 1; pairs with the Load in completed
		if submitted-pr.sum() <= low {
			pr.waiting.CompareAndSwap(true, false)
			continue
		}
		<-pr.wake
	}
}

func benchGroup(b *testing.B, loops int, route multi.Route, spin int, pinned bool) {
	g, err := multi.NewGroup(multi.WithGroupLoops(loops), multi.WithGroupLockOSThread(pinned),
		multi.WithGroupLoopOptions(groupLoopOpts...))
	if err != nil {
		b.Fatal(err)
	}
	producers := loops
	prs := make([]*groupProducer, producers)
	fns := make([][]func(), producers)
	for p := range prs {
		pr := &groupProducer{done: make([]paddedCount, loops), wake: make(chan struct{}, 1)}
		prs[p] = pr
		fns[p] = make([]func(), loops)
		for i := range fns[p] {
			if spin > 0 {
				fns[p][i] = func() { spinSink.Add(spinIter(spin)); pr.completed(i) }
			} else {
				fns[p][i] = func() { pr.completed(i) }
			}
		}
	}
	quota := make([]int64, producers)
	for p := range quota {
		quota[p] = int64(b.N / producers)
		if p < b.N%producers {
			quota[p]++
		}
	}

	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, producers)
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr := prs[p]
			<-start
			key := uint64(p) << 40
			var acked int64
			for n := int64(0); n < quota[p]; n++ {
				if n-acked >= groupWindow {
					acked = pr.waitBelow(n, groupWindow/2)
				}
				key++
				i := g.Pick(route, key)
				if err := g.SubmitTo(i, fns[p][i]); err != nil {
					errs[p] = err
					return
				}
			}
			pr.waitBelow(quota[p], 0)
		}()
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNanos()
	close(start)
	wg.Wait()
	cpu1 := cpuNanos()
	b.StopTimer()
	b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	if err := g.Close(); err != nil {
		b.Fatal(err)
	}
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	if pe := g.PinErrors(); len(pe) > 0 {
		b.Logf("pinning refused (loops ran unpinned): %v", pe)
	}
}

// BenchmarkRunningLoop: sched.RunningLoop() called b.N times from inside one
// callback of a running loop (where=callback), and outside any loop
// (where=outside, the error path). Compare where=callback with Floor/op=call
// plus one atomic load (the budget bench/targets.py grades).
func BenchmarkRunningLoop(b *testing.B) {
	b.Run("where=callback", func(b *testing.B) {
		l, err := sched.New()
		if err != nil {
			b.Fatal(err)
		}
		var bad int
		if err := l.Post(func() {
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				got, err := sched.RunningLoop()
				if got != l || err != nil {
					bad++
				}
			}
			b.StopTimer()
			l.Stop()
		}); err != nil {
			b.Fatal(err)
		}
		if err := l.RunForever(); err != nil {
			b.Fatal(err)
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
		if bad != 0 {
			b.Fatalf("RunningLoop from a callback missed its loop %d times", bad)
		}
	})
	b.Run("where=outside", func(b *testing.B) {
		var bad int
		for i := 0; i < b.N; i++ {
			if l, err := sched.RunningLoop(); l != nil || err == nil {
				bad++
			}
		}
		if bad != 0 {
			b.Fatalf("RunningLoop outside a loop answered a loop %d times", bad)
		}
	})
	b.Run("where=inloop", func(b *testing.B) { // Loop.InLoop from its own callback: the owner-word fast path
		l, err := sched.New()
		if err != nil {
			b.Fatal(err)
		}
		var bad int
		_ = l.Post(func() {
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if !l.InLoop() {
					bad++
				}
			}
			b.StopTimer()
			l.Stop()
		})
		if err := l.RunForever(); err != nil {
			b.Fatal(err)
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
		if bad != 0 {
			b.Fatalf("InLoop false on its own loop %d times", bad)
		}
	})
}

// TestRunningLoopFromCallbacks: RunningLoop answers each loop of a group from
// its own callbacks, and errors on a plain goroutine.
func TestRunningLoopFromCallbacks(t *testing.T) {
	g, err := multi.NewGroup(multi.WithGroupLoops(3), multi.WithGroupPinning(false))
	if err != nil {
		t.Fatal(err)
	}
	type ans struct {
		want, got *sched.Loop
		err       error
	}
	out := make(chan ans, 30)
	for k := 0; k < 30; k++ {
		i := k % g.Len()
		if err := g.SubmitTo(i, func() {
			l, err := sched.RunningLoop()
			out <- ans{g.Loop(i), l, err}
		}); err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; k < 30; k++ {
		a := <-out
		if a.err != nil || a.got != a.want {
			t.Errorf("RunningLoop in a callback of %p = %p, %v", a.want, a.got, a.err)
		}
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if l, err := sched.RunningLoop(); l != nil || err == nil {
		t.Errorf("RunningLoop outside any loop = %p, %v; want an error", l, err)
	}
}
