package sched

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ringloop/ringloop/future"
	"go.uber.org/goleak"
)

func sleeper[T any](d time.Duration, v T) func(*Coro) (T, error) {
	return func(c *Coro) (T, error) {
		var zero T
		if err := c.Sleep(d); err != nil {
			return zero, err
		}
		return v, nil
	}
}

func TestWaitFor(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		l, _ := taskLoop(t)
		var inner *Task[int]
		var cancellingAfter int
		timeout := mustTask(t, l, coro, func(c *Coro) (int, error) {
			inner = mustTask(t, l, coro, sleeper(time.Hour, 1))
			v, err := WaitFor[int](c, inner, 2*time.Millisecond)
			cancellingAfter = c.Task().Cancelling()
			return v, err
		})
		runUntil(t, l, timeout)
		_, err := timeout.Result()
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, future.ErrCancelled) {
			t.Fatalf("timeout: %v", err)
		}
		if !inner.Cancelled() || cancellingAfter != 0 {
			t.Fatalf("inner cancelled=%v, outer cancelling=%d", inner.Cancelled(), cancellingAfter)
		}

		fast := mustTask(t, l, coro, func(c *Coro) (int, error) {
			return WaitFor[int](c, mustTask(t, l, coro, sleeper(0, 5)), time.Hour)
		})
		runUntil(t, l, fast)
		if v, err := fast.Result(); v != 5 || err != nil {
			t.Fatalf("in time: %v %v", v, err)
		}

		stubborn := mustTask(t, l, coro, func(c *Coro) (int, error) {
			in := mustTask(t, l, coro, func(c *Coro) (int, error) {
				if err := c.Sleep(time.Hour); !errors.Is(err, future.ErrCancelled) {
					return 0, fmt.Errorf("inner sleep: %v", err)
				}
				c.Task().Uncancel()
				return 7, nil // ignores the cancellation
			})
			return WaitFor[int](c, in, time.Millisecond)
		})
		runUntil(t, l, stubborn)
		if v, err := stubborn.Result(); v != 7 || err != nil {
			t.Fatalf("inner that swallowed the cancel: %v %v", v, err)
		}

		failing := mustTask(t, l, coro, func(c *Coro) (int, error) {
			in := mustTask(t, l, coro, func(c *Coro) (int, error) { return 0, errBody })
			return WaitFor[int](c, in, time.Hour)
		})
		runUntil(t, l, failing)
		if _, err := failing.Result(); !errors.Is(err, errBody) {
			t.Fatalf("inner error: %v", err)
		}

		zero := mustTask(t, l, coro, func(c *Coro) (int, error) {
			done := CreateFuture[int](l)
			_ = done.SetResult(3)
			if v, err := WaitFor[int](c, done, 0); v != 3 || err != nil {
				return 0, fmt.Errorf("timeout 0 on a done future: %v %v", v, err)
			}
			in := mustTask(t, l, coro, sleeper(time.Hour, 1))
			_, err := WaitFor[int](c, in, 0)
			if !errors.Is(err, ErrTimeout) || !in.Cancelled() {
				return 0, fmt.Errorf("timeout 0 on a pending task: %v, cancelled %v", err, in.Cancelled())
			}
			return 0, nil
		})
		runUntil(t, l, zero)
		if _, err := zero.Result(); err != nil {
			t.Fatal(err)
		}

		// The waiting task cancelled from outside: a cancellation, not a timeout.
		var outerErr error
		outer := mustTask(t, l, coro, func(c *Coro) (int, error) {
			_, outerErr = WaitFor[int](c, mustTask(t, l, coro, sleeper(time.Hour, 1)), time.Hour)
			return 0, outerErr
		})
		_ = l.Post(func() { _ = l.Post(func() { _ = l.Post(func() { outer.Cancel("outside") }) }) })
		runUntil(t, l, outer)
		var ce *future.CancelledError
		if errors.Is(outerErr, ErrTimeout) || !errors.As(outerErr, &ce) || ce.Msg != "outside" || !outer.Cancelled() {
			t.Fatalf("outer cancel during WaitFor: %v", outerErr)
		}
	})
}

