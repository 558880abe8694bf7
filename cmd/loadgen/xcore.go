package main

// xcore.go: the cross-core cache-line round trip recorded beside every run
// (docs/DESIGN.md: the 2-vCPU VMs drift between near, ~80 ns, and far, ~400 ns,
// placement every few seconds; a reader splits or discards samples by it).
// The probe is internal/xcore's, the same one the benchmarks report as
// xcore-ns, so loadgen's and the benchmarks' numbers are comparable.

import (
	"runtime"

	"github.com/ringloop/ringloop/internal/xcore"
)

// xcoreNs returns the cross-core round trip in ns (median of
// xcore.DefaultSamples samples, at most xcore.MaxProbe), or 0 on one CPU.
func xcoreNs() float64 {
	if runtime.NumCPU() < 2 {
		return 0
	}
	return xcore.RoundTrip(0)
}
