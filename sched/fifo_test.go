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

// FuzzRing runs random operation sequences against a slice model, on the
// ring's second instantiation (the tasks waiting to start): each byte is one
// operation; the seeds run in plain `go test`.
func FuzzRing(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 2, 3})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x13, 4})
	f.Add([]byte{4, 1, 2, 0, 0x22, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x31})
	f.Fuzz(func(t *testing.T, ops []byte) {
		var q ring[int]
		var model []int
		next := 0
		for _, op := range ops {
			switch op & 7 {
			case 0, 5, 6: // push (weighted so the ring grows)
				q.push(next)
				model = append(model, next)
				next++
			case 1:
				if q.len() > 0 {
					if v := q.pop(); v != model[0] {
						t.Fatalf("pop = %d, model %v", v, model)
					}
					model = model[1:]
				}
			case 2, 3: // a batch through space/commit, as an inbox drain writes one
				sp := q.space()
				k := min(int(op>>3)+1, cap(sp))
				for i := 0; i < k; i++ {
					sp = append(sp, next)
					model = append(model, next)
					next++
				}
				q.commit(k)
			case 4:
				if op>>3 == 0 {
					q.clear()
					model = nil
				}
			case 7:
			}
			if q.len() != len(model) {
				t.Fatalf("len %d, model %d", q.len(), len(model))
			}
		}
		for _, want := range model {
			if v := q.pop(); v != want {
				t.Fatalf("final pop = %d, want %d", v, want)
			}
		}
	})
}
