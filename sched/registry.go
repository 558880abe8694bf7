package sched

// The running-loop registry: which loop, if any, is running on the calling
// goroutine. It answers Loop.InLoop's slow path, RunningLoop and GetEventLoop.
//
// Key: internal/goid.Current(), the address of the runtime's g for the calling
// goroutine (~1 ns). Why that key is sound:
//   - two live goroutines never share a g, so a live goroutine's key names it alone;
//   - a g is recycled only after its goroutine exits, so an entry must never outlive
//     its goroutine. Every writer keeps that rule on the goroutine it registers:
//     RunForever stores its own id when the run starts and deletes it (deferred)
//     before it returns; the tasks' coroutines do the same around the body
//     (registerGoroutine at entry, unregisterGoroutine before the coroutine's
//     goroutine can finish). A recycled g therefore never finds a stale entry.
//   - only the goroutine named by a key adds or removes that key, so there is no
//     race between two writers of one entry; readers on other goroutines only ever
//     look up their own key.
//
// Cost: Loop.InLoop first compares against the loop's owner word (one load, one
// compare). RunningLoop and InLoop's slow path first read a direct-mapped cache
// (fast, below: a multiply, one atomic load and a compare; ~2 ns with the goid
// call) and only fall back to the map on a miss (~5 ns).
//
// The cache: slot hash(g) holds the latest registration that hashed there, as an
// immutable *regEntry{g, l}. It is sound by the same rule as the map. An entry is
// stored only by goroutine g in registerGoroutine, and before g can exit its
// unregisterGoroutine clears the slot if the slot still holds g's entry (CAS, so a
// newer registration by another goroutine that evicted it is left alone). So a
// reader that finds entry.g == its own id found an entry its own, still-live
// goroutine stored; a collision only evicts, and the evicted goroutine's lookups
// miss and go to the map.

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/ringloop/ringloop/internal/goid"

	xsync4 "github.com/puzpuzpuz/xsync/v4"
)

// ErrNoRunningLoop is returned by RunningLoop outside a running loop.
var ErrNoRunningLoop = errors.New("sched: no running event loop")

// running is the authority: every registered goroutine is in it.
var running = xsync4.NewMap[uintptr, *Loop]()

// regEntry is one cached registration; immutable once stored.
type regEntry struct {
	g uintptr
	l *Loop
}

const regSlots = 256 // power of two

// fast is the direct-mapped cache in front of running (see the file comment).
// Written by registerGoroutine (Store) and unregisterGoroutine (CAS to nil), each
// only for its own goroutine's entry; read by loopOf (Load). Every Load pairs with
// the Store that published the entry's fields.
var fast [regSlots]atomic.Pointer[regEntry]

// slotOf hashes a g address (Fibonacci hashing: g structs are a few hundred
// bytes apart, so their low bits alone would crowd a few slots).
func slotOf(id uintptr) *atomic.Pointer[regEntry] {
	return &fast[(uint64(id)*0x9E3779B97F4A7C15)>>(64-8)]
}

// registerGoroutine records that goroutine id runs code on l's behalf (the loop
// goroutine itself, or a coroutine body of one of l's tasks). Only the goroutine id
// itself may call it, and it must call unregisterGoroutine before it exits.
// Once per Run or per coroutine, never per callback: the entry's allocation is fine.
func registerGoroutine(id uintptr, l *Loop) {
	running.Store(id, l)
	slotOf(id).Store(&regEntry{g: id, l: l}) // publishes the entry; pairs with the Load in loopOf
}

// unregisterGoroutine removes the entry registerGoroutine made; same caller rule.
func unregisterGoroutine(id uintptr) {
	s := slotOf(id)
	if e := s.Load(); e != nil && e.g == id {
		s.CompareAndSwap(e, nil) // fails only if another goroutine evicted it meanwhile
	}
	running.Delete(id)
}

// loopOf returns the loop registered for goroutine id, or nil. Callers pass their
// own id (goid.Current()).
func loopOf(id uintptr) *Loop {
	if e := slotOf(id).Load(); e != nil && e.g == id { // pairs with the Store in registerGoroutine
		return e.l
	}
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
