package main

// workloads_test.go: the shared workloads (package bench) run in process, so
// -race sees the producer/loop hand-offs, and goleak checks that a run leaves
// no goroutine behind. Plus BenchmarkRecord, the recorder's cost per sample.

import (
	"math"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ringloop/ringloop/bench"
	"github.com/ringloop/ringloop/internal/hist"
)

func TestWorkloadsInProcess(t *testing.T) {
	// Every loop is closed by its workload, and Close ends its task coroutines:
	// anything left behind fails.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	d := 40 * time.Millisecond
	if testing.Short() {
		d = 20 * time.Millisecond
	}
	for _, w := range bench.Workloads() {
		for i, v := range w.ListedVariants() {
			if testing.Short() && i > 0 {
				break
			}
			for _, rate := range []float64{0, 4000} {
				cfg := bench.Config{Producers: w.DefaultProducers, Rate: rate, Warmup: d / 4, Duration: d, Loops: 2}
				if w.Name != "group" {
					cfg.Loops = 1
				}
				var windowsN atomic.Int64 // the group workload calls OnInterval from each loop
				cfg.Interval = d / 4
				cfg.OnInterval = func(hist.IntervalStat) { windowsN.Add(1) }
				res, err := w.Run(cfg, v)
				if err == nil && res.Ops == 0 {
					// A 40 ms window can pass with nothing done when a shared
					// 2-core machine deschedules the loop: retry once, longer.
					t.Logf("%s/%s rate %v: no ops in %v; retrying with 5x", w.Name, v.Name, rate, d)
					cfg.Duration = 5 * d
					res, err = w.Run(cfg, v)
				}
				if err != nil {
					t.Errorf("%s/%s rate %v: %v", w.Name, v.Name, rate, err)
					continue
				}
				if res.Ops == 0 && w.Name == "starve" {
					// Some architectures starve even the producers (goroutine:
					// the spinners' runnext chain); the accounting still holds.
					t.Logf("%s/%s rate %v: no ops: starved", w.Name, v.Name, rate)
				} else if res.Ops == 0 || res.Ops != res.Rec.Count() || res.Rec.Corrected.TotalCount() != res.Rec.Uncorrected.TotalCount() {
					t.Errorf("%s/%s rate %v: ops %d, recorded %d/%d", w.Name, v.Name, rate, res.Ops, res.Rec.Corrected.TotalCount(), res.Rec.Uncorrected.TotalCount())
				}
				if res.Ops != res.Submitted {
					t.Errorf("%s/%s rate %v: submitted %d measured ops, completed %d", w.Name, v.Name, rate, res.Submitted, res.Ops)
				}
				if rate > 0 {
					want := int64(rate * cfg.Duration.Seconds())
					if res.Ops < want-1 || res.Ops > want+1 {
						t.Errorf("%s/%s: %d ops at %v/s for %v, want %d", w.Name, v.Name, res.Ops, rate, cfg.Duration, want)
					}
				}
				// Every run with samples reports at least its last window.
				if windowsN.Load() == 0 && res.Ops > 0 {
					t.Errorf("%s/%s rate %v: no interval windows", w.Name, v.Name, rate)
				}
			}
		}
	}
}

// TestOpsBudget: Config.Ops ends a closed-loop run after that many measured
// ops (what a benchmark with b.N uses).
func TestOpsBudget(t *testing.T) {
	w, err := bench.Lookup("threadsafe")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := w.Variant("mpsc")
	res, err := w.Run(bench.Config{Producers: 2, Ops: 5000, Warmup: time.Millisecond}, v)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != 5000 {
		t.Fatalf("ops = %d, want 5000", res.Ops)
	}
}

// TestStopPartial: closing Config.Stop ends a run early, marked partial.
func TestStopPartial(t *testing.T) {
	w, _ := bench.Lookup("threadsafe")
	v, _ := w.Variant("mpsc")
	stop := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() { close(stop) })
	start := time.Now()
	res, err := w.Run(bench.Config{Producers: 1, Duration: 10 * time.Second, Stop: stop}, v)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || res.Ops == 0 || time.Since(start) > 5*time.Second {
		t.Fatalf("partial=%v ops=%d after %v", res.Partial, res.Ops, time.Since(start))
	}
}

// BenchmarkRecord is what loadgen adds to every sample it reports: one clock
// read and one value into each of the corrected and uncorrected histograms.
// Target: < 50 ns.
func BenchmarkRecord(b *testing.B) {
	r := hist.NewRecorder(0)
	start := hist.Now()
	b.ReportAllocs()
	for b.Loop() {
		r.RecordNow(start, start)
	}
}

// TestXcore: every result carries the cross-core round trip on a machine
// with two CPUs. Only its presence is checked: its size is the machine's (and
// under -race, or with the sibling core busy, xcore's yielding probe reports
// milliseconds, as documented there).
func TestXcore(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: no cross-core round trip")
	}
	m := machine(false)
	t.Logf("xcore round trip: %.0f ns", m.XcoreNs)
	if !(m.XcoreNs > 0) || math.IsInf(m.XcoreNs, 0) {
		t.Fatalf("xcore = %v ns, want a positive finite number", m.XcoreNs)
	}
}

// BenchmarkWorkload runs every workload on every variant through the same
// definitions loadgen uses (package bench), closed loop, b.N measured ops:
// BenchmarkWorkload/workload=threadsafe/variant=mpsc/producers=1. ns/op is
// the measured window over the ops (loop setup and teardown excluded);
// p50-ns and p99-ns are the HDR latencies of those ops.
func BenchmarkWorkload(b *testing.B) {
	for _, w := range bench.Workloads() {
		for _, v := range w.ListedVariants() {
			name := "workload=" + w.Name + "/variant=" + v.Name + "/producers=" + strconv.Itoa(w.DefaultProducers)
			b.Run(name, func(b *testing.B) {
				res, err := w.Run(bench.Config{Producers: w.DefaultProducers, Ops: int64(b.N), Loops: 2}, v)
				if err != nil {
					b.Fatal(err)
				}
				if res.Ops < int64(b.N) {
					b.Fatalf("%d ops measured, want %d", res.Ops, b.N)
				}
				b.ReportMetric(float64(res.Elapsed)/float64(res.Ops), "ns/op")
				b.ReportMetric(float64(hist.Quantile(res.Rec.Corrected, 0.50)), "p50-ns")
				b.ReportMetric(float64(hist.Quantile(res.Rec.Corrected, 0.99)), "p99-ns")
			})
		}
	}
}

// TestWorkloadAllocs: the drivers add no allocation per op: a threadsafe
// run and a callsoon run of 200,000 ops allocate only their setup (slots,
// histograms, loop), well under 0.01 allocations per op. (Workloads whose
// measured op allocates by nature — a Future, a TimerHandle, a Task — are
// not held to this.)
func TestWorkloadAllocs(t *testing.T) {
	const ops = 200_000
	for _, c := range []struct{ workload, variant string }{{"threadsafe", "mpsc"}, {"callsoon", "unlocked"}} {
		w, err := bench.Lookup(c.workload)
		if err != nil {
			t.Fatal(err)
		}
		v, err := w.Variant(c.variant)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(1, func() {
			if _, err := w.Run(bench.Config{Producers: 1, Ops: ops}, v); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%s/%s: %.0f allocations for %d ops", c.workload, c.variant, allocs, ops)
		if allocs/ops > 0.01 {
			t.Errorf("%s/%s: %.0f allocations for %d ops: the driver allocates per op", c.workload, c.variant, allocs, ops)
		}
	}
}
