package sched

// Task: a coroutine wrapped in a Future (asyncio's _asyncio.Task), run on a Loop.
//
// A coroutine is an ordinary Go function func(*Coro) (T, error). It awaits through
// its *Coro handle: Await(co, fut) returns at once when fut is done (no switch, no
// loop iteration, no allocation) and otherwise suspends the task (not the loop)
// until fut's done-callback resumes it on the loop. The task's Future gets the
// coroutine's return: a result, an error (the task's exception), or a cancellation.
//
// How a task runs (one step = asyncio's __step):
//
//  1. CreateTask schedules the first step (call_soon), as asyncio does: the body
//     starts in a later iteration, never inside CreateTask. (It posts the loop's
//     one start callback and queues the task behind it, task_loop.go, so a task
//     that never suspends never needs a func of its own.)
//  2. step runs on the loop goroutine. On the first step it takes a coroutine from
//     the loop's engine (internal/coro) and hands it the body; then it resumes the
//     coroutine, which runs the body on the loop's thread until the body suspends
//     (Await on a pending future, Sleep) or returns.
//  3. Suspended: the body left its waiter in t.waiter. Back on the loop, step does
//     what asyncio's __step does with a yielded future: honour a pending Cancel by
//     cancelling the waiter, then register step as the waiter's done-callback
//     (OnDone, no allocation). A bare yield (Sleep(0)) re-posts step instead.
//     Every Future call of the await path (OnDone, SetResult, Cancel) thus happens
//     on the loop goroutine itself, where future's InLoop check is one compare.
//  4. Returned: step completes the task's Future from the body's (value, error)
//     and gives the coroutine back to the engine: error nil -> result (or cancelled, if a
//     Cancel arrived after the last await); an error matching future.ErrCancelled ->
//     cancelled with that error's message; any other error -> exception. A panic in
//     the body was recovered on the coroutine and becomes a *TaskPanicError
//     exception carrying the panic value and stack; the loop is untouched.
//
// Cancellation (asyncio 3.11+ semantics): Cancel(msg) on a done task returns false.
// Otherwise it counts the request (Cancelling) and, if the task waits on a future
// that accepts the cancel, that future is cancelled (so Await returns its
// *future.CancelledError carrying msg); else mustCancel is set and the next
// suspension point (or the first step) delivers a *future.CancelledError{msg}.
// The body may swallow it and go on, or return it (the task ends cancelled).
// Uncancel decrements the count and, at zero, withdraws a not-yet-delivered request.
//
// Ownership: a Task belongs to its loop goroutine, as in asyncio (tasks are not
// thread-safe): CreateTask, Cancel, Uncancel, SetName, GetStack and AddDoneCallback
// are loop-goroutine calls (a task body runs on the loop's behalf and may call them
// too). The body runs on a coroutine goroutine, but only while the loop goroutine is
// blocked resuming it, so the two never run at once; every field below is handed
// between them across a coroutine switch or a channel operation (internal/coro). Done,
// Result, Exception, Err and Wait (the Future's thread-safe part) may be called from
// any goroutine. The unretrieved-exception report (a pointer and its retrieved
// flag) is the one atomic state: those any-goroutine readers and the GC's cleanup
// goroutine touch it (task_loop.go).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync/atomic"

	"github.com/ringloop/ringloop/future"
	"github.com/ringloop/ringloop/internal/coro"
	"github.com/ringloop/ringloop/internal/goid"
	"golang.org/x/sys/cpu"
)

// AwaitableOf is an awaitable with a typed result: *future.Future[T], *Task[T],
// *Gathering[T]'s elements and Shield's result all satisfy it. Await, WaitFor,
// Gather and Shield take it, and Go infers T from the argument.
type AwaitableOf[T any] interface {
	future.Awaitable
	Result() (T, error)
}

// AnyTask is the non-generic view of a *Task[T] (AllTasks, CurrentTask, Coro.Task).
type AnyTask interface {
	future.Awaitable
	GetName() string
	SetName(name string)
	Cancelling() int
	Uncancel() int
	GetStack(limit int) []runtime.Frame
	PrintStack(limit int, w io.Writer) error
	String() string
	core() *taskCore
	stepTask()
	boundStep() func()
}

