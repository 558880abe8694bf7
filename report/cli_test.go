package report

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/trace"
	"strings"
	"testing"
	"time"

	"github.com/ringloop/ringloop/results"
)

func writeJSON(t *testing.T, dir, name string, seed uint64) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := testFile(seed, false).WriteFile(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := RunCLI(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLIWritesReportAndSVGs(t *testing.T) {
	dir := t.TempDir()
	a := writeJSON(t, dir, "before.json", 1)
	b := writeJSON(t, dir, "after.json", 2)
	html := filepath.Join(dir, "r.html")
	svg := filepath.Join(dir, "svg")
	// Flags after the files work too.
	code, _, stderr := runCLI(a, b, "-o", html, "-svg", svg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("before: mpsc")) || !bytes.Contains(page, []byte("after: mpsc")) {
		t.Error("two files are not labelled by file name")
	}
	if fs, _ := filepath.Glob(filepath.Join(svg, "*.svg")); len(fs) != 3 {
		t.Errorf("-svg wrote %v, want 3 files (latency, throughput, drift)", fs)
	}
	code, stdout, _ := runCLI("-o", "-", "-names", "x,y", a, b)
	if code != 0 || !strings.Contains(stdout, "x: mpsc") || !strings.HasPrefix(stdout, "<!DOCTYPE html>") {
		t.Errorf("-o - with -names: exit %d, output starts %.40q", code, stdout)
	}
}

func TestCLISummarizesUnsummarizedOutliers(t *testing.T) {
	dir := t.TempDir()
	tracePath := filepath.Join(dir, "w-v-1.trace")
	tf, err := os.Create(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := trace.Start(tf); err != nil {
		t.Skipf("cannot start a trace: %v", err)
	}
	for end := time.Now().Add(20 * time.Millisecond); time.Now().Before(end); {
	}
	trace.Stop()
	tf.Close()
	f := testFile(1, false)
	f.Outliers = []results.Outlier{{Workload: "threadsafe", Variant: "mpsc", LatencyNs: 5e6, TraceFile: tracePath},
		{Workload: "threadsafe", Variant: "mpsc", LatencyNs: 5e6, TraceFile: filepath.Join(dir, "gone.trace")}}
	in := filepath.Join(dir, "r.json")
	if err := f.WriteFile(in); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI("-o", "-", in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "busiest goroutine") && !strings.Contains(out, "stop-the-world") {
		t.Errorf("the outlier with a trace was not summarised")
	}
	if !strings.Contains(stderr, "gone.trace") {
		t.Errorf("a missing trace file was not reported: %q", stderr)
	}
}

func TestCLIBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeJSON(t, dir, "good.json", 1)
	notJSON := filepath.Join(dir, "bad.json")
	os.WriteFile(notJSON, []byte("not json"), 0o644)
	otherSchema := filepath.Join(dir, "other.json")
	os.WriteFile(otherSchema, []byte(`{"schema":"something/v9"}`), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no results file"},
		{[]string{filepath.Join(dir, "missing.json")}, "missing.json"},
		{[]string{notJSON}, "bad.json"},
		{[]string{otherSchema}, "something/v9"},
		{[]string{"-o", filepath.Join(dir, "no/such/dir/r.html"), good}, "no/such/dir/r.html"},
		{[]string{"-names", "a,b", good}, `-names "a,b" has 2 labels for 1 files`},
		{[]string{"-o", "", good}, "nothing to write"},
		{[]string{"-bogus", good}, "bogus"},
	} {
		code, _, stderr := runCLI(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("report %q: exit %d, stderr %q; want exit 2 naming %q", c.args, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err == nil {
		t.Error("a failed invocation left a report behind")
	}
}

func TestCLIHelp(t *testing.T) {
	code, _, stderr := runCLI("-h")
	if code != 0 || !strings.Contains(stderr, "Examples:") || !strings.Contains(stderr, "-svg") {
		t.Errorf("-h: exit %d, output %q", code, stderr)
	}
}
