package sched

// unretrieved.go: the loop's side of future's "Future exception was never
// retrieved" (future/unretrieved.go). A Loop is a future.UnretrievedReporter:
// a failed future collected with its error never read is reported to the
// loop's exception handler, on the loop while it runs callbacks, else
// directly (as a task's report is, task_loop.go). In debug mode the loop
// turns on future's creation stacks, so the report says where the future was
// created (asyncio's source_traceback).

import "github.com/ringloop/ringloop/future"

var _ future.UnretrievedReporter = (*Loop)(nil)

// GetDebug reports whether the loop runs in debug mode (WithDebug), as
// asyncio's loop.get_debug(). Any goroutine: the mode is fixed at New.
func (l *Loop) GetDebug() bool { return l.cfg.debug }

// ReportUnretrieved hands a future's unretrieved error to the exception
// handler (future.UnretrievedReporter). Any goroutine; it does not block.
func (l *Loop) ReportUnretrieved(msg string, err error, created []byte) {
	ctx := ExceptionContext{Message: msg, Err: err, Loop: l, SourceTraceback: created}
	if perr := l.PostThreadsafe(func() { l.CallExceptionHandler(ctx) }); perr != nil {
		l.CallExceptionHandler(ctx) // closed: no loop goroutine to race with
	}
}

// startDebug and endDebug bracket debug mode for future's creation stacks.
// New calls startDebug; Close calls endDebug, once (Close returns early on a
// closed loop).
func (l *Loop) startDebug() {
	if l.cfg.debug {
		future.AddDebugLoops(1)
	}
}

func (l *Loop) endDebug() {
	if l.cfg.debug {
		future.AddDebugLoops(-1)
	}
}