// Errors specific to tasks; all errors.Is-able.
var (
	// ErrTaskSetResult: a Task's result comes from its coroutine; SetResult and
	// SetException refuse (asyncio raises RuntimeError). Matches
	// future.ErrInvalidState too.
	ErrTaskSetResult error = &taskStateError{"sched: Task does not support SetResult / SetException"}
	// ErrAwaitSelf is returned by Await when a task awaits itself.
	ErrAwaitSelf error = &taskStateError{"sched: a Task cannot await itself"}
	// ErrTaskDestroyed is the error reported for a task still pending when its
	// loop closed ("Task was destroyed but it is pending!").
	ErrTaskDestroyed = errors.New("sched: Task was destroyed but it is pending")
	// ErrGoexit is the exception of a task whose body called runtime.Goexit (as
	// testing's t.FailNow does). Only the goroutine engine can report it: with the
	// runtime-coroutine engines iter.Pull re-raises the Goexit on the loop
	// goroutine, which then exits too.
	ErrGoexit = errors.New("sched: task body called runtime.Goexit")
)

type taskStateError struct{ msg string }

func (e *taskStateError) Error() string        { return e.msg }
func (e *taskStateError) Is(target error) bool { return target == future.ErrInvalidState }

// TaskPanicError is the exception of a task whose coroutine panicked: the panic
// value and the stack at the panic. errors.Is(err, ErrPanic) holds, and when the
// value is an error, errors.Is/As reach it too.
type TaskPanicError struct {
	Task  string // the task's name when it panicked
	Value any    // what the coroutine panicked with
	Stack []byte // debug.Stack() taken while panicking (the panic's frames included)
}

func (e *TaskPanicError) Error() string {
	return fmt.Sprintf("sched: task %s panicked: %v", e.Task, e.Value)
}

// Unwrap returns ErrPanic and, when the panic value is an error, that error.
func (e *TaskPanicError) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrPanic, err}
	}
	return []error{ErrPanic}
}

// TaskOption configures CreateTask: WithName, WithCoro. A plain value, so passing
// options allocates nothing.
type TaskOption struct {
	name    string
	coro    int8 // 1 + index in CoroVariants; 0 = not set
	hasName bool
	err     error // a bad option value, returned by CreateTask
}

// WithName names the task (asyncio's create_task(name=...)). Without it tasks are
// named Task-1, Task-2, ... in creation order, process-wide.
func WithName(name string) TaskOption { return TaskOption{name: name, hasName: true} }

// WithCoro selects the coroutine engine that runs the task's body: one of
// CoroVariants(), the default first.
func WithCoro(name string) TaskOption {
	if i := coroIndex(name); i >= 0 {
		return TaskOption{coro: int8(i + 1)}
	}
	return TaskOption{err: fmt.Errorf("sched: WithCoro(%q): unknown coroutine engine, want one of %q", name, CoroVariants())}
}

// taskCounter numbers tasks process-wide for their default names; Add by every
// CreateTask, on any loop's goroutine (only uniqueness and per-goroutine creation
// order matter, so it pairs with nothing). Padded onto its own cache line so no
// other global's writes bounce it: perf put 5 % of a spawn's samples right after
// this XADD (an A/B of the padding stayed within the shared machine's noise).
var taskCounter struct {
	_ cpu.CacheLinePad
	n atomic.Uint64
	_ cpu.CacheLinePad
}

// Coro is the handle a task's coroutine receives: the body awaits, sleeps and
// reaches its task and loop through it. It is valid only inside that body, on the
// coroutine's own goroutine; Await and Sleep panic elsewhere. A *Coro is the
// task's own taskCore seen through another type (no handle field, no pointer
// back: a spawn allocates 8 bytes less).
type Coro taskCore

// core returns the task c belongs to.
func (c *Coro) core() *taskCore { return (*taskCore)(c) }

// Loop returns the loop the task runs on.
func (c *Coro) Loop() *Loop { return c.core().lt.loop }

// Task returns the task this coroutine belongs to (asyncio.current_task()).
func (c *Coro) Task() AnyTask { return c.core().self }

// Wait suspends the task until a is done and returns a.Err(): the non-generic
// Await, for awaitables whose value is not needed.
func (c *Coro) Wait(a future.Awaitable) error {
	if !a.Done() {
		if err := c.core().suspendOn(a); err != nil {
			return err
		}
	}
	return a.Err()
}

