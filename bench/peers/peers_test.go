package peers

// peers_test.go checks that peers.py runs and that its output is what benchstat
// reads: Go benchmark format (parsed with golang.org/x/perf/benchfmt), the same
// file-level keys as a `go test -bench` run of package bench, one line per
// workload per runtime, every value positive.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// workloads is the contract peers.py keeps: every name appears once per runtime.
var workloads = []string{
	"workload=call_soon",
	"workload=call_soon_threadsafe/threads=1",
	"workload=call_soon_threadsafe/threads=2",
	"workload=call_soon_threadsafe/threads=4",
	"workload=future_roundtrip/callbacks=1",
	"workload=future_roundtrip/callbacks=2",
	"workload=future_roundtrip/callbacks=3",
	"workload=future_roundtrip/callbacks=8",
	"workload=future_cross_thread",
	"workload=task_await_pending",
	"workload=task_spawn",
	"workload=sleep0",
	"workload=timers/pending=1e3",
	"workload=timers/pending=1e5",
	"workload=timers/pending=1e6",
	"workload=timers/op=cancel-heavy",
	"workload=wakeup/waker=blocks",
}

// findPython prefers Debian's /usr/bin/python3 (where python3-uvloop installs)
// over a python3 earlier in PATH (pyenv's, usually without uvloop).
func findPython(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/usr/bin/python3"); err == nil && !fi.IsDir() {
		return "/usr/bin/python3"
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("peers: no python3 found (neither /usr/bin/python3 nor python3 in PATH); peers.py not checked")
	}
	return p
}

// hasUvloop reports whether py can import uvloop; the uvloop rows are then required.
func hasUvloop(py string) bool {
	return exec.Command(py, "-c", "import uvloop").Run() == nil
}

func runPeers(t *testing.T, py string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	cmd := exec.Command(py, append([]string{"peers.py"}, args...)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s peers.py %v: %v\nstderr:\n%s", py, args, err, e.String())
	}
	return o.Bytes(), e.Bytes()
}

func TestPeersQuick(t *testing.T) {
	py := findPython(t)
	uv := hasUvloop(py)
	out, errOut := runPeers(t, py, "-quick")
	if !uv && !bytes.Contains(errOut, []byte("uvloop is NOT installed")) {
		t.Errorf("uvloop missing for %s but peers.py did not say so on stderr:\n%s", py, errOut)
	}
	if !uv {
		t.Logf("uvloop not importable by %s: only the asyncio rows are checked", py)
	}

	seen := map[string]int{}
	r := benchfmt.NewReader(bytes.NewReader(out), "peers.out")
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("benchfmt: %v", rec)
		case *benchfmt.Result:
			name := string(rec.Name)
			seen[name]++
			if got := rec.GetConfig("pkg"); got != "github.com/ringloop/ringloop/bench" {
				t.Errorf("%s: pkg %q, want the Go bench package so benchstat puts both in one table", name, got)
			}
			for _, k := range []string{"goos", "goarch", "cpu"} {
				if rec.GetConfig(k) == "" {
					t.Errorf("%s: no %q header line", name, k)
				}
			}
			if rec.Iters <= 0 {
				t.Errorf("%s: iterations %d, want > 0", name, rec.Iters)
			}
			units := map[string]bool{}
			for _, v := range rec.Values {
				u := v.OrigUnit // benchfmt tidies ns to sec in Unit
				if u == "" {
					u = v.Unit
				}
				units[u] = true
				if !(v.Value > 0) {
					t.Errorf("%s: %v %s, want > 0", name, v.Value, v.Unit)
				}
			}
			if !units["ns/op"] {
				t.Errorf("%s: no ns/op value", name)
			}
			if strings.Contains(name, "wakeup") {
				for _, u := range []string{"p50-ns", "p99-ns", "p999-ns"} {
					if !units[u] {
						t.Errorf("%s: no %s value", name, u)
					}
				}
			}
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}

	runtimes := []string{"asyncio"}
	if uv {
		runtimes = append(runtimes, "uvloop")
	}
	want := 0
	for _, rt := range runtimes {
		for _, w := range workloads {
			want++
			name := "Peer/runtime=" + rt + "/" + w
			if seen[name] != 1 {
				t.Errorf("%s: %d lines, want 1", name, seen[name])
			}
		}
	}
	if len(seen) != want {
		t.Errorf("%d distinct benchmarks, want %d: %v", len(seen), want, seen)
	}
}

