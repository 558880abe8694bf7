package pace

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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

// TestCount runs the pacer alone for 20 ms at 100,000/s and checks that it
// hands out exactly the schedule's 2,000 ops, in order, never before their
// intended times. (How close to the rate it keeps is a speed target: see
// BenchmarkPacer; house rule: no timed unit tests.)
func TestCount(t *testing.T) {
	const rate = 100_000
	start := hist.Now()
	end := start + int64(20*time.Millisecond)
	p := New(start, rate, 1, 0)
	var n, prev int64
	for {
		in, now, ok := p.Next(end)
		if !ok {
			break
		}
		if now < in || in <= prev {
			t.Fatalf("op %d: intended %d (previous %d), handed out at %d", n, in, prev, now)
		}
		prev = in
		n++
	}
	if n != rate/50 {
		t.Fatalf("handed out %d ops in 20 ms at %d/s, want exactly %d", n, rate, rate/50)
	}
}

// BenchmarkPacer: the pacer alone at 1,000,000/s (the target: within
// 1% on 2 cores), b.N ops. achieved-ops/s is ops over the time from the
// schedule's start to the last hand-out; late-ops is the share of ops handed
// out more than one period late.
func BenchmarkPacer(b *testing.B) {
	const rate = 1_000_000
	start := hist.Now()
	p := New(start, rate, 1, 0)
	last := start
	for range b.N {
		_, now, _ := p.Next(1<<63 - 1)
		last = now
	}
	if last > start {
		b.ReportMetric(float64(b.N)/(float64(last-start)/1e9), "achieved-ops/s")
	}
	b.ReportMetric(float64(p.Behind)/float64(b.N), "late-ops")
}

// TestSleepMode: Sleep mode hands out exactly the schedule, in order, never
// early, from a goroutine it locked to a thread whose timer slack is now
// 1 ns; an unknown mode name is an error naming it.
func TestSleepMode(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		const rate = 20_000
		start := hist.Now()
		end := start + int64(20*time.Millisecond)
		p := New(start, rate, 1, 0)
		if err := p.SetMode(Sleep); err != nil {
			done <- err
			return
		}
		if slack, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0); err != nil || slack != 1 {
			done <- fmt.Errorf("timer slack %d (%v), want 1 ns", slack, err)
			return
		}
		var n, prev int64
		for {
			in, now, ok := p.Next(end)
			if !ok {
				break
			}
			if now < in || in <= prev {
				done <- fmt.Errorf("op %d: intended %d (previous %d), handed out at %d", n, in, prev, now)
				return
			}
			prev = in
			n++
		}
		if n != rate/50 {
			done <- fmt.Errorf("handed out %d ops, want %d", n, rate/50)
			return
		}
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m, err := ParseMode("sleep"); err != nil || m != Sleep || m.String() != "sleep" {
		t.Fatalf("ParseMode(sleep) = %v, %v", m, err)
	}
	if _, err := ParseMode("nap"); err == nil || !strings.Contains(err.Error(), `"nap"`) {
		t.Fatalf("ParseMode(nap): %v", err)
	}
}

// BenchmarkPacerSleep is BenchmarkPacer in Sleep mode at 50,000/s (the
// rate of the harness-floor target), on its own locked goroutine.
func BenchmarkPacerSleep(b *testing.B) {
	for _, m := range []Mode{Spin, Sleep} {
		b.Run("mode="+m.String()+"/rate=50k", func(b *testing.B) {
			const rate = 50_000
			res := make(chan [3]float64)
			go func() {
				start := hist.Now()
				p := New(start, rate, 1, 0)
				p.SetMode(m)
				late := hist.NewHistogram()
				last := start
				for range b.N {
					in, now, _ := p.Next(1<<63 - 1)
					late.RecordValue(now - in)
					last = now
				}
				res <- [3]float64{float64(b.N) / (float64(last-start) / 1e9), float64(late.ValueAtQuantile(99)), float64(late.ValueAtQuantile(99.9))}
			}()
			r := <-res
			b.ReportMetric(r[0], "achieved-ops/s")
			b.ReportMetric(r[1], "late-p99-ns")
			b.ReportMetric(r[2], "late-p99.9-ns")
		})
	}
}
