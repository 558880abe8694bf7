package ringbuf

import "testing"

// BenchmarkChainPushDrain/queue=Q/seg=S: one goroutine pushes a batch of 64
// and drains it, so with seg=64 every batch links one segment (from the pool)
// and retires one: the segment chain's cost (segchain.go) per element, beside
// the per-slot cost at seg=1024. ns/op is per element; no cross-core traffic.
func BenchmarkChainPushDrain(b *testing.B) {
	for _, seg := range []int{64, 1024} {
		b.Run("queue=ptr/seg="+itoaBench(seg), func(b *testing.B) {
			q, err := NewPtrMPSC[func()](WithSegmentSize(seg))
			if err != nil {
				b.Fatal(err)
			}
			fn := func() {}
			sink := func(func()) {}
			b.ReportAllocs()
			for i := 0; i < b.N; i += 64 {
				for j := 0; j < 64; j++ {
					q.Push(fn)
				}
				q.Drain(0, sink)
			}
		})
		b.Run("queue=seq/seg="+itoaBench(seg), func(b *testing.B) {
			q := mustMPSC[func()](b, WithSegmentSize(seg))
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

func itoaBench(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
