// Package stress runs the small-burst-then-wait pattern that exposes a lost
// wakeup in a publish-then-check handshake (docs/protocols.md).
//
// A lost wakeup needs the consumer to go idle between a producer's publish and
// its check, and no later submission to come along and rescue the item. So the
// producers submit small bursts, and then every producer waits until every
// item of the round has run before anyone submits again: an item that is
// stranded stays stranded, and the round never completes. Run reports such an
// item by name (round, producer, index in the burst) instead of hanging.
package stress

// Invariants:
//   - submitted counts every item whose submit returned nil; ran counts the
//     items that ran. Within a round nobody submits after the first barrier,
//     so once every producer has arrived, submitted is fixed and the round is
//     complete exactly when ran == submitted.
//   - Only producer 0 declares a stranding, and only after Config.Stranded of
//     waiting; with KeepGoing it then submits one more item along every
//     producer's path (a later submission is what rescues a stranded item) and
//     the round goes on.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// EnvDuration names the environment variable that sets how long the stress
// tests run (a time.ParseDuration string, e.g. "30s"). Unset: each test's own
// default, seconds in `go test ./...`.
const EnvDuration = "RINGLOOP_STRESS"

// EnvKeepGoing names the environment variable that, set to 1, makes the
// stress tests count strandings until their time is up (each rescued by one
// more submission) instead of stopping at the first: how the failure rate of
// a broken handshake is measured. They still fail if any item was stranded.
const EnvKeepGoing = "RINGLOOP_STRESS_KEEPGOING"

// KeepGoing reports whether EnvKeepGoing is set to 1.
func KeepGoing() bool { return os.Getenv(EnvKeepGoing) == "1" }

// Duration returns the run time the environment asks for, or def. A value
// that does not parse, or is not positive, is an error naming it.
func Duration(def time.Duration) (time.Duration, error) {
	s := os.Getenv(EnvDuration)
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("stress: %s=%q: want a positive duration such as 2s or 1m", EnvDuration, s)
	}
	return d, nil
}

// Config is how Run drives a target.
type Config struct {
	Producers int           // goroutines submitting; default 2
	MaxBurst  int           // a burst is 1..MaxBurst items, uniformly; default 3
	Duration  time.Duration // run time; required
	// Stranded: an item not run this long after the round's last submit is
	// reported as stranded. Default 1s (far above any scheduling delay of a
	// runnable loop, far below a test timeout).
	Stranded time.Duration
	// KeepGoing counts strandings (rescuing each with one more submission)
	// until Duration is up, to measure how often it happens; otherwise Run
	// stops at the first.
	KeepGoing bool
}

// Target is the handshake under test.
type Target struct {
	// Submit hands fn to the consumer along producer p's path. It is called
	// from producer goroutine p, except that a rescue (KeepGoing) calls it for
	// every p from producer 0 while the others wait. A nil error means fn must
	// run exactly once.
	Submit func(p int, fn func()) error
	// State describes the consumer for a stranding report (queue length,
	// sleeping, ...); may be nil.
	State func() string
}

// Stranding is one item that did not run.
type Stranding struct {
	Round    uint64
	Producer int
	Index    int // 0-based position in its producer's burst
	Burst    int // the burst's size
	State    string
	Rescued  bool // it ran after one more submission (KeepGoing only)
}

func (s Stranding) String() string {
	r := "not rescued"
	if s.Rescued {
		r = "ran only after a later submission"
	}
	return fmt.Sprintf("round %d: producer %d item %d of %d stranded (submit returned nil, never ran; %s) [%s]",
		s.Round, s.Producer, s.Index+1, s.Burst, r, s.State)
}

// Result is what a run did.
type Result struct {
	Rounds     uint64
	Items      uint64
	Elapsed    time.Duration
	Strandings uint64      // rounds with at least one stranded item
	First      []Stranding // the first strandings, at most 8
}

func (r Result) String() string {
	return fmt.Sprintf("%d rounds, %d items in %v; %d stranded rounds", r.Rounds, r.Items, r.Elapsed.Round(time.Millisecond), r.Strandings)
}

// ErrStranded is wrapped by Run's error when an item was stranded.
var ErrStranded = errors.New("stress: submitted item never ran")

const maxBurst = 64

