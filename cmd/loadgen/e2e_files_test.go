package main

// e2e_files_test.go: end-to-end tests of what the built binary does to the
// files it is told to write. loadgen must never destroy a file: a FIFO or a
// device named as an output is written through, never replaced; a failed write
// is exit status 1; bad input leaves every existing output untouched; two
// outputs on one path are refused before anything runs.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ringloop/ringloop/results"
)

// quick is a run that measures something in well under a second.
var quick = []string{"-variants", "mpsc", "-count", "1", "-duration", "100ms", "-warmup", "20ms"}

func quickArgs(extra ...string) []string { return append(append([]string(nil), quick...), extra...) }

// fifoReader drains the FIFO at path from a non-blocking read end (opened
// before the writer, so the writer's open never blocks) until stop is called.
type fifoReader struct {
	fd   int
	mu   sync.Mutex
	buf  bytes.Buffer
	quit chan struct{}
	done chan struct{}
}

func newFIFOReader(t *testing.T, path string) *fifoReader {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("open FIFO for reading: %v", err)
	}
	r := &fifoReader{fd: fd, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		b := make([]byte, 64<<10)
		for {
			n, err := syscall.Read(fd, b)
			if n > 0 {
				r.mu.Lock()
				r.buf.Write(b[:n])
				r.mu.Unlock()
				continue
			}
			if err != nil && !errors.Is(err, syscall.EAGAIN) {
				return
			}
			select {
			case <-r.quit:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { r.stop() })
	return r
}

// stop ends the reader (after one more read) and returns what it read.
func (r *fifoReader) stop() []byte {
	select {
	case <-r.quit:
	default:
		close(r.quit)
		<-r.done
		b := make([]byte, 64<<10)
		for {
			n, _ := syscall.Read(r.fd, b)
			if n <= 0 {
				break
			}
			r.buf.Write(b[:n])
		}
		syscall.Close(r.fd)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Bytes()
}

// TestOutputToFIFO: -json, -csv and -bench naming FIFOs write through to the
// reader, and the FIFOs stay FIFOs.
func TestOutputToFIFO(t *testing.T) {
	dir := t.TempDir()
	jsonF, csvF := filepath.Join(dir, "json.fifo"), filepath.Join(dir, "csv.fifo")
	jr, cr := newFIFOReader(t, jsonF), newFIFOReader(t, csvF)
	r := runBin(t, quickArgs("-json", jsonF, "-csv", csvF)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, p := range []string{jsonF, csvF} {
		st, err := os.Lstat(p)
		if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("%s is no longer a FIFO: %v %v", p, st.Mode(), err)
		}
	}
	got := jr.stop()
	if f, err := results.Read(bytes.NewReader(got)); err != nil || f.Find("threadsafe", "mpsc") == nil {
		t.Errorf("the FIFO's reader did not get the JSON result (%d bytes): %v", len(got), err)
	}
	if got := cr.stop(); !strings.HasPrefix(string(got), "workload,variant,") {
		t.Errorf("the CSV FIFO's reader got %q", got)
	}
}

// mknodDev makes a character device node in the test's directory (the
// kernel's null or full device); it skips when the test may not (not root, a
// nodev mount).
func mknodDev(t *testing.T, name string, minor int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|minor); err != nil {
		t.Skipf("mknod %s: %v (needs root)", p, err)
	}
	fh, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("open device node %s: %v (nodev mount?)", p, err)
	}
	fh.Close()
	return p
}

// TestOutputToDevice: a device named as -json is written through (the node
// stays a device); a device that refuses the write (ENOSPC, as /dev/full) is
// exit status 1 with the error named, and the node is left as it was.
func TestOutputToDevice(t *testing.T) {
	null := mknodDev(t, "null", 3)
	r := runBin(t, quickArgs("-json", null, "-bench", null)...)
	if r.code != 0 {
		t.Errorf("-json to a null device: exit %d\n%s", r.code, r.stderr)
	}
	if st, err := os.Lstat(null); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("%s is no longer a device: %v %v", null, st.Mode(), err)
	}
	full := mknodDev(t, "full", 7)
	r = runBin(t, quickArgs("-json", full)...)
	if r.code != 1 {
		t.Errorf("-json to a full device: exit %d, want 1\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "no space left on device") || !strings.Contains(r.stderr, full) {
		t.Errorf("the write error is not reported with the path:\n%s", r.stderr)
	}
	if st, err := os.Lstat(full); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("%s is no longer a device: %v %v", full, st.Mode(), err)
	}
}

