package future_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ringloop/ringloop/future"
)

func Example() {
	loop := future.NewTestLoop() // sched.New() in real code
	f := future.New[string](loop)
	f.AddDoneCallback(func(f *future.Future[string]) {
		v, _ := f.Result()
		fmt.Println("callback saw", v)
	})
	fmt.Println(f)
	_ = f.SetResult("hello") // callbacks are scheduled, never called here
	fmt.Println(f)
	loop.RunUntilIdle()

	g := future.New[int](loop)
	g.Cancel("no longer needed")
	_, err := g.Result()
	var ce *future.CancelledError
	fmt.Println(errors.Is(err, future.ErrCancelled), errors.As(err, &ce) && ce.Msg == "no longer needed")
	fmt.Println(errors.Is(g.SetResult(1), future.ErrInvalidState))
	// Output:
	// <Future pending cb=[github.com/ringloop/ringloop/future_test.Example.func1() at example_test.go:14]>
	// <Future finished result="hello">
	// callback saw hello
	// true true
	// true
}

func ExampleGo() {
	loop := future.NewTestLoop()
	f := future.Go(loop, func() (int, error) { return 6 * 7, nil }) // runs in its own goroutine
	done := make(chan struct{})
	go func() { // plain Go code may block on a future (not the loop goroutine)
		v, err := f.Wait(context.Background())
		fmt.Println(v, err)
		close(done)
	}()
	<-done
	loop.RunUntilIdle()
	// Output: 42 <nil>
}
