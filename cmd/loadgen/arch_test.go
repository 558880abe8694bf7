package main

import (
	"strings"
	"testing"
)

// The architecture workloads through the binary: every architecture runs,
// -service and -keys reach the result file, bad values are refused.
func TestArchWorkloads(t *testing.T) {
	r := runBin(t, args("-workload", "service", "-count", "1", "-service", "bimodal:1us,100us,0.01", "-keys", "zipf:1.2",
		"-variants", "loop,shard,steal,steal-nolifo,goroutine,workers")...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, a := range []string{"shard", "steal-nolifo", "goroutine", "workers"} {
		if !strings.Contains(r.stdout, a) {
			t.Errorf("output lacks %s:\n%s", a, r.stdout)
		}
	}
	l := runBin(t, "list")
	if !strings.Contains(l.stdout, "steal-nolifo") || !strings.Contains(l.stdout, "starve") {
		t.Errorf("list lacks the architectures:\n%s", l.stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-workload", "service", "-service", "bimodal:1us,1ms"}, `"bimodal:1us,1ms"`},
		{[]string{"-workload", "service", "-service", "fixed:5s"}, `"fixed:5s"`},
		{[]string{"-workload", "service", "-keys", "zipf:0.9"}, `"zipf:0.9"`},
		{[]string{"-workload", "threadsafe", "-service", "fixed:1us"}, "-service: only the"},
		{[]string{"-workload", "service", "-variants", "fibers"}, `"fibers"`},
	} {
		r := runBin(t, args(c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}
