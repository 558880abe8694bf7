package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/ringloop/ringloop/results"
)

// curve builds an HDR-like percentile curve (5 ticks per half distance) from a
// log-normal body with a stall tail: the shape a loaded loop shows.
func curve(rng *rand.Rand, medianNs, sigma float64, tailNs float64, tailFrac float64) results.Latency {
	const n = 20000
	vals := make([]float64, n)
	for i := range vals {
		v := medianNs * math.Exp(sigma*rng.NormFloat64())
		if rng.Float64() < tailFrac {
			v = tailNs * (0.5 + rng.Float64())
		}
		vals[i] = math.Max(1, v)
	}
	slices.Sort(vals)
	at := func(q float64) int64 {
		i := int(q * float64(n-1))
		return int64(vals[i])
	}
	var pts []results.Point
	for half := 0; half < 20; half++ {
		lo := 1 - math.Pow(0.5, float64(half))
		hi := 1 - math.Pow(0.5, float64(half+1))
		for k := 0; k < 5; k++ {
			q := lo + (hi-lo)*float64(k)/5
			pts = append(pts, results.Point{Quantile: q, ValueNs: at(q)})
		}
		if hi > 1-1.0/n {
			break
		}
	}
	pts = append(pts, results.Point{Quantile: 1, ValueNs: int64(vals[n-1])})
	return results.Latency{
		Count: n, MinNs: int64(vals[0]), MeanNs: medianNs, StdDevNs: medianNs * sigma,
		P50Ns: at(0.5), P90Ns: at(0.9), P99Ns: at(0.99), P999Ns: at(0.999), P9999Ns: at(0.9999),
		MaxNs: int64(vals[n-1]), Curve: pts,
	}
}

// testFile builds a plausible compare result over three variants of one workload
// (plus a second workload when two is true), deterministic for a seed.
func testFile(seed uint64, two bool) *results.File {
	rng := rand.New(rand.NewPCG(seed, 1))
	date := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	f := &results.File{
		Schema: results.SchemaV1, Tool: "loadgen compare",
		Machine: results.Machine{CPUModel: "Intel(R) Xeon(R) CPU @ 2.20GHz", Cores: 2, GOMAXPROCS: 2,
			GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", XcoreNs: 82, Date: date, Hostname: "test"},
		Config: results.Config{Workload: "threadsafe", Variants: []string{"mpsc", "mutex", "chan"}, Producers: 2,
			Rate: 200000, DurationNs: int64(800 * time.Millisecond), WarmupNs: int64(200 * time.Millisecond),
			Count: 6, Loops: 1, Baseline: "mpsc"},
		Warnings:  []string{"chan: the loop could not keep 200k/s in run 3 (achieved 196k/s)"},
		StartedAt: date, FinishedAt: date.Add(30 * time.Second),
	}
	workloads := []string{"threadsafe"}
	if two {
		workloads = append(workloads, "wakeup")
	}
	for wi, w := range workloads {
		for vi, v := range f.Config.Variants {
			base := 180000.0 * (1 - 0.15*float64(vi)) * (1 + 0.05*float64(seed%3))
			s := results.Summary{
				Workload: w, Variant: v, Settings: map[string]string{"inbox": v, "wakeup": "eventfd"},
				Throughput: results.Estimate{Center: base, Lo: base * 0.97, Hi: base * 1.02, Confidence: 0.97, N: 6},
				TargetRate: 200000, AchievedRate: 199900, RateKept: vi != 2,
				RecorderNsPerSample: 31.5,
			}
			med := 900.0 * (1 + 0.6*float64(vi)) * (1 + 0.3*float64(wi))
			s.Corrected = curve(rng, med, 0.5, 2e6*(1+float64(vi)), 0.0004)
			s.Uncorrected = curve(rng, med*0.9, 0.45, 3e5*(1+float64(vi)), 0.0002)
			for r := 0; r < 6; r++ {
				s.Runs = append(s.Runs, results.Run{Index: r, Ops: 160000, ElapsedNs: int64(800 * time.Millisecond),
					Throughput: base * (0.98 + 0.01*float64(r%3)), AchievedRate: 199900 - 4000*float64(vi/2*(r/3)),
					P50Ns: s.Corrected.P50Ns, P99Ns: s.Corrected.P99Ns, P999Ns: s.Corrected.P999Ns})
			}
			if vi > 0 {
				s.Ratio = &results.Ratio{Baseline: "mpsc",
					Throughput:  results.Estimate{Center: 1 - 0.15*float64(vi), Lo: 0.95 - 0.15*float64(vi), Hi: 1.04 - 0.15*float64(vi), Confidence: 0.95, N: 6},
					ThroughputP: 0.002, Alpha: 0.05, ThroughputSignificant: true,
					P99: results.Estimate{Center: 1 + 0.6*float64(vi), Confidence: 0.95, N: 6}, P99P: 0.01}
			}
			f.Summaries = append(f.Summaries, s)
			if wi == 0 { // -interval 100ms lines for the first workload, 3 runs
				for r := 0; r < 3; r++ {
					for k := 1; k <= 8; k++ {
						p99 := med * 4 * (1 + 0.2*rng.Float64())
						if vi == 2 && r == 1 && k == 5 {
							p99 *= 300 // one run with a stall: drift shows it
						}
						f.Intervals = append(f.Intervals, results.Interval{Workload: w, Variant: v, Run: r,
							OffsetNs: int64(k) * int64(100*time.Millisecond), Ops: 20000, Rate: 200000,
							P99Ns: int64(p99), MaxNs: int64(p99 * 3)})
					}
				}
			}
		}
	}
	f.Outliers = []results.Outlier{{Workload: "threadsafe", Variant: "chan", LatencyNs: 2300000, At: date.Add(5 * time.Second),
		TraceFile: "outliers/threadsafe-chan_run2-1.trace",
		Summary:   "loop goroutine 17 over 3.300 ms: running 0.300 ms, runnable 0.100 ms (waiting for a P), syscall 0.000 ms, blocked 0.000 ms; stop-the-world 1.900 ms, GC mark phase 2.100 ms; cause: stop-the-world 1.900 ms: stop-the-world (GC mark termination)"}}
	return f
}
