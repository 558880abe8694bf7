package sched

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringloop/ringloop/future"
	"github.com/ringloop/ringloop/internal/goid"
)

func TestNewRejectsBadOptions(t *testing.T) {
	cases := []struct {
		opt  Option
		want string
	}{
		{WithInbox("bogus"), `"bogus"`},
		{WithWakeup("smoke"), `"smoke"`},
		{WithSpin(-1), "-1"},
		{WithSpin(2 * time.Second), "2s"},
		{WithSlowCallback(-time.Second), "-1s"},
		{WithInboxCapacity(0), "(0)"},
		{WithDrainBatch(-3), "(-3)"},
	}
	for _, c := range cases {
		l, err := New(c.opt)
		if err == nil {
			l.Close()
			t.Fatalf("New accepted a bad option (want error naming %s)", c.want)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %q does not name the bad value %s", err, c.want)
		}
	}
	if _, err := New(WithInbox("nope")); !strings.Contains(err.Error(), "mpsc") {
		t.Errorf("error %q does not list the accepted variants", err)
	}
	if v := InboxVariants(); v[0] != DefaultInbox {
		t.Errorf("InboxVariants()[0] = %q, want the default %q", v[0], DefaultInbox)
	}
	if v := WakeupVariants(); v[0] != DefaultWakeup {
		t.Errorf("WakeupVariants()[0] = %q, want the default %q", v[0], DefaultWakeup)
	}
}

func TestCallSoonFIFO(t *testing.T) {
	l := newLoop(t)
	var got []int
	for i := 0; i < 1000; i++ {
		if i%3 == 0 {
			l.CallSoon(func() { got = append(got, i) })
		} else {
			l.Post(func() { got = append(got, i) })
		}
	}
	l.Post(l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("callback %d ran at position %d: not FIFO", v, i)
		}
	}
	if len(got) != 1000 {
		t.Fatalf("ran %d callbacks, want 1000", len(got))
	}
}

// Callbacks scheduled during an iteration run in the next one: Stop in the first
// iteration lets that iteration finish, and what it scheduled waits for the next Run.
// CallSoonThreadsafe from the loop goroutine itself keeps call order with Post, as
// asyncio's call_soon_threadsafe appends to _ready.
func TestThreadsafeFromLoopKeepsOrder(t *testing.T) {
	l := newLoop(t)
	var got []string
	l.Post(func() {
		l.Post(func() { got = append(got, "soon-1") })
		l.PostThreadsafe(func() { got = append(got, "threadsafe") })
		l.CallSoonThreadsafe(func() { got = append(got, "threadsafe-h") })
		l.Post(func() { got = append(got, "soon-2") })
		l.Post(l.Stop)
	})
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "soon-1,threadsafe,threadsafe-h,soon-2" {
		t.Fatalf("got %v", got)
	}
}

func TestScheduledDuringIterationRunsNext(t *testing.T) {
	l := newLoop(t)
	var got []string
	l.Post(func() {
		got = append(got, "a")
		l.Post(func() { got = append(got, "next") })
		l.CallSoonThreadsafe(func() { got = append(got, "next-ts") })
		l.Stop()
	})
	l.Post(func() { got = append(got, "b") }) // same iteration as a, after Stop
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,b" {
		t.Fatalf("first run ran %v, want [a b]", got)
	}
	l.Stop() // Stop before Run: exactly one iteration
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,b,next,next-ts" {
		t.Fatalf("second run: %v, want [a b next next-ts]", got)
	}
}