// Await returns a's result, suspending the task (not the loop) while a is pending.
// A done a returns at once: no coroutine switch, no loop iteration, no allocation.
// If the task is cancelled while it waits, Await returns a *future.CancelledError
// (errors.Is(err, future.ErrCancelled)) carrying the Cancel message. Call it only
// from the body of the task that c belongs to.
func Await[T any](c *Coro, a AwaitableOf[T]) (T, error) {
	if !a.Done() {
		if err := c.core().suspendOn(a); err != nil {
			var zero T
			return zero, err
		}
	}
	return a.Result()
}

// killSignal is panicked through a body whose coroutine is being destroyed (its
// loop closed while it was pending), so the body's defers run, as Python's
// GeneratorExit does; callBody recovers it.
type killSignal struct{}

// taskCore is the non-generic part of a task; *Task[T] embeds it. Loop-owned,
// handed to the coroutine across switches (see the file comment).
type taskCore struct {
	lt   *loopTasks     // the loop's task bookkeeping (and, lt.loop, the loop); immutable
	self AnyTask        // the *Task[T] itself; immutable
	step func()         // the *Task[T]'s step, bound on the first suspension (a task that never suspends needs none)
	cr   coro.Coroutine // the coroutine running the body; nil before the first step and after it returned

	waiter future.Awaitable // what the suspended body awaits; nil while running or on a bare yield
	num    uint64           // default name Task-<num>; 0 for a task named at creation
	cold   *taskCold        // rarely needed state, allocated on first need
	// report is the unretrieved-exception report of a failed task: stored once by
	// the loop before the Future is settled (pairs with the Load in markRetrieved,
	// which any goroutine calling Result/Err/Exception/Wait makes).
	report     atomic.Pointer[taskReport]
	numCancels int32 // Cancelling(): requests not yet withdrawn by Uncancel
	idx        int32 // index in lt.pending while pending, -1 after
	mustCancel bool  // a Cancel is waiting for the next suspension point (message in cold)
	killed     bool  // destroyed at shutdown: its body unwound, it never completes
	coro       int8  // the engine: lt.engines[coro]; immutable
}

func (t *taskCore) engine() coro.Engine { return t.lt.engines[t.coro] }

// taskCold is the part of a task that most tasks never need (a name, a cancel
// message, a panic), kept out of line so a spawn allocates and clears less.
type taskCold struct {
	bodyErr   error     // the body's returned error, written on the coroutine, taken by complete
	name      string    // the name given by WithName / SetName
	named     bool      // name is set (else the name is Task-<num>)
	cancelMsg string    // the message of the pending Cancel
	panicPCs  []uintptr // the panic's frames (newest first) for GetStack
	panicVal  any       // the panic's value, for PrintStack
}

func (t *taskCore) coldPart() *taskCold {
	if t.cold == nil {
		t.cold = &taskCold{}
	}
	return t.cold
}

func (t *taskCore) cancelMessage() string {
	if t.cold == nil {
		return ""
	}
	return t.cold.cancelMsg
}

func (t *taskCore) panicked() bool { return t.cold != nil && t.cold.panicPCs != nil }

func (t *taskCore) core() *taskCore { return t }

// suspendOn is the one place a body gives control back to the loop: waiting for w,
// or (w == nil) for one loop iteration. It returns the cancellation a Cancel
// delivered at this suspension point, or nil.
func (t *taskCore) suspendOn(w future.Awaitable) error {
	if t.cr == nil || goid.Current() != t.cr.Goid() {
		panic("ringloop: sched.Await/Sleep called outside the body of its task (another goroutine, or after the body returned)")
	}
	if w != nil {
		if any(w) == any(t.self) {
			return ErrAwaitSelf
		}
		if w.GetLoop() != future.Loop(t.lt.loop) {
			return ErrWrongLoop
		}
	}
	t.waiter = w
	var alive bool
	if pc, ok := t.cr.(*coro.PullCoro); ok { // devirtualised for the default engines
		alive = pc.Suspend()
	} else {
		alive = t.cr.Suspend()
	}
	t.waiter = nil
	if !alive {
		panic(killSignal{})
	}
	if t.mustCancel {
		t.mustCancel = false
		if w != nil && w.Done() {
			// asyncio's __step keeps the CancelledError the awaited future
			// raised (an earlier Cancel's message, or a gathering's cancellation
			// exception) over a new one.
			if err := w.Err(); errors.Is(err, future.ErrCancelled) {
				return err
			}
		}
		return &future.CancelledError{Msg: t.cancelMessage()}
	}
	return nil
}

