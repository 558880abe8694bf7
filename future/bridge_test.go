package future

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestWaitFromOtherGoroutine(t *testing.T) {
	l := NewTestLoop()
	f := New[string](l)
	type res struct {
		v   string
		err error
	}
	out := make(chan res)
	go func() {
		v, err := f.Wait(context.Background())
		out <- res{v, err}
	}()
	time.Sleep(time.Millisecond) // let it block (not required for correctness)
	_ = f.SetResult("hi")        // on the loop goroutine; nobody runs the loop
	if r := <-out; r.v != "hi" || r.err != nil {
		t.Fatalf("Wait = %q, %v", r.v, r.err)
	}
	// Already done: returns at once, also the error of a failed future.
	g := New[string](l)
	_ = g.SetException(io.EOF)
	go func() {
		v, err := g.Wait(context.Background())
		out <- res{v, err}
	}()
	if r := <-out; r.err != io.EOF {
		t.Fatalf("Wait on failed = %q, %v", r.v, r.err)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	errc := make(chan error)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		defer cancel()
		_, err := f.Wait(ctx)
		errc <- err
	}()
	if err := <-errc; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with an expired context = %v, want DeadlineExceeded", err)
	}
	if f.Done() {
		t.Fatal("Wait's timeout changed the future")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	go func() { _, err := f.Wait(ctx); errc <- err }()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a cancelled context = %v", err)
	}
}

func TestWaitOnLoopGoroutine(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	_ = f.SetResult(1)
	if _, err := f.Wait(context.Background()); !errors.Is(err, ErrWaitOnLoop) || !errors.Is(err, ErrInvalidState) {
		t.Fatalf("Wait on the loop goroutine = %v, want ErrWaitOnLoop", err)
	}
}

func TestWaitCancelled(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	errc := make(chan error)
	go func() { _, err := f.Wait(context.Background()); errc <- err }()
	f.Cancel("bye")
	var ce *CancelledError
	if err := <-errc; !errors.As(err, &ce) || ce.Msg != "bye" {
		t.Fatalf("Wait on cancelled = %v", err)
	}
}

func TestDoneChan(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	c1, c2 := f.DoneChan(), f.DoneChan()
	if c1 != c2 {
		t.Fatal("DoneChan returned two channels for one pending future")
	}
	select {
	case <-c1:
		t.Fatal("DoneChan closed while pending")
	default:
	}
	_ = f.SetResult(1)
	select {
	case <-c1:
	default:
		t.Fatal("DoneChan not closed after SetResult")
	}
	select {
	case <-f.DoneChan():
	default:
		t.Fatal("DoneChan of a done future not closed")
	}
}

func TestGo(t *testing.T) {
	l := NewTestLoop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	f := Go(l, func() (int, error) { return 42, nil })
	ran := false
	f.AddDoneCallback(func(f *Future[int]) { ran = true })
	if err := l.RunUntil(ctx, func() bool { return ran }); err != nil {
		t.Fatal(err)
	}
	if v, err := f.Result(); v != 42 || err != nil {
		t.Fatalf("Go result = %d, %v", v, err)
	}

	g := Go(l, func() (int, error) { return 0, io.EOF })
	if err := l.RunUntil(ctx, g.Done); err != nil {
		t.Fatal(err)
	}
	if err := g.Exception(); err != io.EOF {
		t.Fatalf("Go error = %v", err)
	}

	c := Go(l, func() (int, error) { return 0, &CancelledError{Msg: "inner"} })
	if err := l.RunUntil(ctx, c.Done); err != nil {
		t.Fatal(err)
	}
	var ce *CancelledError
	if !c.Cancelled() || !errors.As(c.Err(), &ce) || ce.Msg != "inner" {
		t.Fatalf("Go returning a cancellation: cancelled=%v err=%v", c.Cancelled(), c.Err())
	}

	// Cancelled first: fn's result is dropped, not an error.
	release := make(chan struct{})
	finished := make(chan struct{})
	d := Go(l, func() (int, error) { <-release; defer close(finished); return 1, nil })
	d.Cancel("early")
	close(release)
	<-finished
	if !d.Cancelled() {
		t.Fatal("a late result overwrote a cancellation")
	}
	l.RunUntilIdle()
}

func TestGoContextCancelPropagates(t *testing.T) {
	l := NewTestLoop()
	stopped := make(chan error)
	f := GoContext(context.Background(), l, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		stopped <- ctx.Err()
		return 0, ctx.Err()
	})
	f.Cancel("user")
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("fn's context: %v, want Canceled", err)
	}
	// fn's own error loses to the cancellation.
	var ce *CancelledError
	if !errors.As(f.Err(), &ce) || ce.Msg != "user" {
		t.Fatalf("Err = %v", f.Err())
	}
	// Parent context cancellation reaches fn too; its error completes the future.
	parent, cancel := context.WithCancel(context.Background())
	g := GoContext(parent, l, func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	cancel()
	<-g.DoneChan() // (Wait would refuse: this goroutine owns the loop)
	if err := g.Err(); !errors.Is(err, context.Canceled) || g.Cancelled() {
		t.Fatalf("after parent cancellation: Err = %v, Cancelled = %v; want fn's context.Canceled as the exception", err, g.Cancelled())
	}
	// Normal completion ends the watcher goroutine (goleak checks in TestMain).
	h := GoContext(context.Background(), l, func(ctx context.Context) (string, error) { return "ok", nil })
	<-h.DoneChan()
	if v, err := h.Result(); v != "ok" || err != nil {
		t.Fatalf("Result = %q, %v", v, err)
	}
	l.RunUntilIdle()
	waitGoroutinesSettle()
}

// waitGoroutinesSettle gives helper goroutines that were just released a moment
// to exit before goleak looks.
func waitGoroutinesSettle() { time.Sleep(5 * time.Millisecond) }

func TestTestLoop(t *testing.T) {
	l := NewTestLoop()
	var got []string
	_ = l.Post(func() {
		got = append(got, "a")
		_ = l.Post(func() { got = append(got, "c") }) // next iteration
	})
	_ = l.PostThreadsafe(func() { got = append(got, "b") })
	if n := l.RunOnce(); n != 2 {
		t.Fatalf("RunOnce ran %d, want 2", n)
	}
	if strings.Join(got, "") != "ab" {
		t.Fatalf("first iteration ran %v", got)
	}
	if n := l.RunUntilIdle(); n != 1 || strings.Join(got, "") != "abc" {
		t.Fatalf("RunUntilIdle ran %d: %v", n, got)
	}
	// Post off the owner goroutine is a programmer error.
	p := make(chan any)
	go func() {
		defer func() { p <- recover() }()
		_ = l.Post(func() {})
	}()
	if r, _ := (<-p).(string); !strings.HasPrefix(r, "ringloop:") {
		t.Fatalf("Post off the loop: panic %q", r)
	}
	// RunUntil wakes on PostThreadsafe and honours ctx.
	done := false
	go func() { time.Sleep(time.Millisecond); _ = l.PostThreadsafe(func() { done = true }) }()
	if err := l.RunUntil(context.Background(), func() bool { return done }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := l.RunUntil(ctx, func() bool { return false }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunUntil = %v", err)
	}
	inLoop := make(chan bool)
	go func() { inLoop <- l.InLoop() }()
	if <-inLoop || !l.InLoop() {
		t.Fatal("InLoop wrong")
	}
}
