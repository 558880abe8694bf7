package bench_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/cpu"
	"golang.org/x/sys/unix"

	"github.com/ringloop/ringloop/internal/xcore"
)

// floorCase is one BenchmarkFloor sub-benchmark. Files in this package
// register their own floors (op=call, op=heap/pending=N, op=wake/mech=M,
// op=coroswitch, ...) from init() with registerFloor.
type floorCase struct {
	name string // key=value path below BenchmarkFloor, e.g. "op=call"
	run  func(b *testing.B)
}

// floorCases is appended to only from init() functions; BenchmarkFloor reads it.
var floorCases []floorCase

// registerFloor adds a sub-benchmark to BenchmarkFloor. Call it from init().
func registerFloor(name string, run func(b *testing.B)) {
	floorCases = append(floorCases, floorCase{name: name, run: run})
}

// floorProducers are the goroutine counts of the shared-word floors; the
// inbox benchmarks use the same ones.
var floorProducers = []int{1, 2, 4, 8}

// BenchmarkFloor runs the floors every other benchmark is compared with:
// first this file's own, then every registered case in registration order.
//
//   - op=xadd/producers=P: P goroutines doing atomic Add (LOCK XADD) on one
//     padded word, b.N adds in all: the cost of the MPSC queue's claim.
//   - op=cas/producers=P: the same with a Load + CompareAndSwap increment
//     loop: the claim the CAS build pays.
//   - op=pingpong: one cache line passed to another goroutine and back
//     (ns per round trip): the cost of a cross-core hand-off.
//
// Each reports xcore-ns, the cross-core round trip probed right before it,
// and the shared-word floors cpu-ns/op (process CPU time per op).
func BenchmarkFloor(b *testing.B) {
	for _, p := range floorProducers {
		b.Run(fmt.Sprintf("op=cas/producers=%d", p), func(b *testing.B) {
			sharedWord(b, p, func(w *atomic.Uint64, n int) {
				for i := 0; i < n; i++ {
					for {
						v := w.Load()
						if w.CompareAndSwap(v, v+1) {
							break
						}
					}
				}
			})
		})
	}
	for _, p := range floorProducers {
		b.Run(fmt.Sprintf("op=xadd/producers=%d", p), func(b *testing.B) {
			sharedWord(b, p, func(w *atomic.Uint64, n int) {
				for i := 0; i < n; i++ {
					w.Add(1)
				}
			})
		})
	}
	b.Run("op=pingpong", pingPong)
	for _, c := range floorCases {
		b.Run(c.name, c.run)
	}
}

type paddedWord struct {
	_ cpu.CacheLinePad
	w atomic.Uint64
	_ cpu.CacheLinePad
}

// split returns goroutine i's share of n operations over p goroutines.
func split(n, p, i int) int {
	s := n / p
	if i < n%p {
		s++
	}
	return s
}

// probeXcore measures the cross-core round trip right before a timed run;
// call it before b.ResetTimer and hand the result to report afterwards
// (ResetTimer deletes metrics reported before it).
func probeXcore() float64 { return xcore.RoundTrip(0) }

// cpuNanos is this process's CPU time (all threads, GC included).
func cpuNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// reportCPUSince reports cpu-ns/op: process CPU time since start per op.
// On a shared machine wall time counts other processes; CPU time does not
// (it does count our own spinning).
func reportCPUSince(b *testing.B, start int64) {
	b.ReportMetric(float64(cpuNanos()-start)/float64(b.N), "cpu-ns/op")
}

// reportXcore reports a probeXcore result as the xcore-ns metric. Call it
// after the timed run.
func reportXcore(b *testing.B, ns float64) { b.ReportMetric(ns, "xcore-ns") }

// gated starts p goroutines, goroutine i running fn(split(b.N, p, i)) once
// start is closed, so none of them runs before the timer starts; wait returns
// when all have finished.
func gated(b *testing.B, p int, fn func(n int)) (start chan struct{}, wait func()) {
	var wg sync.WaitGroup
	start = make(chan struct{})
	for i := 0; i < p; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			<-start
			fn(n)
		}(split(b.N, p, i))
	}
	return start, wg.Wait
}

// sharedWord runs op on one padded word from p goroutines, b.N ops in all.
func sharedWord(b *testing.B, p int, op func(w *atomic.Uint64, n int)) {
	var w paddedWord
	xns := probeXcore()
	start, wait := gated(b, p, func(n int) { op(&w.w, n) })
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNanos()
	close(start)
	wait()
	b.StopTimer()
	reportCPUSince(b, cpu0)
	reportXcore(b, xns)
	if got := w.w.Load(); got != uint64(b.N) {
		b.Fatalf("word = %d after %d ops", got, b.N)
	}
}

// pingPong passes one cache line between two goroutines: ns per round trip.
func pingPong(b *testing.B) {
	var w paddedWord
	xns := probeXcore()
	n := uint64(b.N)
	done := make(chan struct{})
	wait := func(v uint64) {
		for i := 1; w.w.Load() != v; i++ { // pairs with the other side's Store
			if i%1024 == 0 {
				runtime.Gosched()
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		defer close(done)
		for k := uint64(0); k < n; k++ {
			wait(2*k + 1)
			w.w.Store(2*k + 2) // hands the line back
		}
	}()
	for k := uint64(0); k < n; k++ {
		w.w.Store(2*k + 1) // hands the line over
		wait(2*k + 2)
	}
	<-done
	b.StopTimer()
	reportXcore(b, xns)
}
