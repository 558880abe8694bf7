package future

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rec records callback runs in order, for order and exactly-once checks.
type rec struct{ got []string }

func (r *rec) cb(name string) func(*Future[int]) {
	return func(*Future[int]) { r.got = append(r.got, name) }
}

func (r *rec) bare(name string) func() {
	return func() { r.got = append(r.got, name) }
}

func (r *rec) want(t *testing.T, want ...string) {
	t.Helper()
	if !slices.Equal(r.got, want) {
		t.Fatalf("callbacks ran %q, want %q", r.got, want)
	}
}

func TestThunkFastPath(t *testing.T) {
	if thunkPC == 0 {
		t.Fatal("the dispatch thunk layout check failed on this build: dispatch allocates a closure per completion (see thunk.go)")
	}
	l := NewTestLoop()
	f := New[int](l)
	ran := 0
	f.OnDone(func() { ran++ })
	f.dispatcher()()
	if ran != 1 {
		t.Fatalf("thunk ran %d callbacks, want 1", ran)
	}
}

func TestNewNilLoopPanics(t *testing.T) {
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.HasPrefix(s, "ringloop:") {
			t.Fatalf("New(nil) panicked with %v, want a ringloop: programmer-error panic", r)
		}
	}()
	New[int](nil)
}

func TestPendingResultAndException(t *testing.T) {
	f := New[int](NewTestLoop())
	if f.Done() || f.Cancelled() {
		t.Fatal("new future is done or cancelled")
	}
	if _, err := f.Result(); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("Result on pending: %v, want ErrInvalidState", err)
	}
	if err := f.Exception(); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("Exception on pending: %v, want ErrInvalidState", err)
	}
	if err := f.Err(); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("Err on pending: %v, want ErrInvalidState", err)
	}
}

func TestResultAndException(t *testing.T) {
	l := NewTestLoop()
	ok := New[string](l)
	if err := ok.SetResult("v"); err != nil {
		t.Fatal(err)
	}
	if v, err := ok.Result(); v != "v" || err != nil {
		t.Fatalf("Result = %q, %v; want v, nil", v, err)
	}
	if err := ok.Exception(); err != nil {
		t.Fatalf("Exception of a successful future = %v, want nil", err)
	}
	if err := ok.Err(); err != nil {
		t.Fatalf("Err of a successful future = %v, want nil", err)
	}
	if !ok.Done() || ok.Cancelled() {
		t.Fatal("finished future: Done false or Cancelled true")
	}

	bad := New[string](l)
	if err := bad.SetException(io.EOF); err != nil {
		t.Fatal(err)
	}
	if v, err := bad.Result(); v != "" || err != io.EOF {
		t.Fatalf("Result of failed = %q, %v; want \"\", io.EOF", v, err)
	}
	if err := bad.Exception(); err != io.EOF {
		t.Fatalf("Exception of failed = %v, want io.EOF", err)
	}
	if err := bad.Err(); err != io.EOF {
		t.Fatalf("Err of failed = %v, want io.EOF", err)
	}
}

func TestCancel(t *testing.T) {
	l := NewTestLoop()
	var r rec
	f := New[int](l)
	f.AddDoneCallback(r.cb("a"))
	if !f.Cancel("stop it") {
		t.Fatal("Cancel on pending returned false")
	}
	if !f.Cancelled() || !f.Done() {
		t.Fatal("after Cancel: Cancelled or Done false")
	}
	r.want(t) // scheduled, not run
	l.RunUntilIdle()
	r.want(t, "a")

	for name, err := range map[string]error{
		"Result":    func() error { _, err := f.Result(); return err }(),
		"Exception": f.Exception(),
		"Err":       f.Err(),
	} {
		if !errors.Is(err, ErrCancelled) {
			t.Fatalf("%s after Cancel = %v, want ErrCancelled", name, err)
		}
		var ce *CancelledError
		if !errors.As(err, &ce) || ce.Msg != "stop it" {
			t.Fatalf("%s after Cancel: errors.As gave %v, want *CancelledError{Msg: stop it}", name, ce)
		}
		if errors.Is(err, ErrInvalidState) {
			t.Fatalf("%s after Cancel matches ErrInvalidState", name)
		}
	}
	if f.Cancel("again") {
		t.Fatal("second Cancel returned true")
	}
	var ce *CancelledError
	if errors.As(f.Err(), &ce); ce.Msg != "stop it" {
		t.Fatalf("second Cancel changed the message to %q", ce.Msg)
	}
	l.RunUntilIdle()
	r.want(t, "a") // nothing scheduled again
}

