package future

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCompletionRace: 8 goroutines race to complete or cancel each of 10,000
// futures (every goroutine tries every future, in the same order, from a common
// start). Exactly one completer wins each future, the losers get ErrInvalidState
// (Cancel: false), the final state is the winner's, and each future's callbacks
// run exactly once, in order, on the loop goroutine — which runs concurrently
// with the completers.
func TestCompletionRace(t *testing.T) {
	const (
		futures    = 10_000
		goroutines = 8
	)
	l := NewTestLoop()
	futs := make([]*Future[int], futures)
	ran := make([]int32, futures) // loop-only: callbacks run per future, in order check below
	order := make([]int32, futures)
	for i := range futs {
		f := New[int](l)
		k := 1 + i%4 // 1..4 callbacks: inline and overflow
		for j := 0; j < k; j++ {
			f.AddDoneCallback(func(f *Future[int]) {
				if !l.InLoop() {
					panic("callback off the loop goroutine")
				}
				if order[i] != int32(j) {
					panic(fmt.Sprintf("future %d: callback %d ran at position %d", i, j, order[i]))
				}
				order[i]++
				ran[i]++
			})
		}
		futs[i] = f
	}
	wins := make([]atomic.Int32, futures)
	winner := make([]atomic.Int32, futures) // the winning goroutine's op code
	var start, wg sync.WaitGroup
	start.Add(1)
	var bad atomic.Value
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			for i, f := range futs {
				op := (g + i) % 3
				var won bool
				switch op {
				case 0:
					err := f.SetResult(g)
					won = err == nil
					if err != nil && !errors.Is(err, ErrInvalidState) {
						bad.Store(err)
					}
				case 1:
					err := f.SetException(fmt.Errorf("g%d", g))
					won = err == nil
					if err != nil && !errors.Is(err, ErrInvalidState) {
						bad.Store(err)
					}
				case 2:
					won = f.Cancel(fmt.Sprint(g))
				}
				if won {
					wins[i].Add(1)
					winner[i].Store(int32(op<<8 | g))
				} else if !f.Done() {
					bad.Store(fmt.Errorf("future %d: a loser sees Done() == false", i))
				}
			}
		}()
	}
	start.Done()
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	total := 0
	for i := range futs {
		total += 1 + i%4
	}
	count := func() int {
		n := 0
		for _, r := range ran {
			n += int(r)
		}
		return n
	}
	if err := l.RunUntil(ctx, func() bool { return count() == total }); err != nil {
		t.Fatalf("callbacks ran %d of %d: %v", count(), total, err)
	}
	<-allDone
	l.RunUntilIdle()
	if v := bad.Load(); v != nil {
		t.Fatal(v)
	}
	for i, f := range futs {
		if w := wins[i].Load(); w != 1 {
			t.Fatalf("future %d: %d winners, want 1", i, w)
		}
		if ran[i] != int32(1+i%4) {
			t.Fatalf("future %d: %d callback runs, want %d", i, ran[i], 1+i%4)
		}
		w := winner[i].Load()
		op, g := w>>8, int(w&0xff)
		switch op {
		case 0:
			if v, err := f.Result(); v != g || err != nil {
				t.Fatalf("future %d: SetResult(%d) won but Result = %d, %v", i, g, v, err)
			}
		case 1:
			if err := f.Exception(); err == nil || err.Error() != fmt.Sprintf("g%d", g) {
				t.Fatalf("future %d: SetException(g%d) won but Exception = %v", i, g, err)
			}
		case 2:
			var ce *CancelledError
			if !f.Cancelled() || !errors.As(f.Err(), &ce) || ce.Msg != fmt.Sprint(g) {
				t.Fatalf("future %d: Cancel(%d) won but Err = %v", i, g, f.Err())
			}
		}
	}
}

// TestAddRacesOffLoopCompletion: the loop goroutine adds callbacks while another
// goroutine completes the same future. Every callback runs exactly once, in
// registration order, whichever side gets there first.
func TestAddRacesOffLoopCompletion(t *testing.T) {
	iters := 10_000
	if testing.Short() {
		iters = 2_000
	}
	l := NewTestLoop()
	work := make(chan *Future[int])
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case f := <-work:
				if err := f.SetResult(1); err != nil {
					panic(err)
				}
			case <-quit:
				return
			}
		}
	}()
	defer func() { close(quit); wg.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sawBefore, sawAfter := 0, 0
	for it := 0; it < iters; it++ {
		f := New[int](l)
		const k = 4
		var got []int
		f.AddDoneCallback(func(*Future[int]) { got = append(got, 0) })
		work <- f // the completer may now finish f at any moment
		for j := 1; j < k; j++ {
			if it%3 == j%3 {
				runtime.Gosched()
			}
			if it%5 == 0 && j == 2 {
				l.RunOnce() // sometimes let the dispatch run between adds
			}
			f.AddDoneCallback(func(*Future[int]) { got = append(got, j) })
		}
		if f.Done() {
			sawAfter++
		} else {
			sawBefore++
		}
		if err := l.RunUntil(ctx, func() bool { return len(got) >= k }); err != nil {
			t.Fatalf("iteration %d: callbacks %v: %v", it, got, err)
		}
		l.RunUntilIdle()
		for j := 0; j < k; j++ {
			if len(got) != k || got[j] != j {
				t.Fatalf("iteration %d: callbacks ran %v, want [0 1 2 3] exactly once", it, got)
			}
		}
	}
	t.Logf("completion before the last add: %d, after: %d", sawAfter, sawBefore)
}

// TestWaiterRace: Wait from many goroutines while another goroutine completes;
// nobody hangs (the Dekker handshake between doneChan and publish).
func TestWaiterRace(t *testing.T) {
	iters := 2_000
	if testing.Short() {
		iters = 500
	}
	l := NewTestLoop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for it := 0; it < iters; it++ {
		f := New[int](l)
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		for w := 0; w < 3; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := f.Wait(ctx)
				if err != nil || v != it {
					errs <- fmt.Errorf("iteration %d: Wait = %d, %v", it, v, err)
				}
			}()
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = f.SetResult(it) }()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	l.RunUntilIdle()
}
