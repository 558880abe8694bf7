package sched

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringloop/ringloop/future"
	"go.uber.org/goleak"
)

// reports collects what a loop's exception handler is told (any goroutine).
type reports struct {
	mu  sync.Mutex
	all []ExceptionContext
}

func (r *reports) handle(ctx ExceptionContext) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, ctx)
}

func (r *reports) list() []ExceptionContext {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ExceptionContext(nil), r.all...)
}

func (r *reports) find(prefix string) *ExceptionContext {
	for _, c := range r.list() {
		if strings.HasPrefix(c.Message, prefix) {
			return &c
		}
	}
	return nil
}

// taskLoop returns a loop whose reports land in r, and closes it (with its tasks)
// at the end of the test, checking no goroutine is left.
func taskLoop(t *testing.T) (*Loop, *reports) {
	t.Helper()
	r := &reports{}
	l, err := New(WithExceptionHandler(r.handle))
	if err != nil {
		t.Fatal(err)
	}
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		l.closeTasks() // a no-op once Close calls it itself
		goleak.VerifyNone(t, ignore)
	})
	return l, r
}

// eachCoro runs fn once per coroutine engine.
func eachCoro(t *testing.T, fn func(t *testing.T, coro string)) {
	for _, v := range CoroVariants() {
		t.Run("coro="+v, func(t *testing.T) { fn(t, v) })
	}
}

func mustTask[T any](t *testing.T, l *Loop, coro string, fn func(*Coro) (T, error), opts ...TaskOption) *Task[T] {
	t.Helper()
	task, err := CreateTask(l, fn, append([]TaskOption{WithCoro(coro)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// runUntil runs l until a is done; a's own outcome is the test's to check, a
// failure of the loop itself fails the test.
func runUntil(t *testing.T, l *Loop, a future.Awaitable) {
	t.Helper()
	err := l.RunUntilComplete(a)
	for _, loopErr := range []error{ErrStopped, ErrClosed, ErrRunning, ErrOtherLoopRunning} {
		if errors.Is(err, loopErr) {
			t.Fatalf("RunUntilComplete: %v", err)
		}
	}
}

var errBody = errors.New("body failed")

func TestTaskResultErrorPanic(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		l, _ := taskLoop(t)
		ok := mustTask(t, l, coro, func(c *Coro) (int, error) { return 42, nil })
		bad := mustTask(t, l, coro, func(c *Coro) (int, error) { return 0, errBody })
		boom := mustTask(t, l, coro, func(c *Coro) (int, error) {
			var m map[string]int
			m["x"] = 1 // nil map write: a runtime panic
			return 1, nil
		})
		after := mustTask(t, l, coro, func(c *Coro) (string, error) {
			if err := c.Sleep(0); err != nil {
				return "", err
			}
			return "alive", nil
		})
		runUntil(t, l, after)
		if v, err := ok.Result(); v != 42 || err != nil {
			t.Fatalf("ok: %v %v", v, err)
		}
		if _, err := bad.Result(); !errors.Is(err, errBody) || bad.Cancelled() {
			t.Fatalf("bad: %v", err)
		}
		_, err := boom.Result()
		var pe *TaskPanicError
		if !errors.As(err, &pe) || !errors.Is(err, ErrPanic) {
			t.Fatalf("boom: %v (%T)", err, err)
		}
		var re runtime.Error
		if !errors.As(err, &re) || !strings.Contains(string(pe.Stack), "TestTaskResultErrorPanic") {
			t.Fatalf("panic error lost its value or stack: value %v, stack:\n%s", pe.Value, pe.Stack)
		}
		if v, err := after.Result(); v != "alive" || err != nil {
			t.Fatalf("the loop did not survive the panic: %v %v", v, err)
		}
	})
}

func TestAwaitDoneNoIterationNoAlloc(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		l, _ := taskLoop(t)
		done := CreateFuture[int](l)
		_ = done.SetResult(7)
		var ranBetween bool
		var allocs float64
		task := mustTask(t, l, coro, func(c *Coro) (int, error) {
			_ = l.Post(func() { ranBetween = true })
			v, err := Await(c, done)
			if ranBetween {
				return 0, errors.New("awaiting a done future ran a loop iteration")
			}
			allocs = testing.AllocsPerRun(100, func() { _, _ = Await(c, done) })
			return v, err
		})
		runUntil(t, l, task)
		if v, err := task.Result(); v != 7 || err != nil {
			t.Fatalf("%v %v", v, err)
		}
		if allocs != 0 {
			t.Fatalf("await of a done future allocates %v times", allocs)
		}
	})
}