func TestCancelDoneFutureChangesNothing(t *testing.T) {
	l := NewTestLoop()
	var r rec
	f := New[int](l)
	f.AddDoneCallback(r.cb("a"))
	_ = f.SetResult(7)
	if f.Cancel("late") {
		t.Fatal("Cancel on a finished future returned true")
	}
	if v, err := f.Result(); v != 7 || err != nil || f.Cancelled() {
		t.Fatalf("after Cancel on finished: %d, %v, cancelled=%v; want 7, nil, false", v, err, f.Cancelled())
	}
	l.RunUntilIdle()
	r.want(t, "a")
}

func TestSetOnDoneFuture(t *testing.T) {
	l := NewTestLoop()
	mk := map[string]func() *Future[int]{
		"finished": func() *Future[int] { f := New[int](l); _ = f.SetResult(1); return f },
		"failed":   func() *Future[int] { f := New[int](l); _ = f.SetException(io.EOF); return f },
		"cancelled": func() *Future[int] {
			f := New[int](l)
			f.Cancel("c")
			return f
		},
	}
	for name, make := range mk {
		t.Run("state="+name, func(t *testing.T) {
			f := make()
			before := f.String()
			beforeErr := f.Err()
			if err := f.SetResult(2); !errors.Is(err, ErrInvalidState) {
				t.Fatalf("SetResult = %v, want ErrInvalidState", err)
			}
			if err := f.SetException(io.ErrUnexpectedEOF); !errors.Is(err, ErrInvalidState) {
				t.Fatalf("SetException = %v, want ErrInvalidState", err)
			}
			// The state is checked before the argument, as asyncio does.
			if err := f.SetException(nil); !errors.Is(err, ErrInvalidState) {
				t.Fatalf("SetException(nil) on done = %v, want ErrInvalidState", err)
			}
			if after := f.String(); after != before || f.Err() != beforeErr {
				t.Fatalf("state changed: %s -> %s", before, after)
			}
			if name == "cancelled" && !strings.Contains(f.SetResult(3).Error(), "cancelled") {
				t.Fatalf("invalid-state error for a cancelled future does not say so: %v", f.SetResult(3))
			}
		})
	}
}

func TestSetExceptionRefusesCancellation(t *testing.T) {
	l := NewTestLoop()
	for _, bad := range []error{
		nil,
		&CancelledError{Msg: "x"},
		ErrCancelled,
		fmt.Errorf("wrapped: %w", &CancelledError{}),
	} {
		f := New[int](l)
		err := f.SetException(bad)
		if !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("SetException(%v) = %v, want ErrInvalidArgument", bad, err)
		}
		if errors.Is(err, ErrInvalidState) {
			t.Fatalf("SetException(%v) = %v, matches ErrInvalidState too", bad, err)
		}
		if f.Done() {
			t.Fatalf("SetException(%v) refused but the future is done", bad)
		}
		if err := f.SetResult(1); err != nil {
			t.Fatalf("after refused SetException the future is not usable: %v", err)
		}
	}
}

func TestSetExceptionAllowCancelled(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	ce := &CancelledError{Msg: "child"}
	if err := f.SetExceptionAllowCancelled(ce); err != nil {
		t.Fatal(err)
	}
	if f.Cancelled() || !f.Done() {
		t.Fatal("finished with a cancellation error but reads as cancelled (or not done)")
	}
	if _, err := f.Result(); err != ce || !errors.Is(f.Exception(), ErrCancelled) {
		t.Fatalf("Result/Exception = %v / %v, want the CancelledError", err, f.Exception())
	}
	if got := f.String(); !strings.HasPrefix(got, "<Future finished exception=") {
		t.Fatalf("String = %s", got)
	}
	if err := f.SetExceptionAllowCancelled(ce); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("second call = %v, want ErrInvalidState", err)
	}
	if err := New[int](l).SetExceptionAllowCancelled(nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("nil = %v, want ErrInvalidArgument", err)
	}
}

