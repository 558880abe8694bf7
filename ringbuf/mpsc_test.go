package ringbuf

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"
)

// mpscVariant is one configuration the contract tests run over.
type mpscVariant struct {
	name     string
	opts     []Option
	capacity int // 0 = unbounded
	strict   bool
}

// mpscVariants covers every mode with tiny segments (so the link, walk-back
// and recycle paths run constantly) and the defaults.
func mpscVariants() []mpscVariant {
	return []mpscVariant{
		{name: "mode=xadd/seg=default", opts: nil},
		{name: "mode=xadd/seg=2", opts: []Option{WithSegmentSize(2)}},
		{name: "mode=xadd/seg=8", opts: []Option{WithSegmentSize(8)}},
		{name: "mode=cas/seg=4", opts: []Option{WithCASClaim(), WithSegmentSize(4)}},
		{name: "mode=bounded/cap=16/seg=4", opts: []Option{WithCapacity(16), WithSegmentSize(4)}, capacity: 16},
		{name: "mode=bounded/cap=3/seg=2", opts: []Option{WithCapacity(3), WithSegmentSize(2)}, capacity: 3},
		{name: "mode=cas-bounded/cap=16/seg=4", opts: []Option{WithCASClaim(), WithCapacity(16), WithSegmentSize(4)}, capacity: 16, strict: true},
	}
}

