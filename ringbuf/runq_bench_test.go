package ringbuf

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// plainRing is the floor for RunQ's owner path: the same power-of-two ring
// with no atomics and no thieves.
type plainRing[T any] struct {
	head, tail uint32
	mask       uint32
	buf        []T
}

func (r *plainRing[T]) push(v T) bool {
	if r.tail-r.head > r.mask {
		return false
	}
	r.buf[r.tail&r.mask] = v
	r.tail++
	return true
}

func (r *plainRing[T]) pop() (T, bool) {
	var zero T
	if r.head == r.tail {
		return zero, false
	}
	s := r.head & r.mask
	v := r.buf[s]
	r.buf[s] = zero
	r.head++
	return v, true
}

// BenchmarkRunQOwner: the owner pushes a batch of 64 callbacks and pops them
// (op=batch64: Pop each, one CAS per element; op=batch64popn: one PopN), ns/op
// per element (push + pop), against the plain ring floor; op=pushpop1 is one
// push then one Pop.
func BenchmarkRunQOwner(b *testing.B) {
	fn := func() {}
	b.Run("queue=floor/op=batch64", func(b *testing.B) {
		r := &plainRing[func()]{mask: 255, buf: make([]func(), 256)}
		b.ReportAllocs()
		for i := 0; i < b.N; i += 64 {
			for j := 0; j < 64; j++ {
				r.push(fn)
			}
			for j := 0; j < 64; j++ {
				f, _ := r.pop()
				_ = f
			}
		}
	})
	b.Run("queue=runq/op=batch64", func(b *testing.B) {
		q, _ := NewRunQ[func()](256)
		b.ReportAllocs()
		for i := 0; i < b.N; i += 64 {
			for j := 0; j < 64; j++ {
				q.Push(fn)
			}
			for j := 0; j < 64; j++ {
				f, _ := q.Pop()
				_ = f
			}
		}
	})
	b.Run("queue=runq/op=batch64popn", func(b *testing.B) {
		q, _ := NewRunQ[func()](256)
		buf := make([]func(), 0, 64)
		b.ReportAllocs()
		for i := 0; i < b.N; i += 64 {
			for j := 0; j < 64; j++ {
				q.Push(fn)
			}
			buf = q.PopN(buf[:0], 64)
			for _, f := range buf {
				_ = f
			}
		}
	})
	b.Run("queue=floor/op=pushpop1", func(b *testing.B) {
		r := &plainRing[func()]{mask: 255, buf: make([]func(), 256)}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			r.push(fn)
			f, _ := r.pop()
			_ = f
		}
	})
	b.Run("queue=runq/op=pushpop1", func(b *testing.B) {
		q, _ := NewRunQ[func()](256)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			q.Push(fn)
			f, _ := q.Pop()
			_ = f
		}
	})
}

// BenchmarkRunQSteal: one owner keeps pushing (running an element itself
// when the queue is full) while 1, 2 or 4 thieves steal half at a time and
// run what they took. ns/op is wall time per element moved through the
// queue; stolen/op is the share the thieves took.
func BenchmarkRunQSteal(b *testing.B) {
	for _, thieves := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("thieves=%d", thieves), func(b *testing.B) {
			q, _ := NewRunQ[func()](256)
			fn := func() {}
			var stolen atomic.Int64
			var stop atomic.Bool
			var wg sync.WaitGroup
			for k := 0; k < thieves; k++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					dst, _ := NewRunQ[func()](256)
					var n int64
					for !stop.Load() {
						f, ok := q.StealHalf(dst)
						if !ok {
							runtime.Gosched()
							continue
						}
						f()
						n++
						for {
							g, ok := dst.Pop()
							if !ok {
								break
							}
							g()
							n++
						}
					}
					stolen.Add(n)
				}()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for !q.Push(fn) {
					if f, ok := q.Pop(); ok {
						f()
					}
				}
			}
			for {
				f, ok := q.Pop()
				if !ok {
					break
				}
				f()
			}
			b.StopTimer()
			stop.Store(true)
			wg.Wait()
			b.ReportMetric(float64(stolen.Load())/float64(b.N), "stolen/op")
		})
	}
}
