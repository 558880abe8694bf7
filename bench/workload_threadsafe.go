// workload_threadsafe.go: the threadsafe and wakeup workloads — producer
// goroutines submitting callbacks to one loop with PostThreadsafe.
//
// An op is a preallocated slot whose callback (bound once) records the sample
// on the loop goroutine and frees the slot. Per op the producer pays one
// PostThreadsafe and one atomic store; the loop one clock read, two histogram
// records and one atomic store.
//
// Slot protocol (one producer, the loop):
//  1. producer: Load free == true (pairs with the loop's Store in step 3);
//     Store free = false; write intended, start; PostThreadsafe(fn).
//  2. the inbox hand-off orders step 1's writes before the loop's reads.
//  3. loop, in fn: read intended, start; record; Store free = true.
package bench

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/internal/pace"
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
		Name:             "wakeup",
		Doc:              "one op in flight per producer, so the loop idles and is woken for each (producer spins while waiting)",
		DefaultProducers: 1,
		Variants:         wakeupVariants,
		run: func(cfg Config, v Variant) (*Result, error) {
			cfg.Window = 1
			return runThreadsafe(cfg, v)
		},
	})
}

type tsSlot struct {
	intended, start int64 // written by the producer before PostThreadsafe; read by fn on the loop
	free            atomic.Bool
	rec             *hist.Recorder
	fn              func()
	_               [64]byte // keep neighbouring slots' free flags off one line
}

func (s *tsSlot) run() {
	s.rec.RecordNow(s.intended, s.start)
	s.free.Store(true) // frees the slot; pairs with the producer's Load
}

func runThreadsafe(cfg Config, v Variant) (*Result, error) {
	h, err := start(cfg, v, 1)
	if err != nil {
		return nil, err
	}
	l, rec := h.loops[0], h.recs[0]
	slots := make([][]tsSlot, cfg.Producers)
	for p := range slots {
		slots[p] = make([]tsSlot, cfg.Window)
		for i := range slots[p] {
			s := &slots[p][i]
			s.free.Store(true)
			s.rec = rec
			s.fn = s.run
		}
	}
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
				if !s.free.Load() { // pairs with the Store in run
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
						intended = now
					}
				}
				s.free.Store(false) // slot taken; only this producer writes false
				s.intended, s.start = intended, now
				if err := l.PostThreadsafe(s.fn); err != nil {
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
	drained, drainErr := waitFor("in-flight threadsafe ops", func() bool {
		for p := range slots {
			for i := range slots[p] {
				if !slots[p][i].free.Load() {
					return false
				}
			}
		}
		return true
	})
	for _, err := range errs {
		if err != nil {
			h.close()
			return nil, err
		}
	}
	return h.finish(drained, drainErr)
}
