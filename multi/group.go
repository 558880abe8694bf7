package multi

// Group: one loop per CPU (or N), each on its own locked OS thread pinned to a
// CPU, with submissions routed by key, round robin, or least loaded, and
// loop-to-loop messages on SPSC rings.
//
// Shape. Every member loop i has
//   - in: a ringbuf.MPSC[func()], its submission queue. Producers: any goroutine
//     (Submit*). Consumer: loop i, in drainIn. Its Len is what least-loaded
//     routing compares (power of two choices).
//   - rings[from]: a ringbuf.SPSC[func()] per sending loop. Producer: loop from's
//     goroutine only (Send checks it). Consumer: loop i, in drainRings.
//   - gate: closed bit | count of submitters between their check and their push.
//
// Wakeup protocol for in: the publish-then-check handshake "group-in" of
// docs/protocols.md, which gives the steps, the full fence on each side and
// why no item is stranded. In short:
//  1. producer: push fn onto in (the slot's publish is a release store only,
//     a plain MOV on amd64), then
//     f. gate.Add(-1): the LOCK XADD is the full fence between the publish
//     and the Load below (it also releases Close's wait, shutdown step 2);
//     a. Load(inScheduled); if true, done: a drain is queued and has not yet
//     reached step 2, so it will see fn;
//     b. else CAS(false, true); the winner posts drainIn with PostThreadsafe
//     (one post per batch: concurrent kicks coalesce into one).
//  2. loop, in drainIn: Store(inScheduled, false) (XCHG: the full fence), then
//     pop. A push ordered after the Store sees false and posts a new drain
//     (1b); a push ordered before it is visible to the pops that follow the
//     Store. Without the fence of 1f the producer's Load could pass its own
//     publish, read true, and leave fn stranded until the next submission.
//  3. drainIn pops at most drainBatch items per call, so one busy producer cannot
//     starve the loop's other work; if it stopped at the batch limit (or a
//     callback panicked), it re-kicks itself with Post (the loop's own queue).
//
// Wakeup protocol for the rings ("group-rings" in docs/protocols.md): the same
// with Send, ringScheduled and drainRings; Send's fence is its gate.Add(-1) too.
//
// Shutdown protocol (Close):
//  1. set the closed bit on every member's gate: from now on Submit and Send
//     fail with ErrGroupClosed;
//  2. wait until every gate's in-flight count is zero: every accepted
//     submission has been pushed (a submitter increments the gate before it
//     checks the bit and decrements after its push);
//  3. push a stop marker onto each in, behind everything accepted (the MPSC
//     keeps claim order, and every accepted push completed before the marker's
//     claim); when the loop reaches it, it drains its rings once more (messages
//     accepted before step 1) and calls Stop; the loop finishes that iteration,
//     RunForever returns, the loop is closed and its goroutine exits.
//  4. wait for every loop goroutine, and return their errors joined.
//
// So every accepted submission and every accepted Send runs exactly once;
// what a callback schedules for a later iteration (CallSoon, timers) during
// shutdown is dropped with the loop, as asyncio's loop.close() drops it.
//
// Cost on the submit path: gate XADD, MPSC push (one XADD), one Load of
// inScheduled (after the second gate XADD, which is the fence); the loop pays
// one callback per batch. Send: gate XADD, SPSC push (no locked instruction),
// gate XADD, one Load of ringScheduled. (Fencing with the consumer's Load of the
// MPSC tail instead, as the loop's sleep does, measured 2-3x the CPU per
// submission in BenchmarkGroup loops=1: docs/protocols.md.)

import (
	"errors"
	"fmt"
	"github.com/ringloop/ringloop/sched"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/ringloop/ringloop/ringbuf"
)

// ErrGroupClosed is returned by Submit and Send once Close has begun.
// errors.Is(err, sched.ErrClosed) is true for it as well.
var ErrGroupClosed = fmt.Errorf("multi: group is closed: %w", sched.ErrClosed)

// Route says how Group.Submit picks a loop.
type Route uint8

const (
	RouteKey         Route = iota // hash of the key: one key always lands on one loop
	RouteRoundRobin               // a shared cursor: loop 0, 1, ..., n-1, 0, ...
	RouteLeastLoaded              // power of two choices on the submission queues' lengths
)