func TestCancelledHandleNeverRuns(t *testing.T) {
	eachVariant(t, func(t *testing.T, opts ...Option) {
		l := newLoop(t, opts...)
		ran := map[string]bool{}
		h1, _ := l.CallSoon(func() { ran["soon"] = true })
		h2, _ := l.CallSoonThreadsafe(func() { ran["threadsafe"] = true })
		h3, _ := l.CallLater(0, func() { ran["timer"] = true })
		h1.Cancel()
		h2.Cancel()
		h3.Cancel()
		h3.Cancel() // idempotent
		// Cancelled by an earlier callback of the same iteration.
		var h4 *Handle
		l.Post(func() { h4.Cancel() })
		h4, _ = l.CallSoon(func() { ran["same-iteration"] = true })
		// Cancelled from another goroutine before the loop gets to it.
		h5, _ := l.CallLater(time.Millisecond, func() { ran["timer-offloop"] = true })
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); h5.Cancel() }()
		wg.Wait()
		h6, _ := l.CallSoon(func() {})
		l.CallLater(5*time.Millisecond, l.Stop)
		if err := l.RunForever(); err != nil {
			t.Fatal(err)
		}
		if len(ran) != 0 {
			t.Fatalf("cancelled handles ran: %v", ran)
		}
		for i, h := range []*Handle{h1, h2, &h3.Handle, h4, &h5.Handle} {
			if !h.Cancelled() {
				t.Errorf("handle %d: Cancelled() = false after Cancel", i+1)
			}
		}
		h6.Cancel() // after it ran: asyncio's cancel() still marks it cancelled
		if !h6.Cancelled() {
			t.Error("Cancel after the callback ran reports Cancelled() = false (asyncio: true)")
		}
	})
}

func TestStopLetsIterationFinish(t *testing.T) {
	l := newLoop(t)
	var got []string
	l.Post(func() { got = append(got, "a") })
	l.Post(func() {
		got = append(got, "stop")
		l.Stop()
		l.Post(func() { got = append(got, "later") })
	})
	l.Post(func() { got = append(got, "c") })
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,stop,c" {
		t.Fatalf("got %v, want [a stop c]", got)
	}
	if l.IsRunning() {
		t.Fatal("IsRunning after RunForever returned")
	}
}

