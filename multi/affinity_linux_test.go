//go:build linux

package multi

import (
	"errors"
	"github.com/ringloop/ringloop/sched"
	"slices"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// A pinned loop's thread has exactly its CPU in its affinity mask, and runs there.
func TestGroupPinsLoopThread(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	allowed, err := AllowedCPUs()
	if err != nil || len(allowed) == 0 {
		t.Fatalf("AllowedCPUs: %v %v", allowed, err)
	}
	want := allowed[len(allowed)-1]
	g := newTestGroup(t, WithGroupCPUs(want))
	if pe := g.PinErrors(); len(pe) != 0 {
		g.Close()
		t.Fatalf("pin to allowed CPU %d refused: %v", want, pe)
	}
	type res struct {
		mask []int
		cpu  int
		err  error
	}
	out := make(chan res, 1)
	_ = g.SubmitTo(0, func() {
		var set unix.CPUSet
		err := unix.SchedGetaffinity(0, &set)
		var mask []int
		for c := 0; c < maxCPU; c++ {
			if set.IsSet(c) {
				mask = append(mask, c)
			}
		}
		cpu, err2 := threadCPU()
		out <- res{mask, cpu, errors.Join(err, err2)}
	})
	r := <-out
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !slices.Equal(r.mask, []int{want}) {
		t.Errorf("loop thread affinity %v, want [%d]", r.mask, want)
	}
	if r.cpu != want {
		t.Errorf("loop thread runs on CPU %d, want %d", r.cpu, want)
	}
	if g.CPU(0) != want {
		t.Errorf("CPU(0) = %d, want %d", g.CPU(0), want)
	}
}

// A CPU outside the allowed set: the OS refuses, the group reports it (PinErrors
// and the exception handler) and runs the loop anyway.
func TestGroupPinRefusedIsReportedNotFatal(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	allowed, err := AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	bad := maxCPU - 1
	for slices.Contains(allowed, bad) {
		bad--
	}
	var handled atomic.Pointer[sched.ExceptionContext]
	g := newTestGroup(t, WithGroupCPUs(allowed[0], bad),
		WithGroupLoopOptions(sched.WithExceptionHandler(func(c sched.ExceptionContext) { handled.Store(&c) })))
	pe := g.PinErrors()
	if len(pe) != 1 {
		g.Close()
		t.Fatalf("PinErrors = %v, want exactly one (CPU %d)", pe, bad)
	}
	var p *PinError
	if !errors.As(pe[0], &p) || p.CPU != bad || p.Loop != 1 {
		t.Errorf("PinErrors[0] = %v, want *PinError for loop 1 CPU %d", pe[0], bad)
	}
	if !errors.Is(pe[0], unix.EINVAL) {
		t.Errorf("PinErrors[0] = %v, want it to wrap EINVAL", pe[0])
	}
	if !slices.Equal(p.Allowed, allowed) {
		t.Errorf("PinError.Allowed = %v, want %v", p.Allowed, allowed)
	}
	ran := make(chan struct{})
	if err := g.SubmitTo(1, func() { close(ran) }); err != nil {
		t.Fatal(err)
	}
	<-ran
	waitFor(t, "the pin refusal at the exception handler", func() bool { return handled.Load() != nil })
	if c := handled.Load(); !errors.As(c.Err, &p) || c.Loop != g.Loop(1) {
		t.Errorf("handler got %+v, want the *PinError from loop 1", c)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}
