#include "textflag.h"

// func getg() uintptr
// ABI0 assembly: the g pointer lives in thread-local storage at (TLS).
TEXT ·getg(SB),NOSPLIT,$0-8
	MOVQ (TLS), AX
	MOVQ AX, ret+0(FP)
	RET
