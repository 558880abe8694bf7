package sched

// Exception reporting: asyncio's call_exception_handler. A callback that panics is
// recovered on the loop goroutine, reported with its stack, and the loop goes on
// with the next callback. Slow callbacks (WithSlowCallback) are reported the same
// way with a *SlowCallbackError.

import (
	"errors"
	"fmt"
	"log"
	"time"
)

// ExceptionContext is what the exception handler receives (asyncio's context dict).
type ExceptionContext struct {
	Message  string        // human summary, e.g. "Exception in callback"
	Err      error         // *PanicError or *SlowCallbackError (errors.As-able)
	Stack    []byte        // the panicking goroutine's stack at the panic (nil for slow reports)
	Handle   *Handle       // the handle that ran, nil for the Post forms
	Callback func()        // the callback that ran
	Loop     *Loop         // the loop that ran it
	Panic    any           // the recovered value (nil for slow reports)
	Duration time.Duration // how long the callback ran (slow reports)
	// SourceTraceback: where the future was created, for "Future exception was
	// never retrieved" in debug mode (asyncio's source_traceback); else nil.
	SourceTraceback []byte
}

// ErrPanic and ErrSlowCallback classify reports: errors.Is(ctx.Err, ErrPanic).
var (
	ErrPanic        = errors.New("sched: callback panicked")
	ErrSlowCallback = errors.New("sched: slow callback")
)

// PanicError wraps a value recovered from a callback. If the value is an error,
// Unwrap returns it too, so errors.Is / errors.As reach it.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("sched: callback panicked: %v", e.Value) }

// Unwrap returns ErrPanic and, when the panic value is an error, that error.
func (e *PanicError) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrPanic, err}
	}
	return []error{ErrPanic}
}

// SlowCallbackError reports a callback that ran longer than WithSlowCallback's d.
type SlowCallbackError struct {
	Took, Threshold time.Duration
}

func (e *SlowCallbackError) Error() string {
	return fmt.Sprintf("sched: callback took %v (threshold %v)", e.Took, e.Threshold)
}

func (e *SlowCallbackError) Unwrap() error { return ErrSlowCallback }

// DefaultExceptionHandler logs the report with the standard logger, as asyncio's
// default_exception_handler logs at ERROR level.
func DefaultExceptionHandler(ctx ExceptionContext) {
	if ctx.Stack != nil {
		log.Printf("ringloop: %s: %v\n%s", ctx.Message, ctx.Err, ctx.Stack)
		return
	}
	if ctx.SourceTraceback != nil {
		log.Printf("ringloop: %s: %v\nfuture created at:\n%s", ctx.Message, ctx.Err, ctx.SourceTraceback)
		return
	}
	log.Printf("ringloop: %s: %v", ctx.Message, ctx.Err)
}

// CallExceptionHandler reports ctx to the loop's handler (asyncio's
// call_exception_handler). A handler that panics is itself recovered and logged by
// DefaultExceptionHandler, so reporting never kills the loop. Loop goroutine only.
func (l *Loop) CallExceptionHandler(ctx ExceptionContext) {
	if ctx.Loop == nil {
		ctx.Loop = l
	}
	h := l.cfg.handler
	if h == nil {
		DefaultExceptionHandler(ctx)
		return
	}
	defer func() {
		if r := recover(); r != nil {
			DefaultExceptionHandler(ExceptionContext{
				Message: "Unhandled error in exception handler",
				Err:     &PanicError{Value: r},
				Loop:    l,
				Panic:   r,
			})
			DefaultExceptionHandler(ctx)
		}
	}()
	h(ctx)
}
