//go:build !ringloop_timeralloc1

package sched

// timerAlloc: TimerHandles come from slabs of timerSlabSize, one allocation per
// slab instead of one per timer.
//
// Why: a timer costs one clock read and one TimerHandle, and the handle is the
// caller's (CallLater returns it), so it cannot be recycled. A slab turns 64
// mallocs into one, and the garbage collector marks one object where it marked
// 64: with 1e5 timers pending that is 1563 objects to mark each cycle, not 1e5.
// The build tag ringloop_timeralloc1 (timeralloc1.go) allocates one handle at a
// time, the alternative this replaced.
//
// What a retained handle keeps alive: its whole slab, timerSlabSize handles of 48
// bytes (3 KB), for as long as any one of them is reachable. The callbacks of the
// other handles are not kept: the loop clears a handle's fn when its timer leaves
// the queue cancelled (dropTimer, purgeTimers), and after it ran: at the start
// of the next iteration, or when RunForever returns (releaseFired). A handle inside a slab is an interior pointer, so
// runtime.SetFinalizer on a *TimerHandle panics (runtime.AddCleanup works).
//
// Invariants:
//   - slab[next:] have never been handed out; slab[:next] have, once each.
//   - touched only by the loop goroutine (or the owner before Run), like the rest
//     of the timer state.

const timerSlabSize = 64

type timerSlab [timerSlabSize]TimerHandle

type timerAlloc struct {
	slab *timerSlab // the slab being handed out; nil before the first timer
	next int        // index of the next unused handle in slab
}

// get returns a zero TimerHandle. Inlined into callAt; the refill is not.
func (a *timerAlloc) get() *TimerHandle {
	if a.slab == nil || a.next == timerSlabSize {
		a.refill()
	}
	t := &a.slab[a.next]
	a.next++
	return t
}

func (a *timerAlloc) refill() {
	a.slab, a.next = new(timerSlab), 0
}
