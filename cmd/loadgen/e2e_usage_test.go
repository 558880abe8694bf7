package main

// e2e_usage_test.go: end-to-end tests of what the built binary tells a user
// before and while it runs: `loadgen -h` lists the subcommands and says what
// 0 and empty mean, the header with the planned total time comes first even
// when stdout is not a terminal, and a group larger than the CPUs is named
// and warned about.

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ringloop/ringloop/results"
)

func TestTopHelpListsSubcommands(t *testing.T) {
	r := runBin(t, "-h")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	for _, sub := range []string{"compare", "list", "report", "pprof"} {
		if !regexp.MustCompile(`(?m)^\s+loadgen ` + sub + `\b`).MatchString(r.stderr) {
			t.Errorf("loadgen -h does not list the %s subcommand:\n%s", sub, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "-workload loadgen list") {
		t.Errorf("a backquoted phrase became -workload's argument name:\n%s", r.stderr)
	}
	// 0 and empty mean "default", and the help says so.
	if !regexp.MustCompile(`-producers int\n\s+.*0 = the workload's default`).MatchString(r.stderr) {
		t.Errorf("-producers' help does not say 0 is the workload's default:\n%s", r.stderr)
	}
	if !regexp.MustCompile(`-variants \S+\n\s+.*empty = every variant`).MatchString(r.stderr) {
		t.Errorf("-variants' help does not say empty is every variant:\n%s", r.stderr)
	}
}

// TestHeaderFirstWithPlannedTime: a day-long run per variant, 1000 times:
// the header, with the total planned time, is on stdout (a pipe) before the
// first run ends.
func TestHeaderFirstWithPlannedTime(t *testing.T) {
	cmd := exec.Command(loadgenBin(t), "-variants", "mpsc,mutex", "-duration", "24h", "-count", "1000")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Scan()
		first <- sc.Text()
		for sc.Scan() {
		}
	}()
	var line string
	select {
	case line = <-first:
	case <-time.After(20 * time.Second):
		t.Fatal("no header on stdout 20s into the run")
	}
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	t.Logf("header: %s", line)
	// 2 variants x 1000 x (24h + 100ms warm-up) = 2000.0 days.
	if !strings.Contains(line, "planned 2000.0 days (5.5 years)") {
		t.Errorf("the header does not give the planned time:\n%s", line)
	}
}

// TestGroupLoopsInHeader: the group's loops and pinning are in the header;
// more loops than CPUs is warned about on stderr and in the result.
func TestGroupLoopsInHeader(t *testing.T) {
	loops := runtime.NumCPU() + 1
	jsonP := filepath.Join(t.TempDir(), "g.json")
	r := runBin(t, "-workload", "group", "-variants", "roundrobin", "-loops", strconv.Itoa(loops), "-count", "1", "-duration", "200ms", "-warmup", "20ms", "-json", jsonP)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "loops: "+strconv.Itoa(loops)+", not pinned") {
		t.Errorf("the header does not give loops and pinning:\n%s", r.stdout)
	}
	want := "-loops " + strconv.Itoa(loops) + " exceeds the " + strconv.Itoa(runtime.NumCPU()) + " CPUs"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr does not warn %q:\n%s", want, r.stderr)
	}
	f, err := results.ReadFile(jsonP)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(f.Warnings, "\n"), want) {
		t.Errorf("the result's warnings do not say %q: %q", want, f.Warnings)
	}
}
