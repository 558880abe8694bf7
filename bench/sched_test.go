package bench_test

// sched_test.go: the event loop's benchmarks and their floors.
//
//   - BenchmarkFloor/op=call: calling funcs from a preallocated slice.
//   - BenchmarkFloor/op=heap/pending=N: container/heap push + pop with N pending,
//     the same op as BenchmarkTimers/pending=N (push a key below every pending one,
//     pop the minimum).
//   - BenchmarkCallSoon/variant=V: Post from the loop goroutine, ns per callback
//     (push, dispatch, call); variant=V/form=handle uses CallSoon (one Handle each).
//   - BenchmarkCallSoonThreadsafe/variant=V/producers=P: P producers, b.N
//     PostThreadsafe callbacks in all, each producer at most threadsafeWindow in
//     flight (a producer whose window is full waits until half of it has run, so
//     flow control reads the loop's counter once per half window, not per op);
//     an op is one callback, submit to run (wall time / b.N); sleeps/op and batch
//     (callbacks per loop iteration) come from Loop.Stats.
//   - BenchmarkTimers/pending=N: N timers pending an hour away (never fire); an op
//     is CallLater(0) and its firing, threadsafeWindow per batch.
//     BenchmarkTimers/op=cancel-heavy: rounds of up to 1e6 timers, 9 in 10
//     cancelled right after they are set, the rest fire; an op is one scheduled
//     timer.
//
// Peer variants (goja_test.go) append to peerThreadsafe / peerTimers from init()
// and run as variant=<name> sub-benchmarks after ours, on the same op definitions.

import (
	"container/heap"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/ringloop/ringloop/sched"
)

// peerBench is a peer event loop's BenchmarkCallSoonThreadsafe variant.
type peerBench struct {
	variant string
	run     func(b *testing.B, producers int)
}

// peerTimerBench is a peer event loop's BenchmarkTimers variant.
type peerTimerBench struct {
	variant     string
	run         func(b *testing.B, pending int)
	cancelHeavy func(b *testing.B)
}

// Appended to only from init() (goja_test.go); read by the benchmarks below.
var (
	peerThreadsafe []peerBench
	peerTimers     []peerTimerBench
)

const threadsafeWindow = 1024 // in-flight callbacks per producer; batch size elsewhere

var pendingSizes = []struct {
	name string
	n    int
}{{"1e3", 1_000}, {"1e5", 100_000}, {"1e6", 1_000_000}}

// schedCount is a counter on its own cache line (written by the loop, read by one
// producer).
type schedCount struct {
	n atomic.Int64
	_ cpu.CacheLinePad
}

func init() {
	registerFloor("op=call", benchFloorCall)
	for _, p := range pendingSizes {
		registerFloor("op=heap/pending="+p.name, func(b *testing.B) { benchFloorHeap(b, p.n) })
	}
}

var floorSink int

