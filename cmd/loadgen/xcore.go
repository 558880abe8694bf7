// xcore.go: the cross-core cache-line round trip recorded beside every run
// (DESIGN.md: the 2-vCPU VMs drift between near, ~80 ns, and far, ~400 ns,
// placement every few seconds; a reader splits or discards samples by it).
//
// The probe: two goroutines, each locked to its OS thread and pinned to its
// own CPU (the first two this process may use), bounce one padded atomic word:
// A stores an odd value and spins until B answers with the next even one.
// Five batches of 2,000 round trips; the median batch's mean is the result.
// About 1-5 ms. The threads' CPU affinity is restored before they are
// unlocked, so the probe leaves no pinned thread behind.
//
// internal/xcore.RoundTrip (the ringbuf engineer's, planned) is the shared
// home for this probe; when it lands, xcoreNs should call it instead.
package main

import (
	"runtime"
	"slices"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/ringloop/ringloop/internal/hist"
)

const (
	xcoreBatches = 5
	xcoreRounds  = 2000
	xcoreLimitNs = int64(200e6) // give up on a batch after 200 ms (peer not scheduled)
)

// xcoreNs returns the cross-core round trip in ns, or 0 when it cannot be
// measured (one CPU, affinity refused, or the peer never scheduled).
func xcoreNs() float64 {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil || set.Count() < 2 {
		return 0
	}
	var cpus []int
	for i := 0; len(cpus) < 2 && i < 1024; i++ {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	var line struct {
		_    [64]byte
		v    atomic.Int64 // odd: A's ping (A stores, B loads); even: B's pong
		stop atomic.Bool  // A gives up; B's spin loads it
		_    [64]byte
	}
	ready := make(chan bool)
	done := make(chan struct{})
	go func() {
		defer close(done)
		restore, ok := pinThread(cpus[1])
		defer restore()
		ready <- ok
		if !ok {
			return
		}
		for i := int64(1); ; i++ {
			for line.v.Load() != 2*i-1 { // pairs with A's Store of the ping
				if line.stop.Load() {
					return
				}
			}
			line.v.Store(2 * i) // the pong; pairs with A's Load
			if i == xcoreBatches*xcoreRounds {
				return
			}
		}
	}()
	restore, ok := pinThread(cpus[0])
	defer restore()
	if okB := <-ready; !ok || !okB {
		line.stop.Store(true)
		<-done
		return 0
	}
	var batches []float64
	i := int64(0)
	for range xcoreBatches {
		t0 := hist.Now()
		for range xcoreRounds {
			i++
			line.v.Store(2*i - 1)
			for line.v.Load() != 2*i {
				if hist.Now()-t0 > xcoreLimitNs {
					line.stop.Store(true)
					<-done
					return 0
				}
			}
		}
		batches = append(batches, float64(hist.Now()-t0)/xcoreRounds)
	}
	<-done
	slices.Sort(batches)
	return batches[len(batches)/2]
}

// pinThread locks the calling goroutine to its thread and pins the thread to
// cpu; restore puts the thread's affinity back and unlocks it.
func pinThread(cpu int) (restore func(), ok bool) {
	runtime.LockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		runtime.UnlockOSThread()
		return func() {}, false
	}
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		runtime.UnlockOSThread()
		return func() {}, false
	}
	return func() {
		_ = unix.SchedSetaffinity(0, &old)
		runtime.UnlockOSThread()
	}, true
}
