package profiles

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/trace"
	"strings"
	"testing"
	"time"

	"github.com/ringloop/ringloop/results"
)

// item is one operation for the toy loop: its intended start and an optional
// stall to run instead of the usual no-op callback.
type item struct {
	intended time.Time
	stall    func()
}

// runToyLoop runs a loop goroutine (marked with MarkLoop when mark is true) fed
// every 200us by an open-loop producer for total, with stall injected once at
// half time. Every operation's latency on the loop side (from its intended start
// or from when the loop received it, whichever is later, so a producer delayed by
// a busy shared machine does not count) goes to rec.Observe.
func runToyLoop(t *testing.T, rec *OutlierRecorder, mark bool, total time.Duration, stall func()) {
	t.Helper()
	ch := make(chan item, 1<<16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if mark {
			defer MarkLoop(context.Background())()
		}
		for it := range ch {
			from := time.Now()
			if it.intended.After(from) {
				from = it.intended
			}
			if it.stall != nil {
				it.stall()
			}
			rec.Observe(time.Since(from))
		}
	}()
	start := time.Now()
	const period = 200 * time.Microsecond
	stalled := false
	for i := 0; ; i++ {
		intended := start.Add(time.Duration(i) * period)
		if intended.Sub(start) > total {
			break
		}
		if d := time.Until(intended); d > 0 {
			time.Sleep(d)
		}
		it := item{intended: intended}
		if !stalled && intended.Sub(start) > total/2 {
			it.stall, stalled = stall, true
		}
		ch <- it
	}
	close(ch)
	<-done
}

// naming returns the first outlier whose summary contains cause (a loaded
// shared machine can add outliers of its own), or the largest one.
func naming(outs []results.Outlier, causes ...string) results.Outlier {
	for _, x := range outs {
		for _, c := range causes {
			if strings.Contains(x.Summary, c) {
				return x
			}
		}
	}
	o := outs[0]
	for _, x := range outs {
		if x.LatencyNs > o.LatencyNs {
			o = x
		}
	}
	return o
}

