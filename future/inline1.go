//go:build future_inline1

package future

// inlineSlots is the number of callbacks a Future keeps inline (no allocation).
// This build (-tags future_inline1) keeps asyncio's one slot (fut_callback0), to
// measure against the default two.
const inlineSlots = 1
