package bench

// workload_task.go: the task workload — coroutines on the loop awaiting
// pending futures that producer goroutines complete.
//
// Each producer slot has one long-lived Task. Its body loops: create a
// pending future, publish it in the slot (free = true), Await it; when a
// producer completes the future (SetResult off the loop: one CAS and one
// PostThreadsafe of the dispatch), the done callback resumes the coroutine,
// which records the sample and arms the next future. So one op costs a future
// allocation, a cross-goroutine completion and two coroutine switches (into
// the body and back at the next Await). The variants are the coroutine
// engines (sched.CoroVariants: iter.Pull-style vs goroutine hand-off), on
// the default inbox, loop unlocked and locked.
//
// The tasks are still awaiting when the run ends; they are cancelled on the
// loop before it stops (asyncio's cancel-on-shutdown), so no coroutine
// outlives the run.

import (
	"fmt"

	"github.com/ringloop/ringloop/sched"
)

func init() {
	register(&Workload{
		Name:             "task",
		Doc:              "one task per in-flight op awaits a pending future that a producer goroutine completes (coroutine resume per op)",
		DefaultProducers: 1,
		Variants:         coroVariants,
		run:              runTask,
	})
}

// coroVariants: every coroutine engine, loop unlocked and locked (the engine is
// chosen per task, from Settings["coro"], not by a loop option).
func coroVariants() []Variant {
	return partVariants("coro", sched.CoroVariants(), func(string) []sched.Option { return nil })
}

func runTask(cfg Config, v Variant) (*Result, error) {
	h, err := start(cfg, v, 1)
	if err != nil {
		return nil, err
	}
	l, rec := h.loops[0], h.recs[0]
	coro := v.Settings["coro"]
	slots := makeSlots(cfg, func(s *pslot) { s.rec, s.l = rec, l })
	var tasks []*sched.Task[struct{}]
	started := make(chan error, 1)
	if err := l.PostThreadsafe(func() {
		for p := range slots {
			for i := range slots[p] {
				s := &slots[p][i]
				t, err := sched.CreateTask(l, func(c *sched.Coro) (struct{}, error) {
					for {
						s.fut = sched.CreateFuture[struct{}](l)
						f := s.fut
						s.free.Store(true) // publishes fut; pairs with the producer's Load
						if _, err := sched.Await(c, f); err != nil {
							return struct{}{}, nil // cancelled at the end of the run
						}
						s.rec.RecordNow(s.intended, s.start)
					}
				}, sched.WithCoro(coro))
				if err != nil {
					started <- err
					return
				}
				tasks = append(tasks, t)
			}
		}
		started <- nil
	}); err != nil {
		h.close()
		return nil, err
	}
	if err := <-started; err != nil {
		h.close()
		return nil, fmt.Errorf("bench: task variant %s: %w", v.Name, err)
	}
	// The bodies start in a later iteration: wait until every slot is armed.
	if _, err := waitFor("task start", func() bool {
		for p := range slots {
			for i := range slots[p] {
				if !slots[p][i].free.Load() {
					return false
				}
			}
		}
		return true
	}); err != nil {
		h.close()
		return nil, err
	}
	res, err := runProducers(h, cfg, slots, func(s *pslot) error { return s.fut.SetResult(struct{}{}) }, func() {
		cancelled := make(chan struct{})
		if l.PostThreadsafe(func() {
			for _, t := range tasks {
				t.Cancel("loadgen: run over")
			}
			close(cancelled)
		}) == nil {
			<-cancelled
		}
	})
	return res, err
}
