package future

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// Porcupine check of the state machine: short concurrent histories of SetResult,
// SetException, Cancel, Result and Done from 4 goroutines on one future must be
// linearizable against asyncio's sequential Future (pending -> finished |
// cancelled, first completer wins, reads see the winner).

type linState struct {
	kind int // 0 pending, 1 result, 2 exception, 3 cancelled
	val  int // the result, exception id, or cancel id
}

type linIn struct {
	op  string // "set", "exc", "cancel", "result", "done"
	arg int
}

type linOut struct {
	ok   bool // set/exc: nil error; cancel: true; done: Done()
	kind int  // result: what Result reported (0 pending, 1 value, 2 exception, 3 cancelled)
	val  int
}

var linModel = porcupine.Model{
	Init: func() any { return linState{} },
	Step: func(st, in, out any) (bool, any) {
		s, i, o := st.(linState), in.(linIn), out.(linOut)
		switch i.op {
		case "set", "exc", "cancel":
			if s.kind != 0 {
				return !o.ok, s
			}
			if !o.ok {
				return false, s
			}
			k := map[string]int{"set": 1, "exc": 2, "cancel": 3}[i.op]
			return true, linState{kind: k, val: i.arg}
		case "result":
			return o.kind == s.kind && (s.kind == 0 || o.val == s.val), s
		case "done":
			return o.ok == (s.kind != 0), s
		}
		return false, s
	},
	DescribeOperation: func(in, out any) string { return fmt.Sprintf("%v -> %v", in, out) },
}

type excID int

func (e excID) Error() string { return fmt.Sprintf("exc%d", int(e)) }

func TestLinearizable(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	l := NewTestLoop()
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	for r := 0; r < rounds; r++ {
		f := New[int](l)
		var mu sync.Mutex
		var ops []porcupine.Operation
		var wg sync.WaitGroup
		for c := 0; c < 4; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < 4; k++ {
					id := c*10 + k + 1
					in := linIn{arg: id}
					call := now()
					var out linOut
					switch (c + k + r) % 5 {
					case 0:
						in.op = "set"
						out.ok = f.SetResult(id) == nil
					case 1:
						in.op = "exc"
						out.ok = f.SetException(excID(id)) == nil
					case 2:
						in.op = "cancel"
						out.ok = f.Cancel(fmt.Sprint(id))
					case 3:
						in.op = "result"
						v, err := f.Result()
						var ce *CancelledError
						var ex excID
						switch {
						case err == nil:
							out.kind, out.val = 1, v
						case errors.Is(err, ErrInvalidState):
							out.kind = 0
						case errors.As(err, &ce):
							out.kind = 3
							fmt.Sscan(ce.Msg, &out.val)
						case errors.As(err, &ex):
							out.kind, out.val = 2, int(ex)
						}
					case 4:
						in.op = "done"
						out.ok = f.Done()
					}
					ret := now()
					mu.Lock()
					ops = append(ops, porcupine.Operation{ClientId: c, Input: in, Call: call, Output: out, Return: ret})
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if res := porcupine.CheckOperations(linModel, ops); !res {
			t.Fatalf("round %d: history not linearizable: %v", r, ops)
		}
	}
	l.RunUntilIdle()
}
