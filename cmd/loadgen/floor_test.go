package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringloop/ringloop/results"
)

// TestNullFloorBesideVariants: an open-loop run measures the null baseline
// in the same rounds, flags it as the floor in the JSON and CSV, never makes
// it the baseline of the ratios, and prints the generator table (lateness,
// CPU, p99 over the floor's). Closed loop runs no null; naming it there is
// bad input.
func TestNullFloorBesideVariants(t *testing.T) {
	dir := t.TempDir()
	jsonP, csvP := filepath.Join(dir, "n.json"), filepath.Join(dir, "n.csv")
	r := runBin(t, args("-variants", "mpsc", "-count", "2", "-rate", "20000", "-json", jsonP, "-csv", csvP)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"generator (pacer spin): lateness", "late p99.9", "p99 / null p99", "floor"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	f, err := results.ReadFile(jsonP)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Config.Variants, ","); got != "mpsc,null" || f.Config.Baseline != "mpsc" {
		t.Fatalf("variants %q baseline %q, want mpsc,null and mpsc", got, f.Config.Baseline)
	}
	n, m := f.Find("threadsafe", "null"), f.Find("threadsafe", "mpsc")
	if n == nil || !n.Floor || m.Floor || len(n.Runs) != 2 || n.Corrected.Count < 7998 {
		t.Fatalf("null summary: %+v", n)
	}
	for _, s := range []*results.Summary{n, m} {
		if s.Lateness == nil || s.Lateness.Count != s.Corrected.Count || s.CPUCores <= 0 || s.CPUCores > 2.5 {
			t.Errorf("%s: lateness %+v cpu %v", s.Variant, s.Lateness, s.CPUCores)
		}
		for _, run := range s.Runs {
			if run.CPUNs <= 0 || run.WallNs < 200e6 || run.LatenessP999Ns < run.LatenessP50Ns {
				t.Errorf("%s run %d: cpu %d wall %d lateness %d/%d", s.Variant, run.Index, run.CPUNs, run.WallNs, run.LatenessP50Ns, run.LatenessP999Ns)
			}
		}
		// The floor's corrected latency is its lateness plus a clock read:
		// at most a few us above it.
		if s.Floor && s.Corrected.P99Ns < s.Lateness.P99Ns {
			t.Errorf("null: corrected p99 %d below lateness p99 %d", s.Corrected.P99Ns, s.Lateness.P99Ns)
		}
	}
	raw, _ := os.ReadFile(csvP)
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil || len(rows) != 3 || rows[2][1] != "null" {
		t.Fatalf("csv rows: %v %v", rows, err)
	}

	closed := filepath.Join(dir, "c.json")
	rc := runBin(t, args("-variants", "mpsc", "-count", "1", "-json", closed)...)
	if rc.code != 0 {
		t.Fatalf("closed loop exit %d: %s", rc.code, rc.stderr)
	}
	if f, err := results.ReadFile(closed); err != nil || f.Find("threadsafe", "null") != nil || strings.Contains(rc.stdout, "generator (") {
		t.Fatalf("closed loop ran the null baseline: %v", err)
	}
	if r := runBin(t, args("-variants", "mpsc,null", "-json", closed)...); r.code != exitUsage || !strings.Contains(r.stderr, `"null"`) {
		t.Fatalf("null in closed loop: exit %d, stderr %s", r.code, r.stderr)
	}
}

// TestPacerSleep: -pacer sleep runs every op of the schedule and is
// recorded in the result; closed loop records no pacer.
func TestPacerSleep(t *testing.T) {
	jsonP := filepath.Join(t.TempDir(), "p.json")
	r := runBin(t, args("-variants", "mpsc", "-count", "1", "-rate", "10000", "-pacer", "sleep", "-json", jsonP)...)
	if r.code != 0 || !strings.Contains(r.stdout, "generator (pacer sleep)") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	f, err := results.ReadFile(jsonP)
	if err != nil {
		t.Fatal(err)
	}
	if f.Config.Pacer != "sleep" {
		t.Errorf("pacer %q, want sleep", f.Config.Pacer)
	}
	for _, v := range []string{"mpsc", "null"} {
		if s := f.Find("threadsafe", v); s == nil || s.Runs[0].Ops < 1999 || s.Runs[0].Ops > 2001 {
			t.Errorf("%s: %+v", v, s)
		}
	}
}