// TestPeersRejectsBadFlags: bad input gets an error naming the value, not a silent default.
func TestPeersRejectsBadFlags(t *testing.T) {
	py := findPython(t)
	for _, args := range [][]string{
		{"-runtimes", "pypy"},
		{"-benchtime", "0"},
		{"-count", "0"},
	} {
		cmd := exec.Command(py, append([]string{"peers.py"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("peers.py %v: succeeded, want an error", args)
			continue
		}
		if !bytes.Contains(out, []byte(args[1])) {
			t.Errorf("peers.py %v: error does not name the bad value:\n%s", args, out)
		}
	}
}

// TestRunScriptIsExecutable: bench/peers/run is what the note's command names.
func TestRunScriptIsExecutable(t *testing.T) {
	fi, err := os.Stat(filepath.Join(".", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&0o111 == 0 {
		t.Errorf("bench/peers/run mode %v: not executable", fi.Mode())
	}
}

// nodeWorkloads is the contract peers.js keeps: the single-thread workloads
// (a JavaScript loop has no second thread to schedule from).
var nodeWorkloads = []string{
	"workload=call_soon",
	"workload=future_roundtrip/callbacks=1",
	"workload=future_roundtrip/callbacks=2",
	"workload=future_roundtrip/callbacks=3",
	"workload=future_roundtrip/callbacks=8",
	"workload=task_await_pending",
	"workload=task_spawn",
	"workload=sleep0",
	"workload=timers/pending=1e3",
	"workload=timers/pending=1e5",
	"workload=timers/pending=1e6",
	"workload=timers/op=cancel-heavy",
}

func findNode(t *testing.T) string {
	t.Helper()
	for _, n := range []string{"node", "nodejs"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skip("peers: no node in PATH (Debian: apt-get install nodejs; .ci/run installs it); peers.js not checked")
	return ""
}

// TestPeersNodeQuick: peers.js prints benchfmt lines with bench's file-level
// keys, one per workload, every value positive.
func TestPeersNodeQuick(t *testing.T) {
	node := findNode(t)
	cmd := exec.Command(node, "peers.js", "-quick")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("node peers.js -quick: %v\nstderr:\n%s", err, e.String())
	}
	seen := map[string]int{}
	r := benchfmt.NewReader(bytes.NewReader(o.Bytes()), "peers-node.out")
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("benchfmt: %v", rec)
		case *benchfmt.Result:
			name := string(rec.Name)
			seen[name]++
			if got := rec.GetConfig("pkg"); got != "github.com/ringloop/ringloop/bench" {
				t.Errorf("%s: pkg %q, want the Go bench package", name, got)
			}
			for _, k := range []string{"goos", "goarch", "cpu"} {
				if rec.GetConfig(k) == "" {
					t.Errorf("%s: no %q header line", name, k)
				}
			}
			if rec.Iters <= 0 || len(rec.Values) == 0 || !(rec.Values[0].Value > 0) {
				t.Errorf("%s: iterations %d values %v, want positive", name, rec.Iters, rec.Values)
			}
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	for _, w := range nodeWorkloads {
		if name := "Peer/runtime=node/" + w; seen[name] != 1 {
			t.Errorf("%s: %d lines, want 1", name, seen[name])
		}
	}
	if len(seen) != len(nodeWorkloads) {
		t.Errorf("%d distinct benchmarks, want %d: %v", len(seen), len(nodeWorkloads), seen)
	}
}

// TestPeersNodeRejectsBadFlags: bad input gets an error naming the value.
func TestPeersNodeRejectsBadFlags(t *testing.T) {
	node := findNode(t)
	for _, args := range [][]string{{"-benchtime", "0"}, {"-count", "0"}, {"-run", "("}, {"-bogus", "x"}} {
		out, err := exec.Command(node, append([]string{"peers.js"}, args...)...).CombinedOutput()
		if err == nil {
			t.Errorf("peers.js %v: succeeded, want an error", args)
			continue
		}
		if !bytes.Contains(out, []byte(args[0])) || (args[0] != "-bogus" && !bytes.Contains(out, []byte(args[1]))) {
			t.Errorf("peers.js %v: error does not name the bad value:\n%s", args, out)
		}
	}
}
