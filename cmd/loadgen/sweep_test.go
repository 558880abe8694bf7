package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/ringloop/ringloop/results"
)

// sweepShort keeps e2e sweeps to a few seconds.
var sweepShort = []string{"sweep", "-duration", "100ms", "-warmup", "20ms", "-count", "1", "-capacity-duration", "60ms"}

func sweepArgs(extra ...string) []string {
	return append(append([]string(nil), sweepShort...), extra...)
}

// TestSweepLadderAndOutputs: a ladder sweep finds each variant's capacity,
// runs every variant and the null floor at the same absolute rates (the
// slowest variant's capacity times the ladder), prints the knee per
// variant, and writes JSON (v2, with the knees recomputable from the
// steps), CSV and benchmark lines named Sweep/variant=V/rate=R.
func TestSweepLadderAndOutputs(t *testing.T) {
	dir := t.TempDir()
	jsonP, csvP, benchP := filepath.Join(dir, "s.json"), filepath.Join(dir, "s.csv"), filepath.Join(dir, "s.txt")
	r := runBin(t, sweepArgs("-variants", "mpsc,mutex", "-ladder", "5,20", "-json", jsonP, "-csv", csvP, "-bench", benchP)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"capacity (closed loop): mpsc", "ladder: percentages of the slowest", "corrected p99 by offered rate", "knee (highest offered rate", "  mpsc", "  null"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	f, err := results.ReadFile(jsonP)
	if err != nil {
		t.Fatal(err)
	}
	sw := f.Sweep
	if f.Schema != results.SchemaV2 || sw == nil || f.Partial {
		t.Fatalf("schema %q sweep %v partial %v", f.Schema, sw, f.Partial)
	}
	if len(f.Summaries) != 2 || sw.CapacityRate <= 0 || len(sw.Steps) != 2 || len(sw.Knees) != 3 {
		t.Fatalf("capacity summaries %d, capacity %v, steps %d, knees %d", len(f.Summaries), sw.CapacityRate, len(sw.Steps), len(sw.Knees))
	}
	slowest := f.Summaries[0]
	for _, s := range f.Summaries {
		if s.Throughput.Center < slowest.Throughput.Center {
			slowest = s
		}
	}
	if sw.CapacityVariant != slowest.Variant || sw.CapacityRate != slowest.Throughput.Center {
		t.Errorf("capacity basis %s %v, slowest is %s %v", sw.CapacityVariant, sw.CapacityRate, slowest.Variant, slowest.Throughput.Center)
	}
	for i, st := range sw.Steps {
		want := round3([]float64{0.05, 0.20}[i] * sw.CapacityRate)
		if st.Rate != want || len(st.Summaries) != 3 {
			t.Fatalf("step %d: rate %v (want %v), %d summaries", i, st.Rate, want, len(st.Summaries))
		}
		for _, s := range st.Summaries {
			if s.TargetRate != st.Rate || len(s.Runs) != 1 || s.Corrected.Count == 0 || s.Floor != (s.Variant == "null") {
				t.Errorf("step %v %s: target %v runs %d count %d floor %v", st.Rate, s.Variant, s.TargetRate, len(s.Runs), s.Corrected.Count, s.Floor)
			}
			// Every op of the schedule was submitted and completed.
			if ops, want := s.Runs[0].Ops, int64(st.Rate*0.1); ops < want-2 || ops > want+2 {
				t.Errorf("step %v %s: %d ops, want %d", st.Rate, s.Variant, ops, want)
			}
		}
	}
	if got := results.Knees(sw.Steps, f.Config.Variants, sw.SLONs); !equalKnees(got, sw.Knees) {
		t.Errorf("knees %+v, recomputed %+v", sw.Knees, got)
	}

	// CSV: a row per (rate, variant).
	raw, _ := os.ReadFile(csvP)
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(rows) != 1+2*3 || strings.Join(rows[0], ",") != strings.Join(sweepCSVHeader, ",") {
		t.Fatalf("csv: %d rows, err %v", len(rows), err)
	}
	for _, row := range rows[1:] {
		if p99, err := strconv.ParseInt(row[12], 10, 64); err != nil || p99 <= 0 {
			t.Errorf("csv p99 %q", row[12])
		}
	}

	// Benchmark format, through benchfmt.Reader.
	bf, _ := os.Open(benchP)
	defer bf.Close()
	br := benchfmt.NewReader(bf, benchP)
	names := map[string]int{}
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.Result:
			names[string(rec.Name.Full())]++
			if rec.GetConfig("workload") != "threadsafe" || rec.GetConfig("slo") != "1ms" {
				t.Errorf("config: workload %q slo %q", rec.GetConfig("workload"), rec.GetConfig("slo"))
			}
		case *benchfmt.SyntaxError:
			t.Errorf("bench syntax: %v", rec)
		}
	}
	for _, st := range sw.Steps {
		for _, v := range []string{"mpsc", "mutex", "null"} {
			if n := "Sweep/variant=" + v + "/rate=" + rateKey(st.Rate); names[n] != 1 {
				t.Errorf("bench: %d lines named %s; got %v", names[n], n, names)
			}
		}
	}
}

