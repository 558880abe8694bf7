package main

// e2e_numbers_test.go: end-to-end tests that the built binary prints no
// number a user would believe and should not: no rows of zeros for a variant
// that was never measured, no interrupted run among complete ones in -bench,
// no throughput above the rate that was offered, no late-op count that
// includes the warm-up, no uncorrected latency above the corrected one, and no
// -interval line before the header or passed off as a full interval.

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringloop/ringloop/results"
)

// TestInterruptLeavesNoMisleadingRows interrupts a three-variant run while
// the second variant is measuring: the first finished its run, the second's
// run is cut short, the third never ran. The third has no numbers anywhere,
// the cut-short run stays out of -bench (stderr says so), and stderr says
// which -profile files were not written or cover an interrupted run.
func TestInterruptLeavesNoMisleadingRows(t *testing.T) {
	dir := t.TempDir()
	jsonP, csvP, benchP, profD := filepath.Join(dir, "i.json"), filepath.Join(dir, "i.csv"), filepath.Join(dir, "i.txt"), filepath.Join(dir, "prof")
	r := interruptWhen(t, func(l string) bool { return strings.Contains(l, "threadsafe/mutex run=0") },
		"-variants", "mpsc,mutex,chan", "-duration", "2s", "-warmup", "20ms", "-count", "1",
		"-interval", "50ms", "-json", jsonP, "-csv", csvP, "-bench", benchP, "-profile", profD)
	if r.code != exitInterrupted {
		t.Fatalf("exit %d, want %d\nstderr: %s", r.code, exitInterrupted, r.stderr)
	}
	out, stderr := r.stdout, r.stderr
	t.Logf("stdout:\n%s\nstderr:\n%s", out, stderr)

	// The table: chan's row says it was not measured and holds no number.
	var chanRow string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "chan" {
			chanRow = l
		}
	}
	if !strings.Contains(chanRow, "no measurement") {
		t.Errorf("chan's row does not say it has no measurement: %q", chanRow)
	}
	if regexp.MustCompile(`\d`).MatchString(chanRow) {
		t.Errorf("chan's row shows numbers: %q", chanRow)
	}
	if strings.Contains(out, "0.00x") {
		t.Errorf("the table shows a 0.00x ratio:\n%s", out)
	}

	// JSON: no summary of zeros for chan; mutex's run is marked interrupted.
	f, err := results.ReadFile(jsonP)
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Find("threadsafe", "chan"); s != nil {
		t.Errorf("the JSON has a summary for the unmeasured chan: %+v", s)
	}
	mp, mu := f.Find("threadsafe", "mpsc"), f.Find("threadsafe", "mutex")
	if mp == nil || len(mp.Runs) != 1 || mp.Runs[0].Partial {
		t.Fatalf("mpsc's complete run: %+v", mp)
	}
	if mu == nil || len(mu.Runs) != 1 || !mu.Runs[0].Partial {
		t.Fatalf("mutex's interrupted run is missing or not marked partial: %+v", mu)
	}

	// CSV: a row for each measured variant, none for chan.
	fh, err := os.Open(csvP)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(fh).ReadAll()
	fh.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		if r[1] == "chan" {
			t.Errorf("the CSV has a row for the unmeasured chan: %v", r)
		}
	}
	if len(rows) != 3 {
		t.Errorf("CSV has %d rows, want a header and mpsc, mutex", len(rows))
	}

	// -bench: only mpsc's complete run; stderr says mutex's was left out.
	raw, err := os.ReadFile(benchP)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "variant=mpsc") || strings.Contains(string(raw), "variant=mutex") || strings.Contains(string(raw), "variant=chan") {
		t.Errorf("-bench holds more or less than mpsc's complete run:\n%s", raw)
	}
	if !regexp.MustCompile(`-bench.*(left out|leaves out).*mutex`).MatchString(stderr) {
		t.Errorf("stderr does not say -bench left out mutex's interrupted run:\n%s", stderr)
	}
	// -profile: mpsc's profiles are whole; mutex's cover an interrupted run;
	// chan has none.
	if !regexp.MustCompile(`-profile.*chan`).MatchString(stderr) || !regexp.MustCompile(`-profile.*mutex.*interrupted`).MatchString(stderr) {
		t.Errorf("stderr does not say what -profile wrote for mutex and chan:\n%s", stderr)
	}
}

