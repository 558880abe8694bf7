// xcore.go: the cross-core cache-line round trip recorded beside every run
// (DESIGN.md: the 2-vCPU VMs drift between near ~80 ns and far ~400 ns).
package main

// xcoreNs measures the cross-core round trip in ns, or returns 0 when it
// cannot be measured here.
// TODO(loadgen): internal/xcore.RoundTrip (ringbuf engineer) is not in the
// tree yet; wire it here when it lands.
func xcoreNs() float64 { return 0 }
