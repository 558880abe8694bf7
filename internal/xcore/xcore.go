// Package xcore measures the cost of a cross-core hand-off: one cache line
// passed from one goroutine to another and back (a round trip).
//
// On the 2-vCPU VMs this project is measured on, the two vCPUs drift between
// "near" placement (~80 ns round trip) and "far" (~400 ns, or not
// co-scheduled at all) every few seconds, which moves some benchmarks 2-5x.
// Benchmarks call RoundTrip right beside each measurement and report it as
// the xcore-ns metric, so samples can be split by placement afterwards.
//
// # Protocol
//
// A single padded word w. The pinger stores 2k+1 and spins until it reads
// 2k+2; the ponger spins until it reads 2k+1 and stores 2k+2. Each round trip
// moves the line to the ponger and back. Both sides yield the processor
// after a bounded spin, so the probe finishes (slowly, and then reports a
// large number) even with GOMAXPROCS=1 or a busy sibling core.
package xcore

import (
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/sys/cpu"
)

// DefaultSamples is the sample count RoundTrip uses for samples <= 0.
const DefaultSamples = 51

// tripsPerSample round trips are timed together as one sample.
const tripsPerSample = 32

// spinBeforeYield bounds a busy wait before runtime.Gosched.
const spinBeforeYield = 1 << 10

type line struct {
	_ cpu.CacheLinePad
	w atomic.Uint64 // pinger stores odd, ponger stores even
	_ cpu.CacheLinePad
}

// MaxProbe bounds how long RoundTrip keeps taking samples: when the two
// goroutines are not co-scheduled a sample can take milliseconds, and the
// probe must stay short beside a benchmark. At least one sample is taken.
const MaxProbe = 5 * time.Millisecond

// stop is the value the pinger stores to end the ponger.
const stop = ^uint64(0)

// RoundTrip returns the median, over samples samples (DefaultSamples if
// samples <= 0), of the nanoseconds one cache-line round trip between two
// goroutines takes. Each sample times 32 round trips; the probe takes about
// 0.2-2 ms when the goroutines run on two cores, and stops taking samples
// after MaxProbe.
func RoundTrip(samples int) float64 {
	if samples <= 0 {
		samples = DefaultSamples
	}
	var l line
	done := make(chan struct{})
	go func() { // ponger
		defer close(done)
		for k := uint64(0); ; k++ {
			if waitFor(&l.w, 2*k+1) == stop {
				return
			}
			l.w.Store(2*k + 2) // hands the line back; pairs with waitFor in the pinger
		}
	}()
	ns := make([]float64, 0, samples+1)
	k := uint64(0)
	begin := time.Now()
	for s := 0; s <= samples; s++ { // sample 0 is a warm-up
		start := time.Now()
		for i := 0; i < tripsPerSample; i++ {
			l.w.Store(2*k + 1) // hands the line over; pairs with waitFor in the ponger
			waitFor(&l.w, 2*k+2)
			k++
		}
		ns = append(ns, float64(time.Since(start).Nanoseconds())/tripsPerSample)
		if s >= 1 && time.Since(begin) > MaxProbe {
			break
		}
	}
	l.w.Store(stop) // ends the ponger, which is waiting for 2k+1
	<-done
	ns = ns[1:] // drop the warm-up
	slices.Sort(ns)
	return ns[len(ns)/2]
}

// waitFor spins until w holds v (or stop), yielding after a bounded spin,
// and returns what it read.
func waitFor(w *atomic.Uint64, v uint64) uint64 {
	for i := 1; ; i++ {
		x := w.Load() // pairs with the other side's Store
		if x == v || x == stop {
			return x
		}
		if i%spinBeforeYield == 0 {
			runtime.Gosched()
		}
	}
}