func TestCallbacksNeverSynchronous(t *testing.T) {
	l := NewTestLoop()
	var r rec
	f := New[int](l)
	f.AddDoneCallback(r.cb("before"))
	_ = f.SetResult(1)
	r.want(t)
	f.AddDoneCallback(r.cb("after")) // done: scheduled at once, still not synchronous
	r.want(t)
	if n := l.RunOnce(); n != 2 {
		t.Fatalf("RunOnce ran %d loop callbacks, want 2 (the dispatch, then after's call_soon)", n)
	}
	r.want(t, "before", "after")

	f.AddDoneCallback(r.cb("later")) // after the dispatch ran: a new dispatch
	r.want(t, "before", "after")
	l.RunUntilIdle()
	r.want(t, "before", "after", "later")
}

func TestCompletionOnLoopWithoutCallbacksPostsNothing(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	_ = f.SetResult(1)
	if n := l.Len(); n != 0 {
		t.Fatalf("on-loop completion with no callbacks queued %d dispatches, want 0", n)
	}
	var r rec
	f.AddDoneCallback(r.cb("a"))
	f.OnDone(r.bare("b"))
	if n := l.Len(); n != 2 {
		t.Fatalf("two adds to a done future queued %d loop callbacks, want 2 (call_soon each)", n)
	}
	l.RunUntilIdle()
	r.want(t, "a", "b")
}

// TestAddAfterDoneIsCallSoon: asyncio's add_done_callback on a done future is
// call_soon(fn), so it runs after everything scheduled before the add, also when
// the completion's own callbacks have not run yet.
func TestAddAfterDoneIsCallSoon(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	var got []string
	f.AddDoneCallback(func(*Future[int]) { got = append(got, "before") })
	_ = f.SetResult(1) // on the loop: call_soon(before)
	_ = l.Post(func() { got = append(got, "soon") })
	f.AddDoneCallback(func(*Future[int]) { got = append(got, "after") })
	_ = l.Post(func() { got = append(got, "soon-2") })
	f.OnDone(func() { got = append(got, "after-2") })
	l.RunUntilIdle()
	if want := []string{"before", "soon", "after", "soon-2", "after-2"}; !slices.Equal(got, want) {
		t.Fatalf("ran %q, want %q", got, want)
	}
	// The same on a future completed on the loop with no callbacks, and after the
	// dispatch ran.
	g := New[int](l)
	_ = g.SetResult(1)
	got = nil
	_ = l.Post(func() { got = append(got, "soon") })
	g.AddDoneCallback(func(*Future[int]) { got = append(got, "after") })
	l.RunUntilIdle()
	if want := []string{"soon", "after"}; !slices.Equal(got, want) {
		t.Fatalf("ran %q, want %q", got, want)
	}
}

func TestCallbackOrderAcrossSlots(t *testing.T) {
	for n := 1; n <= 10; n++ {
		t.Run(fmt.Sprintf("callbacks=%d", n), func(t *testing.T) {
			l := NewTestLoop()
			var r rec
			f := New[int](l)
			var want []string
			for i := 0; i < n; i++ {
				name := fmt.Sprint(i)
				if i%2 == 0 {
					f.AddDoneCallback(r.cb(name))
				} else {
					f.OnDone(r.bare(name))
				}
				want = append(want, name)
			}
			_ = f.SetResult(1)
			l.RunUntilIdle()
			r.want(t, want...)
		})
	}
}

