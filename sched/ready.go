package sched

import "github.com/ringloop/ringloop/internal/ring"

// The ready queue: what runs in the next iteration. Loop goroutine only (or the
// owner before Run), no atomics: see internal/ring.

// item is one scheduled callback: a bare func (Post forms, zero alloc) or a
// Handle (cancellable forms), never both.
type item struct {
	fn func()
	h  *Handle
}

// fifo is the ready queue: Loop.ready, and the destination of every inbox drain.
type fifo = ring.Ring[item]
