//go:build !ringloop_timeralloc1

package sched

import (
	"testing"
	"time"
)

// With slabs, CallLater allocates once per timerSlabSize timers: 0 per call on
// average (AllocsPerRun rounds down), where one allocation per call was the rule.
func TestCallLaterAllocsAmortised(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	noop := func() {}
	for range 4 * timerSlabSize { // grow the queue's arrays first
		l.CallLater(time.Hour, noop)
	}
	if a := testing.AllocsPerRun(20*timerSlabSize, func() { l.CallLater(time.Hour, noop) }); a != 0 {
		t.Fatalf("CallLater: %v allocations per call, want 0 on average (one slab per %d)", a, timerSlabSize)
	}
	if a := testing.AllocsPerRun(20*timerSlabSize, func() { l.CallLater(0, noop) }); a != 0 {
		t.Fatalf("CallLater(0): %v allocations per call, want 0 on average", a)
	}
}
