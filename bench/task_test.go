package bench_test

// task_test.go: BenchmarkTask, what a sched.Task costs per coroutine engine, and
// the floor it is judged against, BenchmarkFloor/op=coroswitch (a bare iter.Pull
// next() round trip: the runtime's coroutine switch there and back).
//
// BenchmarkTask/op=O/coro=V, V in sched.CoroVariants():
//   - op=await-done: Await of a future that is already done (no switch, no loop
//     iteration; must be 0 allocs).
//   - op=await-pending: the task awaits a fresh pending future that a loop callback
//     completes; one op = one suspend/resume through the future's done-callback,
//     future allocation included (asyncio's "await fut" round trip).
//   - op=spawn: create a trivial task and run it to completion. A parent task
//     creates them and awaits the last of every batch of spawnBatch, so the
//     parent's own switch is amortised over the batch.
//   - op=sleep0: Sleep(0) in a loop: one loop iteration and one suspend/resume.
//
// Each op also runs as coro=callback: the same work as callback-style step
// functions on the loop, no coroutine (the switch-free design, for comparison).
//
// The timed region is inside the task body (b.ResetTimer / b.StopTimer there), so
// creating and starting the loop is not counted. The loop uses the default inbox and
// wakeup; nothing else runs on it.

import (
	"iter"
	"syscall"
	"testing"
	"time"

	"github.com/ringloop/ringloop/future"
	"github.com/ringloop/ringloop/sched"
)

func init() {
	registerFloor("op=coroswitch", func(b *testing.B) {
		next, stop := iter.Pull(func(yield func(struct{}) bool) {
			for yield(struct{}{}) {
			}
		})
		defer stop()
		b.ReportAllocs()
		c := startCPU()
		for b.Loop() {
			next()
		}
		c.report(b)
	})
}

// cpuClock reports process CPU time (user + system) per op beside the wall-clock
// ns/op: on a shared 2-vCPU machine the wall clock also counts the time other
// processes held the CPU, the CPU time does not (it still counts this process's
// other threads: the runtime's, and the goroutine engine's second goroutine).
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{processCPU()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
}

const spawnBatch = 256

type taskOp struct {
	name string
	body func(b *testing.B, l *sched.Loop, coro string) func(*sched.Coro) (int, error)
}

var taskOps = []taskOp{
	{"await-done", benchAwaitDone},
	{"await-pending", benchAwaitPending},
	{"spawn", benchSpawn},
	{"sleep0", benchSleep0},
}

func BenchmarkTask(b *testing.B) {
	for _, op := range taskOps {
		for _, coro := range sched.CoroVariants() {
			b.Run("op="+op.name+"/coro="+coro, func(b *testing.B) { runTaskBench(b, op, coro) })
		}
		if cb := callbackOps[op.name]; cb != nil {
			b.Run("op="+op.name+"/coro=callback", func(b *testing.B) { runCallbackBench(b, cb) })
		}
	}
}

// callbackOps are the same ops written as callback-style step functions, no
// coroutine at all (coro=callback): what a task costs without its switch, the
// design measured beside the coroutine engines. Each returns
// the step to post first; it completes done after b.N ops.
var callbackOps = map[string]func(b *testing.B, l *sched.Loop, done *future.Future[int]) func(){
	"await-pending": func(b *testing.B, l *sched.Loop, done *future.Future[int]) func() {
		var cur *future.Future[int]
		complete := func() { _ = cur.SetResult(1) }
		i := 0
		var step func()
		step = func() {
			if cur != nil {
				if _, err := cur.Result(); err != nil {
					_ = done.SetException(err)
					return
				}
			}
			if i == b.N {
				_ = done.SetResult(i)
				return
			}
			i++
			cur = sched.CreateFuture[int](l)
			_ = l.Post(complete)
			cur.OnDone(step)
		}
		return step
	},
	"spawn": func(b *testing.B, l *sched.Loop, done *future.Future[int]) func() {
		// A "task" is a future and the step that settles it; the parent step
		// creates a batch and continues when the batch's last one is done.
		i := 0
		var parent func()
		parent = func() {
			if i == b.N {
				_ = done.SetResult(i)
				return
			}
			var last *future.Future[int]
			for k := 0; k < spawnBatch && i < b.N; k++ {
				f := sched.CreateFuture[int](l)
				_ = l.Post(func() { _ = f.SetResult(1) })
				last, i = f, i+1
			}
			last.OnDone(parent)
		}
		return parent
	},
	"sleep0": func(b *testing.B, l *sched.Loop, done *future.Future[int]) func() {
		i := 0
		var step func()
		step = func() {
			if i == b.N {
				_ = done.SetResult(i)
				return
			}
			i++
			_ = l.Post(step)
		}
		return step
	},
}

