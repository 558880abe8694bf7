package bench_test

// wakeup_test.go: how fast an idle loop wakes, and what idling costs.
//
//   - BenchmarkFloor/op=wake/mech=M/waker=K: the bare mechanism, no loop: a
//     goroutine parked on a channel receive (mech=chan; mech=chan-yield: the waker
//     then calls runtime.Gosched until the woken side runs, at most 4 times, as
//     sched's default wakeup does), blocked in epoll_wait
//     on an eventfd (mech=eventfd), or in FUTEX_WAIT (mech=futex), woken by
//     another goroutine.
//   - BenchmarkWakeup/variant=W/thread=T/waker=K: an idle sched.Loop with wakeup
//     variant W (optionally with a spin before sleep, "-spinNus"), its goroutine
//     locked to its OS thread or not, woken by PostThreadsafe.
//
// waker=blocks: the waker submits and then blocks until the woken side replies
// (the woken goroutine gets the waker's P at once). waker=runs: the waker keeps
// running (spins on an atomic) until the woken side has run; a goroutine readied
// by a running waker waits in the waker's runnext until another P steals it
// (docs/DESIGN.md: ~75 us at best here, milliseconds on a busy VM). Before each wake the woken side is known to be
// asleep. Latency is from just before the submit (or signal) to the first line
// of the woken callback; p50-ns, p99-ns, p999-ns are over the b.N wakes.
// idle-cpu-pct is the process CPU over 50 ms with nothing scheduled (getrusage);
// wake-cpu-us is the CPU one wake costs the process, spin-before-sleep included
// (10 wakes 2 ms apart minus the same driver without wakes; noisy, can dip < 0).

import (
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ringloop/ringloop/sched"
)

var wakeEpoch = time.Now()

func wakeNanotime() int64 { return int64(time.Since(wakeEpoch)) }

func reportPercentiles(b *testing.B, lat []int64) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		i := int(p * float64(len(lat)-1))
		return float64(lat[i])
	}
	b.ReportMetric(pct(0.50), "p50-ns")
	b.ReportMetric(pct(0.99), "p99-ns")
	b.ReportMetric(pct(0.999), "p999-ns")
}

func wakeProcCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bareWaiter is the woken side of a floor: wait blocks until signal.
type bareWaiter interface {
	wait()
	signal()
	close()
}

type chanBare struct {
	ch chan struct{}
	// mech=chan-yield: after the send the waker Goscheds until the woken side has
	// run (at most 4 times), as sched's default wakeup does.
	yield   bool
	pending atomic.Bool // set by signal, cleared by the woken side
}

func (c *chanBare) wait() { <-c.ch; c.pending.Store(false) }
func (c *chanBare) signal() {
	c.pending.Store(true)
	c.ch <- struct{}{}
	if c.yield {
		runtime.Gosched()
		for i := 1; i < 4 && c.pending.Load(); i++ {
			runtime.Gosched()
		}
	}
}
func (c *chanBare) close() {}

type eventfdBare struct {
	efd, epfd int
	ev        [1]unix.EpollEvent
}

func newEventfdBare(b *testing.B) *eventfdBare {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		b.Fatal(err)
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		b.Fatal(err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &ev); err != nil {
		b.Fatal(err)
	}
	return &eventfdBare{efd: efd, epfd: epfd}
}

func (e *eventfdBare) wait() {
	for {
		n, _ := unix.EpollWait(e.epfd, e.ev[:], -1)
		if n > 0 {
			var buf [8]byte
			unix.Read(e.efd, buf[:])
			return
		}
	}
}

func (e *eventfdBare) signal() {
	one := [8]byte{1}
	unix.Write(e.efd, one[:])
}

func (e *eventfdBare) close() { unix.Close(e.epfd); unix.Close(e.efd) }

type futexBare struct{ word atomic.Uint32 }

func (f *futexBare) wait() {
	for f.word.Load() == 0 {
		unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&f.word)), 0|128, 0, 0, 0, 0)
	}
	f.word.Store(0)
}

func (f *futexBare) signal() {
	f.word.Store(1)
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&f.word)), 1|128, 1, 0, 0, 0)
}

func (f *futexBare) close() {}

