package sched

// The variant table: every interchangeable part of a loop (its inbox, its wakeup,
// a task's coroutine engine), each row a name, a constructor and a one-line doc.
// It is the only list of variant names in the module: WithInbox, WithWakeup and
// WithCoro check names against it, New and the task code build from it,
// InboxVariants / WakeupVariants / CoroVariants and Variants read it, so do the
// benchmarks and `loadgen list` (through package bench), and the variant table in
// docs/DESIGN.md is checked against it by TestVariantTableInDesign.
//
// Invariants:
//   - within a part, names are unique and the first row is the part's default
//     (DefaultInbox, DefaultWakeup, coro.Pull);
//   - exactly one constructor is set per row, the one its part uses;
//   - the table is never written after init: any goroutine may read it.

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/ringloop/ringloop/internal/coro"
)

// Variant describes one interchangeable implementation of a part of the loop.
type Variant struct {
	// Part is what the variant replaces: "inbox" (WithInbox), "wakeup"
	// (WithWakeup) or "coro" (WithCoro, per task).
	Part string
	// Name is what the option takes.
	Name string
	// Doc says in one line what the variant is.
	Doc string
}

type variantRow struct {
	Variant
	newInbox  func(c *config) (inbox, error)                         // Part "inbox"
	newWaker  func(name string, state *atomic.Uint32) (waker, error) // Part "wakeup"
	newEngine func(coro.Hooks) coro.Engine                           // Part "coro"
	kernel    bool                                                   // wakeup needs the Linux kernel wakers
}

var variantTable = []variantRow{
	{Variant: Variant{"inbox", "mpsc", "ringbuf.PtrMPSC: one XADD claims an 8-byte slot, the callback is its publish flag; unbounded"},
		newInbox: func(*config) (inbox, error) { return newPtrInbox() }},
	{Variant: Variant{"inbox", "mpsc-seq", "ringbuf.MPSC: one XADD claims a slot with a sequence word beside the item; unbounded"},
		newInbox: func(*config) (inbox, error) { return newMPSCInbox(false) }},
	{Variant: Variant{"inbox", "mpsc-cas", "ringbuf.MPSC claiming with a CAS loop: the loser kept to be measured"},
		newInbox: func(*config) (inbox, error) { return newMPSCInbox(true) }},
	{Variant: Variant{"inbox", "mutex", "a slice behind a sync.Mutex, swapped out whole by the drain (CPython's way)"},
		newInbox: func(*config) (inbox, error) { return &mutexInbox{}, nil }},
	{Variant: Variant{"inbox", "chan", "a buffered Go channel (WithInboxCapacity sets its size)"},
		newInbox: func(c *config) (inbox, error) { return newChanInbox(c.inboxCapacity), nil }},
	{Variant: Variant{"inbox", "xsync", "xsync/v3 MPMCQueueOf, bounded, CAS claim (WithInboxCapacity sets its size)"},
		newInbox: func(c *config) (inbox, error) { return newXsync3Inbox(c.inboxCapacity), nil }},
	{Variant: Variant{"inbox", "xsync4", "xsync/v4 UMPSCQueue, unbounded MPSC"},
		newInbox: func(*config) (inbox, error) { return newXsync4Inbox(), nil }},

	{Variant: Variant{"wakeup", "chan-yield", "park on a Go channel; the waking producer yields its P so the loop runs at once"},
		newWaker: chanWakerRow(true)},
	{Variant: Variant{"wakeup", "chan", "park on a Go channel; the loop waits for an idle P if its waker keeps running"},
		newWaker: chanWakerRow(false)},
	{Variant: Variant{"wakeup", "eventfd", "block in epoll_pwait2 on an eventfd (Linux; what an I/O loop needs)"},
		newWaker: newKernelWaker, kernel: true},
	{Variant: Variant{"wakeup", "futex", "FUTEX_WAIT on the loop's state word (Linux)"},
		newWaker: newKernelWaker, kernel: true},

	{Variant: Variant{"coro", coro.Pull, "the runtime's coroutine switch (iter.Pull's), coroutines pooled per loop"},
		newEngine: engineRow(coro.Pull)},
	{Variant: Variant{"coro", coro.PullNoPool, "the same switch, a fresh coroutine per task: the cost the pool saves"},
		newEngine: engineRow(coro.PullNoPool)},
	{Variant: Variant{"coro", coro.Goroutine, "a goroutine per task, resumed through channels: the plain-Go baseline"},
		newEngine: engineRow(coro.Goroutine)},
}

func engineRow(name string) func(coro.Hooks) coro.Engine {
	return func(h coro.Hooks) coro.Engine { e, _ := coro.New(name, h); return e }
}

func chanWakerRow(yield bool) func(string, *atomic.Uint32) (waker, error) {
	return func(_ string, state *atomic.Uint32) (waker, error) { return newChanWaker(yield, state), nil }
}

// Variants returns every variant this platform offers, grouped by part (inbox,
// wakeup, coro), the default of each part first.
func Variants() []Variant {
	var out []Variant
	for _, r := range variantTable {
		if !r.kernel || kernelWakers {
			out = append(out, r.Variant)
		}
	}
	return out
}

// variantNames returns the names of part's variants on this platform, default first.
func variantNames(part string) []string {
	var out []string
	for _, v := range Variants() {
		if v.Part == part {
			out = append(out, v.Name)
		}
	}
	return out
}

// variantRowOf returns part's row called name, or nil.
func variantRowOf(part, name string) *variantRow {
	for i := range variantTable {
		r := &variantTable[i]
		if r.Part == part && r.Name == name && (!r.kernel || kernelWakers) {
			return r
		}
	}
	return nil
}

// setVariant stores name in *dst if part has a variant called name on this
// platform; otherwise it returns an error naming the option, the value and the
// accepted names.
func setVariant(dst *string, part, option, name string) error {
	if variantRowOf(part, name) == nil {
		return fmt.Errorf("sched: %s(%q): unknown %s variant, want one of %q", option, name, part, variantNames(part))
	}
	*dst = name
	return nil
}

// InboxVariants returns every inbox name WithInbox accepts, the default first.
func InboxVariants() []string { return variantNames("inbox") }

// WakeupVariants returns every wakeup name WithWakeup accepts on this platform,
// the default first.
func WakeupVariants() []string { return variantNames("wakeup") }

// CoroVariants returns every coroutine engine name WithCoro accepts, default first.
func CoroVariants() []string { return variantNames("coro") }

// VariantDoc returns the one-line doc of part's variant name, or "" if there is
// no such variant.
func VariantDoc(part, name string) string {
	if r := variantRowOf(part, name); r != nil {
		return r.Doc
	}
	return ""
}

func newInbox(c *config) (inbox, error) {
	r := variantRowOf("inbox", c.inbox)
	if r == nil {
		return nil, errors.New("sched: unknown inbox variant " + c.inbox)
	}
	return r.newInbox(c)
}

// newEngine builds the coroutine engine CoroVariants()[i] for one loop.
func newEngine(i int, hooks coro.Hooks) coro.Engine {
	for _, r := range variantTable {
		if r.Part == "coro" {
			if i == 0 {
				return r.newEngine(hooks)
			}
			i--
		}
	}
	panic("ringloop: coroutine engine index out of range")
}

func newWaker(c *config, state *atomic.Uint32) (waker, error) {
	r := variantRowOf("wakeup", c.wakeup)
	if r == nil {
		return nil, errors.New("sched: wakeup variant " + c.wakeup + " is not available on this platform")
	}
	return r.newWaker(c.wakeup, state)
}