func equalKnees(a, b []results.Knee) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSweepRatesEveryKind: -rates skips the capacity runs and sweeps any
// workload kind: a wakeup, a loop-local one (timers), the group, a task, and
// the scheduler architectures (service).
func TestSweepRatesEveryKind(t *testing.T) {
	for _, c := range []struct{ workload, variants string }{
		{"wakeup", "chan-yield,eventfd"}, {"timers", "unlocked"}, {"group", "key"}, {"task", "coro"},
		{"service", "shard,steal"},
	} {
		jsonP := filepath.Join(t.TempDir(), "k.json")
		r := runBin(t, sweepArgs("-workload", c.workload, "-variants", c.variants, "-rates", "2k,1000", "-json", jsonP)...)
		if r.code != 0 {
			t.Errorf("%s: exit %d\n%s", c.workload, r.code, r.stderr)
			continue
		}
		f, err := results.ReadFile(jsonP)
		if err != nil {
			t.Fatal(err)
		}
		sw := f.Sweep
		if len(f.Summaries) != 0 || sw.CapacityRate != 0 || len(sw.Steps) != 2 || sw.Steps[0].Rate != 1000 || sw.Steps[1].Rate != 2000 {
			t.Errorf("%s: capacity runs %d, steps %+v", c.workload, len(f.Summaries), sw.Steps)
			continue
		}
		nv := len(strings.Split(c.variants, ",")) + 1
		for _, st := range sw.Steps {
			if len(st.Summaries) != nv {
				t.Errorf("%s at %v: %d summaries, want %d", c.workload, st.Rate, len(st.Summaries), nv)
			}
			for _, s := range st.Summaries {
				if s.Corrected.Count == 0 {
					t.Errorf("%s/%s at %v: nothing recorded", c.workload, s.Variant, st.Rate)
				}
			}
		}
	}
}

// TestSweepBadInput: bad sweep input exits 2 at once, naming the value.
func TestSweepBadInput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "no.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-rates", "10k,abc"}, `"abc"`},
		{[]string{"-rates", "0"}, `"0"`},
		{[]string{"-rates", "1e12"}, `"1e12"`},
		{[]string{"-rates", "10k,10000"}, "twice"},
		{[]string{"-rates", "10k,,20k"}, `""`},
		{[]string{"-ladder", "10,0"}, `"0"`},
		{[]string{"-ladder", "10,5000"}, `"5000"`},
		{[]string{"-ladder", "10,x"}, `"x"`},
		{[]string{"-slo", "0s"}, "-slo 0s"},
		{[]string{"-slo", "2m"}, "-slo 2m0s"},
		{[]string{"-capacity-duration", "1ms"}, "-capacity-duration 1ms"},
		{[]string{"-capacity-count", "0"}, "-capacity-count 0"},
		{[]string{"-count", "0"}, "-count 0"},
		{[]string{"-duration", "1ms"}, "-duration 1ms"},
		{[]string{"-variants", "mpsc,nope"}, `"nope"`},
		{[]string{"-variants", "null"}, `"null" alone`},
		{[]string{"-workload", "nope"}, `"nope"`},
		{[]string{"-csv", t.TempDir()}, "is a directory"},
		{[]string{"stray"}, `"stray"`},
		{[]string{"-pacer", "nap"}, `"nap"`},
	} {
		r := runBin(t, append([]string{"sweep", "-json", out}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) || r.wall > 5*time.Second {
			t.Errorf("%v: exit %d in %v, stderr %q (want 2 naming %s)", c.args, r.code, r.wall, r.stderr, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a rejected sweep wrote %s", out)
	}
}

// TestSweepSIGINT: Ctrl-C mid-sweep keeps every completed step, marks the
// file and the interrupted step partial, and exits 130.
func TestSweepSIGINT(t *testing.T) {
	dir := t.TempDir()
	jsonP := filepath.Join(dir, "p.json")
	// Interval lines come in run order: once the second rate's null run
	// reports, the first rate is complete.
	nullLines := 0
	r := interruptWhen(t, func(l string) bool {
		if strings.Contains(l, "threadsafe/null run=0") {
			nullLines++
		}
		return nullLines > 6
	}, sweepArgs("-variants", "mpsc", "-rates", "1k,2k,3k,4k,5k", "-duration", "300ms", "-interval", "50ms", "-json", jsonP)...)
	if r.code != exitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitInterrupted, r.stderr)
	}
	f, err := results.ReadFile(jsonP)
	if err != nil {
		t.Fatal(err)
	}
	sw := f.Sweep
	if !f.Partial || len(sw.Steps) < 1 || len(sw.Steps) == 5 || sw.Steps[0].Partial || len(sw.Steps[0].Summaries) != 2 {
		t.Fatalf("partial %v, %d steps: %+v", f.Partial, len(sw.Steps), sw.Steps)
	}
	if last := sw.Steps[len(sw.Steps)-1]; len(sw.Steps) > 1 && !last.Partial {
		t.Errorf("the interrupted step is not marked partial: %+v", last)
	}
	if !strings.Contains(r.stdout, "PARTIAL") {
		t.Errorf("table does not say partial:\n%s", r.stdout)
	}
}

// TestSweepProgressLine: step k of n, the phase, the variant, the time left
// from the measured pace.
func TestSweepProgressLine(t *testing.T) {
	p := &sweepProgress{total: 10}
	p.n = 1
	if got := p.line("capacity", "mpsc", 400*time.Millisecond, 0); got != "[1/10] capacity mpsc  (~4s left)" {
		t.Errorf("first: %q", got)
	}
	p.n = 6
	if got := p.line("50k/s", "mutex", time.Second, 10*time.Second); got != "[6/10] 50k/s mutex  (~10s left)" {
		t.Errorf("sixth: %q", got)
	}
}

func TestRateParsing(t *testing.T) {
	for in, want := range map[string]float64{"50000": 50000, "50k": 50000, "1.5M": 1.5e6, " 2K": 2000} {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %v, %v", in, got, err)
		}
	}
	for v, want := range map[float64]string{200000: "200k", 1.5e6: "1.5M", 411873: "412k", 999: "999", 1.23456e6: "1.23M"} {
		if got := rateKey(v); got != want {
			t.Errorf("rateKey(%v) = %q, want %q", v, got, want)
		}
	}
}
