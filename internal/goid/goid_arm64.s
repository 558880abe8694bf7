#include "textflag.h"

// func getg() uintptr
// On arm64 the g pointer is kept in the g register (R28).
TEXT ·getg(SB),NOSPLIT,$0-8
	MOVD g, R0
	MOVD R0, ret+0(FP)
	RET
