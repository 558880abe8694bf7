package sched

import (
	"sync"
	"testing"

	"github.com/ringloop/ringloop/internal/goid"
)

// The running-loop cache must never answer for a goroutine it does not name: many
// live goroutines (far more than the cache's slots, so slots collide and evict)
// register, each against its own loop, and each must read back its own loop while
// registered and nothing once unregistered, whatever the others did meanwhile.
func TestRegistryCacheCollisions(t *testing.T) {
	const n = 4 * regSlots
	loops := make([]*Loop, n)
	for i := range loops {
		loops[i] = &Loop{} // identity only; never run
	}
	var registered, checked sync.WaitGroup
	registered.Add(n)
	checked.Add(n)
	errs := make(chan string, n)
	for i := range n {
		go func() {
			id := goid.Current()
			registerGoroutine(id, loops[i])
			registered.Done()
			registered.Wait() // everyone is registered: slots have collided and evicted
			if got := loopOf(id); got != loops[i] {
				errs <- "registered goroutine read another loop (or none)"
			}
			unregisterGoroutine(id)
			if got := loopOf(id); got != nil {
				errs <- "unregistered goroutine still found a loop"
			}
			checked.Done()
			checked.Wait() // stay alive until all are checked: no g is recycled meanwhile
		}()
	}
	checked.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	for i := range fast {
		if e := fast[i].Load(); e != nil {
			t.Fatalf("slot %d still holds an entry for goroutine %#x after every goroutine unregistered", i, e.g)
		}
	}
}

// An evicted registration is still answered (from the map), and unregistering it
// leaves the evicting goroutine's cached entry alone.
func TestRegistryEvictedEntryFallsBackToMap(t *testing.T) {
	a, b := &Loop{}, &Loop{}
	// Two fake ids that hash to the same slot: ids are only keys here.
	idA := uintptr(0x1000)
	idB := idA
	for k := uintptr(1); slotOf(idB) != slotOf(idA) || idB == idA; k++ {
		idB = idA + k*8
	}
	registerGoroutine(idA, a)
	registerGoroutine(idB, b) // evicts A from the cache
	if got := loopOf(idA); got != a {
		t.Fatalf("evicted entry: loopOf = %p, want %p (from the map)", got, a)
	}
	unregisterGoroutine(idA)
	if e := slotOf(idB).Load(); e == nil || e.g != idB {
		t.Fatal("unregistering an evicted goroutine cleared the entry of the one that evicted it")
	}
	if got := loopOf(idB); got != b {
		t.Fatalf("loopOf(B) = %p, want %p", got, b)
	}
	unregisterGoroutine(idB)
	if loopOf(idA) != nil || loopOf(idB) != nil {
		t.Fatal("entries survive unregistering")
	}
}