func runCallbackBench(b *testing.B, op func(*testing.B, *sched.Loop, *future.Future[int]) func()) {
	b.ReportAllocs()
	l, err := sched.New()
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	done := sched.CreateFuture[int](l)
	step := op(b, l, done)
	b.ResetTimer()
	clock := startCPU()
	if err := l.Post(step); err != nil {
		b.Fatal(err)
	}
	if err := l.RunUntilComplete(done); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	clock.report(b)
}

// BenchmarkTaskLocked is BenchmarkTask on a loop locked to its OS thread
// (sched.WithLockOSThread(true)), where a goroutine hand-off is a futex round
// trip (an await-pending on the goroutine engine: ~68 us, docs/results.md)
// while a coroutine switch stays on the thread.
func BenchmarkTaskLocked(b *testing.B) {
	for _, op := range taskOps[1:2] {
		for _, coro := range sched.CoroVariants() {
			b.Run("op="+op.name+"/coro="+coro, func(b *testing.B) {
				runTaskBench(b, op, coro, sched.WithLockOSThread(true))
			})
		}
	}
}

func runTaskBench(b *testing.B, op taskOp, coro string, opts ...sched.Option) {
	b.ReportAllocs()
	l, err := sched.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	t, err := sched.CreateTask(l, op.body(b, l, coro), sched.WithCoro(coro))
	if err != nil {
		b.Fatal(err)
	}
	if err := l.RunUntilComplete(t); err != nil {
		b.Fatal(err)
	}
}

func benchAwaitDone(b *testing.B, l *sched.Loop, _ string) func(*sched.Coro) (int, error) {
	return func(c *sched.Coro) (int, error) {
		f := sched.CreateFuture[int](l)
		_ = f.SetResult(1)
		sum := 0
		b.ResetTimer()
		clock := startCPU()
		for i := 0; i < b.N; i++ {
			v, err := sched.Await(c, f)
			if err != nil {
				return 0, err
			}
			sum += v
		}
		b.StopTimer()
		clock.report(b)
		return sum, nil
	}
}

func benchAwaitPending(b *testing.B, l *sched.Loop, _ string) func(*sched.Coro) (int, error) {
	return func(c *sched.Coro) (int, error) {
		var cur *future.Future[int]
		complete := func() { _ = cur.SetResult(1) } // bound once: no closure per op
		b.ResetTimer()
		clock := startCPU()
		for i := 0; i < b.N; i++ {
			cur = sched.CreateFuture[int](l)
			if err := l.Post(complete); err != nil {
				return 0, err
			}
			if _, err := sched.Await(c, cur); err != nil {
				return 0, err
			}
		}
		b.StopTimer()
		clock.report(b)
		return 0, nil
	}
}

func benchSpawn(b *testing.B, l *sched.Loop, coro string) func(*sched.Coro) (int, error) {
	trivial := func(*sched.Coro) (int, error) { return 1, nil }
	return func(c *sched.Coro) (int, error) {
		opt := sched.WithCoro(coro)
		b.ResetTimer()
		clock := startCPU()
		for i := 0; i < b.N; i++ {
			t, err := sched.CreateTask(l, trivial, opt)
			if err != nil {
				return 0, err
			}
			if i%spawnBatch == spawnBatch-1 || i == b.N-1 {
				if _, err := sched.Await(c, t); err != nil {
					return 0, err
				}
			}
		}
		b.StopTimer()
		clock.report(b)
		return 0, nil
	}
}

func benchSleep0(b *testing.B, _ *sched.Loop, _ string) func(*sched.Coro) (int, error) {
	return func(c *sched.Coro) (int, error) {
		b.ResetTimer()
		clock := startCPU()
		for i := 0; i < b.N; i++ {
			if err := c.Sleep(0); err != nil {
				return 0, err
			}
		}
		b.StopTimer()
		clock.report(b)
		return 0, nil
	}
}
