package bench

// workload_null.go: the null baseline — the harness with no scheduler. Each
// producer follows the same pacer as every open-loop workload and records
// each op itself right after "submitting" it: intended = the pacer's time,
// start = the time the pacer returned, end = the clock read in Record. What
// it measures is the generator's own latency floor (pacer wake-up, clock
// reads, the recorder), the part of every variant's tail that is not the
// scheduler's.
//
// Invariants:
//   - Open loop only: a closed-loop null run measures nothing useful and is
//     refused with an error.
//   - One Recorder per producer (each is its own recording goroutine),
//     merged at the end; no loop is created, so Config.OnLoop is not called.
//   - The measurement window (warm-up, duration, Stop) is the harness's.

import (
	"errors"
	"sync"
	"time"

	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/internal/pace"
)

// NullName is the null baseline's variant name.
const NullName = "null"

// NullVariant is the null baseline: the same pacer and recorder as every
// open-loop variant, the op completed by the producer itself, no scheduler.
// Workload.Run runs it on any workload (the workload is ignored).
func NullVariant() Variant {
	return Variant{
		Name:     NullName,
		Doc:      "no scheduler: the producer completes each op itself right after its pacer hands it out (the harness's latency floor)",
		Settings: map[string]string{"scheduler": "none"},
		null:     true,
	}
}

// IsNull reports whether v is the null baseline.
func (v Variant) IsNull() bool { return v.null }

// errNullClosed is runNull's answer to a closed-loop config.
var errNullClosed = errors.New("bench: the null baseline runs in open loop only (Rate > 0)")

func runNull(cfg Config) (*Result, error) {
	if cfg.Rate <= 0 {
		return nil, errNullClosed
	}
	t0 := hist.Now()
	from := t0 + int64(cfg.Warmup)
	deadline := from + int64(cfg.Duration)
	recs := make([]*hist.Recorder, cfg.Producers)
	for p := range recs {
		r := hist.NewRecorder(from)
		r.SetObserver(cfg.Observe)
		r.SetInterval(cfg.Interval, cfg.OnInterval)
		if cfg.IntervalHists != nil {
			r.SetIntervalHistograms(cfg.IntervalHists)
		}
		recs[p] = r
	}
	var (
		mu                 sync.Mutex // guards the totals below, written once by each producer
		submitted, lastSub int64
		behind, drained    int64
		stopped            bool
	)
	var wg sync.WaitGroup
	for p := range cfg.Producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cfg.Pin {
				pin(1 + p)
			}
			pc := pace.New(t0, cfg.Rate, cfg.Producers, p)
			pc.From = from            // late warm-up ops are not measured: not counted
			_ = pc.SetMode(cfg.Pacer) // on this goroutine, which calls Next
			rec := recs[p]
			var measured, last, end int64
			stop := false
			for {
				if cfg.Stop != nil {
					select {
					case <-cfg.Stop:
						stop = true
					default:
					}
					if stop {
						break
					}
				}
				intended, now, ok := pc.Next(deadline)
				if !ok {
					break
				}
				end = hist.Now()
				rec.Record(intended, now, end)
				if intended >= from {
					measured++
					last = now
				}
			}
			mu.Lock()
			submitted += measured
			lastSub = max(lastSub, last)
			drained = max(drained, end)
			behind += pc.Behind
			stopped = stopped || stop
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, r := range recs {
		r.FlushInterval()
	}
	rec := recs[0]
	for _, r := range recs[1:] {
		rec.Merge(r)
	}
	res := &Result{Rec: rec, Ops: rec.Count(), Submitted: submitted, Behind: behind, Partial: stopped}
	res.Elapsed = time.Duration(max(drained-from, 0))
	res.SubmitElapsed = time.Duration(max(lastSub-from, 0))
	if !res.Partial {
		res.SubmitElapsed = max(res.SubmitElapsed, cfg.Duration)
	}
	return res, nil
}
