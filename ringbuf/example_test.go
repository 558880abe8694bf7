package ringbuf_test

import (
	"errors"
	"fmt"
	"sync"

	"github.com/ringloop/ringloop/ringbuf"
)

// An inbox: many goroutines push callbacks, one goroutine drains them in
// batches.
func ExampleMPSC() {
	q, err := ringbuf.NewMPSC[func() int]()
	if err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = q.Push(func() int { return i }) // unbounded: always nil
		}()
	}
	wg.Wait()
	sum := 0
	n := q.Drain(0, func(fn func() int) { sum += fn() })
	fmt.Println(n, sum, q.Empty())
	// Output: 3 6 true
}

// Bounded mode refuses pushes with ErrFull instead of growing.
func ExampleWithCapacity() {
	q, _ := ringbuf.NewMPSC[int](ringbuf.WithCapacity(2), ringbuf.WithCASClaim())
	fmt.Println(q.Push(1), q.Push(2), errors.Is(q.Push(3), ringbuf.ErrFull))
	v, _ := q.Pop()
	fmt.Println(v, q.Push(3), q.DrainTo(nil, 0))
	// Output:
	// <nil> <nil> true
	// 1 <nil> [2 3]
}
