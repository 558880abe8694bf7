package sched

import (
	"testing"
	"time"
)

// The sleep protocol over the pointer-slot inbox, whose slot publish is a plain
// MOV on amd64: only the producer's XADD on the tail may carry the handshake.
// Run on the shipped (non-race) build as well as under -race.
func TestNoLostWakeupPtrInbox(t *testing.T) {
	n := 300_000
	if testing.Short() {
		n = 50_000
	}
	for _, w := range WakeupVariants() {
		t.Run("wakeup="+w, func(t *testing.T) {
			testNoLostWakeup(t, n, 2, WithInbox("mpsc"), WithWakeup(w), WithYieldBeforeSleep(0))
		})
	}
}

// A Handle travels through the pointer-slot inbox as its method value: it still
// runs once, a cancelled one never runs, and a panic in it is reported with the
// Handle, as for every other inbox.
func TestPtrInboxHandles(t *testing.T) {
	var reports []ExceptionContext
	l := newLoop(t, WithInbox("mpsc"), WithExceptionHandler(func(c ExceptionContext) { reports = append(reports, c) }))
	if l.ptrIn == nil {
		t.Fatal("mpsc loop does not submit through ptrIn")
	}
	ran, cancelledRan := make(chan struct{}), false
	var hPanic, hCancel *Handle
	done := make(chan struct{})
	go func() { // off the loop, before it runs: through the inbox, cancelled while queued
		defer close(done)
		var err error
		if hCancel, err = l.CallSoonThreadsafe(func() { cancelledRan = true }); err != nil {
			t.Error(err)
		}
		hCancel.Cancel()
		if hPanic, err = l.CallSoonThreadsafe(func() { panic("in a queued handle") }); err != nil {
			t.Error(err)
		}
		if _, err = l.CallSoonThreadsafe(func() { close(ran) }); err != nil {
			t.Error(err)
		}
	}()
	<-done
	wait := runAsync(t, l)
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("queued handle never ran")
	}
	l.PostThreadsafe(l.Stop)
	if err := wait(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if cancelledRan {
		t.Error("a handle cancelled while queued ran")
	}
	if len(reports) != 1 || reports[0].Handle != hPanic || reports[0].Panic != "in a queued handle" {
		t.Fatalf("reports %+v, want one naming the panicking handle %p", reports, hPanic)
	}
	if l.queuedHandle != nil {
		t.Error("queuedHandle left set after the report")
	}
}
