package ringbuf

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
	"weak"
)

func mustPtr[T any](tb testing.TB, opts ...Option) *PtrMPSC[T] {
	tb.Helper()
	q, err := NewPtrMPSC[T](opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return q
}

// ptrSegSizes: the default, and sizes small enough that every push crosses
// segments (linking, walking back, recycling).
var ptrSegSizes = []int{DefaultSegmentSize, 2, 8}

func TestPtrMPSCOptionErrors(t *testing.T) {
	for _, c := range []struct {
		err  func() error
		want string
	}{
		{func() error { _, err := NewPtrMPSC[int](); return err }, "element kind int is not pointer-shaped"},
		{func() error { _, err := NewPtrMPSC[struct{ p *int }](); return err }, "not pointer-shaped"},
		{func() error { _, err := NewPtrMPSC[func()](WithCapacity(8)); return err }, "not supported"},
		{func() error { _, err := NewPtrMPSC[func()](WithCASClaim()); return err }, "not supported"},
		{func() error { _, err := NewPtrMPSC[func()](WithSegmentSize(3)); return err }, "WithSegmentSize(3)"},
	} {
		if err := c.err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
	for _, f := range []func() error{
		func() error { _, err := NewPtrMPSC[*int](); return err },
		func() error { _, err := NewPtrMPSC[func()](); return err },
		func() error { _, err := NewPtrMPSC[chan int](); return err },
		func() error { _, err := NewPtrMPSC[map[int]int](); return err },
		func() error { _, err := NewPtrMPSC[unsafe.Pointer](); return err },
	} {
		if err := f(); err != nil {
			t.Error(err)
		}
	}
}

func TestPtrMPSCNilPanics(t *testing.T) {
	q := mustPtr[*int](t)
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.HasPrefix(s, "ringloop: ") {
			t.Fatalf("recover() = %v, want a ringloop: panic", r)
		}
		if !q.Empty() {
			t.Fatal("a refused nil claimed a ticket")
		}
	}()
	q.Push(nil)
}

// TestPtrMPSCSequentialFIFO: pushes across many segments come back in order
// through Pop and Drain, and the queue is empty after.
func TestPtrMPSCSequentialFIFO(t *testing.T) {
	for _, seg := range ptrSegSizes {
		t.Run(fmt.Sprintf("seg=%d", seg), func(t *testing.T) {
			q := mustPtr[*int](t, WithSegmentSize(seg))
			vals := make([]int, 5*seg+3)
			for i := range vals {
				vals[i] = i
				q.Push(&vals[i])
			}
			if q.Len() != len(vals) {
				t.Fatalf("Len %d want %d", q.Len(), len(vals))
			}
			want := 0
			for i := 0; i < seg; i++ {
				p, ok := q.Pop()
				if !ok || *p != want {
					t.Fatalf("Pop = %v,%v want %d", p, ok, want)
				}
				want++
			}
			if n := q.Drain(seg, func(p *int) {
				if *p != want {
					t.Fatalf("Drain gave %d want %d", *p, want)
				}
				want++
			}); n != seg {
				t.Fatalf("Drain(max %d) took %d", seg, n)
			}
			q.Drain(0, func(p *int) {
				if *p != want {
					t.Fatalf("Drain gave %d want %d", *p, want)
				}
				want++
			})
			if want != len(vals) || !q.Empty() || q.Len() != 0 {
				t.Fatalf("got %d of %d, Empty %v", want, len(vals), q.Empty())
			}
			if _, ok := q.Pop(); ok {
				t.Fatal("Pop on an empty queue")
			}
		})
	}
}

// stressPtr: p producers push n numbered elements each while the consumer
// drains (and, if consumerPushes, pushes its own sequence); checks
// exactly-once delivery and per-producer order.
func stressPtr(t *testing.T, seg, p, n int, consumerPushes bool, opts ...Option) {
	t.Helper()
	q := mustPtr[*[2]int](t, append([]Option{WithSegmentSize(seg)}, opts...)...)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for id := 0; id < p; id++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := 0; i < n; i++ {
				q.Push(&[2]int{id, i})
			}
		}()
	}
	nexts := make([]int, p+1)
	total, own, got := p*n, 0, 0
	if consumerPushes {
		total += n
	}
	check := func(x *[2]int) {
		if x[0] > p || x[1] != nexts[x[0]] {
			t.Fatalf("producer %d: got seq %d, want %d (lost, duplicated or reordered)", x[0], x[1], nexts[x[0]])
		}
		nexts[x[0]]++
		got++
	}
	close(start)
	deadline := time.Now().Add(2 * time.Minute)
	for got < total {
		if consumerPushes && own < n {
			q.Push(&[2]int{p, own})
			own++
		}
		if q.Drain(0, check) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("stuck: got %d of %d, Len %d, Empty %v", got, total, q.Len(), q.Empty())
			}
			runtime.Gosched()
		}
	}
	wg.Wait()
	if !q.Empty() || q.Len() != 0 {
		t.Fatalf("after all %d: Empty %v Len %d", total, q.Empty(), q.Len())
	}
}

