package ringbuf

import (
	"runtime"
	"testing"
	"weak"
)

func TestDequeFIFOAndGrowth(t *testing.T) {
	var d Deque[int]
	if _, ok := d.PopFront(); ok || d.Len() != 0 || d.Cap() != 0 {
		t.Fatal("zero Deque not empty")
	}
	next, want := 0, 0
	for round := 0; round < 300; round++ {
		for i := 0; i < round%13+1; i++ {
			d.PushBack(next)
			next++
		}
		if c := d.Cap(); c&(c-1) != 0 || c < d.Len() {
			t.Fatalf("Cap %d (Len %d) not a power of two >= Len", c, d.Len())
		}
		if round%2 == 0 {
			for _, v := range d.PopBatch(nil, round%11) {
				if v != want {
					t.Fatalf("PopBatch gave %d want %d", v, want)
				}
				want++
			}
		} else {
			for i := 0; i < round%9; i++ {
				v, ok := d.PopFront()
				if !ok {
					break
				}
				if v != want {
					t.Fatalf("PopFront = %d want %d", v, want)
				}
				want++
			}
		}
		if d.Len() != next-want {
			t.Fatalf("Len %d want %d", d.Len(), next-want)
		}
	}
	c := d.Cap()
	d.Clear()
	if d.Len() != 0 || d.Cap() != c {
		t.Fatalf("Clear: Len %d Cap %d (was %d)", d.Len(), d.Cap(), c)
	}
	if got := d.PopBatch(nil, 0); len(got) != 0 {
		t.Fatalf("PopBatch on empty: %v", got)
	}
}

func TestDequeNoRetainedGarbage(t *testing.T) {
	var d Deque[*payload]
	var ws []weak.Pointer[payload]
	for i := 0; i < 40; i++ {
		p := newPayload()
		ws = append(ws, weak.Make(p))
		d.PushBack(p)
		if i%5 == 4 {
			d.PopFront()
			_ = d.PopBatch(nil, 2)
		}
	}
	d.PopFront()
	_ = d.PopBatch(nil, 0)
	d.PushBack(newPayload())
	d.Clear()
	runtime.GC()
	runtime.GC()
	for i, w := range ws {
		if w.Value() != nil {
			t.Fatalf("element %d still reachable", i)
		}
	}
}

func TestDequeZeroAllocsOnceGrown(t *testing.T) {
	var d Deque[func()]
	fn := func() {}
	buf := make([]func(), 0, 100)
	for i := 0; i < 100; i++ {
		d.PushBack(fn)
	}
	d.Clear()
	if a := testing.AllocsPerRun(100, func() {
		for i := 0; i < 100; i++ {
			d.PushBack(fn)
		}
		d.PopFront()
		buf = d.PopBatch(buf[:0], 0)
	}); a != 0 {
		t.Fatalf("%v allocs per round", a)
	}
}
