package coro

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ringloop/ringloop/internal/goid"
	"go.uber.org/goleak"
)

// stepJob records its progress and suspends steps times before returning.
type stepJob struct {
	steps  int
	trace  *[]string
	name   string
	alive  []bool // what each suspend returned
	gid    uintptr
	unwind bool // set when a suspend returned false
}

func (j *stepJob) RunCoro(co Coroutine) {
	j.gid = goid.Current()
	for i := 0; i < j.steps; i++ {
		*j.trace = append(*j.trace, fmt.Sprintf("%s:%d", j.name, i))
		ok := co.Suspend()
		j.alive = append(j.alive, ok)
		if !ok {
			j.unwind = true
			return
		}
	}
	*j.trace = append(*j.trace, j.name+":end")
}

func eachEngine(t *testing.T, fn func(t *testing.T, e Engine, h *hookLog)) {
	for _, name := range engines {
		t.Run("coro="+name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			h := &hookLog{live: map[uintptr]bool{}}
			e, ok := New(name, Hooks{Enter: h.enter, Exit: h.exit})
			if !ok {
				t.Fatalf("New(%q) refused a listed variant", name)
			}
			fn(t, e, h)
			e.Close()
			if n := h.count(); n != 0 {
				t.Fatalf("%d Coroutine goroutines still registered after close", n)
			}
		})
	}
}

type hookLog struct {
	mu      sync.Mutex
	live    map[uintptr]bool
	entered int
}

func (h *hookLog) enter(id uintptr) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.live[id] {
		panic("entered twice")
	}
	h.live[id] = true
	h.entered++
}

func (h *hookLog) exit(id uintptr) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.live[id] {
		panic("exit without enter")
	}
	delete(h.live, id)
}

func (h *hookLog) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.live)
}

func TestCoroInterleaving(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine, h *hookLog) {
		var trace []string
		a := &stepJob{steps: 2, trace: &trace, name: "a"}
		b := &stepJob{steps: 1, trace: &trace, name: "b"}
		ca, cb := e.Get(a), e.Get(b)
		if ca.Resume() {
			t.Fatal("a finished before its first suspend")
		}
		if cb.Resume() {
			t.Fatal("b finished before its first suspend")
		}
		if ca.Goid() == 0 || ca.Goid() == cb.Goid() || ca.Goid() == goid.Current() {
			t.Fatalf("goids: a=%x b=%x caller=%x", ca.Goid(), cb.Goid(), goid.Current())
		}
		if a.gid != ca.Goid() {
			t.Fatalf("job ran on %x, Coroutine reports %x", a.gid, ca.Goid())
		}
		if !cb.Resume() {
			t.Fatal("b did not finish")
		}
		e.Put(cb)
		if ca.Resume() {
			t.Fatal("a finished early")
		}
		if !ca.Resume() {
			t.Fatal("a did not finish")
		}
		e.Put(ca)
		want := "a:0 b:0 b:end a:1 a:end"
		if got := strings.Join(trace, " "); got != want {
			t.Fatalf("trace %q, want %q", got, want)
		}
		for _, ok := range append(a.alive, b.alive...) {
			if !ok {
				t.Fatal("suspend returned false without kill")
			}
		}
	})
}

func TestCoroPoolReuses(t *testing.T) {
	h := &hookLog{live: map[uintptr]bool{}}
	e, _ := New(Pull, Hooks{Enter: h.enter, Exit: h.exit})
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var trace []string
	var first uintptr
	for i := 0; i < 10; i++ {
		j := &stepJob{steps: 1, trace: &trace, name: "j"}
		c := e.Get(j)
		c.Resume()
		if !c.Resume() {
			t.Fatal("job did not finish")
		}
		if i == 0 {
			first = j.gid
		} else if j.gid != first {
			t.Fatalf("job %d ran on goroutine %x, want the pooled %x", i, j.gid, first)
		}
		e.Put(c)
	}
	if h.entered != 1 {
		t.Fatalf("%d goroutines started for 10 sequential jobs, want 1", h.entered)
	}
	if e.Idle() != 1 {
		t.Fatalf("idle = %d, want 1", e.Idle())
	}
	e.Close()
	if e.Idle() != 0 || h.count() != 0 {
		t.Fatalf("after close: idle %d, registered %d", e.Idle(), h.count())
	}
}