func TestRemoveDoneCallback(t *testing.T) {
	// x is registered at positions spread over the inline slots and the overflow.
	for _, layout := range []string{"x", "xa", "ax", "xx", "axbxcx", "xxxxx", "abcdx", "xabcd", "abxcdxefx"} {
		t.Run("layout="+layout, func(t *testing.T) {
			l := NewTestLoop()
			var r rec
			f := New[int](l)
			x := r.cb("x")
			var want []string
			wantRemoved := 0
			for _, c := range layout {
				if c == 'x' {
					f.AddDoneCallback(x)
					wantRemoved++
				} else {
					f.AddDoneCallback(r.cb(string(c)))
					want = append(want, string(c))
				}
			}
			if got := f.RemoveDoneCallback(x); got != wantRemoved {
				t.Fatalf("RemoveDoneCallback removed %d, want %d", got, wantRemoved)
			}
			if got := f.RemoveDoneCallback(x); got != 0 {
				t.Fatalf("second RemoveDoneCallback removed %d, want 0", got)
			}
			// Adding after removals keeps the order too.
			f.AddDoneCallback(r.cb("z"))
			want = append(want, "z")
			_ = f.SetResult(1)
			l.RunUntilIdle()
			r.want(t, want...)
		})
	}
}

func topLevelCallback(*Future[int]) {}

func TestRemoveIdentity(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	// A top-level function is the same value wherever it is named.
	f.AddDoneCallback(topLevelCallback)
	g := topLevelCallback
	f.AddDoneCallback(g)
	// Two evaluations of a capturing literal are different values.
	k := 0
	mk := func() func(*Future[int]) { return func(*Future[int]) { k++ } }
	c1 := mk()
	f.AddDoneCallback(c1)
	if got := f.RemoveDoneCallback(mk()); got != 0 {
		t.Fatalf("a different closure value removed %d registrations, want 0", got)
	}
	if got := f.RemoveDoneCallback(topLevelCallback); got != 2 {
		t.Fatalf("RemoveDoneCallback(topLevelCallback) = %d, want 2", got)
	}
	// Registration tokens: remove a literal without keeping the func.
	reg := f.AddDoneCallback(func(*Future[int]) { k += 100 })
	if got := f.Unregister(reg); got != 1 {
		t.Fatalf("Unregister = %d, want 1", got)
	}
	if got := f.Unregister(reg); got != 0 {
		t.Fatalf("second Unregister = %d, want 0", got)
	}
	if got := f.Unregister(Registration{}); got != 0 {
		t.Fatalf("Unregister(zero) = %d, want 0", got)
	}
	// OnDone registrations.
	bare := func() { k += 1000 }
	f.OnDone(bare)
	f.OnDone(bare)
	if got := f.RemoveOnDone(bare); got != 2 {
		t.Fatalf("RemoveOnDone = %d, want 2", got)
	}
	_ = f.SetResult(0)
	l.RunUntilIdle()
	if k != 1 {
		t.Fatalf("after removals k = %d, want 1 (only c1 ran)", k)
	}
}

func TestRemoveOnDoneFutureRemovesNothing(t *testing.T) {
	l := NewTestLoop()
	var r rec
	f := New[int](l)
	a := r.cb("a")
	f.AddDoneCallback(a)
	_ = f.SetResult(1)
	if got := f.RemoveDoneCallback(a); got != 0 {
		t.Fatalf("RemoveDoneCallback on a done future = %d, want 0 (asyncio: list already scheduled)", got)
	}
	l.RunUntilIdle()
	r.want(t, "a")
}

func TestCallbackAddedByCallbackRunsNextIteration(t *testing.T) {
	l := NewTestLoop()
	var r rec
	f := New[int](l)
	f.AddDoneCallback(func(f *Future[int]) {
		r.got = append(r.got, "a")
		f.AddDoneCallback(r.cb("c")) // call_soon: next iteration
	})
	f.AddDoneCallback(r.cb("b"))
	_ = f.SetResult(1)
	l.RunOnce()
	r.want(t, "a", "b")
	l.RunOnce()
	r.want(t, "a", "b", "c")
	if l.RunUntilIdle() != 0 {
		t.Fatal("something ran twice")
	}
}

