//go:build amd64 && !race && !ringbuf_xchgpublish

package ringbuf

import "unsafe"

// publishPtr stores p into *slot with release order: a plain pointer
// assignment, which the compiler emits as the GC write barrier's check and
// one aligned MOV. Under x86-TSO a plain store is not reordered with the
// earlier stores that built the element, and Go's compiler keeps stores in
// program order, so this is PtrMPSC's release publish without a second
// locked instruction (atomic.StorePointer is an XCHG). The consumer reads
// the word only with atomic.LoadPointer. It is not sequentially consistent:
// no Dekker handshake may depend on it (ptrmpsc.go's header says why none
// does).
func publishPtr(slot *unsafe.Pointer, p unsafe.Pointer) { *slot = p }
