//go:build amd64 && !race && !ringbuf_xchgpublish

#include "textflag.h"

// func storeRelease(addr *uint64, v uint64)
// A plain aligned MOV: atomic, and a release store under x86-TSO (stores
// are not reordered with earlier loads or stores). The call itself is a
// compiler barrier.
TEXT ·storeRelease(SB),NOSPLIT,$0-16
	MOVQ addr+0(FP), AX
	MOVQ v+8(FP), BX
	MOVQ BX, (AX)
	RET
