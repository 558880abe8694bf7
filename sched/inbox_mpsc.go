package sched

// The sequence-word inbox ("mpsc-seq"): ringbuf.MPSC, the default until the
// pointer-slot inbox (inbox_ptr.go) replaced it; kept as the measured loser. A
// slot is a sequence word beside the item {fn, h}: 24 bytes, 2.67 items per cache
// line to carry across cores, against 8 callbacks per line in "mpsc" (16 bytes
// and 4 per line with the one-word item of ready_word.go). Producers
// claim a slot with one XADD and publish it with a release store (a plain MOV on
// amd64); the loop drains a batch with plain loads. "mpsc-cas" is the same queue
// claiming with a CAS loop, kept as the measured loser (docs/DESIGN.md: CAS degrades
// under contention).

import "github.com/ringloop/ringloop/ringbuf"

type mpscInbox struct {
	q *ringbuf.MPSC[item]
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
	return &mpscInbox{q: q}, nil
}

// push never fails: the queue is unbounded (ringbuf.MPSC.Push returns nil).
func (m *mpscInbox) push(it item) bool { return m.q.Push(it) == nil }

func (m *mpscInbox) pushWait(it item) { m.q.Push(it) }

// drain copies straight into ready's free slots with DrainTo (no call per item),
// one contiguous run at a time.
func (m *mpscInbox) drain(dst *fifo, max int) int {
	total := 0
	for {
		space := dst.Space()
		lim := cap(space)
		if max > 0 && max-total < lim {
			lim = max - total
		}
		got := m.q.DrainTo(space, lim)
		dst.Commit(len(got))
		total += len(got)
		if len(got) < lim || (max > 0 && total >= max) {
			return total
		}
	}
}

// empty is ringbuf's Empty: one seq-cst load of the tail; a claimed but unpublished
// slot reads as not empty (the Dekker-safe direction).
func (m *mpscInbox) empty() bool { return m.q.Empty() }