// TestOpenLoopLowRate: at -rate 1 for 2 s, throughput cannot exceed the rate
// achieved (both over the same window), and percentiles from 2 samples come
// with a warning.
func TestOpenLoopLowRate(t *testing.T) {
	jsonP := filepath.Join(t.TempDir(), "r.json")
	r := runBin(t, "-variants", "mpsc", "-rate", "1", "-duration", "2s", "-warmup", "0s", "-count", "1", "-json", jsonP)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	f, err := results.ReadFile(jsonP)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Find("threadsafe", "mpsc")
	run := s.Runs[0]
	t.Logf("ops %d, throughput %.4f/s, achieved %.4f/s", run.Ops, run.Throughput, run.AchievedRate)
	if run.Throughput > run.AchievedRate*1.0001 {
		t.Errorf("throughput %.4f/s is above the achieved rate %.4f/s", run.Throughput, run.AchievedRate)
	}
	if s.Throughput.Center > s.AchievedRate*1.0001 {
		t.Errorf("summary throughput %.4f/s is above the achieved rate %.4f/s", s.Throughput.Center, s.AchievedRate)
	}
	if !strings.Contains(strings.Join(f.Warnings, "\n"), "p99.9") || !strings.Contains(r.stdout, "samples") {
		t.Errorf("no warning that the percentiles rest on %d samples:\n%s", s.Corrected.Count, r.stdout)
	}
}

// TestLateOpsCountOnlyMeasured: at a rate the machine cannot keep, the count
// of late submissions is at most the measured operations (the warm-up's are
// not measured and not counted).
func TestLateOpsCountOnlyMeasured(t *testing.T) {
	jsonP := filepath.Join(t.TempDir(), "b.json")
	r := runBin(t, "-variants", "mpsc", "-rate", "5000000", "-duration", "200ms", "-warmup", "200ms", "-count", "1", "-json", jsonP)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	m := regexp.MustCompile(`(\d+) ops submitted more than one period late`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Skipf("the machine kept 5M ops/s: nothing was late\n%s", r.stdout)
	}
	late, _ := strconv.ParseInt(m[1], 10, 64)
	f, err := results.ReadFile(jsonP)
	if err != nil {
		t.Fatal(err)
	}
	ops := f.Find("threadsafe", "mpsc").Runs[0].Ops
	if late > ops {
		t.Errorf("%d ops reported late out of %d measured: the warm-up's are counted", late, ops)
	}
}

// TestTimersUncorrectedNotAboveCorrected: the timers workload schedules each
// timer ahead of its due time; the uncorrected latency must not count that
// lead, so it is never above the corrected one (from the due time).
func TestTimersUncorrectedNotAboveCorrected(t *testing.T) {
	jsonP := filepath.Join(t.TempDir(), "t.json")
	r := runBin(t, "-workload", "timers", "-variants", "unlocked", "-rate", "20000", "-duration", "300ms", "-warmup", "50ms", "-count", "1", "-json", jsonP)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	f, err := results.ReadFile(jsonP)
	if err != nil {
		t.Fatal(err)
	}
	c, u := f.Find("timers", "unlocked").Corrected, f.Find("timers", "unlocked").Uncorrected
	for _, q := range []struct {
		name string
		c, u int64
	}{{"p50", c.P50Ns, u.P50Ns}, {"p99.9", c.P999Ns, u.P999Ns}, {"max", c.MaxNs, u.MaxNs}} {
		if q.u > q.c {
			t.Errorf("uncorrected %s %v is above the corrected %v", q.name, time.Duration(q.u), time.Duration(q.c))
		}
	}
	if !strings.Contains(r.stdout, "due time") {
		t.Errorf("the output does not say what uncorrected measures for timers:\n%s", r.stdout)
	}
}

// TestIntervalLinesAfterHeader: with stdout a pipe, the run header comes
// first, and the last window of a run (cut by its end, not a full interval)
// is marked as such.
func TestIntervalLinesAfterHeader(t *testing.T) {
	r := runBin(t, "-variants", "mpsc", "-duration", "300ms", "-warmup", "20ms", "-count", "1", "-interval", "100ms")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	if !strings.HasPrefix(lines[0], "loadgen run: workload=threadsafe") {
		t.Errorf("stdout does not open with the header:\n%s", r.stdout)
	}
	n := 0
	for _, l := range lines {
		if !strings.HasPrefix(l, "interval ") {
			continue
		}
		n++
		full := strings.Contains(l, " t=100ms ") || strings.Contains(l, " t=200ms ") || strings.Contains(l, " t=300ms ")
		if !full && !strings.Contains(l, "partial") {
			t.Errorf("an interval line that is not a full interval is not marked partial: %q", l)
		}
	}
	if n == 0 {
		t.Errorf("no interval lines:\n%s", r.stdout)
	}
}
