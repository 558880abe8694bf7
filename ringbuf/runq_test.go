package ringbuf

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// Starts used by the tests: zero, and a few steps before the uint32 indices wrap.
var runqStarts = []uint32{0, math.MaxUint32 - 5, math.MaxUint32 - 100}

func mustRunQ(tb testing.TB, capacity int, start uint32) *RunQ[int] {
	tb.Helper()
	q, err := newRunQAt[int](capacity, start)
	if err != nil {
		tb.Fatal(err)
	}
	return q
}

func TestRunQCapacityErrors(t *testing.T) {
	for _, c := range []int{-1, 0, 1, 3, 100, 1 << 17} {
		if _, err := NewRunQ[int](c); err == nil {
			t.Errorf("NewRunQ(%d) accepted", c)
		} else if !contains(err.Error(), fmt.Sprint(c)) || !contains(err.Error(), "[2, 65536]") {
			t.Errorf("NewRunQ(%d): %v: want the value and the range", c, err)
		}
	}
	for _, c := range []int{2, 256, 1 << 16} {
		q, err := NewRunQ[int](c)
		if err != nil || q.Cap() != c {
			t.Errorf("NewRunQ(%d) = %v, %v", c, q, err)
		}
	}
}

// checkZeroOutside: I3, every slot outside [steal, tail) holds the zero value.
func checkZeroOutside(t *testing.T, q *RunQ[int]) {
	t.Helper()
	steal, _ := unpack(q.head.Load())
	n := q.otail - steal
	for i := uint32(0); i <= q.mask; i++ {
		if (i-steal)&q.mask < n {
			continue
		}
		if q.buf[i] != 0 {
			t.Fatalf("slot %d holds %d outside [steal=%d, tail=%d)", i, q.buf[i], steal, q.otail)
		}
	}
}

func TestRunQSequential(t *testing.T) {
	for _, start := range runqStarts {
		for _, c := range []int{2, 8, 64} {
			t.Run(fmt.Sprintf("cap=%d/start=%d", c, start), func(t *testing.T) {
				q := mustRunQ(t, c, start)
				next, want := 1, 1 // values pushed / expected next out
				for round := 0; round < 5; round++ {
					for q.Push(next) {
						next++
					}
					if q.Len() != c {
						t.Fatalf("full queue Len %d, want %d", q.Len(), c)
					}
					spill := q.PushOverflow(next, nil)
					next++
					if len(spill) != c/2+1 {
						t.Fatalf("overflow spilled %d, want %d", len(spill), c/2+1)
					}
					for _, v := range spill[:c/2] {
						if v != want {
							t.Fatalf("spilled %d, want %d", v, want)
						}
						want++
					}
					if spill[c/2] != next-1 {
						t.Fatalf("spill ends with %d, want the pushed %d", spill[c/2], next-1)
					}
					checkZeroOutside(t, q)
					for k := 0; k < c/4+1; k++ {
						v, ok := q.Pop()
						if !ok || v != want {
							t.Fatalf("Pop = %d,%v want %d", v, ok, want)
						}
						want++
					}
					checkZeroOutside(t, q)
					// Drain the rest, so the next round starts empty and the
					// spilled value (next-1) is not expected from the queue.
					for {
						v, ok := q.Pop()
						if !ok {
							break
						}
						if v != want {
							t.Fatalf("Pop = %d want %d", v, want)
						}
						want++
					}
					want = next
					checkZeroOutside(t, q)
				}
			})
		}
	}
}

