package bench

// workload_arch.go: the workloads that compare scheduler architectures
// (arch.go) on one load — service and starve. Their variants are the
// architectures.
//
// service: P producers submit requests from outside (open or closed loop, as
// every workload); each request's callback busy-waits for a service time drawn
// from Config.Service (fixed:1us, exp:20us, bimodal:1us,1ms,0.001) and is
// routed by a key drawn from Config.Keys (uniform, or zipf:S over 1024 keys
// per table); only shard routes by key. Latency is from the intended start to
// the end of the service, corrected for coordinated omission.
//
// starve: service, plus one callback per loop (or worker) that reschedules
// itself with Spawn for as long as the run lasts; the latency of the requests
// shows what a design lets such a callback take from everyone else.
//
// Recording: callbacks of one architecture run on many goroutines, so they
// record into archStripes recorders, each behind its own mutex; a slot always
// records into the same stripe. Every architecture pays the same lock.
//
// Slot protocol: the threadsafe workload's (workload_threadsafe.go), with the
// architecture's Submit in place of PostThreadsafe.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringloop/ringloop/internal/hist"
)

func init() {
	register(&Workload{
		Name:             "service",
		Doc:              "P producers send requests with a service-time distribution (-service) and key skew (-keys) to each scheduler architecture",
		DefaultProducers: 2,
		Variants:         archVariants,
		run:              func(cfg Config, v Variant) (*Result, error) { return runService(cfg, v, false) },
	})
	register(&Workload{
		Name:             "starve",
		Doc:              "service while one callback per loop reschedules itself forever: the requests' latency shows starvation",
		DefaultProducers: 2,
		Variants:         archVariants,
		run:              func(cfg Config, v Variant) (*Result, error) { return runService(cfg, v, true) },
	})
}

// archVariants: one variant per architecture.
func archVariants() []Variant {
	var out []Variant
	for _, a := range Archs() {
		out = append(out, Variant{Name: a.Name, Doc: a.Doc, Settings: map[string]string{"arch": a.Name}})
	}
	return out
}

// DefaultService and DefaultKeys are the service workload's defaults.
const (
	DefaultService = "fixed:1us"
	DefaultKeys    = "uniform"
)

// ServiceDist is a distribution of service times.
type ServiceDist struct {
	Kind string        // fixed, exp, bimodal
	A, B time.Duration // fixed/exp: A (the value / the mean); bimodal: A usually, B with probability P
	P    float64
}

// ParseService parses fixed:D, exp:MEAN or bimodal:A,B,P (0 < P < 1).
func ParseService(s string) (ServiceDist, error) {
	bad := func(why string) (ServiceDist, error) {
		return ServiceDist{}, fmt.Errorf("bench: service %q: %s (accepted: fixed:1us, exp:20us, bimodal:1us,1ms,0.001)", s, why)
	}
	kind, arg, ok := strings.Cut(s, ":")
	if !ok {
		return bad("want KIND:ARGS")
	}
	dur := func(x string) (time.Duration, error) {
		d, err := time.ParseDuration(x)
		if err != nil || d < 0 || d > time.Second {
			return 0, fmt.Errorf("duration %q: want 0..1s", x)
		}
		return d, nil
	}
	switch kind {
	case "fixed", "exp":
		d, err := dur(arg)
		if err != nil {
			return bad(err.Error())
		}
		return ServiceDist{Kind: kind, A: d}, nil
	case "bimodal":
		f := strings.Split(arg, ",")
		if len(f) != 3 {
			return bad("want bimodal:A,B,P")
		}
		a, err := dur(f[0])
		if err != nil {
			return bad(err.Error())
		}
		b, err := dur(f[1])
		if err != nil {
			return bad(err.Error())
		}
		p, err := strconv.ParseFloat(f[2], 64)
		if err != nil || !(p > 0 && p < 1) {
			return bad(fmt.Sprintf("probability %q: want 0 < P < 1", f[2]))
		}
		return ServiceDist{Kind: kind, A: a, B: b, P: p}, nil
	}
	return bad("unknown kind " + strconv.Quote(kind))
}

