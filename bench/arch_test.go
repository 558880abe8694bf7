package bench_test

// arch_test.go: BenchmarkArch/arch=A/shape=S, every scheduler architecture
// (bench.Archs) on Tokio's runtime benchmark shapes, plus a floor (arch=inline:
// every spawn is a direct call), so figures read next to Tokio's published
// ones. ns/op is per operation of the shape:
//
//	spawn-local        10,000 spawns from inside one callback; op = one spawn
//	spawn-remote-idle  10,000 submissions from outside, scheduler idle; op = one
//	spawn-remote-busy  the same while one callback per loop keeps yielding
//	yield              200 tasks x 1,000 yields; op = one yield
//	pingpong           1,000 pairs of one-shot round trips (A spawns B, B wakes
//	                   A by spawning its continuation); op = one round trip
//	chain              a chain of 1,000 spawns, each spawning the next; op = one hop
//	service-fixed-1us  the service workload, closed loop, 2 producers, fixed:1us,
//	                   uniform keys; op = one request (1/throughput)
//
// A round's end is signalled by its last task through a channel; rounds repeat
// until b.N operations ran. The architecture is built outside the timer.

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringloop/ringloop/bench"
)

type archShape struct {
	name  string
	ops   int // operations per round
	round func(a bench.Arch, done chan struct{})
}

func archShapes() []archShape {
	return []archShape{
		{"spawn-local", 10_000, func(a bench.Arch, done chan struct{}) {
			var left atomic.Int64
			left.Store(10_000)
			child := func() {
				if left.Add(-1) == 0 {
					done <- struct{}{}
				}
			}
			_ = a.Submit(0, func() {
				for range 10_000 {
					a.Spawn(child)
				}
			})
			<-done
		}},
		{"spawn-remote-idle", 10_000, spawnRemote},
		{"spawn-remote-busy", 10_000, spawnRemote}, // busy set up by the benchmark
		{"yield", 200 * 1_000, func(a bench.Arch, done chan struct{}) {
			var left atomic.Int64
			left.Store(200)
			for t := range 200 {
				n := 0
				var step func()
				step = func() {
					if n++; n <= 1_000 {
						a.Yield(step)
						return
					}
					if left.Add(-1) == 0 {
						done <- struct{}{}
					}
				}
				_ = a.Submit(uint64(t), step)
			}
			<-done
		}},
		{"pingpong", 1_000, func(a bench.Arch, done chan struct{}) {
			var left atomic.Int64
			left.Store(1_000)
			cont := func() {
				if left.Add(-1) == 0 {
					done <- struct{}{}
				}
			}
			pong := func() { a.Spawn(cont) } // B: completes the one-shot, waking A
			ping := func() { a.Spawn(pong) } // A: spawns B, then waits
			_ = a.Submit(0, func() {
				for range 1_000 {
					a.Spawn(ping)
				}
			})
			<-done
		}},
		{"chain", 1_000, func(a bench.Arch, done chan struct{}) {
			n := 0
			var hop func()
			hop = func() {
				if n++; n < 1_000 {
					a.Spawn(hop)
					return
				}
				done <- struct{}{}
			}
			_ = a.Submit(0, hop)
			<-done
		}},
	}
}

func spawnRemote(a bench.Arch, done chan struct{}) {
	var left atomic.Int64
	left.Store(10_000)
	child := func() {
		if left.Add(-1) == 0 {
			done <- struct{}{}
		}
	}
	for i := range 10_000 {
		_ = a.Submit(uint64(i), child)
	}
	<-done
}

// inlineArch is the floor: Spawn, Yield and Submit call fn directly.
type inlineArch struct{}

func (inlineArch) Submit(_ uint64, fn func()) error { fn(); return nil }
func (inlineArch) Spawn(fn func())                  { fn() }
func (inlineArch) Yield(fn func())                  { fn() }
func (inlineArch) SubmitEach(fn func()) error       { fn(); return nil }
func (inlineArch) Workers() int                     { return 1 }
func (inlineArch) Close() error                     { return nil }

