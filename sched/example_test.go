package sched_test

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ringloop/ringloop/sched"
)

// A loop fed from other goroutines: each producer submits callbacks with
// CallSoonThreadsafe, and every callback runs on the loop goroutine, one at a
// time, so the loop's own state (sum) needs no lock.
func ExampleLoop_CallSoonThreadsafe() {
	loop, err := sched.New() // the default inbox ("mpsc") and wakeup ("chan-yield")
	if err != nil {
		panic(err)
	}
	defer loop.Close()

	sum := 0 // only the loop goroutine touches it
	var producers sync.WaitGroup
	for p := 1; p <= 4; p++ {
		producers.Add(1)
		go func() {
			defer producers.Done()
			for i := 0; i < 1000; i++ {
				if _, err := loop.CallSoonThreadsafe(func() { sum += p }); err != nil {
					panic(err)
				}
			}
		}()
	}
	go func() {
		producers.Wait()
		// Every push that returned before this one is queued ahead of it,
		// so Stop runs after all 4000 callbacks.
		loop.CallSoonThreadsafe(loop.Stop)
	}()

	if err := loop.RunForever(); err != nil { // this goroutine becomes the loop
		panic(err)
	}
	fmt.Println(sum)
	// Output: 10000
}

// A Future completed by a plain goroutine and awaited by a Task: the task is
// suspended (its loop keeps running other work) until the result arrives.
func ExampleAwait() {
	v, err := sched.Run(func(c *sched.Coro) (string, error) {
		f := sched.CreateFuture[string](c.Loop())
		go func() {
			time.Sleep(time.Millisecond) // some blocking work off the loop
			_ = f.SetResult("done")      // safe from any goroutine
		}()
		return sched.Await(c, f) // suspends this task, not the loop
	})
	fmt.Println(v, err)
	// Output: done <nil>
}

// asyncio.gather and asyncio.wait_for under asyncio.run: three child tasks run
// concurrently on one loop, Gather collects their results in order, and
// WaitFor gives up on a task that takes too long (and cancels it).
func ExampleGather() {
	total, err := sched.Run(func(c *sched.Coro) (int, error) {
		loop := c.Loop()
		square := func(n int) func(*sched.Coro) (int, error) {
			return func(c *sched.Coro) (int, error) {
				if err := c.Sleep(time.Duration(n) * time.Millisecond); err != nil {
					return 0, err // cancelled while sleeping
				}
				return n * n, nil
			}
		}
		var children []sched.AwaitableOf[int]
		for n := 1; n <= 3; n++ {
			t, err := sched.CreateTask(loop, square(n))
			if err != nil {
				return 0, err
			}
			children = append(children, t)
		}
		squares, err := sched.Await(c, sched.Gather(loop, children))
		if err != nil {
			return 0, err
		}
		fmt.Println("gathered", squares)

		slow, err := sched.CreateTask(loop, square(1000)) // would sleep one second
		if err != nil {
			return 0, err
		}
		_, err = sched.WaitFor(c, slow, 10*time.Millisecond)
		fmt.Println("timed out:", errors.Is(err, sched.ErrTimeout), "slow task cancelled:", slow.Cancelled())

		return squares[0] + squares[1] + squares[2], nil
	})
	fmt.Println(total, err)
	// Output:
	// gathered [1 4 9]
	// timed out: true slow task cancelled: true
	// 14 <nil>
}

// WaitFor over a Gather: a future completed by another goroutine and a task,
// awaited together with a deadline. On a timeout WaitFor cancels what it waited
// for (the gathering, and through it the children).
func ExampleWaitFor() {
	total, err := sched.Run(func(c *sched.Coro) (int, error) {
		loop := c.Loop()
		f := sched.CreateFuture[int](loop)
		go func() { f.SetResult(41) }() // a Future completes from any goroutine
		t, _ := sched.CreateTask(loop, func(c *sched.Coro) (int, error) {
			if err := c.Sleep(10 * time.Millisecond); err != nil {
				return 0, err // cancelled while sleeping
			}
			return 1, nil
		})
		both, err := sched.WaitFor(c, sched.Gather(loop, []sched.AwaitableOf[int]{f, t}), time.Second)
		if err != nil {
			return 0, err // sched.ErrTimeout after a second; the gathering and its children are cancelled
		}
		return both[0] + both[1], nil
	})
	fmt.Println(total, err)
	// Output: 42 <nil>
}
