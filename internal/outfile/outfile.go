// Package outfile writes a program's output files without ever destroying
// what the path named: call Check on every output path before any work, then
// Write each one with a function that produces its content.
//
// What Write does depends on what the path names, followed through symlinks:
//
//   - nothing yet, or a regular file: the content goes to a temporary file in
//     the same directory, which is synced and renamed over the path only once
//     it is complete. A reader never sees half a file; a failed write leaves
//     the old file as it was. An existing file keeps its permission bits; a
//     new one gets 0666 less the umask, as os.Create would give it. A symlink
//     stays a symlink: the file it points to is the one replaced.
//   - anything else (a FIFO, a character or block device, /dev/stdout): the
//     content is written through to it, opened without truncation; the
//     special file is never replaced by a regular one. A FIFO without a
//     reader is waited for. A regular file reached through /dev or /proc
//     (/dev/stdout redirected to a file) is someone's open descriptor: it is
//     appended to, never replaced.
//   - a directory: an error.
//
// Every write, sync and close error is returned, wrapped with the path, so a
// full disk or a full device (ENOSPC) is reported, never swallowed.
package outfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrIsDir is returned (wrapped) for a path that names a directory.
var ErrIsDir = errors.New("is a directory")

// kind is what a path names.
type kind int

const (
	kindNew     kind = iota // nothing there: created by rename
	kindRegular             // a regular file: replaced by rename
	kindThrough             // a special file (or a /dev, /proc alias): written through
	kindDir                 // a directory: refused
)

// target resolves path: what it names, and the path the rename must land on
// (the symlink's final target for a regular file or a new file).
func target(path string) (kind, string, fs.FileMode, error) {
	if throughAlias(path) {
		if _, err := os.Stat(path); err != nil {
			return 0, "", 0, err
		}
		return kindThrough, path, 0, nil
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A dangling symlink names a file still to be made at its target.
		real, rerr := resolveDangling(path)
		if rerr != nil {
			return 0, "", 0, rerr
		}
		// Through a symlinked directory too, so Same sees one new file
		// under two spellings.
		if dir, derr := filepath.EvalSymlinks(filepath.Dir(real)); derr == nil {
			real = filepath.Join(dir, filepath.Base(real))
		}
		return kindNew, real, 0, nil
	case err != nil:
		return 0, "", 0, err
	case st.IsDir():
		return kindDir, path, 0, fmt.Errorf("%s: %w", path, ErrIsDir)
	case st.Mode().IsRegular():
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return 0, "", 0, err
		}
		return kindRegular, real, st.Mode().Perm(), nil
	default:
		return kindThrough, path, st.Mode(), nil
	}
}