// afterSuspend is step's half of a suspension (loop goroutine): asyncio's handling
// of the future a coroutine yielded.
func (t *taskCore) afterSuspend() {
	w := t.waiter
	if w == nil { // bare yield: run again next iteration
		t.post()
		return
	}
	if t.mustCancel && w.Cancel(t.cancelMessage()) {
		t.mustCancel = false
	}
	w.OnDone(t.stepFunc())
}

// stepFunc returns the task's step as a func(), binding it on first use.
func (t *taskCore) stepFunc() func() {
	if t.step == nil {
		t.step = t.self.boundStep() // bound on the concrete type: one call hop less than t.self.stepTask
	}
	return t.step
}

func (t *taskCore) post() {
	// ErrClosed (the loop closed under a running task) leaves the task pending:
	// the loop's task shutdown (task_loop.go) reports and unwinds it.
	_ = t.lt.loop.Post(t.stepFunc())
}

// GetName returns the task's name (Task-N unless named).
func (t *taskCore) GetName() string {
	if t.cold == nil || !t.cold.named {
		return "Task-" + strconv.FormatUint(t.num, 10)
	}
	return t.cold.name
}

// SetName renames the task (asyncio's set_name: any string, "" included).
func (t *taskCore) SetName(name string) {
	cold := t.coldPart()
	cold.name, cold.named = name, true
}

// Cancelling returns the number of pending cancellation requests: Cancel calls not
// yet withdrawn by Uncancel (asyncio's cancelling()).
func (t *taskCore) Cancelling() int { return int(t.numCancels) }

// Uncancel withdraws one cancellation request and returns how many remain. When
// none remain, a cancellation not yet delivered to the body is dropped (asyncio
// 3.13's uncancel).
func (t *taskCore) Uncancel() int {
	if t.numCancels > 0 {
		t.numCancels--
		if t.numCancels == 0 {
			t.mustCancel = false
		}
	}
	return int(t.numCancels)
}

// Task is a coroutine wrapped in a Future: every method of *future.Future[T] is
// promoted (Done, Result, Exception, Err, Cancelled, AddDoneCallback, OnDone,
// Wait, ...), with Cancel, SetResult, SetException and String replaced by the
// task's own.
type Task[T any] struct {
	*future.Future[T]
	taskCore
	fn func(*Coro) (T, error)

	// The body's value, written on the coroutine, read by step after the switch
	// (its error, rarely set, waits in cold.bodyErr).
	val T
}

// taskAlloc is what CreateTask allocates: a task and the future it embeds by
// pointer, side by side, so a spawn is one allocation (the Future's interior
// pointer and the task's keep the whole block alive).
type taskAlloc[T any] struct {
	t Task[T]
	f future.Future[T]
}

// CreateTask wraps fn in a task scheduled on l and returns it (asyncio's
// loop.create_task). The body starts in a later loop iteration. Call it on l's
// goroutine (a callback or a task body) or before l runs. It fails on a closed
// loop (ErrClosed) and on a bad option (the error names it).
func CreateTask[T any](l *Loop, fn func(*Coro) (T, error), opts ...TaskOption) (*Task[T], error) {
	if fn == nil {
		panic("ringloop: sched.CreateTask: nil coroutine")
	}
	coro, name, named := 0, "", false
	for _, o := range opts {
		if o.err != nil {
			return nil, o.err
		}
		if o.coro != 0 {
			coro = int(o.coro - 1)
		}
		if o.hasName {
			name, named = o.name, true
		}
	}
	lt, err := tasksOf(l)
	if err != nil {
		return nil, err
	}
	lt.engine(coro) // build the engine now, so steps find it in lt.engines
	a := &taskAlloc[T]{}
	future.Init(&a.f, l) // the task and its future: one allocation
	t := &a.t
	t.Future, t.fn = &a.f, fn
	c := &t.taskCore
	c.lt, c.self, c.coro = lt, t, int8(coro)
	if named { // asyncio numbers only the unnamed tasks
		cold := c.coldPart()
		cold.name, cold.named = name, true
	} else {
		c.num = taskCounter.n.Add(1)
	}
	if err := lt.scheduleStart(t); err != nil {
		return nil, err
	}
	lt.add(c)
	return t, nil
}

