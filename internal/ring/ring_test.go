package ring

import (
	"math/rand/v2"
	"testing"
)

// elem is shaped like sched's ready-queue item: a pointer beside a value.
type elem struct {
	v int
	p *int
}

// A Ring against a slice model: Push, TryPush, Pop, and batches written through
// Space/Commit, across many wrap-arounds and growths.
func TestRingModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var q Ring[elem]
	var model []int
	next := 0
	mk := func() elem {
		next++
		v := next
		return elem{v: v, p: &v}
	}
	for step := 0; step < 200_000; step++ {
		switch r.IntN(4) {
		case 0:
			it := mk()
			q.Push(it)
			model = append(model, int(it.v))
		case 3:
			it := mk()
			full := q.Len() == cap(q.buf)
			if ok := q.TryPush(it); ok == full {
				t.Fatalf("step %d: TryPush = %v with len %d of %d", step, ok, q.Len(), cap(q.buf))
			}
			if !full {
				model = append(model, it.v)
			}
		case 1:
			sp := q.Space()
			if cap(sp) < 1 {
				t.Fatal("space() returned no room")
			}
			k := 1 + r.IntN(min(cap(sp), 6))
			for i := 0; i < k; i++ {
				it := mk()
				sp = append(sp, it)
				model = append(model, int(it.v))
			}
			if cap(sp) != cap(q.Space()) && len(sp) > k {
				t.Fatal("append outgrew space")
			}
			q.Commit(k)
		case 2:
			for n := r.IntN(12); n > 0 && q.Len() > 0; n-- {
				got := int(q.Pop().v)
				if got != model[0] {
					t.Fatalf("step %d: popped %d, want %d", step, got, model[0])
				}
				model = model[1:]
			}
		}
		if q.Len() != len(model) {
			t.Fatalf("step %d: len %d, model %d", step, q.Len(), len(model))
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
		var q Ring[int]
		var model []int
		next := 0
		for _, op := range ops {
			switch op & 7 {
			case 0, 5, 6: // push (weighted so the ring grows)
				q.Push(next)
				model = append(model, next)
				next++
			case 1:
				if q.Len() > 0 {
					if v := q.Pop(); v != model[0] {
						t.Fatalf("pop = %d, model %v", v, model)
					}
					model = model[1:]
				}
			case 2, 3: // a batch through space/commit, as an inbox drain writes one
				sp := q.Space()
				k := min(int(op>>3)+1, cap(sp))
				for i := 0; i < k; i++ {
					sp = append(sp, next)
					model = append(model, next)
					next++
				}
				q.Commit(k)
			case 4:
				if op>>3 == 0 {
					q.Clear()
					model = nil
				}
			case 7:
			}
			if q.Len() != len(model) {
				t.Fatalf("len %d, model %d", q.Len(), len(model))
			}
		}
		for _, want := range model {
			if v := q.Pop(); v != want {
				t.Fatalf("final pop = %d, want %d", v, want)
			}
		}
	})
}
