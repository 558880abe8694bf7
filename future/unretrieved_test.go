package future

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// reportLoop is a TestLoop that records unretrieved-exception reports.
type reportLoop struct {
	*TestLoop
	debug bool
	mu    sync.Mutex
	got   []reported
}

type reported struct {
	msg     string
	err     error
	created string
}

func (l *reportLoop) GetDebug() bool { return l.debug }

func (l *reportLoop) ReportUnretrieved(msg string, err error, created []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, reported{msg, err, string(created)})
}

func (l *reportLoop) reports() []reported {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]reported(nil), l.got...)
}

// collect runs GCs until n reports arrived or 5 s pass.
func (l *reportLoop) collect(n int) []reported {
	for deadline := time.Now().Add(5 * time.Second); len(l.reports()) < n && time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(time.Millisecond) // cleanups run on their own goroutine
	}
	return l.reports()
}

//go:noinline
func dropFailed(l Loop, err error) {
	f := New[int](l)
	_ = f.SetException(err)
}

func TestUnretrievedReportedOnce(t *testing.T) {
	for _, dbg := range []bool{false, true} {
		l := &reportLoop{TestLoop: NewTestLoop(), debug: dbg}
		AddDebugLoops(1)
		errDropped, errSeen := errors.New("dropped"), errors.New("seen")
		func() {
			dropFailed(l, errDropped)
			_ = New[int](l).SetExceptionAllowCancelled(ErrCancelled) // gather's outer: reported too
			w := New[int](l)
			_ = w.SetException(errSeen)
			done := make(chan error)
			go func() { _, err := w.Wait(context.Background()); done <- err }() // Wait retrieves
			if err := <-done; !errors.Is(err, errSeen) {
				t.Fatal(err)
			}
		}()
		got := l.collect(2)
		for i := 0; i < 3; i++ {
			runtime.GC()
			time.Sleep(time.Millisecond)
		}
		got = l.reports()
		AddDebugLoops(-1)
		l.RunUntilIdle()
		if len(got) != 2 {
			t.Fatalf("debug=%v: %d reports, want 2 (dropped, allow-cancelled): %+v", dbg, len(got), got)
		}
		for _, r := range got {
			if r.msg != UnretrievedMessage || !(errors.Is(r.err, errDropped) || errors.Is(r.err, ErrCancelled)) {
				t.Errorf("debug=%v: report %+v", dbg, r)
			}
			if errors.Is(r.err, errDropped) && dbg != strings.Contains(r.created, "future.dropFailed") {
				t.Errorf("debug=%v: creation stack %q", dbg, r.created)
			}
		}
	}
}

// Pool.Put ends the future's life: an unretrieved error is reported at once,
// a retrieved one never, and the recycled future carries no old report.
func TestUnretrievedPoolPut(t *testing.T) {
	l := &reportLoop{TestLoop: NewTestLoop()}
	p := NewPool[int](l, 4)
	errA, errB := errors.New("a"), errors.New("b")
	f := p.Get()
	_ = f.SetException(errA)
	l.RunUntilIdle()
	if !p.Put(f) {
		t.Fatal("Put refused a done future")
	}
	if got := l.reports(); len(got) != 1 || !errors.Is(got[0].err, errA) {
		t.Fatalf("after Put of an unread failure: %+v, want one report of a", got)
	}
	g := p.Get()
	_ = g.SetException(errB)
	_ = g.Exception()
	l.RunUntilIdle()
	p.Put(g)
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	if got := l.reports(); len(got) != 1 {
		t.Fatalf("a read failure was reported: %+v", got)
	}
}

// The success round trip allocates and reports nothing more than before.
func TestUnretrievedSuccessPaysNothing(t *testing.T) {
	l := &reportLoop{TestLoop: NewTestLoop()}
	p := NewPool[int](l, 4)
	before := armed.Load()
	allocs := testing.AllocsPerRun(1000, func() {
		f := p.Get()
		f.OnDone(func() {})
		_ = f.SetResult(1)
		l.RunUntilIdle()
		_, _ = f.Result()
		p.Put(f)
	})
	if allocs != 0 {
		t.Fatalf("pooled success round trip: %v allocs, want 0", allocs)
	}
	if n := armed.Load() - before; n != 0 {
		t.Fatalf("%d reports armed by successful futures", n)
	}
}
