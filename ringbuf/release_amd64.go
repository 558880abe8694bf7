//go:build amd64 && !race && !ringbuf_xchgpublish

package ringbuf

import (
	"sync/atomic"
	"unsafe"
)

// Release stores.
//
// atomic.Uint64.Store is sequentially consistent, which amd64 implements
// with XCHG: a locked instruction (~5-20 ns). Publishing a slot needs only
// release order: every earlier write (the element) must be visible before
// the flag. Under x86-TSO a plain aligned MOV is exactly that, which is
// what the runtime's internal StoreRel64 compiles to on amd64. storeRelease
// is that MOV in assembly (an opaque call, so also a compiler barrier). It
// is an atomic 8-byte store; every other access to the word stays a
// sync/atomic Load, so the word is never accessed non-atomically.
//
// Race builds use atomic.Store instead (release_other.go) so the race
// detector sees the happens-before edge.

//go:noescape
func storeRelease(addr *uint64, v uint64)

// publish stores v into w with release order. It is not sequentially
// consistent: never use it where a Dekker handshake depends on the store.
func publish(w *atomic.Uint64, v uint64) {
	storeRelease((*uint64)(unsafe.Pointer(w)), v)
}

// releaseStoreIsPlainMOV reports whether publish avoids a locked instruction.
const releaseStoreIsPlainMOV = true