func TestAwaitPendingResumesOnCallback(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		l, _ := taskLoop(t)
		var log []string
		f := CreateFuture[string](l)
		task := mustTask(t, l, coro, func(c *Coro) (string, error) {
			log = append(log, "await")
			v, err := Await(c, f)
			log = append(log, "resumed:"+v)
			return v, err
		})
		_ = l.Post(func() {
			_ = l.Post(func() {
				log = append(log, "complete")
				_ = f.SetResult("x")
			})
		})
		runUntil(t, l, task)
		if got := strings.Join(log, " "); got != "await complete resumed:x" {
			t.Fatalf("order: %s", got)
		}
		// A future completed from another goroutine resumes the task too.
		g := CreateFuture[int](l)
		task2 := mustTask(t, l, coro, func(c *Coro) (int, error) { return Await(c, g) })
		go func() { time.Sleep(time.Millisecond); _ = g.SetResult(5) }()
		runUntil(t, l, task2)
		if v, _ := task2.Result(); v != 5 {
			t.Fatalf("threadsafe completion: %v", v)
		}
	})
}

func TestTaskCancel(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		t.Run("done", func(t *testing.T) {
			l, _ := taskLoop(t)
			task := mustTask(t, l, coro, func(c *Coro) (int, error) { return 1, nil })
			runUntil(t, l, task)
			if task.Cancel("late") || task.Cancelling() != 0 {
				t.Fatal("Cancel on a done task returned true or counted")
			}
		})
		t.Run("waiting", func(t *testing.T) {
			l, _ := taskLoop(t)
			f := CreateFuture[int](l)
			var got error
			task := mustTask(t, l, coro, func(c *Coro) (int, error) {
				_, err := Await(c, f)
				got = err
				return 0, err
			})
			_ = l.Post(func() {
				_ = l.Post(func() {
					if !task.Cancel("stop it") || task.Cancelling() != 1 {
						t.Error("Cancel of a waiting task failed")
					}
				})
			})
			runUntil(t, l, task)
			var ce *future.CancelledError
			if !errors.As(got, &ce) || ce.Msg != "stop it" {
				t.Fatalf("Await returned %v", got)
			}
			if !f.Cancelled() {
				t.Fatal("the awaited future was not cancelled")
			}
			_, err := task.Result()
			if !task.Cancelled() || !errors.As(err, &ce) || ce.Msg != "stop it" {
				t.Fatalf("task: cancelled=%v err=%v", task.Cancelled(), err)
			}
		})
		t.Run("caught", func(t *testing.T) {
			l, _ := taskLoop(t)
			f := CreateFuture[int](l)
			task := mustTask(t, l, coro, func(c *Coro) (int, error) {
				if _, err := Await(c, f); !errors.Is(err, future.ErrCancelled) {
					return 0, fmt.Errorf("want a cancellation, got %v", err)
				}
				if n := c.Task().Uncancel(); n != 0 {
					return 0, fmt.Errorf("Uncancel left %d", n)
				}
				if err := c.Sleep(0); err != nil { // goes on awaiting
					return 0, err
				}
				return 9, nil
			})
			_ = l.Post(func() { _ = l.Post(func() { task.Cancel("") }) })
			runUntil(t, l, task)
			if v, err := task.Result(); v != 9 || err != nil || task.Cancelled() {
				t.Fatalf("a task that caught its cancellation: %v %v cancelled=%v", v, err, task.Cancelled())
			}
		})
		t.Run("before-start", func(t *testing.T) {
			l, _ := taskLoop(t)
			ran := false
			task := mustTask(t, l, coro, func(c *Coro) (int, error) { ran = true; return 1, nil })
			task.Cancel("early")
			task.Cancel("again")
			if task.Cancelling() != 2 {
				t.Fatalf("Cancelling = %d, want 2", task.Cancelling())
			}
			runUntil(t, l, task)
			var ce *future.CancelledError
			if _, err := task.Result(); ran || !errors.As(err, &ce) || ce.Msg != "again" {
				t.Fatalf("ran=%v err=%v", ran, err)
			}
		})
		t.Run("self-at-next-await", func(t *testing.T) {
			l, _ := taskLoop(t)
			done := CreateFuture[int](l)
			_ = done.SetResult(1)
			task := mustTask(t, l, coro, func(c *Coro) (int, error) {
				c.Task().Cancel("self")
				if _, err := Await(c, done); err != nil { // a done future is no suspension point
					return 0, fmt.Errorf("await done: %v", err)
				}
				err := c.Sleep(0)
				if !errors.Is(err, future.ErrCancelled) {
					return 0, fmt.Errorf("Sleep(0) after self-cancel: %v", err)
				}
				return 0, err
			})
			runUntil(t, l, task)
			var ce *future.CancelledError
			if _, err := task.Result(); !task.Cancelled() || !errors.As(err, &ce) || ce.Msg != "self" {
				t.Fatalf("%v", err)
			}
		})
		t.Run("returned-after-cancel", func(t *testing.T) {
			// Cancel requested after the last suspension point: the task ends
			// cancelled even though the body returned normally (asyncio).
			l, _ := taskLoop(t)
			task := mustTask(t, l, coro, func(c *Coro) (int, error) {
				c.Task().Cancel("late")
				return 3, nil
			})
			runUntil(t, l, task)
			if !task.Cancelled() {
				t.Fatal("not cancelled")
			}
		})
		t.Run("uncancel-withdraws", func(t *testing.T) {
			l, _ := taskLoop(t)
			task := mustTask(t, l, coro, func(c *Coro) (int, error) {
				c.Task().Cancel("x")
				c.Task().Uncancel()
				return 4, c.Sleep(0)
			})
			runUntil(t, l, task)
			if v, err := task.Result(); v != 4 || err != nil {
				t.Fatalf("%v %v", v, err)
			}
		})
		t.Run("waiter-already-done", func(t *testing.T) {
			// The waiter completed but the task has not resumed yet: the future
			// refuses the cancel, so the task is cancelled at its resumption.
			l, _ := taskLoop(t)
			f := CreateFuture[int](l)
			var got error
			task := mustTask(t, l, coro, func(c *Coro) (int, error) {
				_, got = Await(c, f)
				return 0, got
			})
			_ = l.Post(func() {
				_ = l.Post(func() {
					_ = f.SetResult(1)
					task.Cancel("raced")
				})
			})
			runUntil(t, l, task)
			var ce *future.CancelledError
			if !errors.As(got, &ce) || ce.Msg != "raced" || !task.Cancelled() {
				t.Fatalf("%v", got)
			}
		})
	})
}