func TestRemoveDuringOtherCallbackDoesNotUnschedule(t *testing.T) {
	// asyncio: once scheduled, remove_done_callback no longer sees the callbacks.
	l := NewTestLoop()
	var r rec
	f := New[int](l)
	b := r.cb("b")
	f.AddDoneCallback(func(f *Future[int]) {
		r.got = append(r.got, "a")
		if n := f.RemoveDoneCallback(b); n != 0 {
			t.Errorf("remove during dispatch removed %d", n)
		}
	})
	f.AddDoneCallback(b)
	_ = f.SetResult(1)
	l.RunUntilIdle()
	r.want(t, "a", "b")
}

func TestPanickingCallbackKeepsTheRest(t *testing.T) {
	// asyncio: each callback is its own handle; the one after a raising callback
	// runs next, before anything scheduled later (as asyncio's handles do).
	l := NewTestLoop()
	var r rec
	f := New[int](l)
	f.AddDoneCallback(r.cb("a"))
	f.AddDoneCallback(func(*Future[int]) { panic("boom") })
	f.AddDoneCallback(r.cb("c"))
	f.AddDoneCallback(r.cb("d"))
	_ = f.SetResult(1)
	_ = l.Post(func() { r.got = append(r.got, "soon") })
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Fatalf("panic value %v, want boom", v)
			}
		}()
		l.RunOnce()
	}()
	r.want(t, "a", "c", "d")
	l.RunUntilIdle()
	r.want(t, "a", "c", "d", "soon")

	// Two panics: both values reach the loop, every other callback ran once.
	g := New[int](l)
	r.got = nil
	g.AddDoneCallback(func(*Future[int]) { panic("one") })
	g.AddDoneCallback(r.cb("x"))
	g.OnDone(func() { panic("two") })
	g.AddDoneCallback(r.cb("y"))
	_ = g.SetResult(1)
	func() {
		defer func() {
			cp, ok := recover().(*CallbackPanics)
			if !ok || len(cp.Values) != 2 || cp.Values[0] != "one" || cp.Values[1] != "two" {
				t.Fatalf("panic value %#v, want CallbackPanics{one two}", cp)
			}
			if !strings.Contains(cp.Error(), "2 done-callbacks panicked") {
				t.Fatalf("CallbackPanics.Error() = %q", cp.Error())
			}
		}()
		l.RunOnce()
	}()
	l.RunUntilIdle()
	r.want(t, "x", "y")
}

func TestOffLoopCompletionPostsOneDispatch(t *testing.T) {
	l := NewTestLoop()
	var r rec
	f := New[int](l)
	for i := range 5 {
		f.AddDoneCallback(r.cb(fmt.Sprint(i)))
	}
	done := make(chan error)
	go func() { done <- f.SetResult(1) }()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := l.Len(); n != 1 {
		t.Fatalf("off-loop completion queued %d loop callbacks, want exactly 1 dispatch", n)
	}
	r.want(t)
	// A callback added after the completion but before its dispatch ran rides on
	// that dispatch: no second post.
	f.AddDoneCallback(r.cb("late"))
	if n := l.Len(); n != 1 {
		t.Fatalf("add before the dispatch ran queued %d, want 1", n)
	}
	l.RunUntilIdle()
	r.want(t, "0", "1", "2", "3", "4", "late")
}

func TestOffLoopCompletionWithoutCallbacks(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	done := make(chan struct{})
	go func() { _ = f.Cancel("x"); close(done) }()
	<-done
	if n := l.RunUntilIdle(); n != 1 {
		t.Fatalf("ran %d, want the one (empty) dispatch", n)
	}
	var r rec
	f.AddDoneCallback(r.cb("a"))
	l.RunUntilIdle()
	r.want(t, "a")
}