// CreateTask is the non-generic spelling of CreateTask(l, fn, opts...) for bodies
// whose result is not typed (asyncio's loop.create_task).
func (l *Loop) CreateTask(fn func(*Coro) (any, error), opts ...TaskOption) (*Task[any], error) {
	return CreateTask(l, fn, opts...)
}

// GetCoro returns the coroutine function the task runs (asyncio's get_coro).
func (t *Task[T]) GetCoro() func(*Coro) (T, error) { return t.fn }

// Cancel requests the task's cancellation (see the file comment). It returns false
// if the task is done. Loop goroutine only; from elsewhere use
// l.CallSoonThreadsafe(func() { t.Cancel(msg) }).
func (t *Task[T]) Cancel(msg string) bool {
	t.markRetrieved() // asyncio: cancel() clears _log_traceback
	if t.Future.Done() {
		return false
	}
	t.numCancels++
	if w := t.waiter; w != nil && w.Cancel(msg) {
		return true
	}
	t.mustCancel = true
	t.coldPart().cancelMsg = msg
	return true
}

// SetResult always fails: a task's result is its coroutine's return.
func (t *Task[T]) SetResult(T) error { return ErrTaskSetResult }

// SetException always fails: a task's exception is its coroutine's error.
func (t *Task[T]) SetException(error) error { return ErrTaskSetResult }

// Result returns the coroutine's result, its error, or the cancellation error
// (see future.Future.Result); it marks the exception retrieved.
func (t *Task[T]) Result() (T, error) {
	v, err := t.Future.Result()
	t.markRetrieved() // after: the outcome read above happens after the report was armed
	return v, err
}

// Exception is future.Future.Exception; it marks the exception retrieved.
func (t *Task[T]) Exception() error {
	err := t.Future.Exception()
	t.markRetrieved() // after: the outcome read above happens after the report was armed
	return err
}

// Wait is future.Future.Wait (block a plain goroutine until the task is done); it
// marks the exception retrieved.
func (t *Task[T]) Wait(ctx context.Context) (T, error) {
	v, err := t.Future.Wait(ctx)
	t.markRetrieved() // after: the outcome read above happens after the report was armed
	return v, err
}

// Err is future.Future.Err; it marks the exception retrieved.
func (t *Task[T]) Err() error {
	err := t.Future.Err()
	t.markRetrieved() // after: the outcome read above happens after the report was armed
	return err
}

// String describes the task like asyncio's repr: <Task pending name='Task-1'>,
// <Task finished name='w' result=42>, <Task finished name='w' exception=...>.
func (t *Task[T]) String() string {
	state := "pending"
	switch {
	case t.Future.Cancelled():
		state = "cancelled"
	case t.Future.Done():
		state = "finished"
		if err := t.Future.Exception(); err != nil {
			return fmt.Sprintf("<Task %s name='%s' exception=%v>", state, t.GetName(), err)
		}
		v, _ := t.Future.Result()
		return fmt.Sprintf("<Task %s name='%s' result=%v>", state, t.GetName(), v)
	case t.numCancels > 0:
		state = "cancelling"
	}
	return fmt.Sprintf("<Task %s name='%s'>", state, t.GetName())
}

func (t *Task[T]) markRetrieved() {
	if r := t.report.Load(); r != nil { // pairs with the Store in armUnretrieved
		r.retrieved.Store(true) // pairs with the Load in reportUnretrieved
	}
}

// boundStep returns stepTask as a func() (see taskCore.stepFunc).
func (t *Task[T]) boundStep() func() { return t.stepTask }

