package sched

import "testing"

// BenchmarkInboxSingleThread: the per-item CPU cost of each inbox with no
// contention and no cache-line transfer: push a batch of 1024 on the loop
// goroutine, drain it into ready, run it. Separates what a variant costs from
// what the cross-core traffic costs in bench.BenchmarkCallSoonThreadsafe.
func BenchmarkInboxSingleThread(b *testing.B) {
	for _, v := range InboxVariants() {
		b.Run("variant="+v, func(b *testing.B) {
			l, err := New(WithInbox(v))
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			n := 0
			fn := func() { n++ }
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += 1024 {
				k := min(1024, b.N-i)
				for j := 0; j < k; j++ {
					l.PostThreadsafe(fn)
				}
				l.in.drain(&l.ready, 0)
				for l.runBatch(l.ready.Len()) > 0 {
				}
			}
			if n != b.N {
				b.Fatalf("ran %d of %d", n, b.N)
			}
		})
	}
}