var routeNames = []string{"key", "roundrobin", "leastloaded"}

// Routes returns the names ParseRoute accepts, in Route order.
func Routes() []string { return append([]string(nil), routeNames...) }

func (r Route) String() string {
	if int(r) < len(routeNames) {
		return routeNames[r]
	}
	return fmt.Sprintf("Route(%d)", uint8(r))
}

// ParseRoute maps a name from Routes() to its Route.
func ParseRoute(s string) (Route, error) {
	for i, n := range routeNames {
		if n == s {
			return Route(i), nil
		}
	}
	return 0, fmt.Errorf("multi: route %q: unknown, want one of %q", s, routeNames)
}

// GroupOption configures NewGroup.
type GroupOption func(*groupConfig) error

type groupConfig struct {
	loops      int            // 0: one per CPU in cpus
	cpus       []int          // CPU for loop i is cpus[i%len(cpus)]; nil: AllowedCPUs()
	pin        bool           // pin each loop's thread (default true; needs lock)
	lock       bool           // lock each loop goroutine to its OS thread (default true)
	loopOpts   []sched.Option // passed to New for every member
	ringCap    int            // SPSC capacity per (from, to) pair
	drainBatch int            // max submissions one drainIn runs
}

// WithGroupLoops sets the number of loops (default: one per allowed CPU).
func WithGroupLoops(n int) GroupOption {
	return func(c *groupConfig) error {
		if n < 1 || n > maxCPU {
			return fmt.Errorf("multi: WithGroupLoops(%d): want 1..%d", n, maxCPU)
		}
		c.loops = n
		return nil
	}
}

// WithGroupCPUs sets the CPU each loop is pinned to: loop i gets cpus[i % len].
// Without WithGroupLoops the group has len(cpus) loops. CPUs the process may not
// use are accepted here; the OS refuses the pin and Group reports it (PinErrors).
func WithGroupCPUs(cpus ...int) GroupOption {
	return func(c *groupConfig) error {
		if len(cpus) == 0 {
			return errors.New("multi: WithGroupCPUs(): want at least one CPU")
		}
		for _, x := range cpus {
			if x < 0 || x >= maxCPU {
				return fmt.Errorf("multi: WithGroupCPUs: CPU %d: want 0..%d", x, maxCPU-1)
			}
		}
		c.cpus = append([]int(nil), cpus...)
		return nil
	}
}

// WithGroupPinning turns CPU pinning on (the default) or off. Each loop's
// goroutine is locked to its OS thread either way (unless WithGroupLockOSThread(false)).
func WithGroupPinning(on bool) GroupOption {
	return func(c *groupConfig) error { c.pin = on; return nil }
}

// WithGroupLockOSThread(false) leaves the loop goroutines to the Go scheduler:
// no locked thread, and so no pinning (the measured alternative: with
// GOMAXPROCS loops busy, a locked loop holds a P that producers need, and every
// wakeup of a locked goroutine is an OS thread hand-off). Default true.
func WithGroupLockOSThread(on bool) GroupOption {
	return func(c *groupConfig) error { c.lock = on; return nil }
}

// WithGroupLoopOptions passes opts to New for every member loop.
func WithGroupLoopOptions(opts ...sched.Option) GroupOption {
	return func(c *groupConfig) error { c.loopOpts = append(c.loopOpts, opts...); return nil }
}

// WithGroupRingCapacity sets the capacity of each loop-to-loop SPSC ring
// (default 1024; ringbuf decides what it accepts and says so).
func WithGroupRingCapacity(n int) GroupOption {
	return func(c *groupConfig) error {
		if n < 1 {
			return fmt.Errorf("multi: WithGroupRingCapacity(%d): want >= 1", n)
		}
		c.ringCap = n
		return nil
	}
}

// WithGroupDrainBatch sets how many submissions a loop runs per drain callback
// before it lets its other work in (default 1024).
func WithGroupDrainBatch(n int) GroupOption {
	return func(c *groupConfig) error {
		if n < 1 {
			return fmt.Errorf("multi: WithGroupDrainBatch(%d): want >= 1", n)
		}
		c.drainBatch = n
		return nil
	}
}

