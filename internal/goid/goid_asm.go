//go:build amd64 || arm64

package goid

// Fast reports whether Current reads the g pointer directly (true) or parses a
// stack trace (false).
const Fast = true

// getg returns the runtime's g pointer for the calling goroutine.
// Implemented in goid_amd64.s and goid_arm64.s.
func getg() uintptr

func current() uintptr { return getg() }
