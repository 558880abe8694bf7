package ringbuf

import (
	"testing"
)

// Single-goroutine costs (no cross-core traffic): push a batch, drain it.
// ns/op is per element. The cross-goroutine comparison is bench's
// BenchmarkInbox.
func BenchmarkMPSCPushDrain(b *testing.B) {
	for _, v := range []struct {
		name string
		opts []Option
	}{
		{"mode=xadd", nil},
		{"mode=bounded", []Option{WithCapacity(1024)}},
		{"mode=cas", []Option{WithCASClaim()}},
	} {
		b.Run(v.name, func(b *testing.B) {
			q := mustMPSC[func()](b, v.opts...)
			fn := func() {}
			sink := func(func()) {}
			b.ReportAllocs()
			for i := 0; i < b.N; i += 64 {
				for j := 0; j < 64; j++ {
					_ = q.Push(fn)
				}
				q.Drain(0, sink)
			}
		})
	}
}

func BenchmarkSPSCPushDrain(b *testing.B) {
	q, _ := NewSPSC[func()](1024)
	fn := func() {}
	sink := func(func()) {}
	b.ReportAllocs()
	for i := 0; i < b.N; i += 64 {
		for j := 0; j < 64; j++ {
			_ = q.Push(fn)
		}
		q.Drain(0, sink)
	}
}

// BenchmarkMPSCGrow: pushes into a queue nobody drains, so every segment is
// freshly allocated (the cost a burst pays while the consumer is away).
func BenchmarkMPSCGrow(b *testing.B) {
	fn := func() {}
	b.ReportAllocs()
	var q *MPSC[func()]
	for i := 0; i < b.N; i++ {
		if i%(1<<16) == 0 {
			q = mustMPSC[func()](b)
		}
		_ = q.Push(fn)
	}
}
