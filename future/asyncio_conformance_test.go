package future

// asyncio_conformance_test.go: Future checked against asyncio's documented
// behaviour (docs.python.org/3/library/asyncio-future.html) and CPython's
// Lib/asyncio/futures.py / Modules/_asynciomodule.c, on the TestLoop. Each test
// names the rule it checks. Deliberate departures from asyncio are listed, with
// their reasons, in docs/DESIGN.md.

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func confMsg(err error) (string, bool) {
	var ce *CancelledError
	if errors.As(err, &ce) {
		return ce.Msg, true
	}
	return "", false
}

// result(): "If the Future's result isn't yet available, this method raises an
// InvalidStateError exception"; exception(): the same.
func TestConformancePendingInvalidState(t *testing.T) {
	f := New[int](NewTestLoop())
	if _, err := f.Result(); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("Result of a pending future: %v", err)
	}
	if err := f.Exception(); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("Exception of a pending future: %v", err)
	}
	if f.Done() || f.Cancelled() {
		t.Fatal("pending future reads done or cancelled")
	}
}

// result(): "If the Future is done and has a result set by set_result(), the
// result value is returned. If the Future is done and has an exception set by
// set_exception(), this method raises the exception." exception(): "If the Future
// is done and has a result ... returns None."
func TestConformanceResultAndException(t *testing.T) {
	l := NewTestLoop()
	ok := New[int](l)
	if err := ok.SetResult(42); err != nil {
		t.Fatal(err)
	}
	if v, err := ok.Result(); v != 42 || err != nil {
		t.Fatalf("Result = %v, %v", v, err)
	}
	if err := ok.Exception(); err != nil {
		t.Fatalf("Exception of a successful future = %v, want nil", err)
	}
	boom := errors.New("boom")
	bad := New[int](l)
	if err := bad.SetException(boom); err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Result(); !errors.Is(err, boom) {
		t.Fatalf("Result of a failed future = %v", err)
	}
	if err := bad.Exception(); !errors.Is(err, boom) {
		t.Fatalf("Exception of a failed future = %v", err)
	}
	if !ok.Done() || !bad.Done() || ok.Cancelled() || bad.Cancelled() {
		t.Fatal("done/cancelled flags")
	}
	l.RunUntilIdle()
}

// cancel(msg): "If the Future is already done or cancelled, return False.
// Otherwise, change the Future's state to cancelled, schedule the callbacks, and
// return True." (3.9: msg). result() / exception() of a cancelled future raise
// CancelledError carrying the message.
func TestConformanceCancel(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	ran := 0
	f.AddDoneCallback(func(g *Future[int]) {
		if !g.Cancelled() {
			t.Error("callback saw a future that is not cancelled")
		}
		ran++
	})
	if !f.Cancel("because") {
		t.Fatal("Cancel of a pending future returned false")
	}
	if ran != 0 {
		t.Fatal("Cancel ran the callback synchronously")
	}
	if !f.Cancelled() || !f.Done() {
		t.Fatal("cancelled future: Cancelled/Done false")
	}
	_, err := f.Result()
	if m, ok := confMsg(err); !errors.Is(err, ErrCancelled) || !ok || m != "because" {
		t.Fatalf("Result after Cancel(because) = %v", err)
	}
	if m, ok := confMsg(f.Exception()); !ok || m != "because" {
		t.Fatalf("Exception after Cancel = %v", f.Exception())
	}
	if f.Cancel("again") {
		t.Fatal("second Cancel returned true")
	}
	if m, _ := confMsg(f.Exception()); m != "because" {
		t.Fatalf("second Cancel changed the message to %q", m)
	}
	l.RunUntilIdle()
	if ran != 1 {
		t.Fatalf("callback ran %d times, want 1", ran)
	}
	done := New[int](l)
	_ = done.SetResult(1)
	if done.Cancel("late") || done.Cancelled() {
		t.Fatal("Cancel on a finished future must return false and change nothing")
	}
	if v, err := done.Result(); v != 1 || err != nil {
		t.Fatalf("finished future after Cancel: %v %v", v, err)
	}
	l.RunUntilIdle()
}

// set_result / set_exception: "Raises InvalidStateError if the Future is already
// done", leaving it unchanged.
func TestConformanceSetOnDoneInvalidState(t *testing.T) {
	l := NewTestLoop()
	boom := errors.New("boom")
	done := New[int](l)
	_ = done.SetResult(1)
	cancelled := New[int](l)
	cancelled.Cancel("c")
	for _, f := range []*Future[int]{done, cancelled} {
		if err := f.SetResult(2); !errors.Is(err, ErrInvalidState) {
			t.Errorf("SetResult on %v: %v", f, err)
		}
		if err := f.SetException(boom); !errors.Is(err, ErrInvalidState) {
			t.Errorf("SetException on %v: %v", f, err)
		}
	}
	if v, err := done.Result(); v != 1 || err != nil {
		t.Fatalf("finished future changed: %v %v", v, err)
	}
	if m, _ := confMsg(cancelled.Exception()); !cancelled.Cancelled() || m != "c" {
		t.Fatalf("cancelled future changed: %v", cancelled.Exception())
	}
	l.RunUntilIdle()
}