func TestCoroPoolBound(t *testing.T) {
	h := &hookLog{live: map[uintptr]bool{}}
	e := &PullEngine{hooks: Hooks{Enter: h.enter, Exit: h.exit}, max: 2}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var trace []string
	var cs []Coroutine
	for i := 0; i < 5; i++ {
		c := e.Get(&stepJob{steps: 0, trace: &trace, name: "j"})
		cs = append(cs, c)
		if !c.Resume() {
			t.Fatal("job did not finish")
		}
	}
	for _, c := range cs {
		e.Put(c)
	}
	if e.Idle() != 2 || h.count() != 2 {
		t.Fatalf("idle %d, live %d; want 2 and 2", e.Idle(), h.count())
	}
	e.Close()
	if h.count() != 0 {
		t.Fatal("parked coroutines survived close")
	}
}

func TestCoroKillUnwinds(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine, h *hookLog) {
		var trace []string
		j := &stepJob{steps: 3, trace: &trace, name: "k"}
		c := e.Get(j)
		c.Resume()
		c.Resume()
		if !c.Kill() {
			t.Fatal("kill did not finish the job")
		}
		e.Put(c)
		if !j.unwind || len(j.alive) != 2 || !j.alive[0] || j.alive[1] {
			t.Fatalf("alive %v unwind %v", j.alive, j.unwind)
		}
	})
}

func TestCoroInspect(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine, h *hookLog) {
		var trace []string
		j := &stepJob{steps: 1, trace: &trace, name: "i"}
		c := e.Get(j)
		c.Resume()
		var onStack bool
		var where uintptr
		c.Inspect(func() {
			where = goid.Current()
			pcs := make([]uintptr, 32)
			fs := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
			for {
				f, more := fs.Next()
				if strings.HasSuffix(f.Function, "(*stepJob).RunCoro") {
					onStack = true
				}
				if !more {
					break
				}
			}
		})
		if where != c.Goid() || !onStack {
			t.Fatalf("probe ran on %x (Coroutine %x), saw job frame: %v", where, c.Goid(), onStack)
		}
		if !c.Resume() {
			t.Fatal("job did not finish after inspect")
		}
		e.Put(c)
		if len(j.alive) != 1 || !j.alive[0] {
			t.Fatalf("inspect disturbed the job: alive %v", j.alive)
		}
	})
}

// TestCoroLockedThread runs the engines from a goroutine locked to its OS thread, as
// a loop created with WithLockOSThread(true) does.
func TestCoroLockedThread(t *testing.T) {
	eachEngine(t, func(t *testing.T, e Engine, h *hookLog) {
		done := make(chan string)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var trace []string
			for i := 0; i < 3; i++ {
				j := &stepJob{steps: 2, trace: &trace, name: "l"}
				c := e.Get(j)
				for !c.Resume() {
				}
				e.Put(c)
			}
			e.Close() // on the locked thread, as the runtime requires
			done <- strings.Join(trace, " ")
		}()
		got := <-done
		if want := strings.Repeat("l:0 l:1 l:end ", 3); got+" " != want {
			t.Fatalf("trace %q", got)
		}
	})
}

// loopJob suspends forever until killed: one resume = one suspend/resume round trip.
type loopJob struct{}

func (loopJob) RunCoro(co Coroutine) {
	for co.Suspend() {
	}
}

func BenchmarkCoroSwitch(b *testing.B) {
	for _, name := range engines {
		b.Run("coro="+name, func(b *testing.B) {
			e, _ := New(name, Hooks{})
			c := e.Get(loopJob{})
			c.Resume()
			b.ReportAllocs()
			for b.Loop() {
				c.Resume()
			}
			c.Kill()
			e.Put(c)
			e.Close()
		})
	}
}

// engines are the names New accepts.
var engines = []string{Pull, PullNoPool, Goroutine}