func mustMPSC[T any](tb testing.TB, opts ...Option) *MPSC[T] {
	tb.Helper()
	q, err := NewMPSC[T](opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return q
}

func TestMPSCOptionErrors(t *testing.T) {
	for _, c := range []struct {
		opts []Option
		want string
	}{
		{[]Option{WithSegmentSize(3)}, "WithSegmentSize(3)"},
		{[]Option{WithSegmentSize(1)}, "WithSegmentSize(1)"},
		{[]Option{WithSegmentSize(-8)}, "WithSegmentSize(-8)"},
		{[]Option{WithSegmentSize(1 << 25)}, "WithSegmentSize(33554432)"},
		{[]Option{WithCapacity(0)}, "WithCapacity(0)"},
		{[]Option{WithCapacity(-1)}, "WithCapacity(-1)"},
		{[]Option{WithSegmentSize(4), withStartTicket(6)}, "start ticket 6"},
	} {
		_, err := NewMPSC[int](c.opts...)
		if err == nil || !contains(err.Error(), c.want) {
			t.Errorf("NewMPSC(%s): err = %v, want it to name %q", c.want, err, c.want)
		}
	}
	if _, err := NewMPSC[int](WithSegmentSize(2), WithCapacity(1), WithCASClaim()); err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestMPSCSequentialFIFO pushes and pops from one goroutine across many
// segments, interleaving Pop, Drain and DrainTo.
func TestMPSCSequentialFIFO(t *testing.T) {
	for _, v := range mpscVariants() {
		t.Run(v.name, func(t *testing.T) {
			q := mustMPSC[int](t, v.opts...)
			next, want := 0, 0
			var buf []int
			for round := 0; round < 200; round++ {
				k := round%7 + 1
				for i := 0; i < k; i++ {
					err := q.Push(next)
					if v.capacity > 0 && q.Len() > v.capacity {
						t.Fatalf("Len %d > capacity %d", q.Len(), v.capacity)
					}
					if errors.Is(err, ErrFull) {
						if v.capacity == 0 || q.Len() < v.capacity {
							t.Fatalf("ErrFull at Len %d, capacity %d", q.Len(), v.capacity)
						}
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					next++
				}
				if q.Len() != next-want {
					t.Fatalf("Len = %d, want %d", q.Len(), next-want)
				}
				switch round % 3 {
				case 0:
					for {
						x, ok := q.Pop()
						if !ok {
							break
						}
						if x != want {
							t.Fatalf("Pop = %d, want %d", x, want)
						}
						want++
					}
				case 1:
					q.Drain(2, func(x int) {
						if x != want {
							t.Fatalf("Drain gave %d, want %d", x, want)
						}
						want++
					})
				case 2:
					buf = q.DrainTo(buf[:0], 0)
					for _, x := range buf {
						if x != want {
							t.Fatalf("DrainTo gave %d, want %d", x, want)
						}
						want++
					}
				}
				if q.Empty() != (want == next) {
					t.Fatalf("Empty() = %v with %d queued", q.Empty(), next-want)
				}
			}
			buf = q.DrainTo(buf[:0], 0)
			for _, x := range buf {
				if x != want {
					t.Fatalf("final DrainTo gave %d, want %d", x, want)
				}
				want++
			}
			if want != next || !q.Empty() || q.Len() != 0 {
				t.Fatalf("lost elements: pushed %d, popped %d, Empty %v, Len %d", next, want, q.Empty(), q.Len())
			}
			if _, ok := q.Pop(); ok {
				t.Fatal("Pop on empty queue succeeded")
			}
		})
	}
}

// stressMPSC runs p producers pushing n numbered elements each while one
// consumer drains, and checks exactly-once delivery and per-producer order.
// Bounded producers retry on ErrFull. If consumerPushes, the consumer also
// pushes its own numbered sequence between drains.
func stressMPSC(t *testing.T, v mpscVariant, p, n int, consumerPushes bool) {
	t.Helper()
	q := mustMPSC[uint64](t, v.opts...)
	var wg sync.WaitGroup
	var fulls atomic.Int64
	start := make(chan struct{})
	for id := 0; id < p; id++ {
		wg.Add(1)
		go func(id uint64) {
			defer wg.Done()
			<-start
			for i := 0; i < n; i++ {
				for q.Push(id<<32|uint64(i)) != nil {
					fulls.Add(1)
					runtime.Gosched()
				}
			}
		}(uint64(id))
	}
	nexts := make([]int, p+1)
	total := p * n
	own := 0
	if consumerPushes {
		total += n
	}
	got := 0
	check := func(x uint64) {
		id, seq := int(x>>32), int(uint32(x))
		if id > p || seq != nexts[id] {
			t.Fatalf("producer %d: got seq %d, want %d (lost, duplicated or reordered)", id, seq, nexts[id])
		}
		nexts[id]++
		got++
	}
	close(start)
	deadline := time.Now().Add(2 * time.Minute)
	for got < total {
		if consumerPushes && own < n {
			// the consumer is a producer too: it must never wait for itself
			if q.Push(uint64(p)<<32|uint64(own)) == nil {
				own++
			} else if v.capacity == 0 {
				t.Fatal("unbounded Push failed")
			}
		}
		if q.Drain(0, check) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("stuck: got %d of %d, Len %d, Empty %v", got, total, q.Len(), q.Empty())
			}
			runtime.Gosched()
		}
	}
	wg.Wait()
	if !q.Empty() || q.Len() != 0 {
		t.Fatalf("after all %d: Empty %v Len %d", total, q.Empty(), q.Len())
	}
	if v.capacity == 0 && fulls.Load() != 0 {
		t.Fatalf("unbounded queue returned ErrFull %d times", fulls.Load())
	}
}

func stressN() int {
	// Full size in plain `go test`; the race detector is ~10x slower, so
	// -race (CI runs -race -short) scales down.
	switch {
	case raceEnabled && testing.Short():
		return 3_000
	case raceEnabled:
		return 10_000
	case testing.Short():
		return 20_000
	}
	return 100_000
}

func TestMPSCStress(t *testing.T) {
	n := stressN()
	for _, v := range mpscVariants() {
		if v.name == "mode=xadd/seg=8" { // covered by seg=2 and default
			continue
		}
		for _, p := range []int{1, 2, 4, 8, 16} {
			t.Run(fmt.Sprintf("%s/producers=%d", v.name, p), func(t *testing.T) {
				stressMPSC(t, v, p, n, false)
			})
		}
	}
}

// TestMPSCConsumerIsProducer: the consumer goroutine pushes while other
// producers fill the queue, including while a bounded queue is full.
func TestMPSCConsumerIsProducer(t *testing.T) {
	n := stressN() / 4
	for _, v := range mpscVariants() {
		t.Run(v.name, func(t *testing.T) { stressMPSC(t, v, 3, n, true) })
	}
}

// TestMPSCConsumerPushesWhileFull: alone, the consumer fills a bounded queue
// and keeps pushing (ErrFull at once, no spin), and pushes far past a
// segment into an unbounded one without draining.
func TestMPSCConsumerPushesWhileFull(t *testing.T) {
	for _, strict := range []bool{false, true} {
		opts := []Option{WithCapacity(5), WithSegmentSize(2)}
		if strict {
			opts = append(opts, WithCASClaim())
		}
		q := mustMPSC[int](t, opts...)
		for i := 0; i < 5; i++ {
			if err := q.Push(i); err != nil {
				t.Fatalf("push %d: %v", i, err)
			}
		}
		for i := 0; i < 100; i++ {
			if err := q.Push(99); !errors.Is(err, ErrFull) {
				t.Fatalf("push into full queue: err = %v, want ErrFull", err)
			}
		}
		if x, _ := q.Pop(); x != 0 {
			t.Fatalf("Pop = %d, want 0", x)
		}
		if err := q.Push(5); err != nil {
			t.Fatalf("push after pop: %v", err)
		}
		for want := 1; want <= 5; want++ {
			if x, ok := q.Pop(); !ok || x != want {
				t.Fatalf("Pop = %d,%v want %d", x, ok, want)
			}
		}
	}
	q := mustMPSC[int](t, WithSegmentSize(2))
	for i := 0; i < 10_000; i++ {
		if err := q.Push(i); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 10_000; i++ {
		if x, ok := q.Pop(); !ok || x != i {
			t.Fatalf("Pop = %d,%v want %d", x, ok, i)
		}
	}
}

// TestMPSCWrapAround starts the ticket counters just below 2^64 so the
// queue crosses the wrap with segments linked, walked back and recycled.
func TestMPSCWrapAround(t *testing.T) {
	for _, v := range mpscVariants() {
		t.Run(v.name, func(t *testing.T) {
			seg := uint64(DefaultSegmentSize)
			var c config
			for _, o := range v.opts {
				o(&c)
			}
			if c.segSize != 0 {
				seg = uint64(c.segSize)
			}
			start := -(4 * seg) // 4 segments below the wrap
			v.opts = append(v.opts[:len(v.opts):len(v.opts)], withStartTicket(start))
			q := mustMPSC[int](t, v.opts...)
			if q.tail.Load() != start || q.head != start {
				t.Fatalf("hook did not take: tail %d head %d", q.tail.Load(), q.head)
			}
			stressMPSC(t, v, 4, int(3*seg)+1000, false)
			// and sequentially, watching Len across the wrap
			want := 0
			for i := 0; i < int(10*seg); i++ {
				if err := q.Push(i); err != nil {
					if !errors.Is(err, ErrFull) {
						t.Fatal(err)
					}
					for {
						x, ok := q.Pop()
						if !ok {
							break
						}
						if x != want {
							t.Fatalf("Pop = %d want %d", x, want)
						}
						want++
					}
					i--
					continue
				}
				if q.Len() != i+1-want {
					t.Fatalf("Len = %d want %d at ticket %d", q.Len(), i+1-want, q.tail.Load())
				}
			}
			q.Drain(0, func(x int) {
				if x != want {
					t.Fatalf("Drain gave %d want %d", x, want)
				}
				want++
			})
			if want != int(10*seg) || !q.Empty() {
				t.Fatalf("got %d of %d across the wrap", want, 10*seg)
			}
			if q.tail.Load() >= start {
				t.Fatalf("tail %d did not wrap past 2^64 (start %d)", q.tail.Load(), start)
			}
		})
	}
}

// TestMPSCClaimedUnpublished: a claimed but unpublished slot makes Pop
// report false but Empty report false too (the sleep handshake relies on it),
// and elements behind it wait for it.
func TestMPSCClaimedUnpublished(t *testing.T) {
	q := mustMPSC[int](t, WithSegmentSize(4))
	tk := q.tail.Add(1) - 1 // a producer "between" its claim and its publish
	if err := q.Push(7); err != nil {
		t.Fatal(err)
	}
	if q.Empty() {
		t.Fatal("Empty() with a claimed, unpublished slot")
	}
	if _, ok := q.Pop(); ok {
		t.Fatal("Pop passed an unpublished slot")
	}
	if n := q.Drain(0, func(int) {}); n != 0 {
		t.Fatalf("Drain passed an unpublished slot: %d", n)
	}
	if q.Len() != 2 {
		t.Fatalf("Len = %d, want 2", q.Len())
	}
	// publish it the way Push does
	sl := &q.tailSeg.Load().slots[tk&q.mask]
	sl.val = 6
	sl.seq.Store(tk + 1)
	got := q.DrainTo(nil, 0)
	if len(got) != 2 || got[0] != 6 || got[1] != 7 || !q.Empty() {
		t.Fatalf("after publish: %v, Empty %v", got, q.Empty())
	}
}

// TestMPSCElementTypes: zero values, nil pointers and zero-size elements
// travel like any other (seq, not the value, marks a slot full).
func TestMPSCElementTypes(t *testing.T) {
	qs := mustMPSC[struct{}](t, WithSegmentSize(2))
	for i := 0; i < 9; i++ {
		_ = qs.Push(struct{}{})
	}
	if n := qs.Drain(0, func(struct{}) {}); n != 9 {
		t.Fatalf("struct{}: drained %d, want 9", n)
	}
	qp := mustMPSC[*int](t, WithSegmentSize(2))
	x := 42
	for i := 0; i < 9; i++ {
		if i%2 == 0 {
			_ = qp.Push(nil)
		} else {
			_ = qp.Push(&x)
		}
	}
	for i := 0; i < 9; i++ {
		p, ok := qp.Pop()
		if !ok || (i%2 == 0) != (p == nil) {
			t.Fatalf("*int element %d: %v, %v", i, p, ok)
		}
	}
	qz := mustMPSC[int](t, WithSegmentSize(2))
	for i := 0; i < 9; i++ {
		_ = qz.Push(0)
	}
	if n := len(qz.DrainTo(nil, 0)); n != 9 {
		t.Fatalf("zero ints: drained %d, want 9", n)
	}
	qb := mustMPSC[[64]byte](t, WithSegmentSize(4), WithCapacity(8))
	for i := 0; i < 8; i++ {
		_ = qb.Push([64]byte{byte(i)})
	}
	for i := 0; i < 8; i++ {
		if v, ok := qb.Pop(); !ok || v[0] != byte(i) {
			t.Fatalf("[64]byte element %d: %v %v", i, v[0], ok)
		}
	}
}

type payload struct{ b [128]byte }

//go:noinline
func newPayload() *payload { return new(payload) }

// TestMPSCNoRetainedGarbage: after Pop, Drain and DrainTo the queue holds no
// reference to the element (weak pointers go nil after a GC), also for
// segments sitting in the recycle pool.
func TestMPSCNoRetainedGarbage(t *testing.T) {
	for _, v := range mpscVariants() {
		t.Run(v.name, func(t *testing.T) {
			q := mustMPSC[*payload](t, v.opts...)
			var ws []weak.Pointer[payload]
			push := func() {
				p := newPayload()
				ws = append(ws, weak.Make(p))
				if err := q.Push(p); err != nil {
					t.Fatal(err)
				}
			}
			for round := 0; round < 3; round++ {
				for i := 0; i < 3; i++ {
					push()
				}
				q.Pop()
				q.Drain(1, func(*payload) {})
				_ = q.DrainTo(nil, 0)
			}
			if !q.Empty() {
				t.Fatal("not empty")
			}
			runtime.GC()
			runtime.GC()
			for i, w := range ws {
				if w.Value() != nil {
					t.Fatalf("element %d still reachable after pop", i)
				}
			}
		})
	}
}

// TestMPSCZeroAllocs: in steady state (segments recycled) Push and the
// drains allocate nothing, in every mode.
func TestMPSCZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, v := range mpscVariants() {
		t.Run(v.name, func(t *testing.T) {
			q := mustMPSC[func()](t, v.opts...)
			fn := func() {}
			burst := 3 * DefaultSegmentSize
			if v.capacity > 0 {
				burst = v.capacity
			} else if len(v.opts) > 0 {
				burst = 12 // at most 6 segments of 2: fits the recycle pool
			}
			cb := func(func()) {}
			buf := make([]func(), 0, burst)
			round := func() {
				for i := 0; i < burst; i++ {
					_ = q.Push(fn)
				}
				q.Pop()
				q.Drain(burst/2, cb)
				buf = q.DrainTo(buf[:0], 0)
			}
			round() // warm the pool
			round()
			if a := testing.AllocsPerRun(100, round); a != 0 {
				t.Fatalf("%v allocs per round of %d pushes, want 0", a, burst)
			}
		})
	}
}

// TestMPSCLenSane: Len never goes negative or beyond what
// was pushed while producers and the consumer run.
func TestMPSCLenSane(t *testing.T) {
	q := mustMPSC[int](t, WithSegmentSize(4))
	var wg sync.WaitGroup
	var stop atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if l := q.Len(); l < 0 || l > 1<<20 {
				t.Errorf("Len = %d", l)
				return
			}
		}
	}()
	for i := 0; i < 20000; i++ {
		_ = q.Push(i)
		if i%3 == 0 {
			q.Drain(0, func(int) {})
		}
	}
	stop.Store(true)
	wg.Wait()
}