func TestOutlierSleepStallNamesSleep(t *testing.T) {
	dir := t.TempDir()
	// Armed only by the stall itself, so noise from a loaded machine before it
	// cannot take the slot; the first capture is the stall's.
	rec, err := NewOutlierRecorder(dir, "toy", "sleep", 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	runToyLoop(t, rec, true, 300*time.Millisecond, func() { rec.SetThreshold(25 * time.Millisecond); time.Sleep(60 * time.Millisecond) })
	outs, err := rec.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) == 0 {
		t.Fatal("a 60ms sleep in a callback produced no outlier above 25ms")
	}
	o := naming(outs, "cause: loop goroutine blocked (sleep)")
	t.Logf("outlier: %s %v\n%s", o.TraceFile, time.Duration(o.LatencyNs), o.Summary)
	if o.Workload != "toy" || o.Variant != "sleep" || !strings.HasPrefix(filepath.Base(o.TraceFile), "toy-sleep-") {
		t.Errorf("outlier names: %+v", o)
	}
	if o.LatencyNs < int64(25*time.Millisecond) {
		t.Errorf("outlier latency %v below the threshold", time.Duration(o.LatencyNs))
	}
	if fi, err := os.Stat(o.TraceFile); err != nil || fi.Size() == 0 {
		t.Fatalf("trace file: %v", err)
	}
	if !strings.Contains(o.Summary, "cause: loop goroutine blocked (sleep)") {
		t.Errorf("summary does not name the sleep as the cause:\n%s", o.Summary)
	}
	// go tool trace opens it: its parser (-d=parsed prints every event) accepts the file.
	if out, err := exec.Command("go", "tool", "trace", "-d=parsed", o.TraceFile).CombinedOutput(); err != nil {
		if _, lerr := exec.LookPath("go"); lerr != nil {
			t.Logf("go tool not found: not checking that go tool trace opens %s", o.TraceFile)
		} else {
			t.Errorf("go tool trace -d=parsed %s: %v\n%.500s", o.TraceFile, err, out)
		}
	}
	s, err := SummarizeTraceFile(o.TraceFile, SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.LoopGuessed || len(s.Loop) != 1 {
		t.Errorf("loop goroutine not identified from MarkLoop: %+v", s)
	}
	if got := s.BlockedBy["sleep"]; got < 40*time.Millisecond {
		t.Errorf("blocked in sleep %v, want about 60ms; summary %s", got, s)
	}
	if s.Outlier < 1 || s.Latency != time.Duration(o.LatencyNs) {
		t.Errorf("outlier info not read back from the trace: n=%d latency=%v", s.Outlier, s.Latency)
	}
}

// bigHeap keeps enough pointers live that a forced GC takes a while to mark.
var bigHeap [][]*[4]int

func TestOutlierForcedGCNamesGC(t *testing.T) {
	bigHeap = make([][]*[4]int, 64)
	for i := range bigHeap {
		bigHeap[i] = make([]*[4]int, 1<<14)
		for j := range bigHeap[i] {
			bigHeap[i][j] = new([4]int)
		}
	}
	defer func() { bigHeap = nil }()
	dir := t.TempDir()
	rec, err := NewOutlierRecorder(dir, "toy", "gc", 0, 4) // armed by the stall itself
	if err != nil {
		t.Fatal(err)
	}
	runToyLoop(t, rec, true, 300*time.Millisecond, func() {
		rec.SetThreshold(3 * time.Millisecond) // two GCs of a 64 MiB pointer heap take longer
		runtime.GC()
		runtime.GC()
	})
	outs, err := rec.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) == 0 {
		t.Fatal("two forced GCs in a callback produced no outlier")
	}
	// The GC outlier is the largest; a noise outlier might have been captured too.
	o := naming(outs, "cause: GC on the loop goroutine", "cause: loop goroutine blocked waiting for GC", "cause: stop-the-world")
	t.Logf("outlier %v:\n%s", time.Duration(o.LatencyNs), o.Summary)
	if !strings.Contains(o.Summary, "cause: GC on the loop goroutine") && !strings.Contains(o.Summary, "cause: stop-the-world") {
		t.Errorf("summary does not name GC as the cause:\n%s", o.Summary)
	}
	s, err := SummarizeTraceFile(o.TraceFile, SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.STW <= 0 {
		t.Errorf("a forced GC stops the world, but the summary saw no stop-the-world: %s", s)
	}
	if s.GCMark <= 0 {
		t.Errorf("no GC mark phase in the window: %s", s)
	}
}

// A heap dump stops the world for as long as it writes: the summary must name
// the stop-the-world and its reason.
func TestOutlierStopTheWorldNamesSTW(t *testing.T) {
	bigHeap = make([][]*[4]int, 16)
	for i := range bigHeap {
		bigHeap[i] = make([]*[4]int, 1<<14)
		for j := range bigHeap[i] {
			bigHeap[i][j] = new([4]int)
		}
	}
	defer func() { bigHeap = nil }()
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	rec, err := NewOutlierRecorder(t.TempDir(), "toy", "stw", 0, 4) // armed by the stall itself
	if err != nil {
		t.Fatal(err)
	}
	runToyLoop(t, rec, true, 200*time.Millisecond, func() {
		rec.SetThreshold(3 * time.Millisecond) // dumping 512k objects takes longer
		debug.WriteHeapDump(devnull.Fd())
	})
	outs, err := rec.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) == 0 {
		t.Fatal("a heap dump in a callback produced no outlier")
	}
	o := naming(outs, "cause: stop-the-world")
	t.Logf("outlier %v:\n%s", time.Duration(o.LatencyNs), o.Summary)
	if !strings.Contains(o.Summary, "cause: stop-the-world") || !strings.Contains(o.Summary, "write heap dump") {
		t.Errorf("summary does not name the stop-the-world and its reason:\n%s", o.Summary)
	}
}

func TestOutlierBoundedAndGuessedLoop(t *testing.T) {
	dir := t.TempDir()
	gate := make(chan struct{})
	testHookBeforeWrite = func() { <-gate } // hold each snapshot pending until the test says
	rec, err := NewOutlierRecorder(dir, "toy", "bound", time.Millisecond, 2)
	testHookBeforeWrite = nil
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewOutlierRecorder(dir, "toy", "second", time.Millisecond, 2); err == nil {
		t.Error("a second flight recorder started while one runs")
	}
	for i := 0; i < 6; i++ {
		busy := time.Now()
		for time.Since(busy) < 3*time.Millisecond { // a busy "callback" on an unmarked goroutine
		}
		rec.Observe(5 * time.Millisecond)
		rec.Observe(6 * time.Millisecond) // while the first is pending: skipped
		if i < 2 {
			gate <- struct{}{} // let the writer take this snapshot
			for j := 0; j < 5000 && rec.pending.Load(); j++ {
				time.Sleep(time.Millisecond)
			}
		}
	}
	outs, err := rec.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 {
		t.Fatalf("captured %d outliers, want the limit 2", len(outs))
	}
	for i, o := range outs {
		if want := TracePath(dir, "toy", "bound", i+1); o.TraceFile != want {
			t.Errorf("outlier %d file %s, want %s", i, o.TraceFile, want)
		}
	}
	if _, err := os.Stat(TracePath(dir, "toy", "bound", 3)); err == nil {
		t.Error("a third trace file was written past the limit")
	}
	if rec.Skipped() != 2 { // after the limit the fast path rejects, uncounted
		t.Errorf("skipped %d, want 2 (the outlier right behind each of the 2 captured ones)", rec.Skipped())
	}
	if !strings.Contains(outs[0].Summary, "(the outlier's observer)") {
		t.Errorf("with no MarkLoop the loop goroutine should be the one that called Observe: %s", outs[0].Summary)
	}
	// After Close, Observe is a no-op and Close is idempotent.
	rec.Observe(time.Hour)
	again, _ := rec.Close()
	if len(again) != 2 {
		t.Errorf("second Close returned %d outliers", len(again))
	}
	// A new recorder may start now that the first one stopped.
	r2, err := NewOutlierRecorder(dir, "toy", "after", 0, 1)
	if err != nil {
		t.Fatalf("recorder after Close: %v", err)
	}
	r2.Close()
}