func TestRunQStealHalfSequential(t *testing.T) {
	for _, start := range runqStarts {
		t.Run(fmt.Sprintf("start=%d", start), func(t *testing.T) {
			q := mustRunQ(t, 16, start)
			dst := mustRunQ(t, 16, start+7)
			if _, ok := q.StealHalf(dst); ok {
				t.Fatal("stole from an empty queue")
			}
			for i := 1; i <= 7; i++ {
				q.Push(i)
			}
			v, ok := q.StealHalf(dst) // takes 4 (1..4), returns the last
			if !ok || v != 4 || dst.Len() != 3 || q.Len() != 3 {
				t.Fatalf("StealHalf = %d,%v; dst.Len %d q.Len %d; want 4, 3, 3", v, ok, dst.Len(), q.Len())
			}
			for want := 1; want <= 3; want++ {
				if v, ok := dst.Pop(); !ok || v != want {
					t.Fatalf("dst.Pop = %d,%v want %d", v, ok, want)
				}
			}
			for want := 5; want <= 7; want++ {
				if v, ok := q.Pop(); !ok || v != want {
					t.Fatalf("q.Pop = %d,%v want %d", v, ok, want)
				}
			}
			checkZeroOutside(t, q)
			checkZeroOutside(t, dst)
			// A dst more than half full refuses to steal.
			for i := 0; i < 9; i++ {
				dst.Push(100 + i)
				q.Push(200 + i)
			}
			if _, ok := q.StealHalf(dst); ok {
				t.Fatal("stole into a dst more than half full")
			}
			// One element: taken and returned, nothing published in dst.
			for dst.Len() > 0 {
				dst.Pop()
			}
			for q.Len() > 1 {
				q.Pop()
			}
			if v, ok := q.StealHalf(dst); !ok || v != 208 || dst.Len() != 0 || q.Len() != 0 {
				t.Fatalf("single steal = %d,%v dst %d q %d", v, ok, dst.Len(), q.Len())
			}
			// A steal in progress (steal != real) makes other thieves and
			// PushOverflow give up, and keeps the owner off the claimed slots.
			for i := 0; i < 16; i++ {
				q.Push(300 + i)
			}
			_, real := unpack(q.head.Load())
			q.head.Store(pack(real, real+2)) // a thief claimed two
			if _, ok := q.StealHalf(dst); ok {
				t.Fatal("a second thief stole during a steal")
			}
			if q.Push(999) {
				t.Fatal("Push overwrote a claimed slot")
			}
			if spill := q.PushOverflow(999, nil); !slices.Equal(spill, []int{999}) {
				t.Fatalf("PushOverflow during a steal spilled %v, want [999] alone", spill)
			}
		})
	}
}

func TestRunQZeroAllocs(t *testing.T) {
	q, _ := NewRunQ[func()](256)
	dst, _ := NewRunQ[func()](256)
	fn := func() {}
	spill := make([]func(), 0, 256)
	if n := testing.AllocsPerRun(100, func() {
		for i := 0; i < 300; i++ {
			if !q.Push(fn) {
				spill = q.PushOverflow(fn, spill[:0])
			}
		}
		q.StealHalf(dst)
		spill = q.PopN(spill[:0], 8)
		for {
			if _, ok := q.Pop(); !ok {
				break
			}
		}
		for {
			if _, ok := dst.Pop(); !ok {
				break
			}
		}
	}); n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}

// stressRunQ: one owner pushes 1..n (spilling on overflow, popping now and
// then), thieves steal and run what they stole. Every value must come out
// exactly once, and each consumer (the owner, each thief, the spill) must see
// its values in increasing order: a steal takes the oldest elements.
func stressRunQ(t *testing.T, thieves, n, capacity int, start uint32) {
	q := mustRunQ(t, capacity, start)
	var done atomic.Bool
	outs := make([][]int, thieves+3) // [0] owner pops, [1] spilled halves, [2] spilled pushes, [3:] thieves
	var wg sync.WaitGroup
	for k := 0; k < thieves; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			dst := mustRunQ(t, capacity, start+uint32(k)*3)
			var got []int
			for {
				finished := done.Load()
				v, ok := q.StealHalf(dst)
				if ok {
					for {
						w, ok := dst.Pop()
						if !ok {
							break
						}
						got = append(got, w)
					}
					got = append(got, v)
				} else if finished {
					break
				} else {
					runtime.Gosched()
				}
			}
			outs[3+k] = got
		}(k)
	}
	var own, spill, spillV []int
	buf := make([]int, 0, capacity)
	for v := 1; v <= n; v++ {
		if !q.Push(v) {
			buf = q.PushOverflow(v, buf[:0])
			if len(buf) > 0 && buf[len(buf)-1] == v {
				spillV = append(spillV, v)
				buf = buf[:len(buf)-1]
			}
			spill = append(spill, buf...)
		}
		if v%7 == 0 {
			if w, ok := q.Pop(); ok {
				own = append(own, w)
			}
		}
		if v%11 == 0 {
			own = q.PopN(own, 3)
		}
	}
	for {
		w, ok := q.Pop()
		if !ok {
			break
		}
		own = append(own, w)
	}
	done.Store(true)
	wg.Wait()
	outs[0], outs[1], outs[2] = own, spill, spillV

	seen := make([]int, n+1)
	for who, o := range outs {
		for i, v := range o {
			if v < 1 || v > n {
				t.Fatalf("consumer %d got %d, never pushed", who, v)
			}
			seen[v]++
			if i > 0 && o[i-1] >= v {
				t.Fatalf("consumer %d saw %d after %d: reordered", who, v, o[i-1])
			}
		}
	}
	for v := 1; v <= n; v++ {
		if seen[v] != 1 {
			t.Fatalf("value %d came out %d times (lost or duplicated)", v, seen[v])
		}
	}
	if q.Len() != 0 {
		t.Fatalf("Len %d after draining", q.Len())
	}
}

