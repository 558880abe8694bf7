package future

import (
	"slices"
	"testing"
)

// FuzzCallbackList drives one future's loop-owned list with a byte string of
// operations — add (4 func(*Future) values and 4 func() values, repeats allowed),
// remove by identity, unregister, complete, an unrelated Post, run the loop
// once — and checks it
// against asyncio's model: a list while pending, remove drops every registration
// of the value and returns the count (0 once done), completion hands the list to
// the loop in order, an add after completion is call_soon (after everything
// posted before it), and the loop runs everything FIFO. Every
// registration runs exactly once, in model order, never synchronously.
//
//	go test -run '^$' -fuzz FuzzCallbackList -fuzztime 30s ./future
func FuzzCallbackList(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 0x80})
	f.Add([]byte{0, 0, 0, 0x10, 1, 0x80, 2})
	f.Add([]byte{0, 4, 0, 4, 0, 4, 0, 4, 0x14, 0x40, 0x80, 0xc0, 3, 0xc0})
	f.Add([]byte{0, 1, 2, 3, 0, 1, 2, 3, 0, 0x11, 0x12, 0x80, 0xc0, 0x10})
	f.Add([]byte{0, 0x80, 0x40, 1, 0x40, 5, 0xc0, 2})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 200 {
			ops = ops[:200]
		}
		l := NewTestLoop()
		fut := New[int](l)
		var ran []int
		full := make([]func(*Future[int]), 4)
		bare := make([]func(), 4)
		for i := range full {
			full[i] = func(*Future[int]) { ran = append(ran, i) }
			bare[i] = func() { ran = append(ran, 4+i) }
		}
		var model []int // pending: the list; done: nil
		var sched []int // what must run, in order (scheduled at completion or add-after-done)
		done := false
		marker := 100
		for _, op := range ops {
			id := int(op & 7)
			switch op >> 4 {
			case 0: // add
				before := len(ran)
				if id < 4 {
					fut.AddDoneCallback(full[id])
				} else {
					fut.OnDone(bare[id-4])
				}
				if len(ran) != before {
					t.Fatal("a callback ran synchronously inside add")
				}
				if done {
					sched = append(sched, id)
				} else {
					model = append(model, id)
				}
			case 1, 2: // remove by identity / by a Registration of the same value
				want := 0
				if !done {
					want = len(model)
					model = slices.DeleteFunc(model, func(x int) bool { return x == id })
					want -= len(model)
				}
				var got int
				switch {
				case op>>4 == 2 && id < 4:
					got = fut.Unregister(Registration{p: funcPtr(full[id])})
				case id < 4:
					got = fut.RemoveDoneCallback(full[id])
				default:
					got = fut.RemoveOnDone(bare[id-4])
				}
				if got != want {
					t.Fatalf("remove %d returned %d, want %d (ops %x)", id, got, want, ops)
				}
			case 8: // complete (first one wins)
				before := len(ran)
				err := fut.SetResult(1)
				if done != (err != nil) {
					t.Fatalf("SetResult error %v with done=%v", err, done)
				}
				if len(ran) != before {
					t.Fatal("a callback ran synchronously inside SetResult")
				}
				if !done {
					sched = append(sched, model...)
					model = nil
					done = true
				}
			case 4: // an unrelated call_soon: everything is FIFO on the loop
				m := marker
				marker++
				_ = l.Post(func() { ran = append(ran, m) })
				sched = append(sched, m)
			case 12: // one loop iteration
				l.RunOnce()
			}
		}
		if !done {
			_ = fut.SetResult(1)
			sched = append(sched, model...)
		}
		l.RunUntilIdle()
		if !slices.Equal(ran, sched) {
			t.Fatalf("ran %v, want %v (ops %x)", ran, sched, ops)
		}
	})
}
