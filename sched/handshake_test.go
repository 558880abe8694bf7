package sched

// Stress test of the loop's sleep protocol (wakeup.go, "loop-sleep" in
// docs/protocols.md) on the build that ships: producers post small bursts
// with PostThreadsafe and wait until every callback ran, so a lost wakeup
// leaves a callback stranded in the inbox of a sleeping loop and the test
// names it. RINGLOOP_STRESS=30s runs longer (.ci/run does, without -race).

import (
	"fmt"
	"testing"
	"time"

	"github.com/ringloop/ringloop/internal/stress"
)

func TestPostThreadsafeNeverStranded(t *testing.T) {
	def := 2 * time.Second
	if testing.Short() {
		def = 200 * time.Millisecond
	}
	d, err := stress.Duration(def)
	if err != nil {
		t.Fatal(err)
	}
	type variant struct{ inbox, wakeup string }
	var vs []variant
	for _, w := range WakeupVariants() { // the default inbox under every waker
		vs = append(vs, variant{DefaultInbox, w})
	}
	for _, in := range InboxVariants()[1:] { // every other inbox under the default waker
		vs = append(vs, variant{in, DefaultWakeup})
	}
	each := max(d/4, 50*time.Millisecond)
	for _, v := range vs {
		t.Run("inbox="+v.inbox+"/wakeup="+v.wakeup, func(t *testing.T) {
			// No yield before sleeping: the loop goes to sleep as soon as its inbox
			// reads empty, which is the window under test.
			l := newLoop(t, WithInbox(v.inbox), WithWakeup(v.wakeup), WithYieldBeforeSleep(0))
			wait := runAsync(t, l)
			res, err := stress.Run(stress.Config{Duration: each, KeepGoing: stress.KeepGoing()}, stress.Target{
				Submit: func(_ int, fn func()) error { return l.PostThreadsafe(fn) },
				State: func() string {
					return fmt.Sprintf("loop state %d (0 running, 1 sleeping, 2 notified)", l.state.Load())
				},
			})
			t.Logf("PostThreadsafe burst-then-wait: %v", res)
			l.Stop()
			if werr := wait(10 * time.Second); werr != nil {
				t.Error(werr)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
