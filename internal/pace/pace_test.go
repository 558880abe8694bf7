package pace

import (
	"testing"
	"time"

	"github.com/ringloop/ringloop/internal/hist"
)

func TestSchedule(t *testing.T) {
	p := New(1000, 1e6, 4, 1) // 4 producers at 1M/s: period 4000 ns, offset 1000
	if p.Period() != 4000 {
		t.Fatalf("period %v", p.Period())
	}
	if got := p.Peek(); got != 2000 {
		t.Fatalf("first intended %d, want 2000", got)
	}
	for i := int64(0); i < 5; i++ {
		in, now, ok := p.Next(1 << 62)
		if !ok || in != 2000+i*4000 || now < in {
			t.Fatalf("op %d: intended %d now %d ok %v", i, in, now, ok)
		}
	}
	// The schedule is long past: every op was late.
	if p.Behind != 5 {
		t.Fatalf("Behind = %d, want 5", p.Behind)
	}
	if got := p.Take(p.Peek()); got != 22000 || p.Behind != 5 {
		t.Fatalf("Take = %d (Behind %d), want 22000 and not late", got, p.Behind)
	}
	if _, _, ok := p.Next(p.Peek()); ok {
		t.Fatal("Next past the deadline returned ok")
	}
}

func TestNoDrift(t *testing.T) {
	p := New(0, 3e6, 1, 0) // period 333.33 ns: rounding must not accumulate
	for range 3_000_000 - 1 {
		p.i++
	}
	if got := p.Peek(); got < 999_999_000 || got > 1_000_000_000 {
		t.Fatalf("op 2,999,999 intended at %d ns, want ~999,999,667", got)
	}
}

func TestBadArgsPanic(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for rate 0")
		}
	}()
	New(0, 0, 1, 0)
}

// TestRate runs the pacer alone for 100 ms at 100,000/s (50,000/s with
// -short): it hands out exactly the schedule's ops, and the achieved rate (ops / time to the
// last hand-out) is within 1%. The machine this runs on may be shared and
// deschedule the test at the wrong moment, so up to five attempts are made;
// the rate must be met in one of them. (The 1,000,000/s target with a loop
// behind it is measured by loadgen itself.)
func TestRate(t *testing.T) {
	rate := int64(100_000)
	if testing.Short() {
		rate = 50_000 // -race -short: the detector's overhead on a shared machine
	}
	var got []float64
	for range 5 {
		start := hist.Now()
		end := start + int64(100*time.Millisecond)
		p := New(start, float64(rate), 1, 0)
		var n int64
		last := start
		for {
			_, now, ok := p.Next(end)
			if !ok {
				break
			}
			n++
			last = now
		}
		if n != rate/10 {
			t.Fatalf("handed out %d ops in 100 ms at %d/s, want exactly %d", n, rate, rate/10)
		}
		r := float64(n) / (float64(last-start) / 1e9)
		if r >= float64(rate)*0.99 && r <= float64(rate)*1.01 {
			return
		}
		got = append(got, r)
	}
	t.Fatalf("achieved %.0f/s in 5 attempts, want %d within 1%%", got, rate)
}
