package bench_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/cpu"

	xsync3 "github.com/puzpuzpuz/xsync/v3"
	xsync4 "github.com/puzpuzpuz/xsync/v4"

	"github.com/ringloop/ringloop/ringbuf"
)

// BenchmarkInbox/variant=V/producers=P: P producer goroutines push b.N
// elements in all into one inbox while the benchmark goroutine, the single
// consumer, drains all b.N. ns/op is per element pushed and consumed;
// xcore-ns is the cross-core round trip probed right before the run.
//
// Variants (the sched inbox names):
//
//	mpsc          ringbuf.PtrMPSC: 8-byte slots, the element is the publish flag (the default inbox)
//	mpsc-seq      ringbuf.MPSC, unbounded, XADD claim, a sequence word per slot
//	mpsc-bounded  ringbuf.MPSC WithCapacity(inboxCap); producers retry on ErrFull
//	mpsc-cas      ringbuf.MPSC WithCASClaim (the loser kept for comparison)
//	chan          buffered channel of inboxCap
//	mutex         slice + sync.Mutex, the consumer swaps the slice and drains it
//	xsync         xsync/v3 MPMCQueueOf(inboxCap), TryDequeue
//	xsync4        xsync/v4 UMPSCQueue (unbounded MPSC), blocking Dequeue
//
// The element is a func(), what a loop's inbox carries; the consumer does
// not call it (the call is the same for every variant: see Floor/op=call).
// chan and xsync4 consumers block in the queue itself. The polled queues
// (mpsc*, mutex) sleep the way a loop does (parker below): after a few empty
// polls the consumer stores "sleeping", re-checks the queue and blocks on a
// channel; every push is followed by one load of that state word, and a CAS
// plus a channel send only when it reads "sleeping". xsync (v3) has no
// emptiness check and keeps polling with runtime.Gosched. A producer told
// "full" yields and retries.
func BenchmarkInbox(b *testing.B) {
	for _, v := range inboxVariants {
		for _, p := range floorProducers {
			b.Run(fmt.Sprintf("variant=%s/producers=%d", v.name, p), func(b *testing.B) {
				runInbox(b, p, v.make())
			})
		}
	}
}

// inboxCap is the capacity of the bounded variants.
const inboxCap = 1024

type elem = func()

var theElem elem = func() {}

// inboxImpl is one variant's producer loop and consumer loop; each loop is
// written out per variant so no per-element interface call skews the
// comparison.
type inboxImpl struct {
	produce func(n int)     // push n elements; any goroutine
	consume func(total int) // receive total elements; the one consumer
}

