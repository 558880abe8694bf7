package sched

// The helpers asyncio users expect around tasks: Sleep, WaitFor, Gather, Shield and
// Run, each with asyncio's cancellation behaviour (Lib/asyncio/tasks.py,
// timeouts.py, runners.py), mapped to Go errors:
//
//   - Sleep(0) yields exactly one loop iteration (asyncio's bare yield); Sleep(d)
//     waits on a future completed by a CallLater timer, and cancelling the task
//     cancels that future (so Sleep returns the *future.CancelledError).
//   - WaitFor(co, a, timeout): asyncio 3.12's wait_for, which is asyncio.timeout:
//     on expiry the waiting task is cancelled, which cancels a; when a has finished
//     and the task's cancellation count is back to where it was, the cancellation
//     is turned into ErrTimeout (errors.Is(err, ErrTimeout) and
//     errors.Is(err, context.DeadlineExceeded)). A result that a delivered despite
//     the cancel is returned. timeout <= 0 cancels a at once and waits for it.
//   - Gather: a future of every child's result, in order. Without ReturnErrors the
//     first failure (or cancellation) of a child settles it at once and the other
//     children keep running; with it, it waits for all and reports each child's
//     error in Errors(). Cancelling it cancels every child still running; once
//     they have all finished it fails with a *future.CancelledError, whatever
//     ReturnErrors says. As in asyncio, a gathering is never itself cancelled
//     (Cancelled() stays false): a child's cancellation, or its own, becomes its
//     exception (future.SetExceptionAllowCancelled), which Await / Result / Err
//     return and errors.Is(err, future.ErrCancelled) matches.
//   - Shield(a): a future that follows a but whose cancellation does not reach a.
//   - Run(main): a new loop, main as a task until it is done, then every task still
//     pending is cancelled and run until it finishes, then the loop closes (no
//     goroutine left). Returns main's result.
//
// All of them are loop-goroutine code (a task body or a callback), like the Task
// methods; WaitFor and Sleep are called from a body through its *Coro.

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/ringloop/ringloop/future"
)

