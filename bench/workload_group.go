package bench

// workload_group.go: the group workload — producer goroutines submitting
// callbacks across a multi.Group of loops (one per CPU by default, -loops to
// change), routed by key, round robin or least loaded (the variants).
//
// Each loop records into its own Recorder (found from the running loop inside
// the callback: sched.RunningLoop and a scan of at most Loops pointers);
// the recorders are merged at the end. Slots are the threadsafe workload's.

import (
	"runtime"
	"sync/atomic"

	"github.com/ringloop/ringloop/multi"
	"github.com/ringloop/ringloop/sched"
)

func init() {
	register(&Workload{
		Name:             "group",
		Doc:              "P producers submit callbacks across a per-core Group of loops (-loops, default one per CPU), routed per variant",
		DefaultProducers: 2,
		Variants:         routeVariants,
		run:              runGroup,
	})
}

// routeVariants: one per Group route.
func routeVariants() []Variant {
	var out []Variant
	for _, name := range multi.Routes() {
		out = append(out, Variant{
			Name:     name,
			Doc:      "route " + name,
			Settings: map[string]string{"route": name},
		})
	}
	return out
}

func runGroup(cfg Config, v Variant) (*Result, error) {
	route, err := multi.ParseRoute(v.Name)
	if err != nil {
		return nil, err
	}
	if cfg.Loops <= 1 && cfg.loopsDefault {
		cfg.Loops = runtime.NumCPU()
	}
	h, err := startGroup(cfg, v)
	if err != nil {
		return nil, err
	}
	g := h.group
	loops, recs := h.loops, h.recs
	slots := makeSlots(cfg, func(s *pslot) {
		s.free.Store(true)
		s.fn = func() {
			l, _ := sched.RunningLoop()
			r := recs[0]
			for i, x := range loops {
				if x == l {
					r = recs[i]
					break
				}
			}
			r.RecordNow(s.intended, s.start)
			s.free.Store(true) // frees the slot; pairs with the producer's Load
		}
	})
	var key atomic.Uint64 // distinct keys for key routing; one XADD per op
	return runProducers(h, cfg, slots, func(s *pslot) error {
		_, err := g.Submit(route, key.Add(1), s.fn)
		return err
	})
}
