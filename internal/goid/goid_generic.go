//go:build !amd64 && !arm64

package goid

import (
	"runtime"
	"strconv"
	"strings"
)

// Fast reports whether Current reads the g pointer directly (true) or parses a
// stack trace (false).
const Fast = false

// current parses "goroutine N [" from the calling goroutine's stack header. Goroutine
// ids are never reused, so this is sound for the life of the goroutine too.
func current() uintptr {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	s := strings.TrimPrefix(string(buf[:n]), "goroutine ")
	if i := strings.IndexByte(s, ' '); i > 0 {
		if id, err := strconv.ParseUint(s[:i], 10, 64); err == nil {
			return uintptr(id)
		}
	}
	panic("ringloop: goid: cannot parse goroutine id from runtime.Stack")
}
