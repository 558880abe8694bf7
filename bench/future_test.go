package bench_test

// future_test.go: BenchmarkFuture, the Future workloads on sched's
// loop, shaped exactly like bench/peers' future_roundtrip and future_cross_thread
// so the Go and Python rows divide the same work:
//
//   - op=roundtrip/callbacks=K: on the running loop, create a future, add K done
//     callbacks (K-1 no-ops, then the one that starts the next op), SetResult on
//     the loop; the loop runs the dispatch next iteration. op = one future.
//   - op=roundtrip-pooled/callbacks=1: the same with future.Pool (optional): the
//     callback puts its future back and the next op gets it again, so the round
//     trip allocates nothing; the difference to op=roundtrip/callbacks=1 is the
//     allocation (and its GC) the unpooled round trip pays.
//   - op=cross-goroutine: the loop creates futures in chunks of 1024 with one
//     callback each and hands the chunk to a worker goroutine, which completes
//     them with SetResult (off the loop: one PostThreadsafe each); the callbacks
//     run on the loop, and the last one of a chunk sends the next chunk. op = one
//     future. Throughput with the two goroutines overlapping (the loop sleeps,
//     and pays a wakeup, only when the worker falls behind).
//   - op=cross-goroutine-pooled: the same with future.Pool (Put in the callback,
//     Get for the next chunk): the cross-goroutine cost without the allocation.
//   - op=cross-goroutine-pingpong: one future at a time, the worker blocked on a
//     channel: the full latency of waking a goroutine, completing off the loop
//     and waking the loop. Shown beside the throughput so the wakeup cost is not
//     hidden.
//
// Floors registered beside them: op=alloc/type=future (the heap allocation every
// round trip makes) — a Future round trip cannot be cheaper than that.
//
// Every sub-benchmark reports cpu-ns/op (process CPU time per op) too: on a
// shared 2-vCPU machine wall time counts time other processes held the CPU.

import (
	"fmt"
	"testing"

	"github.com/ringloop/ringloop/future"
	"github.com/ringloop/ringloop/sched"
)

// futureChunk is the cross-goroutine chunk size (bench/peers uses the same).
const futureChunk = 1024

func init() {
	registerFloor("op=alloc/type=future", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			futureSink = &future.Future[int]{}
		}
	})
}

var futureSink *future.Future[int]

// reportCPU reports cpu-ns/op when the returned func runs (defer it).
func reportCPU(b *testing.B) func() {
	start := cpuNanos()
	return func() { reportCPUSince(b, start) }
}

func BenchmarkFuture(b *testing.B) {
	for _, k := range []int{1, 2, 3, 8} {
		b.Run(fmt.Sprintf("op=roundtrip/callbacks=%d", k), func(b *testing.B) { benchFutureRoundTrip(b, k) })
	}
	b.Run("op=roundtrip-pooled/callbacks=1", benchFutureRoundTripPooled)
	b.Run("op=cross-goroutine", func(b *testing.B) { benchFutureCross(b, false) })
	b.Run("op=cross-goroutine-pooled", func(b *testing.B) { benchFutureCross(b, true) })
	b.Run("op=cross-goroutine-pingpong", benchFuturePingPong)
}

// reportWakeups reports the loop's sleeps and producer signals per op (sched.Stats),
// so the cost of wakeups in a cross-goroutine number is visible, not hidden.
func reportWakeups(b *testing.B, l *sched.Loop, before sched.Stats) {
	st := l.Stats()
	b.ReportMetric(float64(st.Sleeps-before.Sleeps)/float64(b.N), "sleeps/op")
	b.ReportMetric(float64(st.Signals-before.Signals)/float64(b.N), "signals/op")
}

func newBenchLoop(b *testing.B) *sched.Loop {
	b.Helper()
	l, err := sched.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l.Close() })
	return l
}

