package ringbuf

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// FIFO histories checked for linearizability with porcupine.
//
// A "pop" in these histories is Pop retried while Empty() is false, so it
// returns empty only when every claimed element has been consumed: the
// raw Pop may report false in front of a claimed-but-unpublished slot while
// later elements are published, which no FIFO allows (the Vyukov-queue
// caveat; the loop's drain-then-Empty handshake is built the same way).

type fifoIn struct {
	push bool
	val  int
}

type fifoOut struct {
	ok  bool // push: accepted (false = ErrFull); pop: got a value
	val int
}

// fifoModel is a FIFO whose pushes may fail only when at least capacity
// elements are queued (capacity 0: never), and, if strict, must fail then.
func fifoModel(capacity int, strict bool) porcupine.Model {
	return porcupine.Model{
		Init: func() interface{} { return []int{} },
		Step: func(state, input, output interface{}) (bool, interface{}) {
			s := state.([]int)
			in, out := input.(fifoIn), output.(fifoOut)
			if in.push {
				full := capacity > 0 && len(s) >= capacity
				if !out.ok {
					return full, s
				}
				if full && strict {
					return false, s
				}
				return true, append(slices.Clip(s), in.val)
			}
			if !out.ok {
				return len(s) == 0, s
			}
			if len(s) == 0 || s[0] != out.val {
				return false, s
			}
			return true, s[1:]
		},
		Equal: func(a, b interface{}) bool { return slices.Equal(a.([]int), b.([]int)) },
		DescribeOperation: func(input, output interface{}) string {
			in, out := input.(fifoIn), output.(fifoOut)
			if in.push {
				return fmt.Sprintf("push(%d) -> %v", in.val, out.ok)
			}
			return fmt.Sprintf("pop() -> %d,%v", out.val, out.ok)
		},
	}
}

// recorder timestamps operations with a logical clock that respects real
// time: an operation that returns before another is called gets a smaller
// Return than the other's Call.
type recorder struct {
	clock atomic.Int64
	mu    sync.Mutex
	ops   []porcupine.Operation
}

func (r *recorder) do(client int, in fifoIn, f func() fifoOut) {
	call := r.clock.Add(1)
	out := f()
	ret := r.clock.Add(1)
	r.mu.Lock()
	r.ops = append(r.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
	r.mu.Unlock()
}

// history runs producers x perProducer pushes against one consumer doing
// pops, via push and pop, and returns the recorded operations.
func history(producers, perProducer, pops int, push func(int) bool, pop func() (int, bool)) []porcupine.Operation {
	var r recorder
	var wg sync.WaitGroup
	start := make(chan struct{})
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			<-start
			for i := 0; i < perProducer; i++ {
				v := p*1000 + i
				r.do(p+1, fifoIn{push: true, val: v}, func() fifoOut { return fifoOut{ok: push(v)} })
				if i%4 == 0 {
					runtime.Gosched()
				}
			}
		}(p)
	}
	close(start)
	for i := 0; i < pops; i++ {
		r.do(0, fifoIn{}, func() fifoOut { v, ok := pop(); return fifoOut{ok: ok, val: v} })
		if i%3 == 0 {
			runtime.Gosched()
		}
	}
	wg.Wait()
	return r.ops
}

func checkHistory(t *testing.T, m porcupine.Model, ops []porcupine.Operation) {
	t.Helper()
	res := porcupine.CheckOperationsTimeout(m, ops, 10*time.Second)
	switch res {
	case porcupine.Ok:
	case porcupine.Illegal:
		t.Fatalf("history of %d operations is not linearizable", len(ops))
	default:
		t.Logf("porcupine timed out on %d operations (inconclusive)", len(ops))
	}
}

func mpscPop(q *MPSC[int]) func() (int, bool) {
	return func() (int, bool) {
		for {
			if v, ok := q.Pop(); ok {
				return v, true
			}
			if q.Empty() {
				return 0, false
			}
		}
	}
}

func TestMPSCLinearizable(t *testing.T) {
	histories := 30
	if testing.Short() {
		histories = 8
	}
	for _, v := range mpscVariants() {
		t.Run(v.name, func(t *testing.T) {
			m := fifoModel(v.capacity, v.strict)
			for h := 0; h < histories; h++ {
				q := mustMPSC[int](t, v.opts...)
				ops := history(3, 60, 120, func(x int) bool {
					err := q.Push(x)
					if err != nil && !errors.Is(err, ErrFull) {
						t.Error(err)
					}
					return err == nil
				}, mpscPop(q))
				checkHistory(t, m, ops)
			}
		})
	}
}

// TestLinearizabilityCheckerCatchesBugs: the model rejects a queue that
// reorders (a LIFO), so the checks above can fail.
func TestLinearizabilityCheckerCatchesBugs(t *testing.T) {
	// a LIFO answer: push 1, push 2, pop -> 2, sequentially
	seq := func(steps ...porcupine.Operation) []porcupine.Operation {
		for i := range steps {
			steps[i].Call, steps[i].Return = int64(2*i), int64(2*i+1)
		}
		return steps
	}
	lifo := seq(
		porcupine.Operation{Input: fifoIn{push: true, val: 1}, Output: fifoOut{ok: true}},
		porcupine.Operation{Input: fifoIn{push: true, val: 2}, Output: fifoOut{ok: true}},
		porcupine.Operation{Input: fifoIn{}, Output: fifoOut{ok: true, val: 2}},
	)
	if porcupine.CheckOperations(fifoModel(0, false), lifo) {
		t.Fatal("a LIFO answer passed the FIFO model")
	}
	// a strict bounded queue that accepts past its capacity
	q := mustMPSC[int](t, WithCapacity(2))
	var ops []porcupine.Operation
	for i := 0; i < 3; i++ {
		ops = append(ops, porcupine.Operation{Input: fifoIn{push: true, val: i}, Output: fifoOut{ok: q.Push(i) == nil}})
	}
	if porcupine.CheckOperations(fifoModel(1, true), seq(ops...)) {
		t.Fatal("accepted pushes past a strict capacity-1 model")
	}
	// an empty answer while an element is queued
	bad := seq(
		porcupine.Operation{Input: fifoIn{push: true, val: 1}, Output: fifoOut{ok: true}},
		porcupine.Operation{Input: fifoIn{}, Output: fifoOut{ok: false}},
	)
	if porcupine.CheckOperations(fifoModel(0, false), bad) {
		t.Fatal("an empty pop over a queued element passed")
	}
}

func TestSPSCLinearizable(t *testing.T) {
	histories := 30
	if testing.Short() {
		histories = 8
	}
	for _, capacity := range []int{1, 4, 64} {
		t.Run(fmt.Sprintf("cap=%d", capacity), func(t *testing.T) {
			m := fifoModel(capacity, true)
			for h := 0; h < histories; h++ {
				q, err := NewSPSC[int](capacity)
				if err != nil {
					t.Fatal(err)
				}
				ops := history(1, 150, 150, func(x int) bool { return q.Push(x) == nil }, q.Pop)
				checkHistory(t, m, ops)
			}
		})
	}
}
