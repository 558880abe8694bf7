package future

// bridge.go: futures and plain Go code. DoneChan and Wait let any goroutine block
// on a future without the loop's help (the completer closes a channel itself, so
// Wait works even when no loop runs); Go and GoContext complete a future from a
// function running in its own goroutine — what asyncio's run_in_executor /
// run_coroutine_threadsafe / wrap_future give Python users.
//
// Invariants:
//   - waiter goes nil -> chan once (CAS); only the winning completer closes it,
//     after its Store of the final state (publish). Dekker with seq-cst atomics:
//     doneChan does CAS(waiter) then Load(state); publish does Store(state) then
//     Load(waiter). If doneChan reads pending/completing, publish's Load comes
//     later in the total order and sees the channel; otherwise doneChan closes
//     nothing and returns the shared closed channel. No waiter is missed and the
//     channel is closed at most once.
//   - None of this touches the loop-owned callback list: Wait costs the hot path
//     one plain load (waiter) per completion and nothing else.

import (
	"context"
	"errors"
)

// closedChan is returned by DoneChan for a future already done.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// DoneChan returns a channel that is closed when the future is done (finished or
// cancelled). Any goroutine. The first call on a pending future allocates the
// channel; later calls share it.
func (f *Future[T]) DoneChan() <-chan struct{} { return f.doneChan() }

func (f *Future[T]) doneChan() chan struct{} {
	if f.Done() {
		return closedChan
	}
	w := f.waiter.Load() // pairs with the CAS below
	if w == nil {
		c := make(chan struct{})
		if f.waiter.CompareAndSwap(nil, &c) { // Dekker step 1; pairs with the Load in publish
			w = &c
		} else {
			w = f.waiter.Load()
		}
	}
	if f.settled() != statePending { // Dekker step 2; pairs with the Store in publish
		// The completer may or may not have seen our channel: if it did, it closed
		// (or will close) *w; either way the future is done.
		return closedChan
	}
	return *w
}

// Wait blocks until the future is done or ctx ends, then returns Result(); if ctx
// ends first it returns ctx.Err() and leaves the future as it is (like
// concurrent.futures' result(timeout): waiting does not cancel). Any goroutine
// except the future's loop goroutine: there it returns ErrWaitOnLoop at once
// (blocking would stop the loop that must complete the future), done or not.
func (f *Future[T]) Wait(ctx context.Context) (T, error) {
	var zero T
	if f.loop.InLoop() {
		return zero, ErrWaitOnLoop
	}
	if !f.Done() {
		select {
		case <-f.doneChan():
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
	return f.Result()
}

// Go returns a future bound to loop and runs fn in a new goroutine; fn's result
// completes the future (SetResult, or SetException if fn returns a non-nil
// error). If the future was cancelled first, fn's result is dropped (asyncio's
// wrap_future does the same). A panic in fn is not recovered: it is a bug and
// crashes the program, as in any goroutine. A cancellation error returned by fn
// cancels the future with its message.
func Go[T any](loop Loop, fn func() (T, error)) *Future[T] {
	f := New[T](loop)
	go func() {
		v, err := fn()
		f.settleFrom(v, err)
	}()
	return f
}

// GoContext is Go with a context: fn receives a context derived from ctx that is
// cancelled when the future is cancelled (or done) or ctx ends, so cancelling the
// future stops fn if fn honours its context. The helper goroutine watching the
// future ends when fn returns.
func GoContext[T any](ctx context.Context, loop Loop, fn func(ctx context.Context) (T, error)) *Future[T] {
	f := New[T](loop)
	cctx, cancel := context.WithCancel(ctx)
	done := f.doneChan()
	go func() {
		select {
		case <-done:
			cancel()
		case <-cctx.Done():
		}
	}()
	go func() {
		defer cancel()
		v, err := fn(cctx)
		f.settleFrom(v, err)
	}()
	return f
}

// settleFrom completes f from a function's results; a lost race (the future was
// cancelled meanwhile) is not an error.
func (f *Future[T]) settleFrom(v T, err error) {
	switch {
	case err == nil:
		_ = f.SetResult(v)
	case isCancellation(err):
		msg := ""
		var ce *CancelledError
		if errors.As(err, &ce) {
			msg = ce.Msg
		}
		f.Cancel(msg)
	default:
		_ = f.SetException(err)
	}
}