func benchFutureRoundTrip(b *testing.B, k int) {
	l := newBenchLoop(b)
	noop := func(*future.Future[int]) {}
	left := b.N
	ran := 0
	var step func(*future.Future[int])
	step = func(f *future.Future[int]) {
		if f != nil {
			ran++
		}
		if left == 0 {
			l.Stop()
			return
		}
		left--
		f = sched.CreateFuture[int](l)
		for range k - 1 {
			f.AddDoneCallback(noop)
		}
		f.AddDoneCallback(step) // the last callback starts the next op
		if err := f.SetResult(1); err != nil {
			b.Error(err)
		}
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	b.ResetTimer()
	if err := l.Post(func() { step(nil) }); err != nil {
		b.Fatal(err)
	}
	if err := l.RunForever(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if ran != b.N {
		b.Fatalf("%d round trips completed, want %d", ran, b.N)
	}
}

func benchFutureRoundTripPooled(b *testing.B) {
	l := newBenchLoop(b)
	pool := future.NewPool[int](l, 64)
	left := b.N
	ran := 0
	var step func(*future.Future[int])
	step = func(f *future.Future[int]) {
		if f != nil {
			ran++
			pool.Put(f) // its only callback: the future is free again
		}
		if left == 0 {
			l.Stop()
			return
		}
		left--
		f = pool.Get()
		f.AddDoneCallback(step)
		if err := f.SetResult(1); err != nil {
			b.Error(err)
		}
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	b.ResetTimer()
	if err := l.Post(func() { step(nil) }); err != nil {
		b.Fatal(err)
	}
	if err := l.RunForever(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if ran != b.N {
		b.Fatalf("%d round trips completed, want %d", ran, b.N)
	}
}

func benchFutureCross(b *testing.B, pooled bool) {
	l := newBenchLoop(b)
	var pool *future.Pool[int]
	if pooled {
		pool = future.NewPool[int](l, 2*futureChunk)
	}
	work := make(chan []*future.Future[int], 1)
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		for futs := range work {
			for _, f := range futs {
				if err := f.SetResult(1); err != nil {
					panic(err)
				}
			}
		}
	}()
	var bufs [2][]*future.Future[int]
	left := b.N // futures still to create
	chunkLeft := 0
	chunks := 0
	completed := 0
	var cb func(*future.Future[int])
	sendChunk := func() {
		n := min(futureChunk, left)
		left -= n
		chunkLeft = n
		buf := bufs[chunks%2][:0] // chunk c-2's worker pass ended before chunk c-1 was received
		for range n {
			var f *future.Future[int]
			if pooled {
				f = pool.Get()
			} else {
				f = sched.CreateFuture[int](l)
			}
			f.AddDoneCallback(cb)
			buf = append(buf, f)
		}
		bufs[chunks%2] = buf
		chunks++
		work <- buf
	}
	cb = func(f *future.Future[int]) {
		completed++
		if pooled {
			pool.Put(f) // its only callback, its dispatch running: free again
		}
		chunkLeft--
		if chunkLeft > 0 {
			return
		}
		if left == 0 {
			l.Stop()
			return
		}
		sendChunk()
	}
	before := l.Stats()
	b.ReportAllocs()
	defer reportCPU(b)()
	b.ResetTimer()
	if err := l.Post(sendChunk); err != nil {
		b.Fatal(err)
	}
	if err := l.RunForever(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportWakeups(b, l, before)
	close(work)
	<-workerDone
	if completed != b.N {
		b.Fatalf("%d futures completed, want %d", completed, b.N)
	}
}

func benchFuturePingPong(b *testing.B) {
	l := newBenchLoop(b)
	work := make(chan *future.Future[int])
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		for f := range work {
			if err := f.SetResult(1); err != nil {
				panic(err)
			}
		}
	}()
	left := b.N
	completed := 0
	var cb func(*future.Future[int])
	next := func() {
		if left == 0 {
			l.Stop()
			return
		}
		left--
		f := sched.CreateFuture[int](l)
		f.AddDoneCallback(cb)
		work <- f
	}
	cb = func(*future.Future[int]) {
		completed++
		next()
	}
	before := l.Stats()
	b.ReportAllocs()
	defer reportCPU(b)()
	b.ResetTimer()
	if err := l.Post(next); err != nil {
		b.Fatal(err)
	}
	if err := l.RunForever(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportWakeups(b, l, before)
	close(work)
	<-workerDone
	if completed != b.N {
		b.Fatalf("%d futures completed, want %d", completed, b.N)
	}
}