func TestTaskNames(t *testing.T) {
	l, _ := taskLoop(t)
	a := mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return 0, nil })
	b := mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return 0, nil })
	named := mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return 77, nil }, WithName("worker"))
	var na, nb int
	if _, err := fmt.Sscanf(a.GetName(), "Task-%d", &na); err != nil {
		t.Fatal(a.GetName())
	}
	if _, err := fmt.Sscanf(b.GetName(), "Task-%d", &nb); err != nil || nb != na+1 {
		t.Fatalf("%s then %s", a.GetName(), b.GetName())
	}
	if named.GetName() != "worker" {
		t.Fatal(named.GetName())
	}
	if v, _ := named.GetCoro()(nil); v != 77 { // the very function given to CreateTask
		t.Fatalf("GetCoro()() = %v", v)
	}
	named.SetName("renamed")
	if named.GetName() != "renamed" || !strings.Contains(named.String(), "renamed") {
		t.Fatal(named.String())
	}
	runUntil(t, l, named)
	if !strings.HasPrefix(a.String(), "<Task finished") {
		t.Fatal(a.String())
	}
}

func TestTaskInsideLoop(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		l, _ := taskLoop(t)
		task := mustTask(t, l, coro, func(c *Coro) (string, error) {
			rl, err := RunningLoop()
			if err != nil || rl != l || !l.InLoop() || c.Loop() != l {
				return "", fmt.Errorf("RunningLoop = %v, %v; InLoop = %v", rl, err, l.InLoop())
			}
			if CurrentTask(l) != c.Task() {
				return "", errors.New("CurrentTask is not the running task")
			}
			child, err := CreateTask(l, func(c2 *Coro) (string, error) {
				if err := c2.Sleep(0); err != nil {
					return "", err
				}
				return "child", nil
			}, WithCoro(coro))
			if err != nil {
				return "", err
			}
			if n := len(AllTasks(l)); n != 2 {
				return "", fmt.Errorf("AllTasks has %d tasks, want 2", n)
			}
			return Await(c, child)
		})
		runUntil(t, l, task)
		if v, err := task.Result(); v != "child" || err != nil {
			t.Fatalf("%v %v", v, err)
		}
		if CurrentTask(l) != nil || len(AllTasks(l)) != 0 {
			t.Fatal("current/all tasks not cleared")
		}
	})
}