func TestPtrMPSCStress(t *testing.T) {
	n := stressN()
	for _, seg := range ptrSegSizes {
		for _, p := range []int{1, 2, 4, 8, 16} {
			t.Run(fmt.Sprintf("seg=%d/producers=%d", seg, p), func(t *testing.T) { stressPtr(t, seg, p, n, false) })
		}
		t.Run(fmt.Sprintf("seg=%d/consumer-pushes", seg), func(t *testing.T) { stressPtr(t, seg, 3, n/4, true) })
	}
}

// TestPtrMPSCWrapAround starts the tickets just below 2^64, so segments are
// linked, walked back and recycled across the wrap.
func TestPtrMPSCWrapAround(t *testing.T) {
	for _, seg := range []int{2, 64} {
		t.Run(fmt.Sprintf("seg=%d", seg), func(t *testing.T) {
			start := -uint64(4 * seg)
			stressPtr(t, seg, 4, 3*seg+1000, false, withStartTicket(start))
			q := mustPtr[*int](t, WithSegmentSize(seg), withStartTicket(start))
			vals := make([]int, 10*seg)
			for i := range vals {
				vals[i] = i
				q.Push(&vals[i])
			}
			want := 0
			q.Drain(0, func(p *int) {
				if *p != want {
					t.Fatalf("Drain gave %d want %d", *p, want)
				}
				want++
			})
			if want != len(vals) || !q.Empty() {
				t.Fatalf("got %d of %d across the wrap", want, len(vals))
			}
			if q.c.tail.Load() >= start {
				t.Fatalf("tail %d did not wrap (start %d)", q.c.tail.Load(), start)
			}
		})
	}
}

// TestPtrMPSCClaimedUnpublished: a claimed, unpublished slot stops Pop and
// Drain (elements behind it wait) and reads as not Empty (the sleep
// handshake relies on it).
func TestPtrMPSCClaimedUnpublished(t *testing.T) {
	q := mustPtr[*int](t, WithSegmentSize(4))
	tk := q.c.tail.Add(1) - 1 // a producer between its claim and its publish
	a, b := 6, 7
	q.Push(&b)
	if q.Empty() {
		t.Fatal("Empty() with a claimed, unpublished slot")
	}
	if _, ok := q.Pop(); ok {
		t.Fatal("Pop passed an unpublished slot")
	}
	if n := q.Drain(0, func(*int) {}); n != 0 {
		t.Fatalf("Drain passed an unpublished slot: %d", n)
	}
	publishPtr(&q.c.tailSeg.Load().slots[tk&q.c.mask], unsafe.Pointer(&a)) // as Push does
	var got []int
	q.Drain(0, func(p *int) { got = append(got, *p) })
	if len(got) != 2 || got[0] != 6 || got[1] != 7 || !q.Empty() {
		t.Fatalf("after publish: %v, Empty %v", got, q.Empty())
	}
}