func TestRunQStress(t *testing.T) {
	n := stressN()
	for _, thieves := range []int{1, 2, 4, 8} {
		for _, start := range runqStarts[:2] {
			for _, c := range []int{4, 256} {
				t.Run(fmt.Sprintf("thieves=%d/cap=%d/start=%d", thieves, c, start), func(t *testing.T) {
					stressRunQ(t, thieves, n, c, start)
				})
			}
		}
	}
}

// Porcupine: the owner pushes and pops, thieves steal. A steal's output is the
// batch it took, in order (the returned element last). The model accepts a
// steal of a non-empty prefix of the queue no longer than half of it, rounded
// up (the thief reads tail after head, so it may see fewer than are queued at
// its claim); a failed push in any state (a thief preempted between its claim
// and its release holds the slots from its claim on, including those the owner
// popped meanwhile, so the queue can refuse pushes while nearly empty, as
// Tokio's does; TestRunQSequential checks that Push fills exactly the
// capacity when no steal is in progress); an empty steal only on an empty queue when there is one
// thief (with several, a thief gives up while another is mid-steal).

type runqIn struct {
	op  byte // 'u' push, 'o' pop, 's' steal
	val int
}

type runqOut struct {
	ok    bool
	val   int
	batch string // steal: the batch, fmt'ed
}

func runqModel(oneThief bool) porcupine.Model {
	return porcupine.Model{
		Init: func() interface{} { return []int{} },
		Step: func(state, input, output interface{}) (bool, interface{}) {
			s := state.([]int)
			in, out := input.(runqIn), output.(runqOut)
			switch in.op {
			case 'u':
				if !out.ok { // full: a thief preempted mid-steal keeps its claim while the owner pops on, see below
					return true, s
				}
				return len(s) < runqHistCap, append(slices.Clip(s), in.val)
			case 'o':
				if !out.ok {
					return len(s) == 0, s
				}
				return len(s) > 0 && s[0] == out.val, s[min(1, len(s)):]
			}
			if !out.ok {
				return len(s) == 0 || !oneThief, s
			}
			for k := 1; k <= (len(s)+1)/2; k++ {
				if fmt.Sprint(s[:k]) == out.batch {
					return true, s[k:]
				}
			}
			return false, s
		},
		Equal: func(a, b interface{}) bool { return slices.Equal(a.([]int), b.([]int)) },
		DescribeOperation: func(input, output interface{}) string {
			in, out := input.(runqIn), output.(runqOut)
			return fmt.Sprintf("%c(%d) -> %v %d %s", in.op, in.val, out.ok, out.val, out.batch)
		},
	}
}

const runqHistCap = 8

func runqHistory(t *testing.T, thieves int, start uint32) []porcupine.Operation {
	q := mustRunQ(t, runqHistCap, start)
	var clock atomic.Int64
	var mu sync.Mutex
	var ops []porcupine.Operation
	rec := func(client int, in runqIn, f func() runqOut) {
		call := clock.Add(1)
		out := f()
		ret := clock.Add(1)
		mu.Lock()
		ops = append(ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
		mu.Unlock()
	}
	var wg sync.WaitGroup
	startc := make(chan struct{})
	for k := 0; k < thieves; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			dst := mustRunQ(t, 8, start)
			<-startc
			for i := 0; i < 12; i++ {
				rec(k+1, runqIn{op: 's'}, func() runqOut {
					v, ok := q.StealHalf(dst)
					if !ok {
						return runqOut{}
					}
					var b []int
					for {
						w, ok := dst.Pop()
						if !ok {
							break
						}
						b = append(b, w)
					}
					return runqOut{ok: true, batch: fmt.Sprint(append(b, v))}
				})
				runtime.Gosched()
			}
		}(k)
	}
	close(startc)
	for i := 1; i <= 40; i++ {
		if i%3 == 0 {
			rec(0, runqIn{op: 'o'}, func() runqOut { v, ok := q.Pop(); return runqOut{ok: ok, val: v} })
		} else {
			rec(0, runqIn{op: 'u', val: i}, func() runqOut { return runqOut{ok: q.Push(i)} })
		}
		if i%4 == 0 {
			runtime.Gosched()
		}
	}
	wg.Wait()
	return ops
}