func TestAwaitMisuse(t *testing.T) {
	l, _ := taskLoop(t)
	other, _ := New()
	defer other.Close()
	foreign := CreateFuture[int](other)
	var self *Task[int]
	var selfErr, loopErr error
	var panicked any
	self = mustTask(t, l, CoroPull, func(c *Coro) (int, error) {
		_, selfErr = Await[int](c, self)
		_, loopErr = Await(c, foreign)
		done := make(chan any)
		go func() {
			defer func() { done <- recover() }()
			_ = c.Sleep(0)
		}()
		panicked = <-done
		return 0, nil
	})
	runUntil(t, l, self)
	if !errors.Is(selfErr, ErrAwaitSelf) || !errors.Is(loopErr, ErrWrongLoop) {
		t.Fatalf("self: %v, wrong loop: %v", selfErr, loopErr)
	}
	if s, _ := panicked.(string); !strings.HasPrefix(s, "ringloop:") {
		t.Fatalf("Sleep from another goroutine: %v", panicked)
	}
}

func TestSleep(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		l, _ := taskLoop(t)
		var log []string
		mk := func(name string) *Task[int] {
			return mustTask(t, l, coro, func(c *Coro) (int, error) {
				for i := 0; i < 3; i++ {
					log = append(log, fmt.Sprint(name, i))
					if err := c.Sleep(0); err != nil {
						return 0, err
					}
				}
				return 0, nil
			})
		}
		mk("a")
		b := mk("b")
		runUntil(t, l, b)
		if got := strings.Join(log, " "); got != "a0 b0 a1 b1 a2 b2" {
			t.Fatalf("Sleep(0) interleaving: %s", got)
		}
		start := l.Time()
		slept := mustTask(t, l, coro, func(c *Coro) (time.Duration, error) {
			err := c.Sleep(5 * time.Millisecond)
			return l.Time() - start, err
		})
		runUntil(t, l, slept)
		if d, err := slept.Result(); err != nil || d < 5*time.Millisecond {
			t.Fatalf("Sleep(5ms) took %v, %v", d, err)
		}
		long := mustTask(t, l, coro, func(c *Coro) (int, error) { return 0, c.Sleep(time.Hour) })
		_ = l.Post(func() { _ = l.Post(func() { long.Cancel("wake") }) })
		runUntil(t, l, long)
		if !long.Cancelled() {
			t.Fatal("cancelled Sleep did not end the task cancelled")
		}
	})
}

// awaitsHere awaits f; GetStack of the suspended task must end in this function.
func awaitsHere(c *Coro, f *future.Future[int]) (int, error) {
	return Await(c, f) // awaitLine
}

func taskPanicsHere() {
	panic("deep") // panicLine
}

func callsPanicsHere(c *Coro) (int, error) {
	taskPanicsHere()
	return 0, nil
}