const gateClosed = int64(1) << 62 // closed bit in member.gate; the low bits count submitters

// member is one loop of a Group and the queues that feed it.
type member struct {
	_ cpu.CacheLinePad
	// gate: closed bit | submitters in flight. Submitters Add(1) before checking
	// the bit and Add(-1) after their push; Close sets the bit and waits for the
	// count to drain (shutdown steps 1-2).
	gate atomic.Int64
	_    cpu.CacheLinePad
	// inScheduled: a drainIn is queued or running and has not passed its Store
	// (protocol steps 1-2). Producers Load/CAS it after their push; drainIn Stores false.
	inScheduled atomic.Bool
	// ringScheduled: the same for drainRings and Send.
	ringScheduled atomic.Bool
	_             cpu.CacheLinePad

	idx   int
	cpu   int // the CPU asked for, -1 when not pinning
	loop  *sched.Loop
	in    *ringbuf.MPSC[func()]
	rings []*ringbuf.SPSC[func()] // rings[from]; producer: loop from; consumer: this loop
	batch int

	drainInFn, drainRingsFn, stopFn func() // method values made once: posting them allocates nothing

	stopped bool          // loop goroutine only: the stop marker ran
	done    chan struct{} // closed when the loop goroutine has exited
	err     error         // RunForever's / Close's error; read after done
}

// Group runs n loops, one per CPU by default, and routes work to them.
// All methods are safe for concurrent use, except as noted on Send.
type Group struct {
	members []*member
	rr      atomic.Uint64 // round-robin cursor; every RouteRoundRobin submit Adds 1
	seed    maphash.Seed  // for SubmitString keys
	lock    bool          // loop goroutines locked to their threads

	pinMu   sync.Mutex
	pinErrs []error // *PinError, in loop order of discovery; guarded by pinMu

	closeOnce sync.Once
	closeErr  error
}

// NewGroup starts the loops and returns once each is running on its thread
// (pinned, or with its pin refusal recorded in PinErrors).
func NewGroup(opts ...GroupOption) (*Group, error) {
	c := groupConfig{pin: true, lock: true, ringCap: 1024, drainBatch: 1024}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if c.cpus == nil {
		c.cpus = defaultCPUs()
	}
	if c.loops == 0 {
		c.loops = len(c.cpus)
	}

	g := &Group{seed: maphash.MakeSeed(), lock: c.lock, members: make([]*member, c.loops)}
	for i := range g.members {
		l, err := sched.New(c.loopOpts...)
		if err != nil {
			g.closeUnstarted(i)
			return nil, fmt.Errorf("multi: NewGroup: loop %d: %w", i, err)
		}
		in, err := ringbuf.NewMPSC[func()]()
		if err != nil {
			l.Close()
			g.closeUnstarted(i)
			return nil, fmt.Errorf("multi: NewGroup: loop %d queue: %w", i, err)
		}
		m := &member{idx: i, cpu: -1, loop: l, in: in, batch: c.drainBatch, done: make(chan struct{})}
		if c.pin && c.lock {
			m.cpu = c.cpus[i%len(c.cpus)]
		}
		m.drainInFn, m.drainRingsFn, m.stopFn = m.drainIn, m.drainRings, m.stop
		g.members[i] = m
	}
	for _, m := range g.members {
		m.rings = make([]*ringbuf.SPSC[func()], c.loops)
		for from := range m.rings {
			r, err := ringbuf.NewSPSC[func()](c.ringCap)
			if err != nil {
				g.closeUnstarted(len(g.members))
				return nil, fmt.Errorf("multi: NewGroup: WithGroupRingCapacity(%d): %w", c.ringCap, err)
			}
			m.rings[from] = r
		}
	}

	started := make(chan struct{}, c.loops)
	for _, m := range g.members {
		go g.run(m, started)
	}
	for range g.members {
		<-started
	}
	return g, nil
}

// closeUnstarted closes the first n members' loops of a group that never started.
func (g *Group) closeUnstarted(n int) {
	for _, m := range g.members[:n] {
		if m != nil {
			m.loop.Close()
		}
	}
}

