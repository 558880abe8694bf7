// Package ringbuf holds the lock-free queues every ringloop scheduler stands on.
//
//   - MPSC: the cross-goroutine inbox of a loop. Many producers, one consumer,
//     one XADD per push in the common case, unbounded by default (linked,
//     recycled segments) or soft-bounded with ErrFull.
//   - PtrMPSC: the same unbounded MPSC for pointer-shaped elements (pointers,
//     funcs), whose 8-byte slot is the element itself, nil meaning unpublished:
//     3x fewer cache lines per element than MPSC's sequence-word slot. The
//     loop's default inbox.
//   - SPSC: a bounded power-of-two ring for loop-to-loop channels.
//   - RunQ: a bounded work-stealing run queue: one owner pushes with no locked
//     instruction and pops; thieves take half with one CAS per batch.
//
// The first thing a user does is make an MPSC and give its producer and consumer
// ends to different goroutines:
//
//	q, err := ringbuf.NewMPSC[func()]()  // unbounded; WithCapacity bounds it
//	...
//	_ = q.Push(fn)                        // any goroutine
//	q.Drain(0, func(fn func()) { fn() })  // the one consumer goroutine
//
// Each structure lives in its own file whose header states its invariants and
// its memory-ordering argument. (The loop's own single-goroutine FIFO has no
// atomics and lives with the loop, in package sched.)
package ringbuf

import (
	"errors"
	"fmt"
)

// ErrFull is returned by a bounded Push when the queue holds its capacity.
var ErrFull = errors.New("ringbuf: queue full")

// DefaultSegmentSize is the MPSC segment length (in slots) when no
// WithSegmentSize option is given.
const DefaultSegmentSize = 1024

// maxSegmentSize bounds WithSegmentSize so a segment stays allocatable.
const maxSegmentSize = 1 << 24

// config collects the MPSC options. The zero value is the default queue:
// unbounded, XADD claim, DefaultSegmentSize slots per segment.
type config struct {
	segSize  int  // slots per segment, a power of two >= 2; 0 = default
	capacity int  // bounded mode only: Push returns ErrFull at this length
	bounded  bool // WithCapacity was given
	casClaim bool // claim with a CAS loop instead of XADD

	// test hooks (unexported, set only by this package's tests)
	startTicket uint64 // first ticket; lets tests start near wrap-around
	keepFree    int    // retired segments the consumer keeps for reuse (pool cells)
}

// Option configures NewMPSC.
type Option func(*config)

// WithSegmentSize sets the number of slots per linked segment (a power of
// two, 2..2^24). Small sizes exercise the growth path; large ones amortise it.
func WithSegmentSize(n int) Option { return func(c *config) { c.segSize = n } }

// WithCapacity turns on bounded mode: Push returns ErrFull once n elements
// are queued (n >= 1). With the default XADD claim the bound is soft:
// producers racing past the check together may overshoot it by at most
// (number of concurrent producers - 1); with WithCASClaim it is exact.
func WithCapacity(n int) Option { return func(c *config) { c.capacity, c.bounded = n, true } }

// WithCASClaim claims slots with a compare-and-swap loop on the tail instead
// of one XADD. It is the loser variant kept for measurement (and the exact
// bounded mode when combined with WithCapacity).
func WithCASClaim() Option { return func(c *config) { c.casClaim = true } }

// withStartTicket is a test hook: the queue's first ticket is t instead of 0,
// so tests can run the counters across 2^64 wrap-around. t must be a multiple
// of the segment size.
func withStartTicket(t uint64) Option { return func(c *config) { c.startTicket = t } }

func (c *config) validate() error {
	if c.segSize == 0 {
		c.segSize = DefaultSegmentSize
	}
	if c.segSize < 2 || c.segSize > maxSegmentSize || c.segSize&(c.segSize-1) != 0 {
		return fmt.Errorf("ringbuf: WithSegmentSize(%d): want a power of two in [2, %d]", c.segSize, maxSegmentSize)
	}
	if c.bounded && c.capacity < 1 {
		return fmt.Errorf("ringbuf: WithCapacity(%d): want n >= 1 (omit the option for an unbounded queue)", c.capacity)
	}
	if c.startTicket%uint64(c.segSize) != 0 {
		return fmt.Errorf("ringbuf: start ticket %d is not a multiple of the segment size %d", c.startTicket, c.segSize)
	}
	if c.keepFree < 1 {
		c.keepFree = defaultPoolSize
	}
	return nil
}