func TestTaskStack(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		l, _ := taskLoop(t)
		f := CreateFuture[int](l)
		waiting := mustTask(t, l, coro, func(c *Coro) (int, error) { return awaitsHere(c, f) })
		var frames []runtime.Frame
		var printed strings.Builder
		_ = l.Post(func() {
			_ = l.Post(func() {
				frames = waiting.GetStack(-1)
				_ = waiting.PrintStack(-1, &printed)
				if one := waiting.GetStack(1); len(one) != 1 || one[0].Function != frames[len(frames)-1].Function {
					t.Errorf("GetStack(1) of a stack must keep the newest frame: %v", one)
				}
				_ = f.SetResult(1)
			})
		})
		runUntil(t, l, waiting)
		if len(frames) < 2 {
			t.Fatalf("suspended stack: %v", frames)
		}
		last := frames[len(frames)-1]
		if !strings.HasSuffix(last.Function, "sched.awaitsHere") || !strings.HasSuffix(last.File, "task_test.go") {
			t.Fatalf("newest frame of a suspended task is %s at %s:%d", last.Function, last.File, last.Line)
		}
		if !strings.Contains(frames[0].Function, "TestTaskStack") {
			t.Fatalf("oldest frame should be the coroutine function, got %s", frames[0].Function)
		}
		p := printed.String()
		if !strings.HasPrefix(p, "task "+waiting.GetName()+" [suspended]:\n") ||
			!strings.Contains(p, "sched.awaitsHere(...)\n\t") || strings.Index(p, "awaitsHere") > strings.Index(p, "TestTaskStack") {
			t.Fatalf("PrintStack:\n%s", p)
		}
		if s := waiting.GetStack(-1); len(s) != 0 {
			t.Fatalf("a finished task has a stack: %v", s)
		}
		var none strings.Builder
		_ = waiting.PrintStack(-1, &none)
		if !strings.HasPrefix(none.String(), "No stack for <Task finished") {
			t.Fatal(none.String())
		}

		boom := mustTask(t, l, coro, func(c *Coro) (int, error) { return callsPanicsHere(c) })
		runUntil(t, l, boom)
		tb := boom.GetStack(-1)
		if len(tb) < 3 || !strings.HasSuffix(tb[len(tb)-1].Function, "sched.taskPanicsHere") ||
			!strings.HasSuffix(tb[len(tb)-2].Function, "sched.callsPanicsHere") {
			t.Fatalf("panic traceback: %v", tb)
		}
		if first := boom.GetStack(1); len(first) != 1 || first[0].Function != tb[0].Function {
			t.Fatalf("GetStack(1) of a traceback must keep the oldest frame: %v", first)
		}
		var pb strings.Builder
		_ = boom.PrintStack(-1, &pb)
		if !strings.HasPrefix(pb.String(), "panic: deep\n\ntask "+boom.GetName()+" [panicked]:\ngithub.com/ringloop/ringloop/sched.taskPanicsHere(...)\n\t") {
			t.Fatalf("PrintStack of a panic:\n%s", pb.String())
		}
		_, _ = boom.Result()
	})
}

func TestUnretrievedExceptionReported(t *testing.T) {
	l, r := taskLoop(t)
	func() {
		// RunUntilComplete(task) would retrieve the outcome (asyncio's
		// run_until_complete calls result()), so run until a third task instead.
		mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return 0, errBody })
		seen := mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return 0, errors.New("seen") })
		after := mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return 0, c.Sleep(0) })
		runUntil(t, l, after)
		_ = seen.Exception()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for r.find("Task exception was never retrieved") == nil && time.Now().Before(deadline) {
		runtime.GC()
		tick := CreateFuture[int](l)
		_, _ = l.CallLater(time.Millisecond, func() { _ = tick.SetResult(0) })
		_ = l.RunUntilComplete(tick)
	}
	got := r.find("Task exception was never retrieved")
	if got == nil || !errors.Is(got.Err, errBody) {
		t.Fatalf("no report for a dropped failed task: %+v", r.list())
	}
	for _, c := range r.list() {
		if c.Err != nil && c.Err.Error() == "seen" {
			t.Fatal("a task whose exception was retrieved was reported")
		}
	}
}

