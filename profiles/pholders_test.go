package profiles

import (
	"bytes"
	"runtime"
	"runtime/trace"
	"strings"
	"testing"
	"time"
)

// holdP spins on the only P for d after readying the loop goroutine, so
// the loop waits, runnable, for the P this goroutine holds.
//
//go:noinline
func holdP(ready chan<- struct{}, d time.Duration) {
	ready <- struct{}{}
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

// TestWhoHeldThePs: with one P, a goroutine that readies the loop and then
// spins on the P for 20 ms is named as the holder of the P, by its frame,
// for most of the loop's runnable time, and no P was idle meanwhile.
func TestWhoHeldThePs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("trace unavailable: %v", err)
	}
	ready, loopID := make(chan struct{}), make(chan int64, 1)
	done := make(chan struct{})
	go func() { // the "loop"
		loopID <- currentGoID()
		<-ready
		close(done)
	}()
	id := <-loopID
	runtime.Gosched() // let the loop block on ready
	held := make(chan struct{})
	go func() {
		holdP(ready, 20*time.Millisecond)
		close(held)
	}()
	<-done
	<-held
	trace.Stop()

	s, err := SummarizeTrace(&buf, SummaryOptions{Loop: []int64{id}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Runnable < 5*time.Millisecond {
		t.Fatalf("loop runnable %v, want ~20ms (held off its P by the spinner): %s", s.Runnable, s)
	}
	if len(s.Holders) == 0 || !strings.Contains(s.Holders[0].Frame, "holdP") || s.Holders[0].Held < s.Runnable/2 {
		t.Fatalf("holders %+v, want holdP holding the P for most of %v", s.Holders, s.Runnable)
	}
	if s.ProcsSeen != 1 || s.IdlePWhileRunnable*4 >= s.Runnable {
		t.Errorf("Ps seen %d, idle while runnable %v (one P, busy)", s.ProcsSeen, s.IdlePWhileRunnable)
	}
	str := s.String()
	for _, want := range []string{"meanwhile the Ps ran goroutine", "profiles.holdP", "no P was idle meanwhile"} {
		if !strings.Contains(str, want) && !(want == "no P was idle meanwhile" && strings.Contains(str, "a P was idle only")) {
			t.Errorf("summary lacks %q: %s", want, str)
		}
	}
	if !strings.Contains(s.Cause, "holdP") {
		t.Errorf("cause does not name the holder: %s", s.Cause)
	}
}
