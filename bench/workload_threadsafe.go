package bench

// workload_threadsafe.go: the producer-driven workloads — threadsafe and
// wakeup (producer goroutines submitting callbacks to one loop with
// PostThreadsafe) and future (producer goroutines completing futures whose
// done callbacks run on the loop).
//
// An op is a preallocated slot whose callback (bound once) records the sample
// on the loop goroutine and frees the slot. Per op the producer pays one
// PostThreadsafe and one atomic store; the loop one clock read, two histogram
// records and one atomic store.
//
// future: a slot holds a pending future armed ON THE LOOP (created, its
// done callback added: callbacks belong to the loop goroutine), then marked
// free; the producer completes it with SetResult (one CAS + one
// PostThreadsafe of the dispatch); the done callback records the sample and
// arms a fresh future in the slot. Per op: one Future allocation.
//
// wakeup: the threadsafe workload with one op in flight per producer, so the
// loop has gone idle (or is spinning, per WithSpin) when each op arrives.
// Both waker behaviours matter (docs/DESIGN.md), and the two modes give them: in
// closed loop the producer spins on its slot after submitting (the waker
// keeps running: the readied loop goroutine may wait in the waker's runnext);
// open loop at a rate below ~5,000/s puts the producer to sleep in the pacer
// right after each submission (the waker blocks).
//
// Slot protocol (one producer, the loop):
//  1. producer: Load free == true (pairs with the loop's Store in step 3);
//     Store free = false; write intended, start; PostThreadsafe(fn).
//  2. the inbox hand-off orders step 1's writes before the loop's reads.
//  3. loop, in fn: read intended, start; record; Store free = true.

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ringloop/ringloop/future"
	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/internal/pace"
	"github.com/ringloop/ringloop/sched"
)

func init() {
	register(&Workload{
		Name:             "threadsafe",
		Doc:              "P producer goroutines -> one loop via PostThreadsafe (the inbox under contention)",
		DefaultProducers: 1,
		Variants:         inboxVariants,
		run:              runThreadsafe,
	})
	register(&Workload{
		Name:             "future",
		Doc:              "P producer goroutines complete futures (SetResult off the loop); the done callback runs on the loop",
		DefaultProducers: 1,
		Variants:         inboxVariants,
		run:              runFuture,
	})
	register(&Workload{
		Name:             "wakeup",
		Doc:              "one op in flight per producer: the loop idles and is woken for each op (closed loop: the waker spins on; open loop at a low rate: the waker sleeps)",
		DefaultProducers: 1,
		Variants:         wakeupVariants,
		run: func(cfg Config, v Variant) (*Result, error) {
			cfg.Window = 1
			return runThreadsafe(cfg, v)
		},
	})
}

// pslot is one in-flight op of one producer. free is the hand-over flag:
// true while the producer may (re)use the slot.
type pslot struct {
	intended, start int64 // written by the producer before submitting; read on the loop after
	free            atomic.Bool
	rec             *hist.Recorder
	fn              func()                   // threadsafe: the posted callback (bound to run)
	l               *sched.Loop              // future: the loop that arms the next future
	fut             *future.Future[struct{}] // future: written on the loop before free.Store(true); read by the producer after free.Load()
	onDone          func()                   // future: the done callback (bound to done)
	_               [64]byte                 // keep neighbouring slots' free flags off one line
}

// run is the threadsafe op's callback, on the loop.
func (s *pslot) run() {
	s.rec.RecordNow(s.intended, s.start)
	s.free.Store(true) // frees the slot; pairs with the producer's Load
}

func runThreadsafe(cfg Config, v Variant) (*Result, error) {
	h, err := start(cfg, v, 1)
	if err != nil {
		return nil, err
	}
	l, rec := h.loops[0], h.recs[0]
	slots := makeSlots(cfg, func(s *pslot) {
		s.free.Store(true)
		s.rec = rec
		s.fn = s.run
	})
	return runProducers(h, cfg, slots, func(s *pslot) error { return l.PostThreadsafe(s.fn) })
}