var inboxVariants = []struct {
	name string
	make func() inboxImpl
}{
	{"mpsc", func() inboxImpl { return ptrInbox(must(ringbuf.NewPtrMPSC[elem]())) }},
	{"mpsc-seq", func() inboxImpl { return mpscInbox(must(ringbuf.NewMPSC[elem]())) }},
	{"mpsc-bounded", func() inboxImpl { return mpscInbox(must(ringbuf.NewMPSC[elem](ringbuf.WithCapacity(inboxCap)))) }},
	{"mpsc-cas", func() inboxImpl { return mpscInbox(must(ringbuf.NewMPSC[elem](ringbuf.WithCASClaim()))) }},
	{"chan", chanInbox},
	{"mutex", mutexInbox},
	{"xsync", xsyncInbox},
	{"xsync4", xsync4Inbox},
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// parker is the loop's sleep handshake (docs/protocols.md) for the
// benchmark's polled consumers:
//
//  1. producer: push (a seq-cst RMW or a lock), then load state;
//  2. only if it reads sleeping, CAS it to running, send a token and yield
//     (so the woken consumer runs now instead of waiting in runnext);
//  3. consumer, after pollsBeforePark empty polls: store sleeping, check
//     the queue again, block on the token only if still empty, then store
//     running.
//
// Both sides store then load sequentially consistent words (Dekker), so no
// wakeup is lost; a stale token costs one spurious wakeup.
type parker struct {
	_     cpu.CacheLinePad
	state atomic.Int32 // parkRunning or parkSleeping; consumer stores, producers load and CAS
	_     cpu.CacheLinePad
	wake  chan struct{} // capacity 1
}

const (
	parkRunning int32 = iota
	parkSleeping
	pollsBeforePark = 16
)

func newParker() *parker { return &parker{wake: make(chan struct{}, 1)} }

// notify is step 2; producers call it after every push.
func (p *parker) notify() {
	if p.state.Load() == parkSleeping && p.state.CompareAndSwap(parkSleeping, parkRunning) {
		select {
		case p.wake <- struct{}{}:
		default:
		}
		// The consumer now sits in this P's runnext. A waker that keeps
		// running leaves it there until a preemption or a steal, and with
		// every P busy with producers nobody steals: ~10 ms of queue growth
		// (docs/DESIGN.md, measured facts). Yield once so it runs now.
		runtime.Gosched()
	}
}

// idle is step 3; the consumer calls it after an empty poll.
func (p *parker) idle(polls *int, empty func() bool) {
	if *polls++; *polls < pollsBeforePark {
		runtime.Gosched()
		return
	}
	*polls = 0
	p.state.Store(parkSleeping) // pairs with the Load in notify
	if empty() {
		<-p.wake
	}
	p.state.Store(parkRunning)
}

func mpscInbox(q *ringbuf.MPSC[elem]) inboxImpl {
	pk := newParker()
	return inboxImpl{
		produce: func(n int) {
			for i := 0; i < n; i++ {
				for q.Push(theElem) != nil {
					pk.notify() // bounded and full: make sure the consumer runs
					runtime.Gosched()
				}
				pk.notify()
			}
		},
		consume: func(total int) {
			got, polls := 0, 0
			sink := func(elem) {}
			for got < total {
				k := q.Drain(0, sink)
				if k == 0 {
					pk.idle(&polls, q.Empty)
				} else {
					polls = 0
				}
				got += k
			}
		},
	}
}

func ptrInbox(q *ringbuf.PtrMPSC[elem]) inboxImpl {
	pk := newParker()
	return inboxImpl{
		produce: func(n int) {
			for i := 0; i < n; i++ {
				q.Push(theElem)
				pk.notify()
			}
		},
		consume: func(total int) {
			got, polls := 0, 0
			sink := func(elem) {}
			for got < total {
				k := q.Drain(0, sink)
				if k == 0 {
					pk.idle(&polls, q.Empty)
				} else {
					polls = 0
				}
				got += k
			}
		},
	}
}

func chanInbox() inboxImpl {
	ch := make(chan elem, inboxCap)
	return inboxImpl{
		produce: func(n int) {
			for i := 0; i < n; i++ {
				ch <- theElem
			}
		},
		consume: func(total int) {
			for i := 0; i < total; i++ {
				<-ch
			}
		},
	}
}

func mutexInbox() inboxImpl {
	var mu sync.Mutex
	var pending []elem
	pk := newParker()
	empty := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(pending) == 0
	}
	return inboxImpl{
		produce: func(n int) {
			for i := 0; i < n; i++ {
				mu.Lock()
				pending = append(pending, theElem)
				mu.Unlock()
				pk.notify()
			}
		},
		consume: func(total int) {
			var batch []elem
			got, polls := 0, 0
			for got < total {
				mu.Lock()
				batch, pending = pending, batch[:0]
				mu.Unlock()
				if len(batch) == 0 {
					pk.idle(&polls, empty)
				} else {
					polls = 0
				}
				got += len(batch)
				clear(batch) // as a loop would, after running them
			}
		},
	}
}

func xsyncInbox() inboxImpl {
	q := xsync3.NewMPMCQueueOf[elem](inboxCap)
	return inboxImpl{
		produce: func(n int) {
			for i := 0; i < n; i++ {
				for !q.TryEnqueue(theElem) {
					runtime.Gosched()
				}
			}
		},
		consume: func(total int) {
			for got := 0; got < total; {
				if _, ok := q.TryDequeue(); ok {
					got++
				} else {
					runtime.Gosched()
				}
			}
		},
	}
}

func xsync4Inbox() inboxImpl {
	q := xsync4.NewUMPSCQueue[elem]()
	return inboxImpl{
		produce: func(n int) {
			for i := 0; i < n; i++ {
				q.Enqueue(theElem)
			}
		},
		consume: func(total int) {
			for i := 0; i < total; i++ {
				q.Dequeue()
			}
		},
	}
}

// runInbox times p producers pushing b.N elements in all against the
// benchmark goroutine consuming them.
func runInbox(b *testing.B, p int, impl inboxImpl) {
	xns := probeXcore()
	start, wait := gated(b, p, impl.produce)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNanos()
	close(start)
	impl.consume(b.N)
	wait()
	b.StopTimer()
	reportCPUSince(b, cpu0)
	reportXcore(b, xns)
}
