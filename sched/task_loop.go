package sched

// Per-loop task bookkeeping: the coroutine engines (and their pools of parked
// coroutines), the set of pending tasks (AllTasks), the current task
// (CurrentTask), and the shutdown that leaves no coroutine goroutine behind.
//
// Invariants:
//   - One loopTasks per Loop, created on the first CreateTask and found through
//     lastTasks (a one-entry cache: one load and a compare) or loopTaskStates (a map
//     load). Every field is owned by the loop goroutine (or by the loop's owner
//     while it is not running), like the loop's ready queue.
//   - starting holds, in creation order, the tasks whose first step is posted and
//     has not run; the loop's ready queue holds exactly as many lt.start callbacks.
//   - pending holds exactly the tasks created and not yet completed (or destroyed);
//     taskCore.idx is each one's index, -1 once it left. Removal swaps with the last
//     element: O(1), order not kept (asyncio's all_tasks is a set).
//   - Coroutine goroutines are registered for the loop (registerGoroutine) for their
//     whole life, so InLoop and RunningLoop answer inside task bodies.
//   - shutdownTasks destroys every pending task (its body unwinds through its defers,
//     asyncio's GeneratorExit; the loop's exception handler is told "Task was
//     destroyed but it is pending!") and ends every parked coroutine. After it, no
//     goroutine started for this loop's tasks is left (goleak-tested).
//   - The runtime allows a coroutine to be switched to only from the thread-lock
//     state it was created under (internal/coro). On a loop built WithLockOSThread(true),
//     which locks per run, switching outside a run would abort the process, so
//     (1) when such a loop's last pending task finishes, its engines' parked
//     coroutines are ended right there, inside the run; (2) shutdownTasks outside a
//     run does not switch to a runtime coroutine: it reports the task and leaves
//     its coroutine parked (goroutine-engine tasks are destroyed as usual). Run
//     does its shutdown inside a final run.

import (
	"fmt"
	"sync/atomic"

	xsync4 "github.com/puzpuzpuz/xsync/v4"

	"github.com/ringloop/ringloop/internal/coro"
	"github.com/ringloop/ringloop/internal/ring"
)

type loopTasks struct {
	loop    *Loop
	pending []*taskCore
	current AnyTask                      // the task whose body is running; nil between tasks
	engines [numCoroVariants]coro.Engine // by coroIndex, built on first use
	hooks   coro.Hooks                   // register / unregister coroutine goroutines for loop

	// Tasks waiting for their first step, in creation order, and the one func
	// that starts the oldest: CreateTask posts start once per task, so the k-th
	// start callback the loop runs starts the k-th task created, exactly when
	// asyncio's call_soon(__step) would, without binding a func per task.
	starting ring.Ring[AnyTask]
	start    func() // lt.startNext, bound once
}

// scheduleStart queues t's first step: asyncio's call_soon(task.__step).
func (lt *loopTasks) scheduleStart(t AnyTask) error {
	if err := lt.loop.Post(lt.start); err != nil {
		return err
	}
	lt.starting.Push(t)
	return nil
}

// startNext is the start callback: the first step of the oldest queued task.
func (lt *loopTasks) startNext() {
	if lt.starting.Len() > 0 {
		lt.starting.Pop().stepTask()
	}
}

// numCoroVariants is the number of "coro" rows in the variant table
// (TestVariantTable checks it).
const numCoroVariants = 3

// coroIndex returns name's index in CoroVariants(), or -1. No allocation: WithCoro
// calls it per task.
func coroIndex(name string) int {
	i := 0
	for _, r := range variantTable {
		if r.Part == "coro" {
			if r.Name == name {
				return i
			}
			i++
		}
	}
	return -1
}

// loopTaskStates maps a loop to its task bookkeeping. Entries are removed by
// shutdownTasks (Run, and Close once sched calls closeTasks).
var loopTaskStates = xsync4.NewMap[*Loop, *loopTasks]()

// lastTasks caches the most recent tasksOf answer: a program with one loop (or a
// loop spawning in a burst) finds its bookkeeping with one load and a compare
// instead of a map lookup. Load by every tasksOf; Store only on a miss, so loops
// on different goroutines do not keep writing the line. Pairs with itself: a stale
// value is harmless, it is checked against l before use.
var lastTasks atomic.Pointer[loopTasks]

// tasksOf returns l's task bookkeeping, creating it on first use.
func tasksOf(l *Loop) (*loopTasks, error) {
	if l.IsClosed() {
		return nil, ErrClosed
	}
	if lt := lastTasks.Load(); lt != nil && lt.loop == l {
		return lt, nil
	}
	return tasksOfSlow(l), nil
}

func tasksOfSlow(l *Loop) *loopTasks {
	lt, ok := loopTaskStates.Load(l)
	if !ok {
		lt = &loopTasks{loop: l}
		lt.start = lt.startNext
		lt.hooks = coro.Hooks{
			Enter: func(id uintptr) { registerGoroutine(id, l) },
			Exit:  unregisterGoroutine,
		}
		lt, _ = loopTaskStates.LoadOrStore(l, lt)
	}
	lastTasks.Store(lt)
	return lt
}

// engine returns the engine CoroVariants()[i].
func (lt *loopTasks) engine(i int) coro.Engine {
	e := lt.engines[i]
	if e == nil {
		e = newEngine(i, lt.hooks)
		lt.engines[i] = e
	}
	return e
}