func TestStopFromAnotherGoroutineWakesLoop(t *testing.T) {
	for _, w := range WakeupVariants() {
		t.Run("wakeup="+w, func(t *testing.T) {
			l := newLoop(t, WithWakeup(w))
			wait := runAsync(t, l)
			waitSleeping(t, l)
			l.Stop()
			if err := wait(5 * time.Second); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRunUntilCompleteOnDoneFutureReturnsAtOnce(t *testing.T) {
	l := newLoop(t)
	ran := false
	l.Post(func() { ran = true })
	f := CreateFuture[int](l)
	f.SetResult(7)
	if err := l.RunUntilComplete(f); err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Fatal("RunUntilComplete on a done future ran an iteration")
	}
	boom := errors.New("boom")
	g := CreateFuture[int](l)
	g.SetException(boom)
	if err := l.RunUntilComplete(g); !errors.Is(err, boom) {
		t.Fatalf("RunUntilComplete(failed future) = %v, want %v", err, boom)
	}
}

func TestRunUntilComplete(t *testing.T) {
	for _, w := range WakeupVariants() {
		t.Run("wakeup="+w, func(t *testing.T) {
			l := newLoop(t, WithWakeup(w))
			// Completed by a timer on the loop.
			f := CreateFuture[string](l)
			l.CallLater(2*time.Millisecond, func() { f.SetResult("ok") })
			if err := l.RunUntilComplete(f); err != nil {
				t.Fatal(err)
			}
			if v, _ := f.Result(); v != "ok" {
				t.Fatalf("result %q", v)
			}
			// Completed from another goroutine while the loop sleeps.
			g := CreateFuture[int](l)
			go func() {
				waitSleeping(t, l)
				g.SetResult(1)
			}()
			if err := l.RunUntilComplete(g); err != nil {
				t.Fatal(err)
			}
			// Cancelled.
			h := CreateFuture[int](l)
			l.Post(func() { h.Cancel("bye") })
			if err := l.RunUntilComplete(h); !errors.Is(err, future.ErrCancelled) {
				t.Fatalf("cancelled future: %v", err)
			}
			// Stopped first.
			k := CreateFuture[int](l)
			l.Post(l.Stop)
			if err := l.RunUntilComplete(k); !errors.Is(err, ErrStopped) {
				t.Fatalf("stopped before done: %v, want ErrStopped", err)
			}
			// The stale done-callback of k must not stop a later run early.
			k.SetResult(0)
			m := CreateFuture[int](l)
			l.CallLater(3*time.Millisecond, func() { m.SetResult(1) })
			if err := l.RunUntilComplete(m); err != nil || !m.Done() {
				t.Fatalf("later run: err=%v done=%v", err, m.Done())
			}
		})
	}
}

func TestRunUntilCompleteWrongLoop(t *testing.T) {
	a, b := newLoop(t), newLoop(t)
	f := CreateFuture[int](b)
	if err := a.RunUntilComplete(f); !errors.Is(err, ErrWrongLoop) {
		t.Fatalf("got %v, want ErrWrongLoop", err)
	}
}

func TestClosedLoopRejects(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !l.IsClosed() {
		t.Fatal("IsClosed() = false")
	}
	fn := func() {}
	f := CreateFuture[int](l)
	checks := map[string]error{
		"Post":           l.Post(fn),
		"PostThreadsafe": l.PostThreadsafe(fn),
		"RunForever":     l.RunForever(),
		"RunUntil":       l.RunUntilComplete(f),
	}
	_, checks["CallSoon"] = l.CallSoon(fn)
	_, checks["CallSoonThreadsafe"] = l.CallSoonThreadsafe(fn)
	_, checks["CallLater"] = l.CallLater(time.Second, fn)
	_, checks["CallAt"] = l.CallAt(time.Second, fn)
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s on a closed loop = %v, want ErrClosed", name, err)
		} else if !strings.Contains(err.Error(), "closed") {
			t.Errorf("%s: error %q does not say the loop is closed", name, err)
		}
	}
}

func TestRunningLoopErrors(t *testing.T) {
	l := newLoop(t)
	other := newLoop(t)
	f := CreateFuture[int](l)
	errs := map[string]error{}
	l.Post(func() {
		errs["RunForever"] = l.RunForever()
		errs["RunUntilComplete"] = l.RunUntilComplete(f)
		errs["Close"] = l.Close()
		errs["other.RunForever"] = other.RunForever()
		if !l.IsRunning() {
			errs["IsRunning"] = errors.New("IsRunning() = false inside a callback")
		}
		l.Stop()
	})
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"RunForever", "RunUntilComplete", "Close"} {
		if !errors.Is(errs[name], ErrRunning) {
			t.Errorf("%s inside the running loop = %v, want ErrRunning", name, errs[name])
		}
	}
	if !errors.Is(errs["other.RunForever"], ErrOtherLoopRunning) {
		t.Errorf("running a second loop on the loop goroutine = %v, want ErrOtherLoopRunning", errs["other.RunForever"])
	}
	if errs["IsRunning"] != nil {
		t.Error(errs["IsRunning"])
	}
	if l.IsClosed() {
		t.Fatal("Close of a running loop closed it")
	}
}