func TestGather(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		t.Run("results-in-order", func(t *testing.T) {
			l, _ := taskLoop(t)
			g := Gather(l, []AwaitableOf[int]{
				mustTask(t, l, coro, sleeper(3*time.Millisecond, 1)),
				mustTask(t, l, coro, sleeper(0, 2)),
				mustTask(t, l, coro, sleeper(time.Millisecond, 3)),
			})
			runUntil(t, l, g)
			if v, err := g.Result(); err != nil || fmt.Sprint(v) != "[1 2 3]" {
				t.Fatalf("%v %v", v, err)
			}
		})
		t.Run("first-error", func(t *testing.T) {
			l, _ := taskLoop(t)
			slow := mustTask(t, l, coro, sleeper(2*time.Millisecond, 1))
			g := Gather(l, []AwaitableOf[int]{
				slow,
				mustTask(t, l, coro, func(c *Coro) (int, error) { return 0, errBody }),
			})
			runUntil(t, l, g)
			if _, err := g.Result(); !errors.Is(err, errBody) {
				t.Fatalf("gather: %v", err)
			}
			if slow.Done() {
				t.Fatal("gather waited for the slow child before failing")
			}
			runUntil(t, l, slow) // the sibling was not cancelled
			if v, err := slow.Result(); v != 1 || err != nil {
				t.Fatalf("sibling: %v %v", v, err)
			}
		})
		t.Run("return-errors", func(t *testing.T) {
			l, _ := taskLoop(t)
			cancelled := mustTask(t, l, coro, sleeper(time.Hour, 0))
			cancelled.Cancel("c")
			g := Gather(l, []AwaitableOf[int]{
				mustTask(t, l, coro, sleeper(time.Millisecond, 1)),
				mustTask(t, l, coro, func(c *Coro) (int, error) { return 0, errBody }),
				cancelled,
			}, ReturnErrors())
			runUntil(t, l, g)
			v, err := g.Result()
			errs := g.Errors()
			var ce *future.CancelledError
			if err != nil || v[0] != 1 || len(errs) != 3 || errs[0] != nil || !errors.Is(errs[1], errBody) || !errors.As(errs[2], &ce) || ce.Msg != "c" {
				t.Fatalf("%v %v %v", v, err, errs)
			}
		})
		t.Run("cancel", func(t *testing.T) {
			l, _ := taskLoop(t)
			a := mustTask(t, l, coro, sleeper(time.Hour, 1))
			b := mustTask(t, l, coro, sleeper(time.Hour, 2))
			g := Gather(l, []AwaitableOf[int]{a, b}, ReturnErrors())
			var cancelled bool
			_ = l.Post(func() { _ = l.Post(func() { cancelled = g.Cancel("all") }) })
			runUntil(t, l, g)
			var ce *future.CancelledError
			// asyncio: the gathering fails with CancelledError; it is not itself cancelled.
			if _, err := g.Result(); !cancelled || g.Cancelled() || !errors.As(err, &ce) || ce.Msg != "all" {
				t.Fatalf("Cancel=%v: %v (Cancelled()=%v)", cancelled, err, g.Cancelled())
			}
			if !a.Cancelled() || !b.Cancelled() || g.Cancel("again") {
				t.Fatal("children not cancelled, or a done gather accepted Cancel")
			}
		})
		t.Run("child-cancelled", func(t *testing.T) {
			l, _ := taskLoop(t)
			a := mustTask(t, l, coro, sleeper(time.Hour, 1))
			g := Gather(l, []AwaitableOf[int]{a, mustTask(t, l, coro, sleeper(time.Hour, 2))})
			_ = l.Post(func() { _ = l.Post(func() { a.Cancel("one") }) })
			runUntil(t, l, g)
			// asyncio: "treated as if it raised CancelledError – the gather() call
			// is not cancelled in this case".
			var ce *future.CancelledError
			if _, err := g.Result(); g.Cancelled() || !errors.As(err, &ce) || ce.Msg != "one" {
				t.Fatalf("a cancelled child: gather %v (Cancelled()=%v), want its CancelledError, not cancelled", err, g.Cancelled())
			}
		})
		t.Run("empty", func(t *testing.T) {
			l, _ := taskLoop(t)
			g := Gather[int](l, nil)
			if v, err := g.Result(); !g.Done() || err != nil || v == nil || len(v) != 0 {
				t.Fatalf("%v %v", v, err)
			}
		})
	})
}

