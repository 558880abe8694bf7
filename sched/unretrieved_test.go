package sched

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ringloop/ringloop/future"
)

// gcUntil runs GCs and loop iterations (the reports are posted to the loop)
// until cond holds or 10 s pass.
func gcUntil(l *Loop, cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		runtime.GC()
		tick := CreateFuture[int](l)
		_, _ = l.CallLater(time.Millisecond, func() { _ = tick.SetResult(0) })
		_ = l.RunUntilComplete(tick)
		if cond() {
			return true
		}
	}
	return false
}

// A plain future that fails and is collected with its error unread is
// reported to the loop's exception handler as asyncio's "Future exception was
// never retrieved", with where it was created in debug mode; futures whose
// error was read (each way), that succeeded or were cancelled are not, and a
// failed task is reported once, as a task.
func TestFutureUnretrievedExceptionReported(t *testing.T) {
	for _, dbg := range []bool{false, true} {
		t.Run(map[bool]string{false: "debug=off", true: "debug=on"}[dbg], func(t *testing.T) {
			r := &reports{}
			l := newLoop(t, WithExceptionHandler(r.handle), WithDebug(dbg))
			errDropped := errors.New("dropped")
			errSeen := errors.New("seen")
			errTask := errors.New("task body")
			func() {
				failFutureHere(l, errDropped)
				for _, read := range []func(f *future.Future[int]){
					func(f *future.Future[int]) { _, _ = f.Result() },
					func(f *future.Future[int]) { _ = f.Exception() },
					func(f *future.Future[int]) { _ = f.Err() },
					func(f *future.Future[int]) { _ = l.RunUntilComplete(f) },
					func(f *future.Future[int]) { f.MarkRetrieved() },
				} {
					f := CreateFuture[int](l)
					_ = f.SetException(errSeen)
					read(f)
				}
				ok := CreateFuture[int](l)
				_ = ok.SetResult(1)
				c := CreateFuture[int](l)
				c.Cancel("bye")
				mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return 0, errTask })
				after := mustTask(t, l, CoroPull, func(c *Coro) (int, error) { return 0, c.Sleep(0) })
				runUntil(t, l, after)
			}()
			if !gcUntil(l, func() bool {
				return r.find(future.UnretrievedMessage) != nil && r.find("Task exception was never retrieved") != nil
			}) {
				t.Fatalf("no report for a dropped failed future and task: %+v", r.list())
			}
			for i := 0; i < 3; i++ { // a few more collections: nothing else may come
				runtime.GC()
				tick := CreateFuture[int](l)
				_ = l.Post(func() { _ = tick.SetResult(0) })
				_ = l.RunUntilComplete(tick)
			}
			var futures, tasks int
			for _, c := range r.list() {
				switch {
				case c.Message == future.UnretrievedMessage:
					futures++
					if !errors.Is(c.Err, errDropped) {
						t.Errorf("Future report for %v, want only the dropped future's error", c.Err)
					}
					created := string(c.SourceTraceback)
					if dbg && !strings.Contains(created, "sched.failFutureHere") {
						t.Errorf("debug mode: SourceTraceback does not say where the future was created:\n%s", created)
					}
					if !dbg && c.SourceTraceback != nil {
						t.Errorf("debug off: SourceTraceback recorded")
					}
				case strings.HasPrefix(c.Message, "Task exception was never retrieved"):
					tasks++
					if !errors.Is(c.Err, errTask) {
						t.Errorf("Task report for %v", c.Err)
					}
				}
			}
			if futures != 1 || tasks != 1 {
				t.Errorf("%d Future and %d Task reports, want 1 and 1: %+v", futures, tasks, r.list())
			}
		})
	}
}

//go:noinline
func failFutureHere(l *Loop, err error) {
	f := CreateFuture[int](l)
	_ = f.SetException(err)
}
