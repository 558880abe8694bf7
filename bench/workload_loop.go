package bench

// workload_loop.go: the loop-local workloads — callsoon (Post from the loop
// to itself) and timers (CallLater / CallAt) — driven by a tick callback that
// runs ON the loop and submits every op that is due.
//
// Everything here is touched only by the loop goroutine: no atomics. Op slots
// sit on a free list; an op's callback records its sample and puts its slot
// back. The tick re-posts itself (callsoon; timers in closed loop) or re-arms
// itself as a timer half a lead ahead (timers in open loop, so the loop sleeps
// between batches as a real timer-driven program does).

import (
	"time"

	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/internal/pace"
	"github.com/ringloop/ringloop/sched"
)

func init() {
	register(&Workload{
		Name:             "callsoon",
		Doc:              "the loop Posts callbacks to itself (the ready queue, no atomics); -producers is ignored",
		DefaultProducers: 1,
		Variants:         threadVariants,
		run:              func(cfg Config, v Variant) (*Result, error) { return runLocal(cfg, v, false) },
	})
	register(&Workload{
		Name:             "timers",
		Doc:              "the loop schedules timers (CallAt at the intended time; CallLater(0) in closed loop) and measures how late they fire",
		DefaultProducers: 1,
		Variants:         threadVariants,
		run:              func(cfg Config, v Variant) (*Result, error) { return runLocal(cfg, v, true) },
	})
}

// timerLead is how far ahead the open-loop timers workload schedules timers.
const timerLead = time.Millisecond

type localSlot struct {
	d               *localDriver
	idx             int32
	intended, start int64
	fn              func()
}

func (s *localSlot) run() {
	s.d.rec.RecordNow(s.intended, s.start)
	s.d.free = append(s.d.free, s.idx) // capacity == len(slots): never grows
}

type localDriver struct {
	h      *harness
	l      *sched.Loop
	rec    *hist.Recorder
	timers bool
	pc     *pace.Pacer
	slots  []localSlot
	free   []int32
	offset time.Duration // l.Time() - hist.Now(), for CallAt

	quota, measured, lastSub int64
	finishing                bool
	drained                  int64
	err                      error
	fin                      chan struct{}
	tickFn                   func()
}

func runLocal(cfg Config, v Variant, timers bool) (*Result, error) {
	h, err := start(cfg, v, 1)
	if err != nil {
		return nil, err
	}
	window := cfg.Window
	if timers && cfg.Rate > 0 {
		// Enough slots for two leads' worth of timers at the target rate.
		window = max(window, int(cfg.Rate*2*timerLead.Seconds())+1)
	}
	d := &localDriver{h: h, l: h.loops[0], rec: h.recs[0], timers: timers, fin: make(chan struct{})}
	d.slots = make([]localSlot, window)
	d.free = make([]int32, 0, window)
	for i := range d.slots {
		s := &d.slots[i]
		s.d, s.idx = d, int32(i)
		s.fn = s.run
		d.free = append(d.free, int32(i))
	}
	if cfg.Rate > 0 {
		d.pc = pace.New(h.t0, cfg.Rate, 1, 0)
		d.pc.From = h.from // late warm-up ops are not measured: not counted
	}
	if cfg.Ops > 0 {
		d.quota = cfg.Ops
	}
	d.tickFn = d.tick
	if err := d.l.PostThreadsafe(func() {
		d.offset = d.l.Time() - time.Duration(hist.Now())
		d.tick()
	}); err != nil {
		h.close()
		return nil, err
	}
	<-d.fin
	if d.err != nil {
		h.close()
		return nil, d.err
	}
	behind := int64(0)
	if d.pc != nil {
		behind = d.pc.Behind
	}
	h.producerDone(d.measured, d.lastSub, behind)
	return h.finish(d.drained, nil)
}

// tick runs on the loop: submit every due op that has a free slot, then
// re-arm; once the measurement is over, wait for the slots to come back.
func (d *localDriver) tick() {
	now := hist.Now()
	if !d.finishing {
		d.finishing = d.submit(now)
	}
	if d.finishing && len(d.free) == len(d.slots) {
		d.drained = hist.Now()
		close(d.fin)
		return
	}
	var err error
	if d.timers && d.pc != nil {
		_, err = d.l.CallLater(timerLead/2, d.tickFn)
	} else {
		err = d.l.Post(d.tickFn)
	}
	if err != nil {
		d.err = err
		close(d.fin)
	}
}

// submit submits due ops; it reports whether the measurement is over.
func (d *localDriver) submit(now int64) bool {
	if d.h.stopped() {
		return true
	}
	horizon := now
	if d.timers && d.pc != nil {
		horizon = now + int64(timerLead)
	}
	for len(d.free) > 0 {
		var intended int64
		if d.pc != nil {
			intended = d.pc.Peek()
			if intended >= d.h.deadline {
				return true
			}
			if intended > horizon {
				return false
			}
			d.pc.Take(now)
		} else {
			if now >= d.h.deadline {
				return true
			}
			intended = now
		}
		s := &d.slots[d.free[len(d.free)-1]]
		d.free = d.free[:len(d.free)-1]
		s.intended, s.start = intended, now
		if d.timers && d.pc != nil {
			// A timer set ahead of its due time cannot fire before it: its
			// uncorrected latency counts from the due time, or from when it
			// was set if that was later. So uncorrected <= corrected (from
			// the due time), as in every other workload.
			s.start = max(now, intended)
		}
		var err error
		switch {
		case !d.timers:
			err = d.l.Post(s.fn)
		case d.pc != nil:
			_, err = d.l.CallAt(time.Duration(intended)+d.offset, s.fn)
		default:
			_, err = d.l.CallLater(0, s.fn)
		}
		if err != nil {
			d.err = err
			return true
		}
		if intended >= d.h.from {
			d.measured++
			d.lastSub = now
			if d.quota > 0 && d.measured >= d.quota {
				return true
			}
		}
	}
	return false
}