func TestShield(t *testing.T) {
	eachCoro(t, func(t *testing.T, coro string) {
		l, _ := taskLoop(t)
		// inner waits on gate, which the test completes only after the waiter was
		// cancelled: no timing window, however slow the machine.
		gate := CreateFuture[int](l)
		inner := mustTask(t, l, coro, func(c *Coro) (int, error) { return Await(c, AwaitableOf[int](gate)) })
		var got error
		waiter := mustTask(t, l, coro, func(c *Coro) (int, error) {
			v, err := Await(c, Shield[int](inner))
			got = err
			return v, err
		})
		_ = l.Post(func() { _ = l.Post(func() { waiter.Cancel("go away") }) })
		runUntil(t, l, waiter)
		if !errors.Is(got, future.ErrCancelled) || !waiter.Cancelled() {
			t.Fatalf("waiter: %v", got)
		}
		if inner.Done() || inner.Cancelled() {
			t.Fatal("cancelling the waiter reached the shielded inner task")
		}
		if err := gate.SetResult(8); err != nil {
			t.Fatal(err)
		}
		runUntil(t, l, inner)
		if v, err := inner.Result(); v != 8 || err != nil {
			t.Fatalf("shielded inner was disturbed: %v %v", v, err)
		}
		if s := Shield[int](inner); s != AwaitableOf[int](inner) {
			t.Fatal("Shield of a done awaitable should return it")
		}
		bad := mustTask(t, l, coro, func(c *Coro) (int, error) { return 0, errBody })
		sh := Shield[int](bad)
		runUntil(t, l, sh)
		if _, err := sh.Result(); !errors.Is(err, errBody) {
			t.Fatalf("shield of a failing task: %v", err)
		}
	})
}

func TestRun(t *testing.T) {
	for _, locked := range []bool{false, true} {
		t.Run(fmt.Sprintf("locked=%v", locked), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			r := &reports{}
			var leftover *Task[int]
			leftoverSaw := error(nil)
			v, err := Run(func(c *Coro) (string, error) {
				l := c.Loop()
				var err error
				leftover, err = CreateTask(l, func(c *Coro) (int, error) {
					leftoverSaw = c.Sleep(time.Hour)
					return 0, leftoverSaw
				})
				if err != nil {
					return "", err
				}
				// A leftover that fails while being cancelled is reported.
				if _, err := CreateTask(l, func(c *Coro) (int, error) {
					_ = c.Sleep(time.Hour)
					return 0, errBody
				}, WithName("bad-at-shutdown")); err != nil {
					return "", err
				}
				var last *Task[int]
				for i := 0; i < 100; i++ {
					last, _ = CreateTask(l, sleeper(0, i))
				}
				n, err := Await(c, last)
				return fmt.Sprint("main ", n), err
			}, WithExceptionHandler(r.handle), WithLockOSThread(locked))
			if v != "main 99" || err != nil {
				t.Fatalf("Run: %q %v", v, err)
			}
			if !errors.Is(leftoverSaw, future.ErrCancelled) || !leftover.Cancelled() {
				t.Fatalf("leftover task saw %v", leftoverSaw)
			}
			got := r.find("unhandled exception during sched.Run() shutdown")
			if got == nil || !errors.Is(got.Err, errBody) || !strings.Contains(got.Message, "bad-at-shutdown") {
				t.Fatalf("shutdown failure not reported: %+v", r.list())
			}
		})
	}
	_, err := Run(func(c *Coro) (int, error) { return 0, errBody })
	if !errors.Is(err, errBody) {
		t.Fatalf("Run of a failing main: %v", err)
	}
	_, err = Run(func(c *Coro) (int, error) { return 0, nil }, WithInbox("nope"))
	if err == nil {
		t.Fatal("Run accepted a bad loop option")
	}
}

