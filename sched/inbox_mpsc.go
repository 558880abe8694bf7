// The default inbox: ringbuf.MPSC. Producers claim a slot with one XADD and
// publish it with one Store (two locked instructions per push, no allocation in
// steady state, unbounded so a push never fails or spins); the loop drains a batch
// with plain loads. "mpsc-cas" is the same queue claiming with a CAS loop, kept as
// the measured loser (DESIGN.md: CAS degrades under contention).
package sched

import "github.com/ringloop/ringloop/ringbuf"

type mpscInbox struct {
	q   *ringbuf.MPSC[item]
	dst *fifo      // loop-owned: the target of the drain in progress
	fn  func(item) // bound once in newMPSCInbox, so drain allocates nothing
}

func newMPSCInbox(cas bool) (inbox, error) {
	var opts []ringbuf.Option
	if cas {
		opts = append(opts, ringbuf.WithCASClaim())
	}
	q, err := ringbuf.NewMPSC[item](opts...)
	if err != nil {
		return nil, err
	}
	m := &mpscInbox{q: q}
	m.fn = func(it item) { m.dst.push(it) }
	return m, nil
}

// push never fails: the queue is unbounded (ringbuf.MPSC.Push returns nil).
func (m *mpscInbox) push(it item) bool { return m.q.Push(it) == nil }

func (m *mpscInbox) pushWait(it item) { m.q.Push(it) }

func (m *mpscInbox) drain(dst *fifo, max int) int {
	m.dst = dst
	n := m.q.Drain(max, m.fn)
	m.dst = nil
	return n
}

// empty is ringbuf's Empty: one seq-cst load of the tail; a claimed but unpublished
// slot reads as not empty (the Dekker-safe direction).
func (m *mpscInbox) empty() bool { return m.q.Empty() }