func init() {
	for _, mech := range []string{"chan", "chan-yield", "eventfd", "futex"} {
		for _, waker := range []string{"blocks", "runs"} {
			registerFloor("op=wake/mech="+mech+"/waker="+waker, func(b *testing.B) {
				var w bareWaiter
				switch mech {
				case "chan", "chan-yield":
					w = &chanBare{ch: make(chan struct{}, 1), yield: mech == "chan-yield"}
				case "eventfd":
					w = newEventfdBare(b)
				default:
					w = &futexBare{}
				}
				defer w.close()
				benchBareWake(b, w, waker == "runs")
			})
		}
	}
}

// benchBareWake: a goroutine loops wait -> record -> reply; the benchmark
// goroutine is the waker.
func benchBareWake(b *testing.B, w bareWaiter, runs bool) {
	lat := make([]int64, b.N)
	var t0 atomic.Int64
	var asleep, woke atomic.Int32 // the woken side: asleep=1 right before wait; woke counts
	reply := make(chan struct{}, 1)
	go func() {
		for i := 0; i < b.N; i++ {
			asleep.Store(1)
			w.wait()
			lat[i] = wakeNanotime() - t0.Load()
			woke.Add(1)
			if !runs {
				reply <- struct{}{}
			}
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for asleep.Load() == 0 {
			runtime.Gosched()
		}
		time.Sleep(20 * time.Microsecond) // let it really block
		asleep.Store(0)
		t0.Store(wakeNanotime())
		w.signal()
		if runs {
			for woke.Load() != int32(i+1) {
			}
		} else {
			<-reply
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

type wakeVariant struct {
	name string
	opts []sched.Option
}

func wakeVariants() []wakeVariant {
	var vs []wakeVariant
	for _, w := range sched.WakeupVariants() {
		vs = append(vs, wakeVariant{w, []sched.Option{sched.WithWakeup(w)}})
	}
	for _, w := range sched.WakeupVariants() {
		vs = append(vs, wakeVariant{w + "-spin50us", []sched.Option{sched.WithWakeup(w), sched.WithSpin(50 * time.Microsecond)}})
	}
	return vs
}

func BenchmarkWakeup(b *testing.B) {
	for _, v := range wakeVariants() {
		for _, thread := range []string{"unlocked", "locked"} {
			for _, waker := range []string{"blocks", "runs"} {
				b.Run("variant="+v.name+"/thread="+thread+"/waker="+waker, func(b *testing.B) {
					opts := append(slices.Clone(v.opts), sched.WithLockOSThread(thread == "locked"))
					benchLoopWake(b, waker == "runs", opts...)
				})
			}
		}
	}
}

func benchLoopWake(b *testing.B, runs bool, opts ...sched.Option) {
	l := newSchedBenchLoop(b, opts...)
	defer l.Close()
	loopDone := make(chan error, 1)
	go func() { loopDone <- l.RunForever() }()
	lat := make([]int64, b.N)
	var t0 atomic.Int64
	var woke atomic.Int32
	reply := make(chan struct{}, 1)
	i := 0
	cb := func() {
		lat[i] = wakeNanotime() - t0.Load()
		i++
		woke.Add(1)
		if !runs {
			reply <- struct{}{}
		}
	}
	waitAsleep := func() {
		for !l.Sleeping() {
			runtime.Gosched()
		}
		time.Sleep(20 * time.Microsecond) // past any spin-before-sleep, into the block
		for !l.Sleeping() {
			runtime.Gosched()
		}
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		waitAsleep()
		t0.Store(wakeNanotime())
		l.PostThreadsafe(cb)
		if runs {
			for woke.Load() != int32(n+1) {
			}
		} else {
			<-reply
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)

	// Idle: nothing scheduled for 50 ms (the spin after the last wake included).
	waitAsleep()
	c0, w0 := wakeProcCPU(), time.Now()
	time.Sleep(50 * time.Millisecond)
	c1, w1 := wakeProcCPU(), time.Now()
	b.ReportMetric(100*float64(c1-c0)/float64(w1.Sub(w0)), "idle-cpu-pct")

	// What a wake costs in CPU, spin included: 10 wakes 2 ms apart, minus the same
	// 10 sleeps of the driver without a wake.
	idle := func() {}
	window := func(wake bool) time.Duration {
		c := wakeProcCPU()
		for k := 0; k < 10; k++ {
			time.Sleep(2 * time.Millisecond)
			if wake {
				l.PostThreadsafe(idle)
			}
		}
		return wakeProcCPU() - c
	}
	base := window(false)
	withWakes := window(true)
	b.ReportMetric(float64(withWakes-base)/10/1e3, "wake-cpu-us")

	l.PostThreadsafe(l.Stop)
	if err := <-loopDone; err != nil {
		b.Fatal(err)
	}
}
