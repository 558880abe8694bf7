//go:build !amd64 || race || ringbuf_xchgpublish

package ringbuf

import "sync/atomic"

// publish stores v into w with (at least) release order. Here it is
// atomic.Store: on arm64 that is already a release store (STLR); under the
// race detector it records the happens-before edge. See release_amd64.go.
func publish(w *atomic.Uint64, v uint64) { w.Store(v) }

// releaseStoreIsPlainMOV reports whether publish avoids a locked instruction.
const releaseStoreIsPlainMOV = false