// Run drives t with cfg until cfg.Duration is up or (without KeepGoing) the
// first stranding. The error wraps ErrStranded and names the first stranded
// item, or is Submit's first error.
func Run(cfg Config, t Target) (Result, error) {
	if cfg.Producers == 0 {
		cfg.Producers = 2
	}
	if cfg.MaxBurst == 0 {
		cfg.MaxBurst = 3
	}
	if cfg.Stranded == 0 {
		cfg.Stranded = time.Second
	}
	if cfg.Producers < 1 || cfg.MaxBurst < 1 || cfg.MaxBurst > maxBurst || cfg.Duration <= 0 {
		return Result{}, fmt.Errorf("stress: Config{Producers: %d, MaxBurst: %d, Duration: %v}: want Producers >= 1, MaxBurst 1..%d, Duration > 0",
			cfg.Producers, cfg.MaxBurst, cfg.Duration, maxBurst)
	}
	n := cfg.Producers
	var (
		submitted, ran atomic.Uint64
		arrived, left  atomic.Uint64 // barrier counts: n per round each
		stop           atomic.Bool   // producer 0 decides when the run ends
		mu             sync.Mutex    // guards res and firstErr
		res            Result
		firstErr       error
	)
	// done[p][k] holds round+1 once item k of producer p's burst has run.
	done := make([][maxBurst]atomic.Uint64, n)
	var round atomic.Uint64 // the current round; producer 0 advances it
	fns := make([][maxBurst]func(), n)
	for p := range fns {
		for k := range fns[p] {
			fns[p][k] = func() {
				done[p][k].Store(round.Load() + 1)
				ran.Add(1)
			}
		}
	}
	bursts := make([]int, n) // bursts[p]: producer p's burst size this round
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		stop.Store(true)
	}
	// barrier waits until counter reaches want, or the run was stopped.
	barrier := func(c *atomic.Uint64, want uint64) bool {
		for i := 0; c.Load() < want; i++ {
			if stop.Load() && i > 1<<20 { // a producer left early: do not hang
				return false
			}
			runtime.Gosched()
		}
		return true
	}

	start := time.Now()
	end := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	for p := 0; p < n; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(p)+1, uint64(start.UnixNano())))
			for r := uint64(0); ; r++ {
				// Round r. Everyone checks stop at the same point (after the
				// second barrier of the previous round, where producer 0 set it).
				if stop.Load() {
					return
				}
				b := 1 + rng.IntN(cfg.MaxBurst)
				bursts[p] = b
				for k := 0; k < b; k++ {
					if err := t.Submit(p, fns[p][k]); err != nil {
						fail(fmt.Errorf("stress: round %d producer %d item %d: submit: %w", r, p, k+1, err))
						break
					}
					submitted.Add(1)
				}
				arrived.Add(1)
				if !barrier(&arrived, (r+1)*uint64(n)) {
					return
				}
				if p == 0 {
					if !waitRound(cfg, t, r, &submitted, &ran, done, bursts, &res, &mu, fail) {
						stop.Store(true)
					}
					res.Rounds = r + 1
					if time.Now().After(end) {
						stop.Store(true)
					}
					if !stop.Load() {
						round.Store(r + 1)
					}
				} else {
					for ran.Load() < submitted.Load() && !stop.Load() {
						runtime.Gosched()
					}
				}
				left.Add(1)
				if !barrier(&left, (r+1)*uint64(n)) {
					return
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Items = ran.Load()
	if firstErr != nil {
		return res, firstErr
	}
	if res.Strandings > 0 {
		return res, fmt.Errorf("%w: %d of %d rounds; first: %v", ErrStranded, res.Strandings, res.Rounds, res.First[0])
	}
	return res, nil
}

// waitRound is producer 0's wait for round r: it returns false to stop the
// run (a stranding without KeepGoing, or an error).
func waitRound(cfg Config, t Target, r uint64, submitted, ran *atomic.Uint64, done [][maxBurst]atomic.Uint64,
	bursts []int, res *Result, mu *sync.Mutex, fail func(error)) bool {
	var deadline time.Time
	for i := 0; ran.Load() < submitted.Load(); i++ {
		runtime.Gosched()
		if i&63 != 63 {
			continue
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(cfg.Stranded)
			continue
		}
		if now.Before(deadline) {
			continue
		}
		state := ""
		if t.State != nil {
			state = t.State()
		}
		var missing []Stranding
		for p := range bursts {
			for k := 0; k < bursts[p]; k++ {
				if done[p][k].Load() != r+1 {
					missing = append(missing, Stranding{Round: r, Producer: p, Index: k, Burst: bursts[p], State: state})
				}
			}
		}
		if len(missing) == 0 { // ran between the two loads: not stranded
			continue
		}
		mu.Lock()
		res.Strandings++
		mu.Unlock()
		if !cfg.KeepGoing {
			mu.Lock()
			res.First = append(res.First, missing...)
			mu.Unlock()
			return false
		}
		// Rescue: one more submission per producer's path (counted like the
		// others; made here while the other producers wait) wakes the
		// consumer; the stranded items must then run.
		for p := range bursts {
			if err := t.Submit(p, func() { ran.Add(1) }); err != nil {
				fail(fmt.Errorf("stress: round %d rescue submit: %w", r, err))
				return false
			}
			submitted.Add(1)
		}
		rescueBy := time.Now().Add(cfg.Stranded)
		for ran.Load() < submitted.Load() {
			if time.Now().After(rescueBy) {
				mu.Lock()
				res.First = append(res.First, missing...)
				mu.Unlock()
				fail(fmt.Errorf("%w: %v; a later submission did not rescue it either", ErrStranded, missing[0]))
				return false
			}
			runtime.Gosched()
		}
		for i := range missing {
			missing[i].Rescued = true
		}
		mu.Lock()
		if len(res.First) < 8 {
			res.First = append(res.First, missing...)
		}
		mu.Unlock()
		return true
	}
	return true
}