func TestRunQLinearizable(t *testing.T) {
	histories := 30
	if testing.Short() {
		histories = 8
	}
	for _, thieves := range []int{1, 2} {
		t.Run(fmt.Sprintf("thieves=%d", thieves), func(t *testing.T) {
			m := runqModel(thieves == 1)
			for h := 0; h < histories; h++ {
				ops := runqHistory(t, thieves, runqStarts[h%len(runqStarts)])
				res := porcupine.CheckOperationsTimeout(m, ops, 10*time.Second)
				if res == porcupine.Illegal {
					sort.Slice(ops, func(i, j int) bool { return ops[i].Call < ops[j].Call })
					for _, o := range ops {
						t.Logf("c%d [%d,%d] %s", o.ClientId, o.Call, o.Return, m.DescribeOperation(o.Input, o.Output))
					}
					t.Fatalf("history of %d operations is not linearizable", len(ops))
				}
			}
		})
	}
}

// TestRunQModelCatchesBugs: the model rejects a steal from the back, and a
// steal of more than half.
func TestRunQModelCatchesBugs(t *testing.T) {
	seq := func(steps ...porcupine.Operation) []porcupine.Operation {
		for i := range steps {
			steps[i].Call, steps[i].Return = int64(2*i), int64(2*i+1)
		}
		return steps
	}
	push := func(v int) porcupine.Operation {
		return porcupine.Operation{Input: runqIn{op: 'u', val: v}, Output: runqOut{ok: true}}
	}
	steal := func(b string) porcupine.Operation {
		return porcupine.Operation{Input: runqIn{op: 's'}, Output: runqOut{ok: true, batch: b}}
	}
	m := runqModel(true)
	if !porcupine.CheckOperations(m, seq(push(1), push(2), push(3), steal("[1 2]"))) {
		t.Fatal("the model rejects a correct steal")
	}
	if porcupine.CheckOperations(m, seq(push(1), push(2), push(3), steal("[3]"))) {
		t.Fatal("a steal from the back passed")
	}
	if porcupine.CheckOperations(m, seq(push(1), push(2), push(3), steal("[1 2 3]"))) {
		t.Fatal("a steal of everything passed")
	}
}

// FuzzRunQ drives an owner queue and a thief's queue with a byte-coded
// sequence of Push/PushOverflow/Pop/StealHalf and checks them against a model
// (two slices and the spill), including every index near the uint32 wrap.
func FuzzRunQ(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 2, 3, 0, 0, 2}, uint32(0))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 2, 2, 1, 1}, uint32(1<<32-3))
	f.Fuzz(func(t *testing.T, ops []byte, start uint32) {
		q, err := newRunQAt[int](8, start)
		if err != nil {
			t.Fatal(err)
		}
		dst, _ := newRunQAt[int](8, start^0x55)
		var mq, md []int // models
		next := 1
		for _, op := range ops {
			switch op % 5 {
			case 4:
				k := int(op/5)%4 + 1
				got := q.PopN(nil, k)
				want := mq[:min(k, len(mq))]
				if !slices.Equal(got, want) {
					t.Fatalf("PopN(%d) = %v want %v", k, got, want)
				}
				mq = mq[len(want):]
			case 0: // push, overflow on full
				if q.Push(next) {
					mq = append(mq, next)
				} else {
					spill := q.PushOverflow(next, nil)
					want := append(append([]int(nil), mq[:4]...), next)
					if !slices.Equal(spill, want) {
						t.Fatalf("spill %v want %v", spill, want)
					}
					mq = mq[4:]
				}
				next++
			case 1:
				v, ok := q.Pop()
				if ok != (len(mq) > 0) || ok && v != mq[0] {
					t.Fatalf("Pop = %d,%v model %v", v, ok, mq)
				}
				if ok {
					mq = mq[1:]
				}
			case 2:
				v, ok := dst.Pop()
				if ok != (len(md) > 0) || ok && v != md[0] {
					t.Fatalf("dst.Pop = %d,%v model %v", v, ok, md)
				}
				if ok {
					md = md[1:]
				}
			case 3:
				v, ok := q.StealHalf(dst)
				n := len(mq) - len(mq)/2
				if len(md) > 3 || n == 0 {
					if ok {
						t.Fatalf("StealHalf took %d with q %v dst %v", v, mq, md)
					}
					continue
				}
				if !ok || v != mq[n-1] {
					t.Fatalf("StealHalf = %d,%v want %d (q %v)", v, ok, mq[n-1], mq)
				}
				md = append(md, mq[:n-1]...)
				mq = mq[n:]
			}
			if q.Len() != len(mq) || dst.Len() != len(md) {
				t.Fatalf("Len %d/%d, model %d/%d", q.Len(), dst.Len(), len(mq), len(md))
			}
		}
	})
}
