package ringbuf

import (
	"errors"
	"testing"
)

// Fuzz targets: random operation sequences against a slice model. Each byte
// is one operation; the seeds below run in plain `go test`.

func FuzzBoundedMPSC(f *testing.F) {
	f.Add(uint8(3), uint8(1), false, []byte{0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3})
	f.Add(uint8(1), uint8(0), true, []byte{0, 0, 1, 0, 2, 0, 0x13})
	f.Add(uint8(20), uint8(2), false, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 1})
	f.Fuzz(func(t *testing.T, capacity, segLog uint8, cas bool, ops []byte) {
		c := int(capacity%64) + 1
		seg := 1 << (segLog%5 + 1) // 2..32
		opts := []Option{WithCapacity(c), WithSegmentSize(seg)}
		if cas {
			opts = append(opts, WithCASClaim())
		}
		q, err := NewMPSC[int](opts...)
		if err != nil {
			t.Fatal(err)
		}
		var model []int
		next := 0
		for _, op := range ops {
			switch op & 3 {
			case 0:
				err := q.Push(next)
				if full := len(model) >= c; full != errors.Is(err, ErrFull) {
					t.Fatalf("Push with %d/%d queued: err %v", len(model), c, err)
				}
				if err == nil {
					model = append(model, next)
				}
				next++
			case 1:
				v, ok := q.Pop()
				if ok != (len(model) > 0) || (ok && v != model[0]) {
					t.Fatalf("Pop = %d,%v; model %v", v, ok, model)
				}
				if ok {
					model = model[1:]
				}
			case 2:
				max := int(op >> 2)
				i := 0
				n := q.Drain(max, func(v int) {
					if v != model[i] {
						t.Fatalf("Drain[%d] = %d, want %d", i, v, model[i])
					}
					i++
				})
				k := len(model)
				if max > 0 && max < k {
					k = max
				}
				if n != k || i != k {
					t.Fatalf("Drain(%d) = %d (called %d), want %d", max, n, i, k)
				}
				model = model[k:]
			case 3:
				max := int(op >> 2)
				got := q.DrainTo(nil, max)
				k := len(model)
				if max > 0 && max < k {
					k = max
				}
				if len(got) != k {
					t.Fatalf("DrainTo(%d) gave %d, want %d", max, len(got), k)
				}
				for i := range got {
					if got[i] != model[i] {
						t.Fatalf("DrainTo[%d] = %d, want %d", i, got[i], model[i])
					}
				}
				model = model[k:]
			}
			if q.Len() != len(model) || q.Empty() != (len(model) == 0) {
				t.Fatalf("Len %d Empty %v, model %d", q.Len(), q.Empty(), len(model))
			}
		}
	})
}
