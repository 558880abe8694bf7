package bench

import (
	"errors"
	"testing"
	"time"
)

// TestNullBaseline: the null baseline keeps its schedule (every intended op
// recorded once, lateness recorded beside it), runs on any workload, and
// refuses closed loop.
func TestNullBaseline(t *testing.T) {
	w, err := Lookup("threadsafe")
	if err != nil {
		t.Fatal(err)
	}
	const rate, dur = 20_000.0, 200 * time.Millisecond
	res, err := w.Run(Config{Producers: 2, Rate: rate, Warmup: 20 * time.Millisecond, Duration: dur}, NullVariant())
	if err != nil {
		t.Fatal(err)
	}
	want := int64(rate * dur.Seconds())
	if res.Ops != res.Submitted || res.Ops < want-2 || res.Ops > want+2 {
		t.Fatalf("ops %d submitted %d, want %d (every op of the schedule, once)", res.Ops, res.Submitted, want)
	}
	if n := res.Rec.Lateness.TotalCount(); n != res.Ops {
		t.Fatalf("lateness samples %d, want %d", n, res.Ops)
	}
	if res.Rec.Warm == 0 {
		t.Fatalf("no warm-up samples skipped")
	}
	if _, err := w.Run(Config{Producers: 1, Duration: dur}, NullVariant()); !errors.Is(err, errNullClosed) {
		t.Fatalf("closed loop: err %v, want %v", err, errNullClosed)
	}
	if !NullVariant().IsNull() || w.ListedVariants()[0].IsNull() {
		t.Fatalf("IsNull wrong")
	}
}

// TestNullStop: closing Stop ends a null run early, marked Partial.
func TestNullStop(t *testing.T) {
	w, _ := Lookup("wakeup")
	stop := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() { close(stop) })
	t0 := time.Now()
	res, err := w.Run(Config{Producers: 1, Rate: 1000, Duration: 10 * time.Second, Stop: stop}, NullVariant())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || time.Since(t0) > 2*time.Second {
		t.Fatalf("partial %v after %v", res.Partial, time.Since(t0))
	}
}
