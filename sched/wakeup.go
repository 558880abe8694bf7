package sched

// Sleeping and waking the loop without a syscall on the busy path.
//
// The loop's state word (Loop.state) is stRunning, stSleeping or stNotified. The
// signal itself is a variant (waker): a Go channel park ("chan"), eventfd +
// epoll_pwait2 ("eventfd"), or a futex on the state word ("futex").
//
// Producer (Loop.PostThreadsafe, Loop.Stop), numbered as in the code:
//
//	P1. publish the item: inbox.push (mpsc: the XADD claim, the full fence;
//	    the slot publish after it is a release MOV and does not count);
//	P2. v := state.Load()                       seq-cst; pairs with L1
//	P3. only if v == stSleeping:
//	      CAS(stSleeping -> stNotified); only the winner calls waker.signal,
//	      so any number of concurrent producers coalesce into one signal;
//	      then signalled.Add(1) (lets Close know no signal is in flight).
//
// On the busy path (state == stRunning) a submit is P1 + one plain load: no
// syscall, no second locked instruction.
//
// Loop (Loop.sleep):
//
//	L0. if inbox.empty() is false, return (after one yield if the last drain
//	    took fewer than chaseBatch items); optional yields (WithYieldBeforeSleep,
//	    default 1 when unlocked) and spin (WithSpin), each polling inbox.empty();
//	L1. state.Store(stSleeping)                 seq-cst (XCHG: the full fence); pairs with P2
//	L2. if !inbox.empty() or stopping: try CAS(stSleeping -> stRunning); if it
//	    wins, return without sleeping. If it loses, a producer won P3 and its
//	    signal is on the way: fall through and wait for it (returns at once);
//	L3. waker.wait(timeout): returns on a signal, the timeout, or spuriously;
//	L4. old := state.Swap(stRunning); if old == stNotified, count it in notifies.
//
// This is "loop-sleep" in docs/protocols.md, which names the full fence on each
// side for every inbox variant (for mpsc: the XADD claim, the claim argument).
//
// Why no wakeup is lost (Dekker): P1 < P2 and L1 < L2 in program order, and all
// four are sequentially consistent. If P2 reads stRunning, it was ordered before L1,
// so P1 is before L2 and L2 sees the item. Otherwise P2 reads stSleeping and the
// producer signals. The state is stNotified only between a producer's P3 and the
// loop's L4, so exactly one signal is sent per sleep that a producer interrupts;
// a signal that arrives after the timeout already woke the loop stays pending in
// the waker and causes one spurious, harmless wakeup later (chan, eventfd).

import (
	"runtime"
	"sync/atomic"
	"time"
)

const (
	stRunning  uint32 = iota // the loop is running callbacks (or not started)
	stSleeping               // the loop is in L1..L3: producers must signal
	stNotified               // a producer won P3; the loop has not reached L4 yet
)

// waker is the signal of the sleep protocol. wait and close are called by the loop
// goroutine only; signal by the one producer that won P3.
type waker interface {
	// wait blocks until signal, the timeout (< 0: none), or a spurious wakeup.
	wait(timeout time.Duration)
	signal()
	close() error
}

// chanWaker parks the loop goroutine on a channel receive. It is the only variant
// that blocks durably in Go's sense, so testing/synctest can run the loop in fake
// time with it.
//
// With yield (variant "chan-yield") the signalling producer calls runtime.Gosched
// right after the send. The send put the loop goroutine in the producer's P's
// runnext slot, where an idle P may steal it only after a usleep(3) that sleeps
// ~75 us on these VMs (docs/DESIGN.md: with a waker that keeps running, the
// bare channel wake measured p50 2.9 ms, p99 3.9 ms). Yielding runs the loop on the producer's
// P at once, and the producer continues on the other P. It costs the producer one
// Gosched (and a migration) per actual wakeup, never on the busy path.
//
// One Gosched is not always enough: every 61st schedule() takes the global run
// queue first, so the yielding producer itself is picked again and the loop stays
// in runnext (~1.6 % of wakes, which is exactly the p99). So the producer yields
// again, up to maxYields times, while the loop has not reached L4 (state still
// stNotified).
type chanWaker struct {
	ch    chan struct{}  // capacity 1: a pending token, so a signal is never lost
	timer *time.Timer    // loop-owned, reused for timed waits
	yield bool           // immutable: Gosched after a signal
	state *atomic.Uint32 // &Loop.state, read by the yielding producer
}

const maxYields = 4

func newChanWaker(yield bool, state *atomic.Uint32) *chanWaker {
	return &chanWaker{ch: make(chan struct{}, 1), yield: yield, state: state}
}

func (w *chanWaker) wait(timeout time.Duration) {
	if timeout < 0 {
		<-w.ch
		return
	}
	if w.timer == nil {
		w.timer = time.NewTimer(timeout)
	} else {
		w.timer.Reset(timeout)
	}
	select {
	case <-w.ch:
		w.timer.Stop()
	case <-w.timer.C:
	}
}

func (w *chanWaker) signal() {
	select {
	case w.ch <- struct{}{}:
	default: // a token is already pending: the loop will wake anyway
	}
	if w.yield {
		runtime.Gosched()
		for i := 1; i < maxYields && w.state.Load() == stNotified; i++ { // pairs with the Swap at L4
			runtime.Gosched()
		}
	}
}

func (w *chanWaker) close() error {
	if w.timer != nil {
		w.timer.Stop()
	}
	return nil
}
