// The running-loop registry: which loop, if any, is running on the calling
// goroutine. It answers Loop.InLoop's slow path, RunningLoop and GetEventLoop.
//
// Key: internal/goid.Current(), the address of the runtime's g for the calling
// goroutine (~1 ns). Why that key is sound:
//   - two live goroutines never share a g, so a live goroutine's key names it alone;
//   - a g is recycled only after its goroutine exits, so an entry must never outlive
//     its goroutine. Every writer keeps that rule on the goroutine it registers:
//     RunForever stores its own id when the run starts and deletes it (deferred)
//     before it returns; the Task engineer's coroutines do the same around the body
//     (registerGoroutine at entry, unregisterGoroutine before the coroutine's
//     goroutine can finish). A recycled g therefore never finds a stale entry.
//   - only the goroutine named by a key adds or removes that key, so there is no
//     race between two writers of one entry; readers on other goroutines only ever
//     look up their own key.
//
// Cost: Loop.InLoop first compares against the loop's owner word (one load, one
// compare) and only falls back to this map for coroutine goroutines.
package sched

import (
	"errors"
	"sync"

	"github.com/ringloop/ringloop/internal/goid"

	xsync4 "github.com/puzpuzpuz/xsync/v4"
)

// ErrNoRunningLoop is returned by RunningLoop outside a running loop.
var ErrNoRunningLoop = errors.New("sched: no running event loop")

var running = xsync4.NewMap[uintptr, *Loop]()

// registerGoroutine records that goroutine id runs code on l's behalf (the loop
// goroutine itself, or a coroutine body of one of l's tasks). Only the goroutine id
// itself may call it, and it must call unregisterGoroutine before it exits.
func registerGoroutine(id uintptr, l *Loop) { running.Store(id, l) }

// unregisterGoroutine removes the entry registerGoroutine made; same caller rule.
func unregisterGoroutine(id uintptr) { running.Delete(id) }

// loopOf returns the loop registered for goroutine id, or nil.
func loopOf(id uintptr) *Loop {
	l, _ := running.Load(id)
	return l
}

// RunningLoop returns the loop running the calling goroutine's code: from inside a
// callback or a task of a running loop it returns that loop; elsewhere it returns
// ErrNoRunningLoop (asyncio.get_running_loop raises RuntimeError).
func RunningLoop() (*Loop, error) {
	if l := loopOf(goid.Current()); l != nil {
		return l, nil
	}
	return nil, ErrNoRunningLoop
}

var defaultLoop struct {
	mu sync.Mutex
	l  *Loop
}

// GetEventLoop returns the running loop if there is one, else a process-wide
// default loop created on first use (and again if the previous one was closed).
func GetEventLoop() *Loop {
	if l, err := RunningLoop(); err == nil {
		return l
	}
	defaultLoop.mu.Lock()
	defer defaultLoop.mu.Unlock()
	if defaultLoop.l == nil || defaultLoop.l.IsClosed() {
		l, err := New()
		if err != nil {
			panic("ringloop: sched.GetEventLoop: default options rejected: " + err.Error())
		}
		defaultLoop.l = l
	}
	return defaultLoop.l
}