func makeSlots(cfg Config, init func(*pslot)) [][]pslot {
	slots := make([][]pslot, cfg.Producers)
	for p := range slots {
		slots[p] = make([]pslot, cfg.Window)
		for i := range slots[p] {
			init(&slots[p][i])
		}
	}
	return slots
}

// runProducers runs cfg.Producers producer goroutines over their slot rings,
// each calling submit for every op (closed or open loop), then waits for
// every slot to be free again and finishes the run.
// before, when given, runs after the drain and before the loops close.
func runProducers(h *harness, cfg Config, slots [][]pslot, submit func(*pslot) error, before ...func()) (*Result, error) {
	var wg sync.WaitGroup
	errs := make([]error, cfg.Producers)
	quota := int64(0)
	if cfg.Ops > 0 {
		quota = (cfg.Ops + int64(cfg.Producers) - 1) / int64(cfg.Producers)
	}
	for p := range cfg.Producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cfg.Pin {
				pin(1 + p)
			}
			var pc *pace.Pacer
			if cfg.Rate > 0 {
				pc = pace.New(h.t0, cfg.Rate, cfg.Producers, p)
				pc.From = h.from          // late warm-up ops are not measured: not counted
				_ = pc.SetMode(cfg.Pacer) // on this goroutine, which calls Next; a prctl failure only makes Sleep later
			}
			ring := slots[p]
			var n, measured, lastSub int64
			for !h.stopped() {
				var intended, now int64
				if pc != nil {
					var ok bool
					if intended, now, ok = pc.Next(h.deadline); !ok {
						break
					}
				} else {
					now = hist.Now()
					if now >= h.deadline {
						break
					}
					intended = now
				}
				s := &ring[n%int64(len(ring))]
				if !s.free.Load() { // pairs with the Store on the loop
					for spins := 0; !s.free.Load(); spins++ {
						if h.stopped() {
							break
						}
						if spins > 16 {
							runtime.Gosched()
						}
					}
					if !s.free.Load() {
						break
					}
					now = hist.Now()
					if pc == nil {
						if now >= h.deadline {
							break // closed loop: the window ended while waiting
						}
						intended = now
					}
				}
				s.free.Store(false) // slot taken; only this producer writes false
				s.intended, s.start = intended, now
				if err := submit(s); err != nil {
					s.free.Store(true)
					errs[p] = err
					break
				}
				n++
				if intended >= h.from {
					measured++
					lastSub = now
					if quota > 0 && measured >= quota {
						break
					}
				}
			}
			behind := int64(0)
			if pc != nil {
				behind = pc.Behind
			}
			h.producerDone(measured, lastSub, behind)
		}()
	}
	wg.Wait()
	drained, drainErr := waitFor("in-flight ops", func() bool {
		for p := range slots {
			for i := range slots[p] {
				if !slots[p][i].free.Load() {
					return false
				}
			}
		}
		return true
	})
	for _, fn := range before {
		fn()
	}
	for _, err := range errs {
		if err != nil {
			h.close()
			return nil, err
		}
	}
	return h.finish(drained, drainErr)
}

// runFuture: cross-goroutine completion.
func runFuture(cfg Config, v Variant) (*Result, error) {
	h, err := start(cfg, v, 1)
	if err != nil {
		return nil, err
	}
	l, rec := h.loops[0], h.recs[0]
	slots := makeSlots(cfg, func(s *pslot) {
		s.rec, s.l = rec, l
		s.onDone = s.done
	})
	armed := make(chan struct{})
	if err := l.PostThreadsafe(func() {
		for p := range slots {
			for i := range slots[p] {
				slots[p][i].arm()
			}
		}
		close(armed)
	}); err != nil {
		h.close()
		return nil, err
	}
	<-armed
	return runProducers(h, cfg, slots, func(s *pslot) error { return s.fut.SetResult(struct{}{}) })
}

// arm puts a fresh pending future in the slot and frees it; on the loop.
func (s *pslot) arm() {
	s.fut = sched.CreateFuture[struct{}](s.l)
	s.fut.OnDone(s.onDone)
	s.free.Store(true) // publishes fut; pairs with the producer's Load
}

// done is the future's done callback, on the loop.
func (s *pslot) done() {
	s.rec.RecordNow(s.intended, s.start)
	s.arm()
}
