// Package pace is loadgen's open-loop pacer: it hands out the intended start
// time of each operation on a fixed schedule and waits until that time comes,
// never letting a late operation push the schedule back (latency is measured
// from the schedule, so a stall shows up in the tail: coordinated omission
// corrected, as wrk2 does).
//
// Invariants:
//   - Intended times are start + offset + i*period for i = 0, 1, 2, ...,
//     computed from i (not by accumulation), so rounding never drifts the rate.
//   - A pacer that falls behind does not sleep: Next returns at once until it
//     has caught up with the schedule (the backlog is submitted as fast as the
//     caller can); Behind counts how many operations were late.
//   - A Pacer belongs to one goroutine.
//   - Waiting: more than SleepOver ahead, the pacer sleeps (time.Sleep, whose
//     slack is ~50-75 us on the project's VMs) until SleepOver before the
//     intended time, then spins on the clock: sub-microsecond periods
//     (1,000,000/s) are kept by spinning.
package pace

import (
	"runtime"
	"time"

	"github.com/ringloop/ringloop/internal/hist"
)

// SleepOver is how far ahead of an intended time the pacer stops sleeping
// and starts spinning.
const SleepOver = 200 * time.Microsecond

// Pacer hands out intended start times for one producer.
type Pacer struct {
	start  int64   // hist.Now() of op 0, plus this producer's offset
	period float64 // ns between consecutive ops of this producer
	i      int64   // index of the next op
	// Behind counts ops whose intended time had already passed when Next was
	// called (the caller or the loop could not keep up at that moment),
	// among those intended at or after From.
	Behind int64
	// From is the first intended time Behind counts (the end of the
	// warm-up); 0 counts every op. Set it before the first Next or Take.
	From int64
	mode Mode // how Next waits (sleep.go); Spin unless SetMode
}

// New returns a pacer for one of producers producers sharing rate ops/s, the
// schedule starting at start (a hist.Now() value). Producer p's ops are
// offset by p/producers of a period so the producers interleave evenly.
// rate must be > 0 and producers > 0, p in [0, producers).
func New(start int64, rate float64, producers, p int) *Pacer {
	if rate <= 0 || producers <= 0 || p < 0 || p >= producers {
		panic("ringloop: pace.New: rate must be > 0 and 0 <= p < producers")
	}
	period := float64(producers) * 1e9 / rate
	return &Pacer{start: start + int64(float64(p)*period/float64(producers)), period: period}
}

// Period is the time between two of this pacer's ops, in ns.
func (p *Pacer) Period() float64 { return p.period }

// Peek returns the intended time of the next op without waiting.
func (p *Pacer) Peek() int64 { return p.start + int64(float64(p.i)*p.period) }

// Next waits until the next op's intended time and returns it and the time
// now (>= intended). It returns early with ok == false, without consuming
// the op, if the intended time is at or after deadline.
func (p *Pacer) Next(deadline int64) (intended, now int64, ok bool) {
	intended = p.Peek()
	if intended >= deadline {
		return intended, hist.Now(), false
	}
	if p.mode == Sleep {
		now = untilSleep(intended)
	} else {
		now = Until(intended)
	}
	if now-intended > int64(p.period) && intended >= p.From {
		p.Behind++
	}
	p.i++
	return intended, now, true
}

// Take consumes the next op without waiting and returns its intended time;
// for callers that submit everything due by now in one batch. It counts the
// op in Behind when now is more than one period past it.
func (p *Pacer) Take(now int64) int64 {
	intended := p.Peek()
	if now-intended > int64(p.period) && intended >= p.From {
		p.Behind++
	}
	p.i++
	return intended
}

// Until waits until hist.Now() >= t and returns the time it saw.
func Until(t int64) int64 {
	now := hist.Now()
	for now < t {
		d := t - now
		switch {
		case d > int64(SleepOver):
			time.Sleep(time.Duration(d) - SleepOver)
		case d > int64(20*time.Microsecond):
			runtime.Gosched() // let a goroutine sharing this P run
		}
		now = hist.Now()
	}
	return now
}
