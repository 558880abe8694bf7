package sched

// RunUntilComplete and CreateFuture: the loop's bridge to package future.

import "github.com/ringloop/ringloop/future"

// *Loop is what a Future needs from a loop.
var _ future.Loop = (*Loop)(nil)

// CreateFuture returns a pending future attached to l (asyncio's create_future).
func CreateFuture[T any](l *Loop) *future.Future[T] { return future.New[T](l) }

// RunUntilComplete runs the loop until f is done and returns f's error (nil on
// success, the set error, or a *future.CancelledError). On a done future it returns
// at once without running an iteration. If the loop is stopped before f is done it
// returns ErrStopped; a future attached to another loop gives ErrWrongLoop;
// ErrClosed, ErrRunning and ErrOtherLoopRunning as for RunForever.
func (l *Loop) RunUntilComplete(f future.Awaitable) error {
	if l.closed.Load() {
		return ErrClosed
	}
	if l.running.Load() {
		return ErrRunning
	}
	if fl := f.GetLoop(); fl != nil && fl != future.Loop(l) {
		return ErrWrongLoop
	}
	if f.Done() {
		return f.Err()
	}
	// The callback outlives this call if f is still pending when we return (asyncio
	// removes it; Awaitable has no removal), so it stops the loop only while this
	// call is the one running it. active is written and read on the loop goroutine
	// (this one) only; lifeMu orders it against any later Run.
	active := true
	f.OnDone(func() {
		if active {
			l.Stop()
		}
	})
	defer func() { active = false }()
	if err := l.RunForever(); err != nil {
		return err
	}
	if !f.Done() {
		return ErrStopped
	}
	return f.Err()
}