// throughAlias reports whether path names an open descriptor rather than a
// file to replace: anything under /proc (/proc/self/fd/1), and a symlink
// under /dev (/dev/stdout, /dev/fd/3). A regular file under /dev/shm is an
// ordinary file.
func throughAlias(path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	under := func(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }
	if under(abs, "/proc") {
		return true
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil && under(dir, "/proc") {
		return true
	}
	if st, err := os.Lstat(abs); err == nil && st.Mode()&fs.ModeSymlink != 0 && under(abs, "/dev") {
		return true
	}
	return false
}

// resolveDangling follows path's symlinks to the name a new file must take.
func resolveDangling(path string) (string, error) {
	for range 40 {
		st, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// Check reports, without changing anything, whether Write(path, ...) can
// succeed: a new or regular file's directory must take a new file (tested
// by creating and removing an empty temporary file there), a special file
// must be writable, a directory is refused.
func Check(path string) error {
	k, real, _, err := target(path)
	if err != nil {
		return err
	}
	switch k {
	case kindThrough:
		if err := syscall.Access(path, 2 /* W_OK */); err != nil {
			return fmt.Errorf("%s: not writable: %w", path, err)
		}
		return nil
	default:
		dir := filepath.Dir(real)
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		fh, name, err := createTemp(dir, 0o600)
		if err != nil {
			return err
		}
		fh.Close()
		return os.Remove(name)
	}
}

// Same reports whether a and b name the same output: the same file once
// symlinks are followed, or (for files not there yet) the same cleaned
// absolute path. Special files (a FIFO, a device) are never the same output
// as anything: writing them twice in turn is what the user asked for.
func Same(a, b string) bool {
	ka, ra, _, errA := target(a)
	kb, rb, _, errB := target(b)
	if errA != nil || errB != nil {
		aa, _ := filepath.Abs(a)
		bb, _ := filepath.Abs(b)
		return aa == bb
	}
	if ka == kindThrough || kb == kindThrough {
		return false
	}
	sa, ea := os.Stat(ra)
	sb, eb := os.Stat(rb)
	if ea == nil && eb == nil {
		return os.SameFile(sa, sb)
	}
	aa, _ := filepath.Abs(ra)
	bb, _ := filepath.Abs(rb)
	return aa == bb
}

// Write writes what fn produces to path as the package doc says: atomically
// for a new or regular file, through for anything else. fn's error, and any
// write, sync, close or rename error, is returned wrapped with the path; on
// error a regular file is left as it was.
func Write(path string, fn func(io.Writer) error) error {
	k, real, perm, err := target(path)
	if err != nil {
		return err
	}
	if k == kindThrough {
		return writeThrough(path, perm, fn)
	}
	newPerm := fs.FileMode(0o666) // less the umask, as os.Create
	if k == kindRegular {
		newPerm = perm
	}
	dir := filepath.Dir(real)
	fh, tmp, err := createTemp(dir, newPerm)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			fh.Close()
			os.Remove(tmp)
		}
	}()
	if k == kindRegular {
		// createTemp's mode went through the umask; restore the file's own.
		if err := fh.Chmod(perm); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := fn(fh); err != nil {
		return named(path, err)
	}
	if err := fh.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp, real); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	ok = true
	return nil
}

// WaitNote, when non-nil, is called with the path when Write has to wait for
// a FIFO's reader (so a command line tool can say why it is not exiting).
// The program sets it once, before any Write; Write only reads it.
var WaitNote func(path string)

func writeThrough(path string, mode fs.FileMode, fn func(io.Writer) error) error {
	flags := os.O_WRONLY | os.O_APPEND
	var fh *os.File
	var err error
	if mode&fs.ModeNamedPipe != 0 {
		// Opening a FIFO for writing blocks until a reader opens it: try
		// without blocking first, so the wait can be announced.
		fh, err = os.OpenFile(path, flags|syscall.O_NONBLOCK, 0)
		if errors.Is(err, syscall.ENXIO) {
			if WaitNote != nil {
				WaitNote(path)
			}
			fh, err = os.OpenFile(path, flags, 0)
		}
	} else {
		fh, err = os.OpenFile(path, flags, 0)
	}
	if err != nil {
		return err // *PathError names the path
	}
	if err := fn(fh); err != nil {
		fh.Close()
		return named(path, err)
	}
	if err := fh.Close(); err != nil {
		return named(path, err)
	}
	return nil
}

// named wraps err with path unless it names path already (an *os.PathError
// from the write does).
func named(path string, err error) error {
	if strings.Contains(err.Error(), path) {
		return err
	}
	return fmt.Errorf("%s: %w", path, err)
}

var tempSeq atomic.Uint64 // any goroutine: makes temporary names unique in this process

// createTemp creates a new file in dir with a name no one else uses,
// O_EXCL, with mode perm less the umask.
func createTemp(dir string, perm fs.FileMode) (*os.File, string, error) {
	for range 100 {
		name := filepath.Join(dir, ".loadgen-"+strconv.Itoa(os.Getpid())+"-"+
			strconv.FormatUint(tempSeq.Add(1), 36)+"-"+strconv.FormatInt(time.Now().UnixNano()%1e6, 36)+".tmp")
		fh, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return fh, name, err
	}
	return nil, "", fmt.Errorf("%s: could not create a temporary file", dir)
}