func TestPanicReportedAndLoopGoesOn(t *testing.T) {
	var reports []ExceptionContext
	l := newLoop(t, WithExceptionHandler(func(c ExceptionContext) { reports = append(reports, c) }))
	sentinel := errors.New("sentinel")
	var got []string
	l.Post(func() { got = append(got, "a") })
	h, _ := l.CallSoon(func() { panicsHere("plain") })
	l.Post(func() { got = append(got, "b") })
	l.Post(func() { panic(sentinel) })
	l.Post(func() {
		got = append(got, "c")
		l.CallLater(0, func() { panic("from timer") })
		l.CallLater(time.Millisecond, func() { got = append(got, "d"); l.Stop() })
	})
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,b,c,d" {
		t.Fatalf("callbacks after a panic did not all run: %v", got)
	}
	if len(reports) != 3 {
		t.Fatalf("%d reports, want 3", len(reports))
	}
	r := reports[0]
	var pe *PanicError
	if !errors.Is(r.Err, ErrPanic) || !errors.As(r.Err, &pe) || pe.Value != "plain" || r.Panic != "plain" {
		t.Errorf("report 0: Err=%v Panic=%v", r.Err, r.Panic)
	}
	if r.Handle != h || r.Loop != l || r.Callback == nil || r.Message == "" {
		t.Errorf("report 0 context incomplete: %+v", r)
	}
	if !bytes.Contains(r.Stack, []byte("panicsHere")) {
		t.Errorf("report 0 stack does not show the panicking function:\n%s", r.Stack)
	}
	if !errors.Is(reports[1].Err, sentinel) {
		t.Errorf("report 1: %v does not wrap the panicked error", reports[1].Err)
	}
	if reports[2].Handle == nil || reports[2].Handle.timer == nil {
		t.Errorf("report 2 (timer) has no TimerHandle")
	}
}

//go:noinline
func panicsHere(v string) { panic(v) }

func TestExceptionHandlerPanicDoesNotKillLoop(t *testing.T) {
	l := newLoop(t, WithExceptionHandler(func(ExceptionContext) { panic("handler") }))
	ran := false
	l.Post(func() { panic("cb") })
	l.Post(func() { ran = true; l.Stop() })
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if !ran {
		t.Fatal("loop did not go on after the exception handler panicked")
	}
}

func TestSlowCallbackReported(t *testing.T) {
	var reports []ExceptionContext
	l := newLoop(t, WithSlowCallback(2*time.Millisecond),
		WithExceptionHandler(func(c ExceptionContext) { reports = append(reports, c) }))
	l.Post(func() {})
	h, _ := l.CallSoon(func() { time.Sleep(10 * time.Millisecond) })
	l.Post(func() { panic("x") }) // panics are still reported in timed mode
	l.Post(l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if len(reports) != 2 {
		t.Fatalf("%d reports, want 2 (one slow, one panic): %+v", len(reports), reports)
	}
	var se *SlowCallbackError
	if !errors.Is(reports[0].Err, ErrSlowCallback) || !errors.As(reports[0].Err, &se) {
		t.Fatalf("report %v is not a slow-callback report", reports[0].Err)
	}
	if se.Took < 10*time.Millisecond || se.Threshold != 2*time.Millisecond || reports[0].Handle != h {
		t.Errorf("slow report: took=%v threshold=%v handle=%v", se.Took, se.Threshold, reports[0].Handle)
	}
	if !errors.Is(reports[1].Err, ErrPanic) {
		t.Errorf("second report %v, want the panic", reports[1].Err)
	}
}

func TestThreadsafeWakesSleepingLoop(t *testing.T) {
	eachVariant(t, func(t *testing.T, opts ...Option) {
		l := newLoop(t, opts...)
		wait := runAsync(t, l)
		for i := 0; i < 20; i++ {
			waitSleeping(t, l)
			done := make(chan struct{})
			go func() {
				if _, err := l.CallSoonThreadsafe(func() { close(done) }); err != nil {
					t.Error(err)
				}
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("wake %d: a sleeping loop was not woken", i)
			}
		}
		l.PostThreadsafe(l.Stop)
		if err := wait(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	})
}

func TestInLoopAndRegistry(t *testing.T) {
	l := newLoop(t)
	if l.InLoop() {
		t.Fatal("InLoop() before Run")
	}
	if _, err := RunningLoop(); !errors.Is(err, ErrNoRunningLoop) {
		t.Fatalf("RunningLoop() outside = %v", err)
	}
	d1, d2 := GetEventLoop(), GetEventLoop()
	if d1 != d2 || d1 == nil || d1 == l {
		t.Fatalf("GetEventLoop outside a loop: %p %p (loop %p)", d1, d2, l)
	}
	d1.Close()
	if d3 := GetEventLoop(); d3 == d1 || d3.IsClosed() {
		t.Fatal("GetEventLoop returned a closed default loop")
	} else {
		d3.Close()
	}

	var inside, coro, offloop, gel bool
	var rl *Loop
	l.Post(func() {
		inside = l.InLoop()
		rl, _ = RunningLoop()
		gel = GetEventLoop() == l
		// A goroutine running on the loop's behalf (as a task's coroutine does).
		done := make(chan struct{})
		go func() {
			id := goid.Current()
			registerGoroutine(id, l)
			coro = l.InLoop()
			if got, _ := RunningLoop(); got != l {
				coro = false
			}
			unregisterGoroutine(id)
			close(done)
		}()
		<-done
		// A plain goroutine is not in the loop.
		go func() { offloop = l.InLoop(); l.PostThreadsafe(l.Stop) }()
	})
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if !inside || rl != l || !gel {
		t.Fatalf("inside a callback: InLoop=%v RunningLoop=%p GetEventLoop==l %v", inside, rl, gel)
	}
	if !coro {
		t.Fatal("registered coroutine goroutine is not InLoop")
	}
	if offloop {
		t.Fatal("plain goroutine reported InLoop")
	}
	if l.InLoop() {
		t.Fatal("InLoop() true after Run returned")
	}
	if _, err := RunningLoop(); err == nil {
		t.Fatal("RunningLoop() after Run returned")
	}
}

func TestDebugChecksLoopGoroutine(t *testing.T) {
	l := newLoop(t, WithDebug(true))
	var msg any
	l.Post(func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() { msg = recover() }()
			l.Post(func() {})
		}()
		<-done
		l.Stop()
	})
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if s, _ := msg.(string); !strings.HasPrefix(s, "ringloop:") {
		t.Fatalf("Post from another goroutine in debug mode: recovered %v, want a ringloop: panic", msg)
	}
}