func (lt *loopTasks) add(t *taskCore) {
	t.idx = int32(len(lt.pending))
	lt.pending = append(lt.pending, t)
}

func (lt *loopTasks) remove(t *taskCore) {
	i := int(t.idx)
	if i < 0 {
		return
	}
	last := len(lt.pending) - 1
	if i != last {
		lt.pending[i] = lt.pending[last]
		lt.pending[i].idx = int32(i)
	}
	lt.pending[last] = nil
	lt.pending = lt.pending[:last]
	t.idx = -1
}

// drainEngines ends every parked coroutine of the loop's engines.
func (lt *loopTasks) drainEngines() {
	for _, e := range lt.engines {
		if e != nil {
			e.Drain()
		}
	}
}

// idleCoroutines reports how many parked coroutines the loop's engines hold.
func (lt *loopTasks) idleCoroutines() int {
	n := 0
	for _, e := range lt.engines {
		if e != nil {
			n += e.Idle()
		}
	}
	return n
}

// AllTasks returns the loop's pending tasks (asyncio.all_tasks), in no particular
// order. Loop goroutine only (or the owner while the loop is not running).
func AllTasks(l *Loop) []AnyTask {
	lt, ok := loopTaskStates.Load(l)
	if !ok {
		return nil
	}
	out := make([]AnyTask, 0, len(lt.pending))
	for _, t := range lt.pending {
		out = append(out, t.self)
	}
	return out
}

// CurrentTask returns the task whose body is running on l right now, or nil
// (asyncio.current_task). Loop goroutine only; inside a body, Coro.Task is the
// direct way.
func CurrentTask(l *Loop) AnyTask {
	lt, ok := loopTaskStates.Load(l)
	if !ok || lt.current == nil {
		return nil
	}
	return lt.current
}

// closeTasks is the Close hook: sched's Close calls it once the loop is closed
// and no longer running. See shutdownTasks.
func (l *Loop) closeTasks() { shutdownTasks(l, !l.cfg.lockOSThread) }

// shutdownTasks destroys l's pending tasks and ends its parked coroutines. With
// mayDestroy false (a locked loop outside a run) it only reports them. Loop owner
// only; idempotent.
func shutdownTasks(l *Loop, maySwitch bool) {
	lt, ok := loopTaskStates.Load(l)
	if !ok {
		return
	}
	for len(lt.pending) > 0 {
		t := lt.pending[len(lt.pending)-1]
		lt.remove(t)
		t.destroy(maySwitch)
	}
	if maySwitch {
		for _, e := range lt.engines {
			if e != nil {
				e.Close()
			}
		}
	} else if n := lt.idleCoroutines(); n > 0 {
		l.CallExceptionHandler(ExceptionContext{
			Message: fmt.Sprintf("%d parked task coroutines left behind: the loop is locked to its OS thread and was closed outside a run", n),
			Err:     ErrTaskDestroyed,
			Loop:    l,
		})
	}
	loopTaskStates.Delete(l)
	lastTasks.CompareAndSwap(lt, nil) // do not keep a closed loop reachable
}

// destroy ends a pending task whose loop is going away: its body (if it started)
// unwinds through its defers, and the loop's exception handler is told.
func (t *taskCore) destroy(maySwitch bool) {
	desc := t.self.String()
	t.killed = true
	msg := "Task was destroyed but it is pending!"
	if t.cr != nil {
		if maySwitch || !t.engine().ThreadBound() {
			if t.cr.Kill() {
				t.engine().Put(t.cr)
				t.cr = nil
			} else {
				msg = "Task was destroyed but it is pending, and its body refused to unwind!"
			}
		} else {
			msg = "Task was destroyed but it is pending; its coroutine is parked (loop locked to its OS thread, closed outside a run)!"
		}
	}
	t.lt.loop.CallExceptionHandler(ExceptionContext{
		Message: msg,
		Err:     fmt.Errorf("%w: %s", ErrTaskDestroyed, desc),
		Loop:    t.lt.loop,
	})
}

// taskReport is what a failed task's cleanup needs, kept outside the task so the
// cleanup does not keep the task reachable.
type taskReport struct {
	retrieved atomic.Bool // Store by Result/Exception/Err/Cancel on the task; Load by reportUnretrieved
	loop      *Loop
	name      string
	err       error
	stack     []byte
}

// reportUnretrieved runs on the runtime's cleanup goroutine after a failed task
// became unreachable. If nobody looked at the task's outcome it reports it, on the
// loop when the loop still runs callbacks, else directly.
func reportUnretrieved(r *taskReport) {
	if r.retrieved.Load() { // pairs with the Store in markRetrieved
		return
	}
	l := r.loop
	ctx := ExceptionContext{
		Message: "Task exception was never retrieved (task " + r.name + ")",
		Err:     r.err,
		Stack:   r.stack,
		Loop:    l,
	}
	if pe, ok := r.err.(*TaskPanicError); ok {
		ctx.Panic = pe.Value
	}
	if err := l.PostThreadsafe(func() { l.CallExceptionHandler(ctx) }); err != nil {
		l.CallExceptionHandler(ctx) // closed: no loop goroutine to race with
	}
}
