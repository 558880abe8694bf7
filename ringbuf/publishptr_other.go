//go:build !amd64 || race || ringbuf_xchgpublish

package ringbuf

import (
	"sync/atomic"
	"unsafe"
)

// publishPtr stores p into *slot with (at least) release order: a release
// store on arm64, and under the race detector the happens-before edge the
// consumer's LoadPointer pairs with. See publishptr_amd64.go.
func publishPtr(slot *unsafe.Pointer, p unsafe.Pointer) { atomic.StorePointer(slot, p) }
