// RunUntilComplete: run the loop until a future is done.
package sched

// Awaitable is the part of future.Awaitable the loop needs; every future.Awaitable
// (so every *future.Future[T] and every Task) satisfies it.
type Awaitable interface {
	Done() bool
	Err() error
	OnDone(fn func())
}

// RunUntilComplete runs the loop until f is done and returns f's error (nil on
// success, the set error, or a *future.CancelledError). On a done future it returns
// at once without running an iteration. If the loop is stopped first it returns
// ErrStopped. ErrClosed, ErrRunning and ErrOtherLoopRunning as for RunForever.
func (l *Loop) RunUntilComplete(f Awaitable) error {
	if l.closed.Load() {
		return ErrClosed
	}
	if l.running.Load() {
		return ErrRunning
	}
	if f.Done() {
		return f.Err()
	}
	f.OnDone(l.Stop)
	if err := l.RunForever(); err != nil {
		return err
	}
	if !f.Done() {
		return ErrStopped
	}
	return f.Err()
}