func newArch(tb testing.TB, name string) bench.Arch {
	tb.Helper()
	if name == "inline" {
		return inlineArch{}
	}
	a, err := bench.NewArch(name, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// startBusy keeps one self-yielding callback per worker running until the
// returned stop is called (Tokio's remote-busy background).
func startBusy(tb testing.TB, a bench.Arch) (stop func()) {
	var quit atomic.Bool
	var live atomic.Int64
	var spin func()
	spin = func() {
		if quit.Load() {
			live.Add(-1)
			return
		}
		a.Yield(spin)
	}
	live.Store(int64(a.Workers()))
	if err := a.SubmitEach(func() { a.Spawn(spin) }); err != nil {
		tb.Fatal(err)
	}
	return func() {
		quit.Store(true)
		for live.Load() > 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
}

func BenchmarkArch(b *testing.B) {
	archs := append([]string{"inline"}, bench.ArchNames()...)
	for _, arch := range archs {
		for _, sh := range archShapes() {
			if arch == "inline" && sh.name == "spawn-remote-busy" {
				continue // the floor cannot be busy
			}
			b.Run(fmt.Sprintf("arch=%s/shape=%s", arch, sh.name), func(b *testing.B) {
				a := newArch(b, arch)
				stopBusy := func() {}
				if sh.name == "spawn-remote-busy" {
					stopBusy = startBusy(b, a)
				}
				done := make(chan struct{}, 1)
				b.ReportAllocs()
				b.ResetTimer()
				for ran := 0; ran < b.N; ran += sh.ops {
					sh.round(a, done)
				}
				b.StopTimer()
				// Report per operation, not per b.N iteration: rounds are whole.
				rounds := (b.N + sh.ops - 1) / sh.ops
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rounds*sh.ops), "ns/task")
				stopBusy()
				if err := a.Close(); err != nil {
					b.Fatal(err)
				}
			})
		}
		if arch == "inline" {
			continue
		}
		b.Run(fmt.Sprintf("arch=%s/shape=service-fixed-1us", arch), func(b *testing.B) {
			benchService(b, arch, "fixed:1us")
		})
	}
}

// benchService runs the service workload closed loop for b.N requests.
func benchService(b *testing.B, arch, service string) {
	w, err := bench.Lookup("service")
	if err != nil {
		b.Fatal(err)
	}
	v, err := w.Variant(arch)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	res, err := w.Run(bench.Config{Producers: 2, Ops: int64(b.N), Service: service, Keys: "uniform", Warmup: 0}, v)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(res.Elapsed.Nanoseconds())/float64(max(res.Ops, 1)), "ns/req")
	b.ReportMetric(float64(res.Rec.Corrected.ValueAtQuantile(99))/1e3, "p99-us")
}

// Every architecture runs every shape to completion (small rounds): the
// benchmark's shapes neither lose nor duplicate a task.
func TestArchShapesComplete(t *testing.T) {
	for _, arch := range append([]string{"inline"}, bench.ArchNames()...) {
		t.Run(arch, func(t *testing.T) {
			a := newArch(t, arch)
			var stop func()
			for _, sh := range archShapes() {
				if sh.name == "spawn-remote-busy" {
					if arch == "inline" {
						continue
					}
					stop = startBusy(t, a)
				}
				done := make(chan struct{}, 1)
				finished := make(chan struct{})
				go func() { sh.round(a, done); close(finished) }()
				select {
				case <-finished:
				case <-time.After(20 * time.Second):
					t.Fatalf("shape %s did not finish", sh.name)
				}
				if stop != nil {
					stop()
					stop = nil
				}
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The service and starve workloads run on every architecture, closed and
// open loop, and account for every request.
func TestServiceWorkloads(t *testing.T) {
	for _, wl := range []string{"service", "starve"} {
		w, err := bench.Lookup(wl)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range w.ListedVariants() {
			for _, rate := range []float64{0, 20_000} {
				t.Run(fmt.Sprintf("%s/%s/rate=%v", wl, v.Name, rate), func(t *testing.T) {
					res, err := w.Run(bench.Config{Producers: 2, Rate: rate, Warmup: 20 * time.Millisecond,
						Duration: 100 * time.Millisecond, Service: "bimodal:1us,100us,0.01", Keys: "zipf:1.1"}, v)
					if err != nil {
						t.Fatal(err)
					}
					// starve may starve the producers themselves (goroutine: the
					// spinners' `go` chain keeps the Ps): accounting must still hold.
					if (res.Ops == 0 && wl == "service") || res.Ops != res.Submitted || len(res.Warnings) > 0 {
						t.Fatalf("ops %d, submitted %d, warnings %v", res.Ops, res.Submitted, res.Warnings)
					}
					t.Logf("ops %d, p99 %v", res.Ops, time.Duration(res.Rec.Corrected.ValueAtQuantile(99)))
				})
			}
		}
	}
	runtime.GC()
}

func TestParseServiceAndKeys(t *testing.T) {
	for _, s := range []string{"fixed:1us", "exp:20us", "bimodal:1us,1ms,0.001"} {
		if _, err := bench.ParseService(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	d, _ := bench.ParseService("bimodal:1us,1ms,0.001")
	if m := d.Mean(); m < 1990*time.Nanosecond || m > 2010*time.Nanosecond {
		t.Errorf("bimodal mean %v, want ~2us", m)
	}
	for _, s := range []string{"fixed", "fixed:abc", "fixed:-1us", "fixed:2s", "bimodal:1us,1ms", "bimodal:1us,1ms,1", "bimodal:1us,1ms,0", "gauss:1us"} {
		if _, err := bench.ParseService(s); err == nil {
			t.Errorf("%s accepted", s)
		} else if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: error %q does not name the value", s, err)
		}
	}
	for _, s := range []string{"uniform", "zipf:1.1", "zipf:2"} {
		if _, err := bench.ParseKeys(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"zipf:1", "zipf:0.5", "zipf:x", "normal"} {
		if _, err := bench.ParseKeys(s); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
	if _, err := bench.NewArch("fibers", 0); err == nil || !strings.Contains(err.Error(), "steal-nolifo") {
		t.Errorf("unknown arch: %v", err)
	}
}