// stepTask is asyncio's __step: run the body until it suspends or returns. Loop
// goroutine only; posted by CreateTask, Sleep(0), or registered with OnDone on the
// awaited future.
func (t *Task[T]) stepTask() {
	if t.Future.Done() || t.killed {
		return
	}
	lt := t.lt
	if t.cr == nil {
		if t.mustCancel { // cancelled before it started: the body never runs
			t.mustCancel = false
			lt.remove(&t.taskCore)
			t.Future.Cancel(t.cancelMessage())
			return
		}
		t.cr = t.engine().Get((*taskJob[T])(t))
	}
	prev := lt.current
	lt.current = t
	var finished bool
	if pc, ok := t.cr.(*coro.PullCoro); ok { // devirtualised for the default engines
		finished = pc.Resume()
	} else {
		finished = t.cr.Resume()
	}
	lt.current = prev
	if !finished {
		t.afterSuspend()
		return
	}
	t.complete()
	t.engine().Put(t.cr)
	t.cr = nil
	if len(lt.pending) == 0 && lt.loop.cfg.lockOSThread {
		// A loop locked to its thread locks per run, and a coroutine made under
		// the lock may only be switched to under it (internal/coro): end the parked
		// ones while that is still true, rather than strand them at Close.
		lt.drainEngines()
	}
}

// taskJob is a Task seen as the coroutine job (coro.Job): the conversion from
// *Task[T] costs nothing, and RunCoro stays out of Task's exported method set.
type taskJob[T any] Task[T]

// RunCoro calls the body and keeps its return for step.
func (j *taskJob[T]) RunCoro(coro.Coroutine) {
	t := (*Task[T])(j)
	v, err := t.callBody()
	t.val = v
	if err != nil {
		t.coldPart().bodyErr = err
	}
}

// callBody calls the body and turns a panic into a *TaskPanicError (or, for the
// kill signal, into killed).
func (t *Task[T]) callBody() (v T, err error) {
	normal := false
	defer func() {
		if normal {
			return
		}
		r := recover()
		if r == nil { // runtime.Goexit: it cannot be stopped (see ErrGoexit)
			t.val = v
			t.coldPart().bodyErr = ErrGoexit
			return
		}
		if _, ok := r.(killSignal); ok {
			t.killed = true
			return
		}
		pcs := make([]uintptr, 64)
		cold := t.coldPart()
		cold.panicPCs = pcs[:runtime.Callers(1, pcs)]
		cold.panicVal = r
		err = &TaskPanicError{Task: t.GetName(), Value: r, Stack: debug.Stack()}
	}()
	v, err = t.fn((*Coro)(&t.taskCore))
	normal = true
	return v, err
}

// complete settles the task's Future from the body's return. Loop goroutine.
func (t *Task[T]) complete() {
	t.lt.remove(&t.taskCore)
	if t.killed {
		return
	}
	v := t.val
	var zero T
	t.val = zero
	var err error
	if t.cold != nil {
		err, t.cold.bodyErr = t.cold.bodyErr, nil
	}
	switch {
	case err == nil && t.mustCancel: // cancelled after the last suspension point
		t.mustCancel = false
		t.Future.Cancel(t.cancelMessage())
	case err == nil:
		t.Future.SetResult(v)
	case errors.Is(err, future.ErrCancelled):
		msg := ""
		var ce *future.CancelledError
		if errors.As(err, &ce) {
			msg = ce.Msg
		}
		t.Future.Cancel(msg)
	default:
		t.armUnretrieved(err)
		t.Future.SetException(err)
		t.Future.MarkRetrieved() // the task reports it itself, as "Task exception ..."
	}
}

// armUnretrieved makes the GC report err if the task is dropped before anyone
// looked at its outcome (asyncio's "Task exception was never retrieved"). The
// report state lives outside the task so the cleanup does not keep it alive.
func (t *Task[T]) armUnretrieved(err error) {
	r := &taskReport{loop: t.lt.loop, name: t.GetName(), err: err}
	if pe, ok := err.(*TaskPanicError); ok {
		r.stack = pe.Stack
	}
	t.report.Store(r) // before SetException publishes: see the field comment
	runtime.AddCleanup(t, reportUnretrieved, r)
}

// Coroutine engine names accepted by WithCoro (the engines live in internal/coro).
const (
	CoroPull       = coro.Pull       // pooled runtime coroutines (default)
	CoroPullNoPool = coro.PullNoPool // a new runtime coroutine per task
	CoroGoroutine  = coro.Goroutine  // a goroutine per task, channel hand-off
)