// ErrTimeout is WaitFor's timeout (asyncio's TimeoutError). It also matches
// context.DeadlineExceeded under errors.Is.
var ErrTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string        { return "sched: timeout" }
func (timeoutError) Timeout() bool        { return true }
func (timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// Sleep suspends the task for d on the loop's clock; d <= 0 yields one loop
// iteration. It returns nil, or the cancellation if the task was cancelled.
func (c *Coro) Sleep(d time.Duration) error {
	t := c.core()
	if d <= 0 {
		return t.suspendOn(nil)
	}
	f := future.New[struct{}](t.lt.loop)
	h, err := t.lt.loop.CallLater(d, func() { _ = f.SetResult(struct{}{}) }) // a cancelled f refuses; fine
	if err != nil {
		return err
	}
	err = c.waitDone(f)
	h.Cancel()
	return err
}

// waitDone is Wait for the helpers here (cut from stacks like the public API).
func (c *Coro) waitDone(a future.Awaitable) error {
	if !a.Done() {
		if err := c.core().suspendOn(a); err != nil {
			return err
		}
	}
	return a.Err()
}

// WaitFor awaits a with a timeout; see the file comment.
func WaitFor[T any](c *Coro, a AwaitableOf[T], timeout time.Duration) (T, error) {
	var zero T
	t := c.core()
	if timeout <= 0 {
		if a.Done() {
			return a.Result()
		}
		// asyncio's _cancel_and_wait: cancel a, then wait on a private future
		// that a's completion releases, so that cancelling this task cancels
		// only that waiter (and reaches us as a cancellation), never a again.
		waiter := future.New[struct{}](t.lt.loop)
		a.OnDone(func() { _ = waiter.SetResult(struct{}{}) }) // refused once cancelled: fine
		a.Cancel("")
		if err := c.waitDone(waiter); err != nil {
			return zero, err
		}
		v, err := a.Result()
		if errors.Is(err, future.ErrCancelled) {
			return zero, ErrTimeout
		}
		return v, err
	}
	before := t.numCancels
	expired := false
	h, err := t.lt.loop.CallLater(timeout, func() {
		expired = true
		t.self.Cancel("")
	})
	if err != nil {
		return zero, err
	}
	v, err := Await(c, a)
	h.Cancel()
	if expired && t.self.Uncancel() <= int(before) && errors.Is(err, future.ErrCancelled) {
		return zero, ErrTimeout
	}
	return v, err
}

// GatherOption configures Gather.
type GatherOption func(*gatherOptions)

type gatherOptions struct{ returnErrors bool }

// ReturnErrors makes Gather wait for every child and report their errors in
// Errors() instead of failing with the first (asyncio's return_exceptions=True).
func ReturnErrors() GatherOption { return func(o *gatherOptions) { o.returnErrors = true } }

// Gathering is the future Gather returns: a *future.Future[[]T] whose Cancel
// cancels the children.
type Gathering[T any] struct {
	*future.Future[[]T]
	children        []AwaitableOf[T]
	errs            []error
	returnErrors    bool
	finished        int
	cancelRequested bool
}

// Gather returns a future of the children's results in order (asyncio.gather);
// see the file comment. With no children it is done at once with an empty slice.
func Gather[T any](l *Loop, children []AwaitableOf[T], opts ...GatherOption) *Gathering[T] {
	var o gatherOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	g := &Gathering[T]{
		Future:       future.New[[]T](l),
		children:     append([]AwaitableOf[T](nil), children...),
		returnErrors: o.returnErrors,
	}
	if len(children) == 0 {
		_ = g.Future.SetResult([]T{})
		return g
	}
	for _, c := range g.children {
		if c.GetLoop() != future.Loop(l) { // asyncio's ensure_future raises ValueError
			_ = g.Future.SetException(ErrWrongLoop)
			return g
		}
	}
	for i := range g.children {
		g.children[i].OnDone(func() { g.childDone(i) })
	}
	return g
}

// Errors returns each child's error (nil for a success), index-aligned with the
// children, once the gathering completed after all children finished; nil before.
func (g *Gathering[T]) Errors() []error { return g.errs }

func (g *Gathering[T]) childDone(i int) {
	g.finished++
	c := g.children[i]
	if g.Future.Done() {
		_ = c.Err() // mark it retrieved, as asyncio does
		return
	}
	if !g.returnErrors {
		// The first error settles the gathering. A cancelled child is "treated as
		// if it raised CancelledError – the gather() call is not cancelled": the
		// gathering finishes with that error as its exception (asyncio:
		// outer.set_exception(fut._make_cancelled_error())), as it does with a
		// child's cancellation exception (a nested gathering's).
		if err := c.Err(); err != nil {
			_ = g.Future.SetExceptionAllowCancelled(err)
			return
		}
	}
	if g.finished < len(g.children) {
		return
	}
	results := make([]T, len(g.children))
	errs := make([]error, len(g.children))
	msg := ""
	for j, c := range g.children {
		results[j], errs[j] = c.Result()
		if c.Cancelled() {
			msg = cancelMsg(errs[j])
		}
	}
	g.errs = errs
	if g.cancelRequested {
		// "If gather() itself is cancelled, the cancellation is propagated
		// regardless of return_exceptions", again as the exception of a finished
		// gathering (asyncio: the last child's _make_cancelled_error()).
		var exc error = &future.CancelledError{Msg: msg}
		if c.Cancelled() {
			exc = c.Err()
		}
		_ = g.Future.SetExceptionAllowCancelled(exc)
		return
	}
	_ = g.Future.SetResult(results)
}

// Cancel cancels every child still running and reports whether any accepted; the
// gathering then fails with a *future.CancelledError once they have all finished
// (asyncio's _GatheringFuture.cancel; it is not itself Cancelled()).
func (g *Gathering[T]) Cancel(msg string) bool {
	if g.Future.Done() {
		return false
	}
	ret := false
	for _, c := range g.children {
		if c.Cancel(msg) {
			ret = true
		}
	}
	if ret {
		g.cancelRequested = true
	}
	return ret
}

func cancelMsg(err error) string {
	var ce *future.CancelledError
	if errors.As(err, &ce) {
		return ce.Msg
	}
	return ""
}

// Shield returns an awaitable that follows a but that cannot cancel it
// (asyncio.shield): cancelling the result, or the task awaiting it, leaves a
// running. A done a is returned as is.
func Shield[T any](a AwaitableOf[T]) AwaitableOf[T] {
	if a.Done() {
		return a
	}
	outer := future.New[T](a.GetLoop())
	a.OnDone(func() {
		if outer.Done() {
			if !a.Cancelled() {
				_ = a.Err() // mark it retrieved
			}
			return
		}
		v, err := a.Result()
		switch {
		case a.Cancelled():
			outer.Cancel("")
		case err != nil:
			_ = outer.SetExceptionAllowCancelled(err) // a's error as is, a cancellation exception too (asyncio: outer.set_exception(inner.exception()))
		default:
			_ = outer.SetResult(v)
		}
	})
	return outer
}

// Run is asyncio.run: it creates a loop with opts, runs main as a task until it is
// done, cancels every task still pending and runs the loop until they finish,
// destroys what refuses to, ends the loop's coroutines and closes the loop. It
// returns main's result and error (a *future.CancelledError if main was
// cancelled). Called where a loop is running (a callback or a task body) it returns
// ErrOtherLoopRunning and runs nothing.
func Run[T any](main func(*Coro) (T, error), opts ...Option) (T, error) {
	var zero T
	if _, err := RunningLoop(); err == nil { // asyncio.run: "cannot be called from a running event loop"
		return zero, ErrOtherLoopRunning
	}
	l, err := New(opts...)
	if err != nil {
		return zero, err
	}
	if l.cfg.lockOSThread {
		// Keep the goroutine on one OS thread across the runs below: coroutines
		// created in one run must be switched to from the same thread (internal/coro).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	defer l.Close()
	t, err := CreateTask(l, main)
	if err != nil {
		return zero, err
	}
	runErr := l.RunUntilComplete(t)
	cancelAllTasks(l)
	// Destroy what is left and end the coroutines inside a run, the one place a
	// loop locked to its thread may switch to them.
	done := future.New[struct{}](l)
	_ = l.Post(func() {
		shutdownTasks(l, true)
		_ = done.SetResult(struct{}{})
	})
	_ = l.RunUntilComplete(done)
	if errors.Is(runErr, ErrStopped) {
		return zero, runErr
	}
	return t.Result()
}

// cancelAllTasks is asyncio.runners._cancel_all_tasks: cancel every pending task,
// run until they are all done, and report those that failed other than by
// cancellation.
func cancelAllTasks(l *Loop) {
	tasks := AllTasks(l)
	if len(tasks) == 0 {
		return
	}
	aws := make([]AwaitableOf[struct{}], 0, len(tasks))
	for _, t := range tasks {
		t.Cancel("")
		aws = append(aws, doneOf{t})
	}
	g := Gather(l, aws, ReturnErrors())
	_ = l.RunUntilComplete(g)
	for _, t := range tasks {
		if !t.Done() || t.Cancelled() {
			continue
		}
		if err := t.Err(); err != nil {
			l.CallExceptionHandler(ExceptionContext{
				Message: "unhandled exception during sched.Run() shutdown (task " + t.GetName() + ")",
				Err:     err,
				Loop:    l,
			})
		}
	}
}

// doneOf adapts any awaitable to AwaitableOf[struct{}] (its completion only).
type doneOf struct{ future.Awaitable }

func (d doneOf) Result() (struct{}, error) { return struct{}{}, d.Err() }