// run is member m's goroutine: lock, pin, run, close.
func (g *Group) run(m *member, started chan<- struct{}) {
	defer close(m.done)
	if !g.lock {
		started <- struct{}{}
		m.err = errors.Join(m.loop.RunForever(), m.loop.Close())
		return
	}
	pe, unlock := lockThread(m.idx, m.cpu) // a pinned thread exits with this goroutine (affinity.go)
	if unlock {
		defer runtime.UnlockOSThread()
	}
	if pe != nil {
		g.pinMu.Lock()
		g.pinErrs = append(g.pinErrs, pe)
		g.pinMu.Unlock()
		// Also tell the loop's exception handler, from the loop itself: this
		// goroutine owns the loop before it runs, so Post is allowed here.
		l := m.loop
		_ = l.Post(func() {
			l.CallExceptionHandler(sched.ExceptionContext{Message: "Group: CPU pinning refused; loop runs unpinned", Err: pe})
		})
	}
	started <- struct{}{}
	runErr := m.loop.RunForever()
	m.err = errors.Join(runErr, m.loop.Close())
}

// Len returns the number of loops.
func (g *Group) Len() int { return len(g.members) }

// Loop returns loop i (0 <= i < Len()). Do not Stop or Close it yourself: Close
// the Group.
func (g *Group) Loop(i int) *sched.Loop { return g.members[i].loop }

// Self returns the index of the group loop the caller runs on (a callback or
// task of that loop), or -1 when it runs on none: the from of Send.
func (g *Group) Self() int {
	for i, m := range g.members {
		if m.loop.InLoop() {
			return i
		}
	}
	return -1
}

// CPU returns the CPU loop i was asked to pin to, or -1 when pinning (or
// thread locking) is off.
// Whether the OS agreed is in PinErrors.
func (g *Group) CPU(i int) int { return g.members[i].cpu }

// PinErrors returns the pinning refusals (*PinError), empty when every loop is
// pinned or pinning is off. Complete once NewGroup has returned.
func (g *Group) PinErrors() []error {
	g.pinMu.Lock()
	defer g.pinMu.Unlock()
	return append([]error(nil), g.pinErrs...)
}

// mix64 is splitmix64's finalizer: every input bit moves every output bit, so
// sequential keys spread evenly.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// KeyIndex returns the loop RouteKey picks for key: stable for the Group's life.
func (g *Group) KeyIndex(key uint64) int {
	hi, _ := bits.Mul64(mix64(key), uint64(len(g.members))) // fast range: no division
	return int(hi)
}

// Pick returns the loop index route r chooses now (key is used by RouteKey only).
func (g *Group) Pick(r Route, key uint64) int {
	n := len(g.members)
	switch r {
	case RouteKey:
		return g.KeyIndex(key)
	case RouteRoundRobin:
		return int((g.rr.Add(1) - 1) % uint64(n)) // the one shared XADD of this route
	case RouteLeastLoaded:
		if n == 1 {
			return 0
		}
		// Power of two choices: two distinct random loops, the shorter queue wins
		// (ties go to the first). rand.Uint64N uses the runtime's per-thread
		// generator: no shared state.
		i := int(rand.Uint64N(uint64(n)))
		j := int(rand.Uint64N(uint64(n - 1)))
		if j >= i {
			j++
		}
		if g.members[j].in.Len() < g.members[i].in.Len() {
			return j
		}
		return i
	}
	panic(fmt.Sprintf("ringloop: multi.Group: unknown Route(%d)", uint8(r)))
}

// Submit runs fn on the loop route r picks and returns that loop's index.
// Any goroutine. fn runs exactly once unless the error is non-nil; after Close
// has begun the error is ErrGroupClosed. Zero allocations.
func (g *Group) Submit(r Route, key uint64, fn func()) (int, error) {
	i := g.Pick(r, key)
	return i, g.SubmitTo(i, fn)
}

// SubmitKey runs fn on the loop that owns key (RouteKey).
func (g *Group) SubmitKey(key uint64, fn func()) error { return g.SubmitTo(g.KeyIndex(key), fn) }

