package ring

import (
	"math/rand/v2"
	"testing"
)

// PopKeep batches against a slice model: random pushes during the batch (which
// wrap onto popped slots and sometimes grow the ring), then ClearPopped. After
// every batch the items come out in FIFO order and every slot outside
// [head, tail) holds the zero value again (the invariant the GC relies on).
func TestPopKeepClearPopped(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var q Ring[elem]
	var model []int
	next := 0
	push := func() {
		q.Push(elem{v: next, p: &next})
		model = append(model, next)
		next++
	}
	for range 40 {
		push()
	}
	for round := 0; round < 3000; round++ {
		n := r.IntN(q.Len() + 1)
		m := q.Mark()
		for i := 0; i < n; i++ {
			it := q.PopKeep()
			if it.v != model[0] || it.p == nil {
				t.Fatalf("round %d: popped %d, want %d", round, it.v, model[0])
			}
			model = model[1:]
			for k := r.IntN(3); k > 0; k-- { // pushes inside the batch, as callbacks do
				push()
			}
		}
		q.ClearPopped(m)
		for k := r.IntN(4); k > 0; k-- {
			push()
		}
		if q.Len() != len(model) {
			t.Fatalf("round %d: Len %d, model %d", round, q.Len(), len(model))
		}
		mask := uint(len(q.buf) - 1)
		for i := q.tail; i != q.head+uint(len(q.buf)); i++ {
			if e := q.buf[i&mask]; e.p != nil || e.v != 0 {
				t.Fatalf("round %d: free slot %d holds %+v after ClearPopped", round, i&mask, e)
			}
		}
		if len(model) > 300 { // keep it small so the ring wraps often
			for len(model) > 20 {
				q.Pop()
				model = model[1:]
			}
		}
	}
}

// A full ring popped whole (the wrapped clear covers every slot), and an empty
// batch, leave every slot zero.
func TestClearPoppedWholeRing(t *testing.T) {
	var q Ring[elem]
	x := 1
	for i := 0; i < 64; i++ {
		q.Push(elem{v: i + 1, p: &x})
	}
	for i := 0; i < 10; i++ { // move head so the batch wraps
		q.Pop()
		q.Push(elem{v: 100 + i, p: &x})
	}
	m := q.Mark()
	q.ClearPopped(m) // empty batch
	for q.Len() > 0 {
		q.PopKeep()
	}
	q.ClearPopped(m)
	for i, e := range q.buf {
		if e.p != nil || e.v != 0 {
			t.Fatalf("slot %d holds %+v", i, e)
		}
	}
}