// add_done_callback: "The callback is called with the Future object as its only
// argument. If the Future is already done when this method is called, the
// callback is scheduled with loop.call_soon()." Callbacks are never called
// synchronously and run in registration order (futures.py
// __schedule_callbacks).
func TestConformanceCallbacksScheduledInOrder(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	var got []string
	add := func(name string) func(*Future[int]) {
		return func(g *Future[int]) {
			if g != f {
				t.Error("callback got another future")
			}
			got = append(got, name)
		}
	}
	for _, n := range []string{"a", "b", "c", "d"} {
		f.AddDoneCallback(add(n))
	}
	_ = f.SetResult(1)
	if len(got) != 0 {
		t.Fatal("SetResult ran callbacks synchronously")
	}
	l.RunUntilIdle()
	if !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("order %q", got)
	}
	f.AddDoneCallback(add("late"))
	if len(got) != 4 {
		t.Fatal("AddDoneCallback on a done future ran synchronously")
	}
	l.RunOnce()
	if !slices.Equal(got, []string{"a", "b", "c", "d", "late"}) {
		t.Fatalf("late callback: %q", got)
	}
}

// remove_done_callback(callback): "Remove callback from the callbacks list.
// Returns the number of callbacks removed, which is typically 1, unless a callback
// was added more than once." The others keep their order. On a done future the
// list was handed to the loop when it completed: nothing is removed.
func TestConformanceRemoveDoneCallback(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	var got []string
	mk := func(name string) func(*Future[int]) {
		return func(*Future[int]) { got = append(got, name) }
	}
	dup, a, b, c := mk("dup"), mk("a"), mk("b"), mk("c")
	// dup sits inline and in the overflow.
	for _, fn := range []func(*Future[int]){dup, a, dup, b, dup, c, dup} {
		f.AddDoneCallback(fn)
	}
	if n := f.RemoveDoneCallback(dup); n != 4 {
		t.Fatalf("RemoveDoneCallback(dup) = %d, want 4", n)
	}
	if n := f.RemoveDoneCallback(dup); n != 0 {
		t.Fatalf("second RemoveDoneCallback(dup) = %d, want 0", n)
	}
	f.AddDoneCallback(dup)
	_ = f.SetResult(1)
	if n := f.RemoveDoneCallback(a); n != 0 {
		t.Fatalf("RemoveDoneCallback on a done future = %d, want 0", n)
	}
	l.RunUntilIdle()
	if !slices.Equal(got, []string{"a", "b", "c", "dup"}) {
		t.Fatalf("ran %q, want a b c dup", got)
	}
}

// A callback added to a done future is scheduled with call_soon at that moment,
// so it runs after what was scheduled before the add, even when the completion's
// own callbacks are still queued.
func TestConformanceAddAfterDoneIsCallSoon(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	var got []string
	f.AddDoneCallback(func(*Future[int]) { got = append(got, "before") })
	_ = f.SetResult(1) // on the loop goroutine: call_soon(before)
	_ = l.Post(func() { got = append(got, "soon") })
	f.AddDoneCallback(func(*Future[int]) { got = append(got, "after") }) // call_soon(after)
	_ = l.Post(func() { got = append(got, "soon-2") })
	f.AddDoneCallback(func(*Future[int]) { got = append(got, "after-2") })
	l.RunUntilIdle()
	if want := []string{"before", "soon", "after", "soon-2", "after-2"}; !slices.Equal(got, want) {
		t.Fatalf("ran %q, want %q", got, want)
	}
}

// A callback added while the future's callbacks run is scheduled for a later
// iteration (call_soon), not run in the same dispatch.
func TestConformanceAddDuringCallbacksRunsLater(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	var got []string
	f.AddDoneCallback(func(g *Future[int]) {
		got = append(got, "first")
		g.AddDoneCallback(func(*Future[int]) { got = append(got, "nested") })
	})
	f.AddDoneCallback(func(*Future[int]) { got = append(got, "second") })
	_ = f.SetResult(1)
	l.RunOnce()
	if !slices.Equal(got, []string{"first", "second"}) {
		t.Fatalf("first iteration ran %q", got)
	}
	l.RunOnce()
	if !slices.Equal(got, []string{"first", "second", "nested"}) {
		t.Fatalf("second iteration ran %q", got)
	}
}

// repr: <Future pending>, <Future finished result=...>, <Future finished
// exception=...>, <Future cancelled>.
func TestConformanceString(t *testing.T) {
	l := NewTestLoop()
	f := New[int](l)
	if s := f.String(); !strings.HasPrefix(s, "<Future pending") {
		t.Fatal(s)
	}
	_ = f.SetResult(42)
	if s := f.String(); !strings.HasPrefix(s, "<Future finished result=42") {
		t.Fatal(s)
	}
	e := New[int](l)
	_ = e.SetException(errors.New("boom"))
	if s := e.String(); !strings.HasPrefix(s, "<Future finished exception=") || !strings.Contains(s, "boom") {
		t.Fatal(s)
	}
	c := New[int](l)
	c.Cancel("")
	if s := c.String(); !strings.HasPrefix(s, "<Future cancelled") {
		t.Fatal(s)
	}
	l.RunUntilIdle()
}