func benchFloorCall(b *testing.B) {
	fns := make([]func(), 1024)
	n := 0
	for i := range fns {
		fns[i] = func() { n++ }
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := wakeProcCPU()
	for i := 0; i < b.N; i++ {
		fns[i&1023]()
	}
	reportSchedCPU(b, cpu0)
	floorSink = n
}

type floorEntry struct {
	when int64
	seq  uint64
}

type floorHeap []floorEntry

func (h floorHeap) Len() int { return len(h) }
func (h floorHeap) Less(i, j int) bool {
	return h[i].when < h[j].when || (h[i].when == h[j].when && h[i].seq < h[j].seq)
}
func (h floorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *floorHeap) Push(x any)   { *h = append(*h, x.(floorEntry)) }
func (h *floorHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func benchFloorHeap(b *testing.B, pending int) {
	r := rand.New(rand.NewPCG(1, 2))
	h := make(floorHeap, pending, pending+1)
	for i := range h {
		h[i] = floorEntry{when: int64(time.Hour) + r.Int64N(int64(time.Hour)), seq: uint64(i)}
	}
	heap.Init(&h)
	seq := uint64(pending)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := wakeProcCPU()
	for i := 0; i < b.N; i++ {
		heap.Push(&h, floorEntry{when: int64(i), seq: seq})
		seq++
		floorSink += int(heap.Pop(&h).(floorEntry).seq)
	}
	reportSchedCPU(b, cpu0)
}

// reportSchedCPU reports the process CPU time per op since cpu0 (getrusage) as
// cpu-ns/op: on a shared machine the wall clock also counts other processes.
func reportSchedCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(wakeProcCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

func newSchedBenchLoop(b *testing.B, opts ...sched.Option) *sched.Loop {
	b.Helper()
	l, err := sched.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	return l
}

func BenchmarkCallSoon(b *testing.B) {
	for _, v := range sched.InboxVariants() {
		b.Run("variant="+v, func(b *testing.B) { benchCallSoon(b, false, sched.WithInbox(v)) })
	}
	b.Run("variant="+sched.DefaultInbox+"/form=handle", func(b *testing.B) { benchCallSoon(b, true) })
}

// benchCallSoon: a driver callback posts a batch of callbacks and itself; the
// loop runs them the next iteration. ns/op = per callback.
func benchCallSoon(b *testing.B, handles bool, opts ...sched.Option) {
	l := newSchedBenchLoop(b, opts...)
	defer l.Close()
	ran := 0
	inc := func() { ran++ }
	posted := 0
	var driver func()
	driver = func() {
		if ran >= b.N {
			l.Stop()
			return
		}
		k := min(threadsafeWindow, b.N-posted)
		for i := 0; i < k; i++ {
			if handles {
				l.CallSoon(inc)
			} else {
				l.Post(inc)
			}
		}
		posted += k
		l.Post(driver)
	}
	l.Post(driver)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := wakeProcCPU()
	if err := l.RunForever(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportSchedCPU(b, cpu0)
	if ran != b.N {
		b.Fatalf("ran %d of %d", ran, b.N)
	}
}

func BenchmarkCallSoonThreadsafe(b *testing.B) {
	for _, v := range sched.InboxVariants() {
		for _, p := range []int{1, 2, 4, 8} {
			b.Run("variant="+v+"/producers="+itoa(p), func(b *testing.B) {
				benchThreadsafe(b, p, sched.WithInbox(v))
			})
		}
	}
	// Spin before sleep: what a short poll of the inbox buys the busy path (fewer
	// sleep/wake cycles) and costs (CPU taken from the producers on 2 cores).
	for _, spin := range []time.Duration{2 * time.Microsecond, 20 * time.Microsecond} {
		for _, p := range []int{1, 4} {
			b.Run("variant="+sched.DefaultInbox+"-spin"+spin.String()+"/producers="+itoa(p), func(b *testing.B) {
				benchThreadsafe(b, p, sched.WithSpin(spin))
			})
		}
	}
	for _, y := range []int{1, 4} {
		for _, p := range []int{1, 4} {
			b.Run("variant="+sched.DefaultInbox+"-yield"+itoa(y)+"/producers="+itoa(p), func(b *testing.B) {
				benchThreadsafe(b, p, sched.WithYieldBeforeSleep(y))
			})
		}
	}
	for _, p := range []int{1, 4} {
		b.Run("variant="+sched.DefaultInbox+"-chan/producers="+itoa(p), func(b *testing.B) {
			benchThreadsafe(b, p, sched.WithWakeup("chan"))
		})
	}
	for _, pb := range peerThreadsafe {
		for _, p := range []int{1, 2, 4, 8} {
			b.Run("variant="+pb.variant+"/producers="+itoa(p), func(b *testing.B) { pb.run(b, p) })
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func benchThreadsafe(b *testing.B, producers int, opts ...sched.Option) {
	l := newSchedBenchLoop(b, opts...)
	defer l.Close()
	loopDone := make(chan error, 1)
	// Producers start once the loop runs: a bounded inbox ("xsync", "chan") that
	// fills before then refuses with ErrInboxFull, since nobody drains it yet.
	running := make(chan struct{})
	if err := l.PostThreadsafe(func() { close(running) }); err != nil {
		b.Fatal(err)
	}
	go func() { loopDone <- l.RunForever() }()
	<-running
	done := make([]schedCount, producers) // done[p]: producer p's callbacks run; written by the loop
	fns := make([]func(), producers)
	for p := range fns {
		c := &done[p].n
		fns[p] = func() { c.Add(1) }
	}
	quota := make([]int64, producers)
	for p := range quota {
		quota[p] = int64(b.N / producers)
		if p < b.N%producers {
			quota[p]++
		}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			seen := int64(0) // done[p] as last read: reread only when the window looks full
			for n := int64(0); n < quota[p]; n++ {
				if n-seen >= threadsafeWindow {
					// Wait until half the window has drained, so the counter's cache
					// line is read once per half window, not once per callback.
					for seen = done[p].n.Load(); n-seen > threadsafeWindow/2; seen = done[p].n.Load() { // pairs with the Add in fns[p]
						runtime.Gosched()
					}
				}
				if err := l.PostThreadsafe(fns[p]); err != nil {
					b.Error(err)
					return
				}
			}
			for done[p].n.Load() < quota[p] {
				runtime.Gosched()
			}
		}()
	}
	x := probeXcore() // cross-core round trip right before the sample (docs/DESIGN.md: placement drifts)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := wakeProcCPU()
	close(start)
	wg.Wait()
	b.StopTimer()
	reportSchedCPU(b, cpu0)
	reportXcore(b, x)
	l.PostThreadsafe(l.Stop)
	if err := <-loopDone; err != nil {
		b.Fatal(err)
	}
	st := l.Stats()
	b.ReportMetric(float64(st.Sleeps)/float64(b.N), "sleeps/op")
	b.ReportMetric(float64(b.N)/float64(st.Iterations), "batch")
}

func BenchmarkTimers(b *testing.B) {
	for _, p := range pendingSizes {
		b.Run("pending="+p.name, func(b *testing.B) { benchTimers(b, p.n) })
	}
	b.Run("op=cancel-heavy", benchTimersCancelHeavy)
	for _, pt := range peerTimers {
		for _, p := range pendingSizes {
			b.Run("variant="+pt.variant+"/pending="+p.name, func(b *testing.B) { pt.run(b, p.n) })
		}
		if pt.cancelHeavy != nil {
			b.Run("variant="+pt.variant+"/op=cancel-heavy", pt.cancelHeavy)
		}
	}
}

func benchTimers(b *testing.B, pending int) {
	l := newSchedBenchLoop(b)
	defer l.Close()
	noop := func() {}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < pending; i++ {
		if _, err := l.CallLater(time.Hour+time.Duration(r.Int64N(int64(time.Hour))), noop); err != nil {
			b.Fatal(err)
		}
	}
	fired, scheduled := 0, 0
	var fire func()
	batch := func() {
		k := min(threadsafeWindow, b.N-scheduled)
		for i := 0; i < k; i++ {
			l.CallLater(0, fire)
		}
		scheduled += k
	}
	fire = func() {
		fired++
		switch {
		case fired == b.N:
			l.Stop()
		case fired == scheduled:
			batch()
		}
	}
	l.Post(batch)
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := wakeProcCPU()
	if err := l.RunForever(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportSchedCPU(b, cpu0)
	if fired != b.N {
		b.Fatalf("fired %d of %d", fired, b.N)
	}
}

func benchTimersCancelHeavy(b *testing.B) {
	l := newSchedBenchLoop(b)
	defer l.Close()
	const round = 1_000_000
	fired, want, scheduled := 0, 0, 0
	var fire func()
	next := func() {
		k := min(round, b.N-scheduled)
		for i := 0; i < k; i++ {
			h, _ := l.CallLater(0, fire)
			if i%10 != 0 {
				h.Cancel()
			} else {
				want++
			}
		}
		scheduled += k
	}
	fire = func() {
		fired++
		if fired == want {
			if scheduled == b.N {
				l.Stop()
			} else {
				next()
			}
		}
	}
	l.Post(next)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := wakeProcCPU()
	if err := l.RunForever(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportSchedCPU(b, cpu0)
	if scheduled != b.N || fired != want {
		b.Fatalf("scheduled %d of %d, fired %d of %d", scheduled, b.N, fired, want)
	}
}