func TestNilCallbackPanics(t *testing.T) {
	l := newLoop(t)
	for name, f := range map[string]func(){
		"Post":           func() { l.Post(nil) },
		"PostThreadsafe": func() { l.PostThreadsafe(nil) },
		"CallSoon":       func() { l.CallSoon(nil) },
		"CallLater":      func() { l.CallLater(0, nil) },
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "ringloop:") {
					t.Errorf("%s(nil): want a ringloop: panic, got %q", name, s)
				}
			}()
			f()
		}()
	}
}

func TestLockOSThreadAndSpinRun(t *testing.T) {
	for _, w := range WakeupVariants() {
		t.Run("wakeup="+w, func(t *testing.T) {
			l := newLoop(t, WithWakeup(w), WithLockOSThread(true), WithSpin(200*time.Microsecond))
			wait := runAsync(t, l)
			for i := 0; i < 50; i++ {
				done := make(chan struct{})
				l.PostThreadsafe(func() { close(done) })
				<-done
				time.Sleep(time.Duration(i%5) * 100 * time.Microsecond)
			}
			l.PostThreadsafe(l.Stop)
			if err := wait(5 * time.Second); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestYieldBeforeSleepDefaults(t *testing.T) {
	for _, c := range []struct {
		opts []Option
		want int
	}{
		{nil, DefaultYieldBeforeSleep},
		{[]Option{WithLockOSThread(true)}, 0},
		{[]Option{WithLockOSThread(true), WithYieldBeforeSleep(2)}, 2},
		{[]Option{WithYieldBeforeSleep(0)}, 0},
	} {
		l := newLoop(t, c.opts...)
		if l.cfg.yields != c.want {
			t.Errorf("yields = %d, want %d", l.cfg.yields, c.want)
		}
	}
	if _, err := New(WithYieldBeforeSleep(-1)); err == nil || !strings.Contains(err.Error(), "-1") {
		t.Errorf("WithYieldBeforeSleep(-1): %v", err)
	}
}
