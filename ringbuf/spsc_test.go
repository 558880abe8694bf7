package ringbuf

import (
	"errors"
	"math"
	"runtime"
	"testing"
	"weak"
)

func TestSPSCCapacityErrors(t *testing.T) {
	for _, c := range []int{0, -1, 3, 6, 1<<30 + 1, math.MaxInt} {
		if _, err := NewSPSC[int](c); err == nil || !contains(err.Error(), "NewSPSC(") {
			t.Errorf("NewSPSC(%d): err = %v", c, err)
		}
	}
	for _, c := range []int{1, 2, 1024} {
		q, err := NewSPSC[int](c)
		if err != nil || q.Cap() != c {
			t.Errorf("NewSPSC(%d) = %v, %v", c, q, err)
		}
	}
}

// spscNearWrap is a test hook: every counter starts at start.
func spscNearWrap[T any](t *testing.T, capacity int, start uint64) *SPSC[T] {
	q, err := NewSPSC[T](capacity)
	if err != nil {
		t.Fatal(err)
	}
	q.tail.Store(start)
	q.head.Store(start)
	q.ptail, q.headCache, q.chead, q.tailCache = start, start, start, start
	return q
}

func TestSPSCFullAndWrap(t *testing.T) {
	for _, start := range []uint64{0, math.MaxUint64 - 5} {
		q := spscNearWrap[int](t, 4, start)
		next, want := 0, 0
		for round := 0; round < 50; round++ {
			for {
				err := q.Push(next)
				if errors.Is(err, ErrFull) {
					if q.Len() != 4 {
						t.Fatalf("ErrFull at Len %d", q.Len())
					}
					break
				}
				next++
			}
			k := round%4 + 1
			switch round % 3 {
			case 0:
				for i := 0; i < k; i++ {
					if v, ok := q.Pop(); !ok || v != want {
						t.Fatalf("Pop = %d,%v want %d", v, ok, want)
					}
					want++
				}
			case 1:
				q.Drain(k, func(v int) {
					if v != want {
						t.Fatalf("Drain gave %d want %d", v, want)
					}
					want++
				})
			case 2:
				for _, v := range q.DrainTo(nil, k) {
					if v != want {
						t.Fatalf("DrainTo gave %d want %d", v, want)
					}
					want++
				}
			}
		}
		for _, v := range q.DrainTo(nil, 0) {
			if v != want {
				t.Fatalf("final DrainTo gave %d want %d", v, want)
			}
			want++
		}
		if want != next || q.Len() != 0 {
			t.Fatalf("pushed %d popped %d Len %d", next, want, q.Len())
		}
		if _, ok := q.Pop(); ok {
			t.Fatal("Pop on empty ring")
		}
	}
}

func TestSPSCStress(t *testing.T) {
	n := 10 * stressN()
	for _, c := range []int{1, 8, 1024} {
		q, _ := NewSPSC[int](c)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < n; i++ {
				for q.Push(i) != nil {
					runtime.Gosched()
				}
			}
		}()
		want := 0
		for want < n {
			got := q.Drain(0, func(v int) {
				if v != want {
					t.Fatalf("cap %d: got %d want %d", c, v, want)
				}
				want++
			})
			if got == 0 {
				runtime.Gosched()
			}
		}
		<-done
	}
}

func TestSPSCNoRetainedGarbage(t *testing.T) {
	q, _ := NewSPSC[*payload](4)
	var ws []weak.Pointer[payload]
	for i := 0; i < 12; i++ {
		p := newPayload()
		ws = append(ws, weak.Make(p))
		if err := q.Push(p); err != nil {
			t.Fatal(err)
		}
		switch i % 3 {
		case 0:
			q.Pop()
		case 1:
			q.Drain(0, func(*payload) {})
		case 2:
			_ = q.DrainTo(nil, 0)
		}
	}
	runtime.GC()
	runtime.GC()
	for i, w := range ws {
		if w.Value() != nil {
			t.Fatalf("element %d still reachable", i)
		}
	}
}

func TestSPSCZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	q, _ := NewSPSC[func()](64)
	fn := func() {}
	buf := make([]func(), 0, 64)
	if a := testing.AllocsPerRun(100, func() {
		for i := 0; i < 64; i++ {
			_ = q.Push(fn)
		}
		q.Pop()
		q.Drain(10, func(func()) {})
		buf = q.DrainTo(buf[:0], 0)
	}); a != 0 {
		t.Fatalf("%v allocs per round", a)
	}
}
