package bench_test

// goja_test.go: github.com/dop251/goja_nodejs/eventloop as the variant "goja"
// of BenchmarkCallSoonThreadsafe and BenchmarkTimers: the Go event loop a Go
// user would otherwise pick, on the same workloads.
//
// What goja's loop is (eventloop.go in goja_nodejs): RunOnLoop appends a closure
// to a mutex-guarded slice and does a non-blocking send on a capacity-1 wakeup
// channel; the loop goroutine swaps the slice out and runs it. Timers are
// time.AfterFunc timers (the runtime's timer heap) whose firing goroutine hands
// the callback to the loop over an unbuffered channel; ClearTimeout is an aux
// job that stops the runtime timer. Its loop runs a JavaScript runtime (goja.New)
// we never use: creating it is setup, outside the timed region.
//
// The three functions keep the ringloop benchmarks' op definitions:
//   - threadsafe: P producers, b.N callbacks in all, each producer at most
//     gojaWindow in flight; an op is one callback, submit to run.
//   - timers pending=N: N timers pending an hour away (never fire); an op is a
//     SetTimeout(0) and its firing, at most gojaWindow in flight.
//   - cancel-heavy: rounds of up to 1e6 SetTimeout timers, 9 in 10 cleared right
//     after they are set, the rest fire; an op is one scheduled timer. goja's
//     timers are due 10-11 ms out (see below), so a round costs ~10 ms more
//     than its scheduling.

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/eventloop"
)

const gojaWindow = 1024 // = threadsafeWindow in sched_test.go

func init() {
	peerThreadsafe = append(peerThreadsafe, peerBench{variant: "goja", run: gojaThreadsafe})
	peerTimers = append(peerTimers, peerTimerBench{variant: "goja", run: gojaTimers, cancelHeavy: gojaCancelHeavy})
}

func newGojaLoop(b *testing.B) *eventloop.EventLoop {
	loop := eventloop.NewEventLoop(eventloop.EnableConsole(false))
	loop.Start()
	return loop
}

// gojaThreadsafe is variant=goja of BenchmarkCallSoonThreadsafe.
func gojaThreadsafe(b *testing.B, producers int) {
	loop := newGojaLoop(b)
	defer loop.Terminate()
	done := make([]paddedCount, producers) // done[p]: callbacks of producer p run; loop goroutine writes
	fns := make([]func(*goja.Runtime), producers)
	for p := range fns {
		c := &done[p].n
		fns[p] = func(*goja.Runtime) { c.Add(1) }
	}
	quota := make([]int64, producers)
	for p := range quota {
		quota[p] = int64(b.N / producers)
		if p < b.N%producers {
			quota[p]++
		}
	}
	start := make(chan struct{})
	finished := make(chan struct{}, producers)
	for p := 0; p < producers; p++ {
		go func() {
			defer func() { finished <- struct{}{} }()
			<-start
			for n := int64(0); n < quota[p]; n++ {
				for n-done[p].n.Load() >= gojaWindow { // pairs with the Add in fns[p]
					runtime.Gosched()
				}
				if !loop.RunOnLoop(fns[p]) {
					b.Error("goja: RunOnLoop refused (loop terminated)")
					return
				}
			}
			for done[p].n.Load() < quota[p] {
				runtime.Gosched()
			}
		}()
	}
	b.ReportAllocs()
	b.ResetTimer()
	close(start)
	for range producers {
		<-finished
	}
	b.StopTimer()
}

// gojaTimers is variant=goja of BenchmarkTimers/pending=N.
func gojaTimers(b *testing.B, pending int) {
	loop := newGojaLoop(b)
	defer loop.Terminate() // stops the pending timers
	noop := func(*goja.Runtime) {}
	for i := 0; i < pending; i++ {
		loop.SetTimeout(noop, time.Hour+time.Duration(i)*time.Microsecond)
	}
	var fired atomic.Int64
	cb := func(*goja.Runtime) { fired.Add(1) }
	// Wait until the loop has started every pending timer (they go through its aux queue).
	sync := make(chan struct{})
	loop.RunOnLoop(func(*goja.Runtime) { close(sync) })
	<-sync
	b.ReportAllocs()
	b.ResetTimer()
	for n := int64(0); n < int64(b.N); n++ {
		for n-fired.Load() >= gojaWindow { // pairs with the Add in cb
			runtime.Gosched()
		}
		if loop.SetTimeout(cb, 0) == nil {
			b.Fatal("goja: SetTimeout refused (loop terminated)")
		}
	}
	for fired.Load() < int64(b.N) {
		runtime.Gosched()
	}
	b.StopTimer()
}

// gojaCancelHeavy is variant=goja of BenchmarkTimers/op=cancel-heavy.
func gojaCancelHeavy(b *testing.B) {
	loop := newGojaLoop(b)
	defer loop.Terminate()
	var fired atomic.Int64
	cb := func(*goja.Runtime) { fired.Add(1) }
	var expect int64
	b.ReportAllocs()
	b.ResetTimer()
	for left := b.N; left > 0; {
		k := min(left, 1_000_000)
		left -= k
		for i := 0; i < k; i++ {
			// 10 ms out: far enough that the ClearTimeout right behind it (the next
			// aux job on goja's loop) always beats the firing; a timer that fired
			// first would park a goroutine on goja's unbuffered job channel.
			t := loop.SetTimeout(cb, 10*time.Millisecond+time.Duration(i%1000)*time.Microsecond)
			if i%10 != 9 {
				loop.ClearTimeout(t)
			} else {
				expect++
			}
		}
		for fired.Load() < expect {
			runtime.Gosched()
		}
	}
	b.StopTimer()
	// ClearTimeout can lose to the timer firing; then more than expected fire.
	if got := fired.Load(); got < expect {
		b.Fatalf("goja: %d of %d uncancelled timers fired", got, expect)
	}
}