func TestErrorsMatching(t *testing.T) {
	for _, c := range []struct {
		err        error
		state, arg bool
		cancelled  bool
	}{
		{errResultNotSet, true, false, false},
		{errExceptionNotSet, true, false, false},
		{errNotDone, true, false, false},
		{errFinished, true, false, false},
		{errCancelledState, true, false, false},
		{ErrWaitOnLoop, true, false, false},
		{errNilException, false, true, false},
		{errCancelException, false, true, false},
		{&CancelledError{Msg: "m"}, false, false, true},
		{fmt.Errorf("ctx: %w", &CancelledError{}), false, false, true},
	} {
		if errors.Is(c.err, ErrInvalidState) != c.state || errors.Is(c.err, ErrInvalidArgument) != c.arg || errors.Is(c.err, ErrCancelled) != c.cancelled {
			t.Errorf("%v: Is(InvalidState, InvalidArgument, Cancelled) = %v %v %v, want %v %v %v", c.err,
				errors.Is(c.err, ErrInvalidState), errors.Is(c.err, ErrInvalidArgument), errors.Is(c.err, ErrCancelled),
				c.state, c.arg, c.cancelled)
		}
		if !strings.HasPrefix(c.err.Error(), "ringloop: ") && !strings.HasPrefix(c.err.Error(), "ctx: ringloop: ") {
			t.Errorf("%q does not name ringloop", c.err.Error())
		}
	}
	if got := (&CancelledError{}).Error(); got != "ringloop: cancelled" {
		t.Errorf("empty CancelledError = %q", got)
	}
	if got := (&CancelledError{Msg: "why"}).Error(); got != "ringloop: cancelled: why" {
		t.Errorf("CancelledError = %q", got)
	}
}

func TestString(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	if got := f.String(); got != "<Future pending>" {
		t.Errorf("pending: %s", got)
	}
	f.AddDoneCallback(topLevelCallback)
	if got := f.String(); !strings.HasPrefix(got, "<Future pending cb=[github.com/ringloop/ringloop/future.topLevelCallback() at future_test.go:") {
		t.Errorf("pending with 1 callback: %s", got)
	}
	f.OnDone(func() {})
	if got := f.String(); strings.Count(got, "() at future_test.go:") != 2 || !strings.Contains(got, ", ") {
		t.Errorf("pending with 2 callbacks: %s", got)
	}
	for range 3 {
		f.AddDoneCallback(topLevelCallback)
	}
	if got := f.String(); !strings.Contains(got, ", <3 more>, ") {
		t.Errorf("pending with 5 callbacks: %s", got)
	}
	// Off the loop the (loop-owned) list is not shown.
	off := make(chan string)
	go func() { off <- f.String() }()
	if got := <-off; got != "<Future pending>" {
		t.Errorf("pending, off the loop: %s", got)
	}
	_ = f.SetResult(42)
	l.RunUntilIdle()
	if got := f.String(); got != "<Future finished result=42>" {
		t.Errorf("finished: %s", got)
	}
	s := New[string](l)
	_ = s.SetResult(strings.Repeat("a", 100))
	if got := s.String(); !strings.HasPrefix(got, `<Future finished result="aaaa`) || !strings.Contains(got, "...") || len(got) > 100 {
		t.Errorf("long result not shortened: %s", got)
	}
	e := New[int](l)
	_ = e.SetException(errors.New("boom"))
	if got := e.String(); got != `<Future finished exception=*errors.errorString("boom")>` {
		t.Errorf("failed: %s", got)
	}
	c := New[int](l)
	c.Cancel("m")
	if got := c.String(); got != "<Future cancelled>" {
		t.Errorf("cancelled: %s", got)
	}
	var _ fmt.Stringer = c
}

func TestAwaitable(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	var a Awaitable = f
	if a.GetLoop() != Loop(l) {
		t.Fatal("GetLoop is not the loop given to New")
	}
	ran := 0
	a.OnDone(func() { ran++ })
	if !a.Cancel("x") || !a.Done() || !a.Cancelled() || !errors.Is(a.Err(), ErrCancelled) {
		t.Fatal("Awaitable view disagrees with the future")
	}
	l.RunUntilIdle()
	if ran != 1 {
		t.Fatalf("OnDone ran %d times", ran)
	}
}