func TestPendingTasksDestroyedAtShutdown(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		r := &reports{}
		l, _ := New(WithExceptionHandler(r.handle))
		f := CreateFuture[int](l)
		deferRan := false
		stuck := mustTask(t, l, coro, func(c *Coro) (int, error) {
			defer func() { deferRan = true }()
			return Await(c, f)
		})
		mustTask(t, l, coro, func(c *Coro) (int, error) { return 0, nil }) // never started: stopped first
		_ = l.Post(func() { _ = l.Post(l.Stop) })
		_ = l.RunUntilComplete(stuck)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l.closeTasks()
		if !deferRan {
			t.Fatal("the destroyed body did not unwind")
		}
		n := 0
		for _, c := range r.list() {
			if strings.HasPrefix(c.Message, "Task was destroyed but it is pending!") && errors.Is(c.Err, ErrTaskDestroyed) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d destroyed-pending reports, want 1 (the second task already ran): %+v", n, r.list())
		}
	})
}

// TestCloseWiredToTasks checks that Loop.Close itself destroys pending tasks (sched
// calls closeTasks from Close).
func TestCloseWiredToTasks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	r := &reports{}
	l, _ := New(WithExceptionHandler(r.handle))
	f := CreateFuture[int](l)
	stuck := mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return Await(c, f) })
	_ = l.Post(func() { _ = l.Post(l.Stop) })
	_ = l.RunUntilComplete(stuck)
	_ = l.Close()
	if _, ok := loopTaskStates.Load(l); ok {
		t.Fatal("Close left the loop's task bookkeeping behind")
	}
	if r.find("Task was destroyed") == nil {
		t.Fatal("Close destroyed a pending task without reporting it")
	}
}

func TestCoroPoolReusedAcrossTasks(t *testing.T) {
	l, _ := taskLoop(t)
	var last *Task[int]
	for i := 0; i < 50; i++ {
		last = mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return 0, c.Sleep(0) })
	}
	runUntil(t, l, last)
	lt, _ := tasksOf(l)
	if n := lt.idleCoroutines(); n != 50 {
		t.Fatalf("%d coroutines parked after 50 concurrent tasks, want 50", n)
	}
	for i := 0; i < 50; i++ {
		last = mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return 0, nil })
		runUntil(t, l, last)
	}
	if n := lt.idleCoroutines(); n != 50 {
		t.Fatalf("sequential tasks did not reuse the pool: %d parked", n)
	}
}

func TestTaskOptionErrors(t *testing.T) {
	l, _ := taskLoop(t)
	_, err := CreateTask(l, func(c *Coro) (int, error) { return 0, nil }, WithCoro("fiber"))
	if err == nil || !strings.Contains(err.Error(), `"fiber"`) || !strings.Contains(err.Error(), "goroutine") {
		t.Fatalf("bad engine name: %v", err)
	}
	task, _ := l.CreateTask(func(c *Coro) (any, error) { return "any", nil })
	if task.SetResult("x") == nil || !errors.Is(task.SetException(errBody), future.ErrInvalidState) {
		t.Fatal("a Task accepted SetResult/SetException")
	}
	runUntil(t, l, task)
	if v, _ := task.Result(); v != "any" {
		t.Fatal(v)
	}
	closed, _ := New()
	closed.Close()
	if _, err := CreateTask(closed, func(c *Coro) (int, error) { return 0, nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("CreateTask on a closed loop: %v", err)
	}
}

// TestTaskWaitFromGoroutine reads a failing task's outcome from a plain goroutine
// while the loop settles it (the thread-safe part of the Future API), and checks
// the read counts as retrieving the exception.
func TestTaskWaitFromGoroutine(t *testing.T) {
	l, r := taskLoop(t)
	task := mustTask(t, l, CoroPull, func(c *Coro) (int, error) {
		if err := c.Sleep(time.Millisecond); err != nil {
			return 0, err
		}
		return 0, errBody
	})
	got := make(chan error, 1)
	go func() {
		_, err := task.Wait(context.Background())
		got <- err
	}()
	after := mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return 0, c.Sleep(3 * time.Millisecond) })
	runUntil(t, l, after)
	if err := <-got; !errors.Is(err, errBody) {
		t.Fatalf("Wait: %v", err)
	}
	if task.report.Load() == nil || !task.report.Load().retrieved.Load() {
		t.Fatal("Wait did not mark the exception retrieved")
	}
	if r.find("Task exception was never retrieved") != nil {
		t.Fatal("reported although retrieved")
	}
}