// TestOutputThroughSymlink: a symlink named as an output stays a symlink;
// the file it points to gets the result.
func TestOutputThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target.json"), filepath.Join(dir, "link.json")
	os.WriteFile(target, []byte("old"), 0o640)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	r := runBin(t, quickArgs("-json", link)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s is no longer a symlink: %v", link, err)
	}
	if _, err := results.ReadFile(target); err != nil {
		t.Errorf("the symlink's target did not get the result: %v", err)
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o640 {
		t.Errorf("the target's mode changed from 0640 to %v", st.Mode().Perm())
	}
}

// TestTwoOutputsOnOnePath: two output flags naming the same file are refused
// (exit 2) before anything runs, however the path is spelt.
func TestTwoOutputsOnOnePath(t *testing.T) {
	dir := t.TempDir()
	same := filepath.Join(dir, "same.out")
	for _, a := range [][]string{
		{"-json", same, "-csv", same},
		{"-json", same, "-bench", filepath.Join(dir, ".", "same.out")},
		{"-csv", same, "-report", filepath.Join(dir, "sub", "..", "same.out")},
	} {
		os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
		r := runBin(t, quickArgs(a...)...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", a, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, a[0]) || !strings.Contains(r.stderr, a[2]) {
			t.Errorf("%v: the error does not name both flags:\n%s", a, r.stderr)
		}
		if _, err := os.Stat(same); err == nil {
			t.Errorf("%v: a refused run wrote %s", a, same)
			os.Remove(same)
		}
	}
}

// TestReportKeepsOutputsOnBadInput: `loadgen report` validates every input
// and every output before it opens any output, so a bad input or a bad -svg
// leaves an existing report untouched.
func TestReportKeepsOutputsOnBadInput(t *testing.T) {
	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	const old = "<html>the previous report</html>"
	empty := filepath.Join(dir, "empty.json")
	fh, err := os.Create(empty)
	if err != nil {
		t.Fatal(err)
	}
	// What a run interrupted during its first warm-up writes: no summaries.
	(&results.File{Tool: "loadgen run", Partial: true, Summaries: []results.Summary{}}).Write(fh)
	fh.Close()
	good := filepath.Join(dir, "good.json")
	if r := runBin(t, quickArgs("-json", good)...); r.code != 0 {
		t.Fatalf("making a good input: exit %d\n%s", r.code, r.stderr)
	}
	regular := filepath.Join(dir, "regular")
	os.WriteFile(regular, []byte("x"), 0o644)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no summaries", []string{"-o", html, empty}, "no summaries"},
		{"-svg is a regular file", []string{"-o", html, "-svg", regular, good}, regular},
		{"-o is an input", []string{"-o", good, good}, good},
	} {
		os.WriteFile(html, []byte(old), 0o644)
		before, _ := os.ReadFile(good)
		r := runBin(t, append([]string{"report"}, c.args...)...)
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2\n%s", c.name, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: stderr does not name %q:\n%s", c.name, c.want, r.stderr)
		}
		if got, _ := os.ReadFile(html); string(got) != old {
			t.Errorf("%s: the existing report was changed to %d bytes", c.name, len(got))
		}
		if after, _ := os.ReadFile(good); !bytes.Equal(before, after) {
			t.Errorf("%s: the input file was changed", c.name)
		}
	}
}

// TestInterruptInWarmupKeepsReport: Ctrl-C during the first warm-up leaves
// nothing to draw; an existing -report file is left as it was, stderr says
// why, and the exit status is the interrupt's.
func TestInterruptInWarmupKeepsReport(t *testing.T) {
	dir := t.TempDir()
	html := filepath.Join(dir, "r.html")
	const old = "<html>the previous report</html>"
	os.WriteFile(html, []byte(old), 0o644)
	cmd := exec.Command(loadgenBin(t), "-variants", "mpsc,mutex", "-warmup", "30s", "-duration", "100ms", "-count", "1", "-report", html)
	var se bytes.Buffer
	cmd.Stderr = &se
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The header comes before the first run: interrupt once it is out (or
	// after 10 s, well inside the 30 s warm-up).
	header := make(chan struct{})
	go func() {
		br := bufio.NewReader(stdout)
		br.ReadString('\n')
		close(header)
		io.Copy(io.Discard, br)
	}()
	select {
	case <-header:
	case <-time.After(10 * time.Second):
	}
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Errorf("exit: %v, want %d\nstderr: %s", err, exitInterrupted, se.String())
	}
	if got, _ := os.ReadFile(html); string(got) != old {
		t.Errorf("the existing report was changed to %d bytes", len(got))
	}
	if !strings.Contains(se.String(), "nothing written") {
		t.Errorf("stderr does not say the report was not written:\n%s", se.String())
	}
}