// Mean is the distribution's mean.
func (d ServiceDist) Mean() time.Duration {
	if d.Kind == "bimodal" {
		return time.Duration((1-d.P)*float64(d.A) + d.P*float64(d.B))
	}
	return d.A
}

// Draw returns one service time (rand's per-thread generator: any goroutine).
func (d ServiceDist) Draw() time.Duration {
	switch d.Kind {
	case "exp":
		return time.Duration(rand.ExpFloat64() * float64(d.A))
	case "bimodal":
		if rand.Float64() < d.P {
			return d.B
		}
	}
	return d.A
}

// burn busy-waits for d on the calling goroutine (wall clock: a preempted
// request keeps its worker, as a real one would).
func burn(d time.Duration) {
	if d <= 0 {
		return
	}
	end := hist.Now() + int64(d)
	for hist.Now() < end {
	}
}

// zipfTable is the key table for zipf:S, so a Submit draws a key with one
// random index (no shared generator).
const zipfTable = 1 << 16

// ParseKeys returns a key generator for uniform or zipf:S (S > 1, over 1024
// keys): safe for concurrent use.
func ParseKeys(s string) (func() uint64, error) {
	if s == "uniform" {
		return rand.Uint64, nil
	}
	if x, ok := strings.CutPrefix(s, "zipf:"); ok {
		sk, err := strconv.ParseFloat(x, 64)
		if err == nil && sk > 1 && sk <= 10 {
			z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), sk, 1, 1023)
			table := make([]uint64, zipfTable)
			for i := range table {
				table[i] = z.Uint64()
			}
			return func() uint64 { return table[rand.Uint32()&(zipfTable-1)] }, nil
		}
	}
	return nil, fmt.Errorf("bench: keys %q: want uniform or zipf:S with 1 < S <= 10", s)
}

const archStripes = 16

type lockedRec struct {
	mu sync.Mutex
	r  *hist.Recorder
	_  [48]byte
}

func runService(cfg Config, v Variant, starve bool) (*Result, error) {
	if cfg.Service == "" {
		cfg.Service = DefaultService
	}
	if cfg.Keys == "" {
		cfg.Keys = DefaultKeys
	}
	dist, err := ParseService(cfg.Service)
	if err != nil {
		return nil, err
	}
	keys, err := ParseKeys(cfg.Keys)
	if err != nil {
		return nil, err
	}
	if cfg.Loops <= 1 && cfg.loopsDefault {
		cfg.Loops = runtime.NumCPU()
	}
	a, err := NewArch(v.Name, cfg.Loops)
	if err != nil {
		return nil, err
	}
	h := &harness{cfg: cfg, v: v, quit: make(chan struct{})}
	if err := h.begin(); err != nil {
		_ = a.Close()
		return nil, err
	}
	stripes := make([]lockedRec, archStripes)
	for i := range stripes {
		r := hist.NewRecorder(h.from)
		r.SetObserver(cfg.Observe)
		r.SetInterval(cfg.Interval, cfg.OnInterval)
		stripes[i].r = r
		h.recs = append(h.recs, r)
	}
	k := 0
	slots := makeSlots(cfg, func(s *pslot) {
		s.free.Store(true)
		st := &stripes[k%archStripes]
		k++
		s.fn = func() {
			burn(dist.Draw())
			st.mu.Lock()
			st.r.RecordNow(s.intended, s.start)
			st.mu.Unlock()
			s.free.Store(true) // frees the slot; pairs with the producer's Load
		}
	})

	var stop atomic.Bool
	var spinners sync.WaitGroup
	if starve {
		var spin func()
		spin = func() {
			if stop.Load() {
				spinners.Done()
				return
			}
			a.Spawn(spin)
		}
		spinners.Add(a.Workers())
		if err := a.SubmitEach(spin); err != nil {
			_ = a.Close()
			return nil, err
		}
	}
	var closeErr error
	res, err := runProducers(h, cfg, slots, func(s *pslot) error { return a.Submit(keys(), s.fn) }, func() {
		stop.Store(true)
		if starve {
			spinners.Wait()
		}
		closeErr = a.Close()
	})
	if err != nil {
		return nil, err
	}
	if closeErr != nil {
		return nil, errors.Join(fmt.Errorf("bench: closing %s", v.Name), closeErr)
	}
	return res, nil
}