// TestLockedLoopLeavesNoCoroutine: on a loop locked to its OS thread (which locks
// per run), finished tasks' coroutines are ended inside the run, and a task still
// pending at Close is reported rather than switched to from the wrong thread
// (which would abort the process).
func TestLockedLoopLeavesNoCoroutine(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		ignore := goleak.IgnoreCurrent()
		r := &reports{}
		l, err := New(WithLockOSThread(true), WithExceptionHandler(r.handle))
		if err != nil {
			t.Fatal(err)
		}
		var last *Task[int]
		for i := 0; i < 20; i++ {
			last = mustTask(t, l, coro, sleeper(0, i))
		}
		runUntil(t, l, last)
		for i := 0; i < 5; i++ { // run after run, as a locked program does
			last = mustTask(t, l, coro, sleeper(time.Millisecond, i))
			runUntil(t, l, last)
		}
		if v, err := last.Result(); v != 4 || err != nil {
			t.Fatalf("%v %v", v, err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l.closeTasks()
		goleak.VerifyNone(t, ignore)
		if len(r.list()) != 0 {
			t.Fatalf("unexpected reports: %+v", r.list())
		}
	})
	t.Run("pending-at-close", func(t *testing.T) {
		// Lock the test goroutine first, so that after Close it can put itself
		// back in the exact thread-lock state the loop's run had and unwind the
		// stranded coroutine for goleak's sake.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		r := &reports{}
		l, _ := New(WithLockOSThread(true), WithExceptionHandler(r.handle))
		f := CreateFuture[int](l)
		stuck := mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return Await(c, f) })
		_ = l.Post(func() { _ = l.Post(l.Stop) })
		_ = l.RunUntilComplete(stuck)
		_ = l.Close()
		cr := stuck.cr
		l.closeTasks()
		if got := r.find("Task was destroyed but it is pending; its coroutine is parked"); got == nil || !errors.Is(got.Err, ErrTaskDestroyed) {
			t.Fatalf("reports: %+v", r.list())
		}
		if stuck.cr == nil {
			t.Fatal("the coroutine was switched to outside the run")
		}
		runtime.LockOSThread() // the run's lock count again, on the same thread
		if !cr.Kill() {
			t.Fatal("stranded coroutine did not unwind")
		}
		stuck.engine().Put(cr)
		stuck.engine().Close()
		runtime.UnlockOSThread()
	})
}

func TestGoexitInGoroutineEngine(t *testing.T) {
	l, _ := taskLoop(t)
	task := mustTask(t, l, CoroGoroutine, func(c *Coro) (int, error) {
		if err := c.Sleep(0); err != nil {
			return 0, err
		}
		runtime.Goexit()
		return 1, nil
	})
	after := mustTask(t, l, CoroGoroutine, sleeper(time.Millisecond, 2))
	runUntil(t, l, after)
	if _, err := task.Result(); !errors.Is(err, ErrGoexit) {
		t.Fatalf("Goexit in a goroutine-engine body: %v", err)
	}
	if v, _ := after.Result(); v != 2 {
		t.Fatal("loop did not go on after a Goexit")
	}
}

// TestCloseTasksFromAnotherGoroutine: sched's Close may run on any goroutine; on an
// unlocked loop the task shutdown may switch to the coroutines from there.
func TestCloseTasksFromAnotherGoroutine(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		ignore := goleak.IgnoreCurrent()
		r := &reports{}
		l, _ := New(WithExceptionHandler(r.handle))
		f := CreateFuture[int](l)
		unwound := false
		stuck := mustTask(t, l, coro, func(c *Coro) (int, error) {
			defer func() { unwound = true }()
			return Await(c, f)
		})
		mustTask(t, l, coro, sleeper(0, 0)) // finished: its coroutine is parked in the pool
		_ = l.Post(func() { _ = l.Post(func() { _ = l.Post(l.Stop) }) })
		_ = l.RunUntilComplete(stuck)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = l.Close()
			l.closeTasks()
		}()
		<-done
		if !unwound || r.find("Task was destroyed but it is pending!") == nil {
			t.Fatalf("unwound %v, reports %+v", unwound, r.list())
		}
		goleak.VerifyNone(t, ignore)
	})
}
