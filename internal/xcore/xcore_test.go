package xcore

import (
	"math"
	"runtime"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	start := time.Now()
	ns := RoundTrip(0)
	el := time.Since(start)
	// On a machine whose other core is busy (or under -race) the two
	// goroutines may not be co-scheduled and a trip costs a yield: allow it.
	if math.IsNaN(ns) || ns <= 0 || ns > float64(time.Second) {
		t.Fatalf("RoundTrip = %v ns, want a positive number below 1 s", ns)
	}
	// the median sample cannot take longer than the whole probe
	if ns*tripsPerSample > float64(el.Nanoseconds()) {
		t.Fatalf("median %v ns x %d trips exceeds the probe's %v", ns, tripsPerSample, el)
	}
	if el > 400*MaxProbe {
		t.Fatalf("probe took %v, want about MaxProbe (%v) at most", el, MaxProbe)
	}
	t.Logf("RoundTrip(0) = %.0f ns (probe took %v, GOMAXPROCS %d)", ns, el, runtime.GOMAXPROCS(0))
}

func TestRoundTripOneProc(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if ns := RoundTrip(5); ns <= 0 {
		t.Fatalf("RoundTrip with GOMAXPROCS=1 = %v", ns)
	}
}

func TestRoundTripSamples(t *testing.T) {
	for _, s := range []int{-3, 1, 2, 7} {
		if ns := RoundTrip(s); ns <= 0 || math.IsInf(ns, 0) {
			t.Fatalf("RoundTrip(%d) = %v", s, ns)
		}
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	for b.Loop() {
		RoundTrip(0)
	}
}
