package profiles

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func runPprof(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := RunPprofCLI(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestPprofCLITopAndDiff(t *testing.T) {
	a := cpuProfile(t, 150*time.Millisecond, func() { sink += spinLeaf(20000) })
	b := cpuProfile(t, 150*time.Millisecond, func() { sink += spinCaller(5000) })
	code, out, stderr := runPprof("top", "-n", "5", a)
	if code != 0 || !strings.Contains(out, "spinLeaf") || !strings.Contains(out, "runtime share:") {
		t.Errorf("top: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = runPprof("top", a, "-cum") // flag after the file
	if code != 0 || !strings.Contains(out, "flat%") {
		t.Errorf("top -cum after file: exit %d\n%s", code, out)
	}
	code, out, stderr = runPprof("diff", a, b)
	if code != 0 || !strings.Contains(out, "spinCaller") || !strings.Contains(out, "base total") {
		t.Errorf("diff: exit %d\n%s%s", code, out, stderr)
	}
}

func TestPprofCLITrace(t *testing.T) {
	dir := t.TempDir()
	rec, err := NewOutlierRecorder(dir, "toy", "cli", 0, 3) // armed by the stall itself
	if err != nil {
		t.Fatal(err)
	}
	runToyLoop(t, rec, true, 120*time.Millisecond, func() { rec.SetThreshold(20 * time.Millisecond); time.Sleep(40 * time.Millisecond) })
	outs, err := rec.Close()
	if err != nil || len(outs) == 0 {
		t.Fatalf("no outlier trace: %v", err)
	}
	worst := naming(outs, "blocked (sleep)")
	code, out, stderr := runPprof("trace", worst.TraceFile)
	if code != 0 || !strings.Contains(out, "blocked (sleep)") || !regexp.MustCompile(`\(outlier \d+, latency \d+\.\d{3} ms\)`).MatchString(out) {
		t.Errorf("trace: exit %d\n%s%s", code, out, stderr)
	}
}

func TestPprofCLIBadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pb.gz")
	os.WriteFile(junk, []byte("definitely not a profile"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "usage"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"top"}, "want exactly one profile file, got 0"},
		{[]string{"top", "-n", "0", junk}, "-n 0 out of range"},
		{[]string{"top", filepath.Join(dir, "missing.pb.gz")}, "missing.pb.gz"},
		{[]string{"top", junk}, "junk.pb.gz is not a pprof profile"},
		{[]string{"diff", junk}, "want two profile files"},
		{[]string{"trace"}, "at least one .trace"},
		{[]string{"trace", "-loop", "x1", junk}, `-loop value "x1"`},
		{[]string{"trace", junk}, "junk.pb.gz"},
		{[]string{"trace", "-window", "-1s", junk}, "-window -1s out of range"},
	} {
		code, _, stderr := runPprof(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("pprof %q: exit %d, stderr %q; want exit 2 naming %q", c.args, code, stderr, c.want)
		}
	}
	for _, h := range [][]string{{"-h"}, {"top", "-h"}} {
		code, out, stderr := runPprof(h...)
		if code != 0 || !strings.Contains(out+stderr, "Example") {
			t.Errorf("pprof %q: exit %d, %q", h, code, out+stderr)
		}
	}
}
