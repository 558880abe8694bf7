package sched

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// No goroutine outlives a closed loop (or a test).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newLoop creates a loop closed at the end of the test.
func newLoop(t testing.TB, opts ...Option) *Loop {
	t.Helper()
	l, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// runAsync runs l.RunForever on a new goroutine; the returned func waits for it
// (failing the test after d) and returns RunForever's error.
func runAsync(t testing.TB, l *Loop) func(d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- l.RunForever() }()
	return func(d time.Duration) error {
		t.Helper()
		select {
		case err := <-done:
			return err
		case <-time.After(d):
			t.Fatalf("loop (inbox=%s wakeup=%s) did not return within %v", l.InboxName(), l.WakeupName(), d)
			return nil
		}
	}
}

// waitSleeping spins until the running loop has entered its sleep (L1).
func waitSleeping(t testing.TB, l *Loop) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for l.state.Load() != stSleeping {
		if time.Now().After(deadline) {
			t.Fatal("loop never went to sleep")
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// variants yields every inbox x wakeup pair as a sub-test name and options.
func eachVariant(t *testing.T, f func(t *testing.T, opts ...Option)) {
	for _, in := range InboxVariants() {
		for _, w := range WakeupVariants() {
			t.Run("inbox="+in+"/wakeup="+w, func(t *testing.T) {
				f(t, WithInbox(in), WithWakeup(w))
			})
		}
	}
}
