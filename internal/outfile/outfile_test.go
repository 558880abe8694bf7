package outfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func leftovers(t *testing.T, dir string) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".loadgen-*"))
	if len(m) > 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}

func TestWriteNewAndRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	if err := Write(p, writeString("one")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Errorf("new file holds %q", b)
	}
	os.Chmod(p, 0o604)
	if err := Write(p, writeString("two")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if b, _ := os.ReadFile(p); string(b) != "two" || st.Mode().Perm() != 0o604 {
		t.Errorf("replaced file holds %q, mode %v (want two, 0604)", b, st.Mode().Perm())
	}
	// A failing producer leaves the old content, and no temporary file.
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error { io.WriteString(w, "half"); return boom })
	if !errors.Is(err, boom) {
		t.Errorf("err %v, want boom", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Errorf("a failed write changed the file to %q", b)
	}
	leftovers(t, dir)
}

func TestWriteSymlinks(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target"), filepath.Join(dir, "link")
	os.Symlink("target", link) // relative, dangling
	if err := Write(link, writeString("via dangling")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "via dangling" {
		t.Errorf("target holds %q", b)
	}
	if err := Write(link, writeString("again")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("link replaced by a file")
	}
	if b, _ := os.ReadFile(target); string(b) != "again" {
		t.Errorf("target holds %q", b)
	}
	if !Same(link, target) || Same(link, filepath.Join(dir, "other")) {
		t.Errorf("Same: link vs target %v, vs other %v", Same(link, target), Same(link, filepath.Join(dir, "other")))
	}
	if !Same(filepath.Join(dir, "new"), filepath.Join(dir, ".", "x", "..", "new")) {
		t.Errorf("Same does not clean paths")
	}
	os.Mkdir(filepath.Join(dir, "real"), 0o755)
	os.Symlink("real", filepath.Join(dir, "dirlink"))
	if !Same(filepath.Join(dir, "real", "new"), filepath.Join(dir, "dirlink", "new")) {
		t.Errorf("Same does not see one new file through a symlinked directory")
	}
	leftovers(t, dir)
}

func TestDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	if err := Check(dir); !errors.Is(err, ErrIsDir) {
		t.Errorf("Check(dir) = %v", err)
	}
	if err := Write(dir, writeString("x")); !errors.Is(err, ErrIsDir) {
		t.Errorf("Write(dir) = %v", err)
	}
	if err := Check(filepath.Join(dir, "no", "such")); err == nil {
		t.Errorf("Check of a path in a missing directory passed")
	}
}

func TestFIFOWrittenThrough(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip(err)
	}
	got := make(chan string)
	waited := make(chan string, 1)
	WaitNote = func(path string) { waited <- path }
	defer func() { WaitNote = nil }()
	go func() {
		// Open the reader only after the writer has announced its wait.
		<-waited
		b, _ := os.ReadFile(p)
		got <- string(b)
	}()
	if err := Check(p); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, writeString("through")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through" {
		t.Errorf("reader got %q", s)
	}
	if st, _ := os.Lstat(p); st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("FIFO replaced: %v", st.Mode())
	}
	if Same(p, p) {
		t.Errorf("a FIFO counts as the same output twice")
	}
}

func TestDevNullWrittenThrough(t *testing.T) {
	if err := Write("/dev/null", writeString("x")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat("/dev/null"); err != nil || st.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("/dev/null: %v %v", st.Mode(), err)
	}
}
