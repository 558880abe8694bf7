package future

import "errors"

// Errors. Where asyncio raises, package future returns one of these (or an error
// that matches one of them under errors.Is). Every error value below is
// preallocated: returning it allocates nothing.
var (
	// ErrInvalidState is asyncio's InvalidStateError: Result or Exception on a
	// pending future, SetResult / SetException on a done one.
	ErrInvalidState = errors.New("ringloop: future: invalid state")

	// ErrCancelled is what every *CancelledError matches under errors.Is.
	ErrCancelled = errors.New("ringloop: cancelled")

	// ErrInvalidArgument is returned, wrapped, for an argument asyncio would
	// refuse with a TypeError: SetException(nil), and SetException of an error
	// that matches ErrCancelled (see SetException).
	ErrInvalidArgument = errors.New("ringloop: future: invalid argument")

	// ErrWaitOnLoop is returned by Wait when it is called on the future's own loop
	// goroutine: blocking there would stop the loop that has to complete the
	// future. It also matches ErrInvalidState.
	ErrWaitOnLoop error = &stateError{"ringloop: future: Wait called on the loop goroutine (would deadlock); use AddDoneCallback or await it from a task"}
)

// stateError is an ErrInvalidState with a precise message, preallocated.
type stateError struct{ msg string }

func (e *stateError) Error() string        { return e.msg }
func (e *stateError) Is(target error) bool { return target == ErrInvalidState }

// argError is an ErrInvalidArgument with a precise message, preallocated.
type argError struct{ msg string }

func (e *argError) Error() string        { return e.msg }
func (e *argError) Is(target error) bool { return target == ErrInvalidArgument }

var (
	errResultNotSet    error = &stateError{"ringloop: future: result is not set (future pending)"}
	errExceptionNotSet error = &stateError{"ringloop: future: exception is not set (future pending)"}
	errNotDone         error = &stateError{"ringloop: future: not done (future pending)"}
	errFinished        error = &stateError{"ringloop: future: invalid state: already finished"}
	errCancelledState  error = &stateError{"ringloop: future: invalid state: already cancelled"}
	errNilException    error = &argError{"ringloop: future: SetException(nil): an exception must be a non-nil error"}
	errCancelException error = &argError{"ringloop: future: SetException with a cancellation error (errors.Is(err, ErrCancelled)): use Cancel(msg) to cancel a future"}
)

// CancelledError is asyncio's CancelledError: the error Result, Exception and Err
// return for a cancelled future, carrying the message given to Cancel. Always
// used as a pointer (*CancelledError); errors.Is(err, ErrCancelled) is true for
// every one, and errors.As(err, &ce) recovers the message.
type CancelledError struct {
	Msg string // the message given to Cancel; may be empty
}

// Error implements error: "ringloop: cancelled" or "ringloop: cancelled: <Msg>".
func (e *CancelledError) Error() string {
	if e.Msg == "" {
		return "ringloop: cancelled"
	}
	return "ringloop: cancelled: " + e.Msg
}

// Is reports whether target is ErrCancelled.
func (e *CancelledError) Is(target error) bool { return target == ErrCancelled }
