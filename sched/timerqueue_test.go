package sched

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The timer queue pops in exactly the (when, seq) order of a sorted list,
// whatever mix of due (FIFO) and future (heap) timers, clock steps backwards,
// interleaved pops and purges it sees.
func TestTimerQueueOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for round := 0; round < 200; round++ {
		var q timerQueue
		var ref []timerEntry
		now, seq := time.Duration(0), uint64(0)
		var got, want []uint64
		for op := 0; op < 500; op++ {
			switch k := r.IntN(10); {
			case k < 4: // CallLater(0): due now
				x := timerEntry{when: now, seq: seq}
				seq++
				q.pushDue(x)
				ref = append(ref, x)
			case k < 6: // a future timer, or a past CallAt
				x := timerEntry{when: now + time.Duration(r.IntN(200)-50), seq: seq}
				seq++
				q.push(x)
				ref = append(ref, x)
			case k < 7: // the clock moves, sometimes backwards (WithClock)
				now += time.Duration(r.IntN(40) - 8)
			case k < 9: // the loop fires what is due, by popDue (step 4) or top+pop
				if r.IntN(2) == 0 {
					for q.len() > 0 && q.top().when <= now {
						got = append(got, q.pop().seq)
					}
				} else {
					for e, ok := q.popDue(now); ok; e, ok = q.popDue(now) {
						got = append(got, e.seq)
					}
					if q.len() > 0 && q.top().when <= now {
						t.Fatalf("round %d op %d: popDue left a due timer", round, op)
					}
				}
				slices.SortFunc(ref, func(a, b timerEntry) int {
					if a.less(&b) {
						return -1
					}
					return 1
				})
				i := 0
				for i < len(ref) && ref[i].when <= now {
					want = append(want, ref[i].seq)
					i++
				}
				ref = ref[i:]
			default: // purge every third timer
				drop := func(e *timerEntry) bool { return e.seq%3 != 0 }
				q.filter(drop)
				ref = slices.DeleteFunc(ref, func(e timerEntry) bool { return !drop(&e) })
			}
			if q.len() != len(ref) {
				t.Fatalf("round %d op %d: len %d, want %d", round, op, q.len(), len(ref))
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: fired %v\nwant %v", round, got, want)
		}
	}
}

// CallLater(0) timers take the FIFO, and they still fire after an earlier-due
// heap timer and in scheduling order among themselves, never early.
func TestTimerQueueDueFIFO(t *testing.T) {
	l := newLoop(t)
	var order []int
	if _, err := l.CallAt(l.Time()-time.Millisecond, func() { order = append(order, 0) }); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := l.CallLater(0, func() { order = append(order, i) }); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(l.timers.due); n != 3 {
		t.Fatalf("%d timers in the FIFO, want the 3 CallLater(0)", n)
	}
	l.CallLater(time.Millisecond, func() { order = append(order, 4); l.Stop() })
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("fired %v, want [0 1 2 3 4]", order)
	}
}

// Popped FIFO entries are not cleared one by one, but none is left holding its
// handle once the FIFO is empty, compacted or filtered.
func TestTimerQueueFIFOReleasesPopped(t *testing.T) {
	var q timerQueue
	hs := make([]TimerHandle, 300)
	held := func() int {
		n := 0
		for _, e := range q.due[:cap(q.due)] {
			if e.t != nil {
				n++
			}
		}
		return n
	}
	for i := range 100 {
		q.pushDue(timerEntry{when: 0, seq: uint64(i), t: &hs[i]})
	}
	for i := range 100 {
		e, ok := q.popDue(0)
		if !ok || e.seq != uint64(i) {
			t.Fatalf("pop %d: %v %v", i, e.seq, ok)
		}
	}
	if n := held(); n != 0 {
		t.Fatalf("empty FIFO still holds %d handles", n)
	}
	// Compaction: 100 pushed, 70 popped, more pushed until the dead prefix is dropped.
	for i := range 100 {
		q.pushDue(timerEntry{when: 1, seq: uint64(100 + i), t: &hs[100+i]})
	}
	for range 70 {
		q.popDue(1)
	}
	q.pushDue(timerEntry{when: 1, seq: 200, t: &hs[200]})
	if q.dueHead != 0 {
		t.Fatalf("dueHead %d after a push behind a long dead prefix, want 0 (compacted)", q.dueHead)
	}
	if n := held(); n != 31 {
		t.Fatalf("FIFO holds %d handles, want the 31 live ones", n)
	}
	for range 10 {
		q.popDue(1)
	}
	q.filter(func(e *timerEntry) bool { return e.seq%2 == 0 })
	if n, live := held(), q.len(); n != live {
		t.Fatalf("after filter the FIFO holds %d handles, %d live", n, live)
	}
}
