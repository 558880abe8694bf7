package sched

import (
	"math/rand/v2"
	"testing"
)

// fifo against a slice model: push, pop, and batches written through space/commit,
// across many wrap-arounds and growths.
func TestFifoModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var q fifo
	var model []int
	next := 0
	mk := func() item {
		next++
		v := next
		h := &Handle{}
		h.state.Store(uint32(v))
		return item{fn: func() { _ = v }, h: h}
	}
	for step := 0; step < 200_000; step++ {
		switch r.IntN(3) {
		case 0:
			it := mk()
			q.push(it)
			model = append(model, int(it.h.state.Load()))
		case 1:
			sp := q.space()
			if cap(sp) < 1 {
				t.Fatal("space() returned no room")
			}
			k := 1 + r.IntN(min(cap(sp), 6))
			for i := 0; i < k; i++ {
				it := mk()
				sp = append(sp, it)
				model = append(model, int(it.h.state.Load()))
			}
			if cap(sp) != cap(q.space()) && len(sp) > k {
				t.Fatal("append outgrew space")
			}
			q.commit(k)
		case 2:
			for n := r.IntN(12); n > 0 && q.len() > 0; n-- {
				got := int(q.pop().h.state.Load())
				if got != model[0] {
					t.Fatalf("step %d: popped %d, want %d", step, got, model[0])
				}
				model = model[1:]
			}
		}
		if q.len() != len(model) {
			t.Fatalf("step %d: len %d, model %d", step, q.len(), len(model))
		}
	}
}
