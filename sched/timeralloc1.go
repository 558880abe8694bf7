//go:build ringloop_timeralloc1

package sched

// timerAlloc, one allocation per TimerHandle: the alternative to the slabs of
// timeralloc.go (the default), kept for comparison. Selected by the build tag
// ringloop_timeralloc1. A retained handle keeps only itself alive.

type timerAlloc struct{}

func (a *timerAlloc) get() *TimerHandle { return new(TimerHandle) }

// timerSlabSize: every handle is its own allocation.
const timerSlabSize = 1