// TestPtrMPSCFuncs: func values (the loop's element) travel intact.
func TestPtrMPSCFuncs(t *testing.T) {
	q := mustPtr[func() int](t, WithSegmentSize(2))
	for i := 0; i < 7; i++ {
		q.Push(func() int { return i })
	}
	want := 0
	q.Drain(0, func(f func() int) {
		if f() != want {
			t.Fatalf("func returned %d want %d", f(), want)
		}
		want++
	})
	if want != 7 {
		t.Fatalf("got %d of 7", want)
	}
}

// TestPtrMPSCNoRetainedGarbage: after Pop and Drain the queue holds no
// reference to an element, also in segments waiting in the recycle pool.
func TestPtrMPSCNoRetainedGarbage(t *testing.T) {
	q := mustPtr[*payload](t, WithSegmentSize(2))
	var ws []weak.Pointer[payload]
	for round := 0; round < 3; round++ {
		for i := 0; i < 5; i++ {
			p := newPayload()
			ws = append(ws, weak.Make(p))
			q.Push(p)
		}
		q.Pop()
		q.Drain(1, func(*payload) {})
		q.Drain(0, func(*payload) {})
	}
	if !q.Empty() {
		t.Fatal("not empty")
	}
	runtime.GC()
	runtime.GC()
	for i, w := range ws {
		if w.Value() != nil {
			t.Fatalf("element %d still reachable after pop", i)
		}
	}
}

// TestPtrMPSCZeroAllocs: in steady state (segments recycled) Push, Pop and
// Drain allocate nothing.
func TestPtrMPSCZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, seg := range []int{DefaultSegmentSize, 2} {
		t.Run(fmt.Sprintf("seg=%d", seg), func(t *testing.T) {
			q := mustPtr[func()](t, WithSegmentSize(seg))
			fn := func() {}
			burst := 3 * DefaultSegmentSize
			if seg == 2 {
				burst = 12 // at most 6 segments of 2: fits the recycle pool
			}
			cb := func(func()) {}
			round := func() {
				for i := 0; i < burst; i++ {
					q.Push(fn)
				}
				q.Pop()
				q.Drain(burst/2, cb)
				q.Drain(0, cb)
			}
			round()
			round()
			if a := testing.AllocsPerRun(100, round); a != 0 {
				t.Fatalf("%v allocs per round of %d pushes, want 0", a, burst)
			}
		})
	}
}

// TestPtrMPSCSleepHandshake runs the loop's sleep protocol over PtrMPSC (as
// TestMPSCSleepHandshake does over MPSC): producer Push (XADD) then load the
// state; consumer store sleeping, Empty(), block only if still empty. A lost
// wakeup leaves the consumer blocked with elements queued and fails on the
// timeout. Run it on the shipped (non-race) build too: there publishPtr is a
// plain MOV, and only the XADD may carry the handshake.
func TestPtrMPSCSleepHandshake(t *testing.T) {
	const (
		running int32 = iota
		sleeping
		notified
	)
	rounds := 2000
	if testing.Short() || raceEnabled {
		rounds = 300
	}
	for _, seg := range []int{DefaultSegmentSize, 2} {
		t.Run(fmt.Sprintf("seg=%d", seg), func(t *testing.T) {
			q := mustPtr[*int](t, WithSegmentSize(seg))
			var state atomic.Int32
			wake := make(chan struct{}, 1)
			const producers = 3
			var wg sync.WaitGroup
			one := 1
			for p := 0; p < producers; p++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for r := 0; r < rounds; r++ {
						q.Push(&one)
						if state.Load() == sleeping && state.CompareAndSwap(sleeping, notified) {
							wake <- struct{}{}
						}
						if r%7 == 0 {
							time.Sleep(time.Microsecond)
						}
					}
				}()
			}
			got, total := 0, producers*rounds
			for got < total {
				if k := q.Drain(0, func(*int) {}); k > 0 {
					got += k
					continue
				}
				state.Store(sleeping)
				if q.Empty() {
					select {
					case <-wake:
					case <-time.After(10 * time.Second):
						t.Fatalf("lost wakeup: consumer asleep with %d of %d taken, Len %d", got, total, q.Len())
					}
				}
				if state.Swap(running) == notified {
					select { // the notifier's token may not have been taken above
					case <-wake:
					default:
					}
				}
			}
			wg.Wait()
		})
	}
}
