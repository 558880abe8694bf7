package future

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// processCPU returns the CPU time this process has used (all its threads, GC
// workers included, other processes excluded).
func processCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// cpuMetric reports cpu-ns/op beside ns/op: on a shared machine wall time counts
// the time other processes held the CPU; process CPU time does not.
func cpuMetric(b *testing.B) func() {
	start := processCPU()
	return func() {
		b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkRoundTrip is the package-local round trip on the TestLoop, used to
// compare the inline-slot builds (go test -bench RoundTrip vs -tags
// future_inline1); bench/ holds the project's BenchmarkFuture on sched's loop.
// The loop style is the peers' one: the last callback of a future starts the
// next op.
func BenchmarkRoundTrip(b *testing.B) {
	for _, dispatch := range []string{"thunk", "closure"} {
		for _, k := range []int{0, 1, 2, 3, 8} {
			if dispatch == "closure" && k != 1 {
				continue
			}
			name := fmt.Sprintf("inline=%d/callbacks=%d/dispatch=%s", inlineSlots, k, dispatch)
			b.Run(name, func(b *testing.B) {
				if dispatch == "closure" {
					// The loser design: a real closure per dispatch (what a method
					// value f.runCallbacks would cost), measured beside the thunk.
					saved := thunkPC
					thunkPC = 0
					defer func() { thunkPC = saved }()
				}
				l := NewTestLoop()
				noop := func(*Future[int]) {}
				b.ReportAllocs()
				defer cpuMetric(b)()
				for b.Loop() {
					f := New[int](l)
					for range k {
						f.AddDoneCallback(noop)
					}
					_ = f.SetResult(1)
					l.RunOnce()
				}
			})
		}
	}
}

// BenchmarkComplete isolates an on-loop completion of a future without callbacks:
// CAS + Store + waiter load + InLoop (no Post: nothing to run).
func BenchmarkComplete(b *testing.B) {
	l := NewTestLoop()
	fs := make([]Future[int], 1024)
	for i := range fs {
		fs[i].loop = l
		fs[i].th = thunk{pc: thunkPC, r: &fs[i]}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := &fs[i&1023]
		f.state.Store(statePending)
		_ = f.SetResult(i)
	}
}

var sinkFuture *Future[int]

// BenchmarkAllocFloor is the bare heap allocation of a Future[int] (the floor of
// every round trip): the part of a round trip no future design can remove.
func BenchmarkAllocFloor(b *testing.B) {
	b.ReportAllocs()
	defer cpuMetric(b)()
	for b.Loop() {
		sinkFuture = &Future[int]{}
	}
}
