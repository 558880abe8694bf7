//go:build !future_inline1

package future

// inlineSlots is the number of callbacks a Future keeps inline (no allocation).
// Two by default: see docs/DESIGN.md for the 1-vs-2 measurement; build with
// -tags future_inline1 for asyncio's one slot.
const inlineSlots = 2
