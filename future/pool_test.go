package future

import (
	"context"
	"testing"
)

func TestPool(t *testing.T) {
	l := NewTestLoop()
	p := NewPool[int](l, 2)
	f := p.Get()
	if f.Done() || f.GetLoop() != Loop(l) {
		t.Fatal("Get returned a done future or one on another loop")
	}
	if p.Put(f) {
		t.Fatal("Put took a pending future")
	}
	ran := 0
	f.AddDoneCallback(func(*Future[int]) { ran++ })
	_ = f.SetResult(5)
	if p.Put(f) {
		t.Fatal("Put took a future whose dispatch has not run")
	}
	l.RunUntilIdle()
	if !p.Put(f) || p.Len() != 1 {
		t.Fatal("Put refused a done future with its dispatch run")
	}
	g := p.Get()
	if g != f {
		t.Fatal("Get did not recycle")
	}
	if g.Done() || g.String() != "<Future pending>" {
		t.Fatalf("recycled future not reset: %s", g)
	}
	// The recycled future works like a new one, thunk included.
	g.AddDoneCallback(func(g *Future[int]) {
		if v, _ := g.Result(); v != 6 {
			t.Errorf("recycled future result %d", v)
		}
		ran++
	})
	_ = g.SetResult(6)
	l.RunUntilIdle()
	if ran != 2 {
		t.Fatalf("callbacks ran %d times, want 2", ran)
	}

	// Refusals: another loop, a waiter, a full pool.
	other := New[int](NewTestLoop())
	other.Cancel("")
	if p.Put(other) {
		t.Fatal("Put took a future of another loop")
	}
	w := New[int](l)
	_ = w.DoneChan()
	_ = w.SetResult(1)
	if p.Put(w) {
		t.Fatal("Put took a future with a waiter channel")
	}
	for range 3 {
		d := New[int](l)
		d.Cancel("")
		p.Put(d)
	}
	if p.Len() != 2 {
		t.Fatalf("pool holds %d, max 2", p.Len())
	}
	if _, err := w.Wait(context.Background()); err == nil {
		// (on the loop goroutine Wait refuses; just exercising the waiter path)
		t.Fatal("Wait on the loop goroutine returned nil error")
	}
}

// TestPoolPutFromCallback: a future's only callback may recycle it; with two or
// more callbacks Put refuses while the later ones still receive the future.
func TestPoolPutFromCallback(t *testing.T) {
	l := NewTestLoop()
	p := NewPool[int](l, 4)
	f := p.Get()
	took := false
	f.AddDoneCallback(func(f *Future[int]) { took = p.Put(f) })
	_ = f.SetResult(1)
	l.RunUntilIdle()
	if !took {
		t.Fatal("the only callback could not recycle its future")
	}
	g := p.Get()
	var results []int
	g.AddDoneCallback(func(g *Future[int]) { took = p.Put(g) })
	g.AddDoneCallback(func(g *Future[int]) { v, _ := g.Result(); results = append(results, v) })
	_ = g.SetResult(7)
	l.RunUntilIdle()
	if took || len(results) != 1 || results[0] != 7 {
		t.Fatalf("Put during a multi-callback dispatch: took=%v results=%v", took, results)
	}
	if !p.Put(g) {
		t.Fatal("Put refused after the dispatch finished")
	}
}

func TestPoolAllocs(t *testing.T) {
	l := NewTestLoop()
	p := NewPool[int](l, 16)
	cb := func(f *Future[int]) { p.Put(f) }
	round := func() {
		f := p.Get()
		f.AddDoneCallback(cb)
		_ = f.SetResult(1)
		l.RunOnce()
	}
	round()
	if a := testing.AllocsPerRun(1000, round); a != 0 {
		t.Errorf("pooled round trip: %.1f allocs, want 0", a)
	}
}

// TestPoolOffLoopCompletion: futures completed by another goroutine are recycled
// by their callback and reused at once; under -race this checks that the
// completer's writes happen before the recycling (through the dispatch).
func TestPoolOffLoopCompletion(t *testing.T) {
	l := NewTestLoop()
	p := NewPool[int](l, 8)
	work := make(chan *Future[int], 8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		i := 0
		for f := range work {
			i++
			_ = f.SetResult(i)
		}
	}()
	const rounds = 5000
	got := 0
	last := 0
	cb := func(f *Future[int]) {
		v, err := f.Result()
		if err != nil || v != last+1 {
			t.Errorf("result %d, %v; want %d", v, err, last+1)
		}
		last = v
		got++
		if !p.Put(f) {
			t.Error("Put refused a future whose only callback is running")
		}
	}
	ctx := context.Background()
	for r := 0; r < rounds; r++ {
		f := p.Get()
		f.AddDoneCallback(cb)
		work <- f
		want := r + 1
		if err := l.RunUntil(ctx, func() bool { return got == want }); err != nil {
			t.Fatal(err)
		}
	}
	close(work)
	<-done
	if p.Len() == 0 {
		t.Fatal("nothing was recycled")
	}
}