// SubmitString runs fn on the loop that owns the string key (RouteKey over a
// maphash of it, seeded per Group).
func (g *Group) SubmitString(key string, fn func()) error {
	return g.SubmitKey(maphash.String(g.seed, key), fn)
}

// SubmitRoundRobin runs fn on the next loop in turn.
func (g *Group) SubmitRoundRobin(fn func()) error {
	return g.SubmitTo(g.Pick(RouteRoundRobin, 0), fn)
}

// SubmitLeastLoaded runs fn on the less loaded of two randomly chosen loops.
func (g *Group) SubmitLeastLoaded(fn func()) error {
	return g.SubmitTo(g.Pick(RouteLeastLoaded, 0), fn)
}

// SubmitTo runs fn on loop i.
func (g *Group) SubmitTo(i int, fn func()) error {
	if fn == nil {
		panic("ringloop: multi.Group.Submit: nil func")
	}
	m := g.members[i]
	// The plain Load first keeps submitters that retry after Close from holding
	// the in-flight count above zero (Close waits for zero); the Add decides.
	if m.gate.Load()&gateClosed != 0 {
		return ErrGroupClosed
	}
	if m.gate.Add(1)&gateClosed != 0 { // pairs with the Add(gateClosed) in Close
		m.gate.Add(-1) // rejected: never pushed; Close's wait ignores it once it is back to zero
		return ErrGroupClosed
	}
	_ = m.in.Push(fn) // unbounded: nil
	// Step 1f: the XADD is the producer's full fence of "group-in"
	// (docs/protocols.md): the slot publish before it is a plain release
	// store, which kickIn's Load could otherwise pass. It also lets Close
	// proceed past shutdown step 2.
	m.gate.Add(-1) // pairs with the Load in Close (the push is visible)
	// Close may have stopped the loop by now; its stop marker, pushed after
	// this push, then ran fn: a failed kick loses nothing.
	_ = m.kickIn()
	return nil
}

// kickIn is protocol step 1 after a push. Any goroutine.
func (m *member) kickIn() error {
	if m.inScheduled.Load() || !m.inScheduled.CompareAndSwap(false, true) { // pairs with the Store in drainIn
		return nil
	}
	if err := m.loop.PostThreadsafe(m.drainInFn); err != nil {
		m.inScheduled.Store(false) // the loop is closed: no drain is coming; undo our claim
		return err
	}
	return nil
}

// drainIn runs queued submissions: protocol steps 2-3. Loop goroutine only.
func (m *member) drainIn() {
	m.inScheduled.Store(false) // step 2: XCHG, the full fence; pairs with the Load/CAS in kickIn (after the gate XADD)
	n, clean := 0, false
	defer func() {
		// Stopped at the batch limit, or a callback is panicking (the panic goes on
		// to the loop, which reports it and goes on): what is left needs a drain.
		// Load/CAS as in kickIn: if a producer already re-kicked, its drain covers the rest.
		if (!clean || n == m.batch) && !m.inScheduled.Load() && m.inScheduled.CompareAndSwap(false, true) {
			_ = m.loop.Post(m.drainInFn)
		}
	}()
	for ; n < m.batch; n++ {
		fn, ok := m.in.Pop()
		if !ok {
			break
		}
		fn()
	}
	clean = true
}

// Send runs fn on loop to, carried by the (from, to) SPSC ring. Only loop
// from's goroutine (its callbacks and tasks) may call it: a ring has one
// producer. Messages from one loop to another run in the order sent. The ring
// is bounded: a full ring returns an error that errors.Is(ringbuf.ErrFull), and
// fn is not sent (back off and retry, or Submit instead). After Close has
// begun: ErrGroupClosed.
func (g *Group) Send(from, to int, fn func()) error {
	if fn == nil {
		panic("ringloop: multi.Group.Send: nil func")
	}
	if !g.members[from].loop.InLoop() {
		panic(fmt.Sprintf("ringloop: multi.Group.Send(from=%d): caller is not loop %d's goroutine", from, from))
	}
	m := g.members[to]
	if m.gate.Load()&gateClosed != 0 {
		return ErrGroupClosed
	}
	if m.gate.Add(1)&gateClosed != 0 { // pairs with the Add(gateClosed) in Close
		m.gate.Add(-1) // rejected: never pushed
		return ErrGroupClosed
	}
	err := m.rings[from].Push(fn)
	// The XADD is the producer's full fence of "group-rings" (docs/protocols.md),
	// as in SubmitTo: the SPSC publish before it is a plain release store.
	m.gate.Add(-1) // pairs with the Load in Close (the push is visible)
	if err != nil {
		return fmt.Errorf("multi: Group.Send(%d->%d): %w", from, to, err)
	}
	// Close may have stopped loop to by now, and its stop marker then ran fn
	// (the push preceded the gate's release): a failed kick loses nothing.
	_ = m.kickRings()
	return nil
}

