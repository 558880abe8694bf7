package sched

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/ringloop/ringloop/future"
)

// TestTaskStress runs many tasks on all engines at once, each through a random mix
// of suspension points (futures completed on the loop, from other goroutines, or
// never; Sleep(0) and timers; child tasks; WaitFor timeouts) while random Cancel
// and Uncancel calls land on them. Every task must end, exactly once, in a state
// consistent with what its body returned; nothing may be left pending or running.
func TestTaskStress(t *testing.T) {
	tasks, steps := 300, 12
	if testing.Short() {
		tasks = 80
	}
	l, _ := taskLoop(t)
	rng := rand.New(rand.NewSource(7))
	type outcome struct {
		done      int // body returns
		returned  error
		swallowed int // cancellations the body caught and went on from
		completed int
	}
	outs := make([]outcome, tasks)
	all := make([]*Task[int], tasks)
	for i := range all {
		i := i
		seed := rng.Int63()
		coro := CoroVariants()[i%len(CoroVariants())]
		all[i] = mustTask(t, l, coro, func(c *Coro) (int, error) {
			r := rand.New(rand.NewSource(seed))
			n := 0
			defer func() { outs[i].done++ }()
			for s := 0; s < steps; s++ {
				var err error
				switch r.Intn(6) {
				case 0: // completed by a loop callback
					f := CreateFuture[int](l)
					_ = l.Post(func() { _ = f.SetResult(1) })
					_, err = Await(c, f)
				case 1: // completed by another goroutine
					f := CreateFuture[int](l)
					go func() { _ = f.SetResult(1) }()
					_, err = Await(c, f)
				case 2:
					err = c.Sleep(0)
				case 3:
					err = c.Sleep(time.Duration(r.Intn(300)) * time.Microsecond)
				case 4: // a child task
					child, cerr := CreateTask(l, func(c2 *Coro) (int, error) { return 1, c2.Sleep(0) }, WithCoro(coro))
					if cerr != nil {
						return n, cerr
					}
					_, err = Await(c, child)
				case 5: // a timeout on a future nobody completes
					_, err = WaitFor[int](c, CreateFuture[int](l), 100*time.Microsecond)
					if errors.Is(err, ErrTimeout) {
						err = nil
					}
				}
				if err != nil {
					if errors.Is(err, future.ErrCancelled) && r.Intn(3) == 0 && c.Task().Uncancel() == 0 {
						outs[i].swallowed++
						continue // swallow it and go on
					}
					outs[i].returned = err
					return n, err
				}
				n++
			}
			return n, nil
		})
		all[i].AddDoneCallback(func(*future.Future[int]) { outs[i].completed++ })
	}
	// Random cancels while they run.
	for k := 0; k < tasks; k++ {
		victim := all[rng.Intn(tasks)]
		msg := fmt.Sprint("c", k)
		_, _ = l.CallLater(time.Duration(rng.Intn(3000))*time.Microsecond, func() { victim.Cancel(msg) })
	}
	aws := make([]AwaitableOf[int], tasks)
	for i, task := range all {
		aws[i] = task
	}
	g := Gather(l, aws, ReturnErrors())
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			panic("TestTaskStress: tasks did not finish in 30s")
		}
	}()
	runUntil(t, l, g)
	close(done)
	runUntil(t, l, mustTask(t, l, CoroPull, sleeper(0, 0))) // let done-callbacks run
	cancelled := 0
	for i, task := range all {
		o := outs[i]
		if !task.Done() || o.completed != 1 {
			t.Fatalf("task %d: done=%v, done-callbacks run %d times", i, task.Done(), o.completed)
		}
		v, err := task.Result()
		switch {
		case task.Cancelled():
			cancelled++
			if !errors.Is(err, future.ErrCancelled) {
				t.Fatalf("task %d cancelled with %v", i, err)
			}
			if o.done == 1 && o.returned == nil {
				// Only a cancel that arrived after the last suspension point
				// cancels a body that returned normally.
				continue
			}
		case err != nil:
			if o.done != 1 || !errors.Is(err, o.returned) {
				t.Fatalf("task %d failed with %v, body returned %v", i, err, o.returned)
			}
		default:
			if o.done != 1 || v != steps-o.swallowed {
				t.Fatalf("task %d: result %d after %d body returns, want %d", i, v, o.done, steps-o.swallowed)
			}
		}
	}
	if len(AllTasks(l)) != 0 {
		t.Fatalf("%d tasks still pending", len(AllTasks(l)))
	}
	if cancelled == 0 || cancelled == tasks {
		t.Fatalf("%d of %d cancelled: the mix did not exercise both outcomes", cancelled, tasks)
	}
	t.Logf("%d tasks, %d cancelled", tasks, cancelled)
}
