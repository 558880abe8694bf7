package sched

import (
	"testing"
	"time"
)

// TestSmokeAllVariants runs the basic submit / timer / stop path on every inbox x
// wakeup pair (the full contract table lives in contract_test.go).
func TestSmokeAllVariants(t *testing.T) {
	for _, in := range InboxVariants() {
		for _, w := range WakeupVariants() {
			t.Run("inbox="+in+"/wakeup="+w, func(t *testing.T) {
				l, err := New(WithInbox(in), WithWakeup(w))
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				var got []int
				l.Post(func() { got = append(got, 1) })
				l.CallLater(time.Millisecond, func() {
					got = append(got, 3)
					if len(got) == 4 {
						l.Stop()
					}
				})
				l.CallSoon(func() {
					got = append(got, 2)
					go l.PostThreadsafe(func() {
						got = append(got, 4)
						if len(got) == 4 {
							l.Stop()
						}
					})
				})
				done := make(chan error)
				go func() { done <- l.RunForever() }()
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("loop did not stop")
				}
				if len(got) != 4 || got[0] != 1 || got[1] != 2 {
					t.Fatalf("got %v", got)
				}
			})
		}
	}
}
