package goid

import (
	"sync"
	"testing"
)

func TestCurrentStableWithinGoroutine(t *testing.T) {
	a := Current()
	if a == 0 {
		t.Fatal("Current() = 0, want a non-zero identifier")
	}
	grow(200) // force a stack move: the identifier must not follow the stack
	if b := Current(); a != b {
		t.Fatalf("Current changed within one goroutine: %#x then %#x", a, b)
	}
}

//go:noinline
func grow(n int) int {
	var pad [256]byte
	pad[n%256] = byte(n)
	if n == 0 {
		return int(pad[0])
	}
	return grow(n-1) + int(pad[n%256])
}

func TestCurrentDistinctAcrossLiveGoroutines(t *testing.T) {
	const n = 64
	ids := make([]uintptr, n)
	var ready, release sync.WaitGroup
	ready.Add(n)
	release.Add(1)
	for i := range n {
		go func() {
			ids[i] = Current()
			ready.Done()
			release.Wait() // stay alive until every id is collected
		}()
	}
	ready.Wait()
	seen := map[uintptr]int{Current(): -1}
	for i, id := range ids {
		if j, dup := seen[id]; dup {
			t.Fatalf("goroutines %d and %d, both alive, share id %#x", i, j, id)
		}
		seen[id] = i
	}
	release.Done()
}

func BenchmarkCurrent(b *testing.B) {
	var sink uintptr
	for b.Loop() {
		sink += Current()
	}
	_ = sink
}