// kickRings is kickIn for the SPSC rings. Any goroutine (a sending loop).
func (m *member) kickRings() error {
	if m.ringScheduled.Load() || !m.ringScheduled.CompareAndSwap(false, true) { // pairs with the Store in drainRings
		return nil
	}
	if err := m.loop.PostThreadsafe(m.drainRingsFn); err != nil {
		m.ringScheduled.Store(false) // the loop is closed: undo our claim
		return err
	}
	return nil
}

// drainRings runs every message waiting in this loop's rings. Loop goroutine only.
func (m *member) drainRings() {
	m.ringScheduled.Store(false) // XCHG, the full fence; pairs with the Load/CAS in kickRings (after Send's gate XADD)
	done := false
	defer func() {
		if !done && !m.ringScheduled.Load() && m.ringScheduled.CompareAndSwap(false, true) { // as in kickRings
			_ = m.loop.Post(m.drainRingsFn) // a message panicked: the rest still run
		}
	}()
	for _, r := range m.rings {
		for k := 0; k < m.batch; k++ {
			fn, ok := r.Pop()
			if !ok {
				break
			}
			fn()
		}
		if r.Len() > 0 {
			return // batch limit: done stays false, the defer re-posts
		}
	}
	done = true
}

// stop is the shutdown marker (Close step 3). Loop goroutine only.
func (m *member) stop() {
	if m.stopped {
		return
	}
	m.stopped = true
	for _, r := range m.rings { // messages accepted before Close
		for {
			fn, ok := r.Pop()
			if !ok {
				break
			}
			fn()
		}
	}
	m.loop.Stop()
}

// Close shuts the group down gracefully (the protocol at the top of this file):
// every submission and Send accepted before it runs; later ones get
// ErrGroupClosed. It waits for every loop to finish and returns their errors.
// Calling it from one of the group's own loops would wait on itself: that
// returns an error at once and closes nothing. Later calls return the first
// call's result.
func (g *Group) Close() error {
	for _, m := range g.members {
		if m.loop.InLoop() {
			return fmt.Errorf("multi: Group.Close called from group loop %d: it would wait on itself: %w", m.idx, sched.ErrRunning)
		}
	}
	g.closeOnce.Do(func() {
		for _, m := range g.members { // step 1
			m.gate.Add(gateClosed) // pairs with the Add(1) in SubmitTo / Send
		}
		for _, m := range g.members { // step 2
			// pairs with the submitters' Add(-1) after their push: zero in-flight
			// means every accepted push has completed.
			for spins := 0; m.gate.Load() != gateClosed; spins++ {
				if spins < 100 {
					runtime.Gosched()
				} else {
					time.Sleep(10 * time.Microsecond)
				}
			}
		}
		for _, m := range g.members { // step 3: "group-in" as any submission (docs/protocols.md)
			_ = m.in.Push(m.stopFn)
			m.gate.Add(0)  // the full fence of step 1f (LOCK XADD; the gate is closed and drained: it changes nothing)
			_ = m.kickIn() // fails only if the loop already stopped on its own
		}
		var errs []error
		for _, m := range g.members { // step 4
			<-m.done
			if m.err != nil {
				errs = append(errs, fmt.Errorf("multi: group loop %d: %w", m.idx, m.err))
			}
		}
		g.closeErr = errors.Join(errs...)
	})
	return g.closeErr
}