// A plain trace (trace.Start, no markers, no MarkLoop): the busiest goroutine is
// taken for the loop, and said to be a guess.
func TestSummarizePlainTraceGuessesBusiest(t *testing.T) {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("cannot start a trace (go test -trace?): %v", err)
	}
	idc := make(chan int64, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		idc <- currentGoID()
		for end := time.Now().Add(40 * time.Millisecond); time.Now().Before(end); {
			sink += spinLeaf(1000)
		}
	}()
	<-done
	time.Sleep(5 * time.Millisecond) // idle tail
	trace.Stop()
	raw := buf.Bytes()
	s, err := SummarizeTrace(bytes.NewReader(raw), SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := <-idc
	if !s.LoopGuessed || s.LoopSource != "guessed" || len(s.Loop) != 1 {
		t.Fatalf("guessed loop %v (source %q), want one guessed goroutine\n%s", s.Loop, s.LoopSource, s)
	}
	if s.Loop[0] != want {
		// On a loaded machine (or under -race, where the trace writer works hard)
		// another goroutine may really have run more: the guess must still be
		// the busiest.
		sp, err := SummarizeTrace(bytes.NewReader(raw), SummaryOptions{Loop: []int64{want}})
		if err != nil {
			t.Fatal(err)
		}
		if sp.Running > s.Running {
			t.Errorf("guessed goroutine %d ran %v, less than the spinner %d's %v", s.Loop[0], s.Running, want, sp.Running)
		}
		t.Logf("goroutine %d ran %v, more than the spinner's %v: guessed it", s.Loop[0], s.Running, sp.Running)
	} else if s.Running < 10*time.Millisecond {
		t.Errorf("the spinning goroutine ran %v, want most of 40ms", s.Running)
	}
	// (Unless a stop-the-world, e.g. trace start, took a quarter of the window.)
	if !strings.Contains(s.Cause, "busiest goroutine (no loop marked) busy running") && !strings.HasPrefix(s.Cause, "stop-the-world") {
		t.Errorf("cause %q", s.Cause)
	}
	// An explicit loop wins over the guess.
	g, err := SummarizeTrace(bytes.NewReader(raw), SummaryOptions{Loop: []int64{want + 1000}})
	if err != nil {
		t.Fatal(err)
	}
	if g.LoopSource != "given" || g.Loop[0] != want+1000 || g.Running != 0 {
		t.Errorf("given loop: %+v", g)
	}
	if _, err := SummarizeTrace(bytes.NewReader(nil), SummaryOptions{}); err == nil {
		t.Error("an empty trace summarised without error")
	}
}

func TestOutlierRecorderBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, -1, 1001} {
		if _, err := NewOutlierRecorder(dir, "w", "v", time.Millisecond, n); err == nil || !strings.Contains(err.Error(), "1..1000") {
			t.Errorf("maxFiles=%d: err = %v, want a range error", n, err)
		}
	}
	if _, err := NewOutlierRecorder(dir, "w/x", "v", time.Millisecond, 1); err == nil {
		t.Error("workload with a slash accepted")
	}
}

func TestObserveFastPathNoAlloc(t *testing.T) {
	rec, err := NewOutlierRecorder(t.TempDir(), "w", "v", time.Second, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if a := testing.AllocsPerRun(1000, func() { rec.Observe(time.Millisecond) }); a != 0 {
		t.Errorf("Observe under the threshold allocates %v per call", a)
	}
	rec.SetThreshold(0) // disabled: everything is under
	if a := testing.AllocsPerRun(1000, func() { rec.Observe(time.Hour) }); a != 0 {
		t.Errorf("Observe while disabled allocates %v per call", a)
	}
	if rec.Threshold() != time.Duration(1<<63-1) {
		t.Errorf("disabled threshold = %v", rec.Threshold())
	}
}

func BenchmarkObserve(b *testing.B) {
	rec, err := NewOutlierRecorder(b.TempDir(), "w", "v", time.Second, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rec.Observe(time.Duration(i & 0xffff))
	}
}