// TestMPSCFreshSlotAtMaxTicket: a fresh (zeroed) slot for ticket 2^64-1
// must not read as published (its published seq would be 0), neither in the
// first segment nor in one linked later.
func TestMPSCFreshSlotAtMaxTicket(t *testing.T) {
	const seg = 4
	var s4 uint64 = seg
	for _, start := range []uint64{-s4, -(2 * s4)} {
		q := mustMPSC[int](t, WithSegmentSize(seg), withStartTicket(start))
		n := int(-start) - 1 // fill up to, not including, ticket 2^64-1
		for i := 0; i < n; i++ {
			if err := q.Push(i + 1); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < n; i++ {
			if v, ok := q.Pop(); !ok || v != i+1 {
				t.Fatalf("start %d: Pop = %d,%v want %d", start, v, ok, i+1)
			}
		}
		if q.tail.Load() != ^uint64(0) {
			t.Fatalf("next ticket %d, want 2^64-1", q.tail.Load())
		}
		if v, ok := q.Pop(); ok {
			t.Fatalf("start %d: Pop at unclaimed ticket 2^64-1 returned %d", start, v)
		}
		_ = q.Push(42)
		_ = q.Push(43) // ticket 0, in the next segment
		if got := q.DrainTo(nil, 0); len(got) != 2 || got[0] != 42 || got[1] != 43 {
			t.Fatalf("start %d: across the wrap got %v", start, got)
		}
	}
}