// TestConformanceFixes pins, in this package's own tests, asyncio behaviours
// that ringloop once got wrong.
func TestConformanceFixes(t *testing.T) {
	t.Run("named-tasks-take-no-number", func(t *testing.T) {
		l, _ := taskLoop(t)
		a := mustTask(t, l, CoroPull, sleeper(0, 0))
		mustTask(t, l, CoroPull, sleeper(0, 0), WithName("x"))
		b := mustTask(t, l, CoroPull, sleeper(0, 0))
		var na, nb int
		fmt.Sscanf(a.GetName(), "Task-%d", &na)
		fmt.Sscanf(b.GetName(), "Task-%d", &nb)
		if nb != na+1 {
			t.Fatalf("%s then %s around a named task", a.GetName(), b.GetName())
		}
		runUntil(t, l, b)
	})
	t.Run("run-inside-a-loop", func(t *testing.T) {
		l, _ := taskLoop(t)
		ran := false
		var got error
		task := mustTask(t, l, CoroPull, func(c *Coro) (int, error) {
			_, got = Run(func(*Coro) (int, error) { ran = true; return 0, nil })
			return 0, nil
		})
		runUntil(t, l, task)
		if !errors.Is(got, ErrOtherLoopRunning) || ran {
			t.Fatalf("Run in a task: %v, main ran %v", got, ran)
		}
	})
	t.Run("second-cancel-keeps-waiter-error", func(t *testing.T) {
		l, _ := taskLoop(t)
		f := CreateFuture[int](l)
		var got error
		task := mustTask(t, l, CoroPull, func(c *Coro) (int, error) { _, got = Await(c, f); return 0, got })
		_ = l.Post(func() { _ = l.Post(func() { task.Cancel("first"); task.Cancel("second") }) })
		runUntil(t, l, task)
		var ce *future.CancelledError
		if !errors.As(got, &ce) || ce.Msg != "first" {
			t.Fatalf("Await after two cancels: %v, want the waiter's (first)", got)
		}
	})
	t.Run("repr-result", func(t *testing.T) {
		l, _ := taskLoop(t)
		task := mustTask(t, l, CoroPull, sleeper(0, 42), WithName("w"))
		runUntil(t, l, task)
		if s := task.String(); s != "<Task finished name='w' result=42>" {
			t.Fatal(s)
		}
	})
	t.Run("waitfor-zero-outside-cancel", func(t *testing.T) {
		l, _ := taskLoop(t)
		var innerCancelling []int
		var outerErr error
		var in *Task[int]
		outer := mustTask(t, l, CoroPull, func(c *Coro) (int, error) {
			in = mustTask(t, l, CoroPull, func(c *Coro) (int, error) {
				err := c.Sleep(time.Hour)
				innerCancelling = append(innerCancelling, c.Task().Cancelling())
				_ = c.Sleep(3 * time.Millisecond) // slow cleanup, cancelled from outside meanwhile
				innerCancelling = append(innerCancelling, c.Task().Cancelling())
				return 0, err
			})
			if err := c.Sleep(0); err != nil {
				return 0, err
			}
			_, outerErr = WaitFor[int](c, in, 0)
			return 0, outerErr
		})
		_, _ = l.CallLater(time.Millisecond, func() { outer.Cancel("outside") })
		runUntil(t, l, outer)
		runUntil(t, l, in)
		var ce *future.CancelledError
		if !errors.As(outerErr, &ce) || ce.Msg != "outside" || errors.Is(outerErr, ErrTimeout) {
			t.Fatalf("outside cancel during WaitFor(0): %v", outerErr)
		}
		if fmt.Sprint(innerCancelling) != "[1 1]" || !in.Cancelled() {
			t.Fatalf("inner cancelling %v cancelled %v: it was cancelled twice", innerCancelling, in.Cancelled())
		}
	})
	t.Run("gather-wrong-loop", func(t *testing.T) {
		l, _ := taskLoop(t)
		other, _ := New()
		defer other.Close()
		g := Gather(l, []AwaitableOf[int]{CreateFuture[int](l), CreateFuture[int](other)})
		if !g.Done() || !errors.Is(g.Err(), ErrWrongLoop) {
			t.Fatalf("done %v err %v", g.Done(), g.Err())
		}
	})
}
