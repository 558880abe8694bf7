package results

// sweep.go: the v2 part of the format — what `loadgen sweep` measured:
// latency against offered load per variant, and each variant's knee.
//
// Invariants:
//   - Steps are in ascending Rate; each holds one Summary per variant run at
//     that rate (the null baseline's with Floor set), in the order given.
//   - Every rate is an absolute offered rate (ops/s over all producers);
//     with a ladder, Rate = Fraction x CapacityRate, rounded to 3
//     significant digits, so every variant is compared at the same rates.
//   - A knee is derived from Steps and SLONs only (Knees recomputes it), so
//     a reader can check it.

// Sweep is latency against offered load.
type Sweep struct {
	// SLONs is the p99 bound the knees are taken against.
	SLONs int64 `json:"slo_ns"`
	// Ladder is the offered loads as fractions of CapacityRate (0.1 = 10%),
	// ascending; empty when the rates were given explicitly (-rates).
	Ladder []float64 `json:"ladder,omitempty"`
	// CapacityRate is the slowest variant's median closed-loop throughput
	// (File.Summaries), which Ladder multiplies; CapacityVariant names it.
	// Zero and empty when the rates were given explicitly.
	CapacityRate    float64 `json:"capacity_rate,omitempty"`
	CapacityVariant string  `json:"capacity_variant,omitempty"`
	// Steps holds one entry per offered rate, ascending.
	Steps []Step `json:"steps"`
	// Knees holds one entry per variant, in the order given.
	Knees []Knee `json:"knees"`
}

// Step is every variant measured at one offered rate.
type Step struct {
	// Rate is the offered rate, ops/s.
	Rate float64 `json:"rate"`
	// Fraction is Rate / Sweep.CapacityRate (0 without a ladder).
	Fraction float64 `json:"fraction,omitempty"`
	// Summaries has one entry per variant (TargetRate = Rate).
	Summaries []Summary `json:"summaries"`
	// Partial is true when the step was interrupted before every run of it
	// finished.
	Partial bool `json:"partial,omitempty"`
}

// Knee is where one variant's tail leaves the SLO.
type Knee struct {
	Variant string `json:"variant"`
	// Floor is true for the null baseline.
	Floor bool `json:"floor,omitempty"`
	// Rate is the highest offered rate at which the corrected p99 stayed
	// under the SLO at that rate and at every lower one; 0 when the lowest
	// rate already missed it.
	Rate float64 `json:"rate"`
	// Beyond is true when the p99 stayed under the SLO at every rate
	// measured: the knee is at or above Rate, past the top of the ladder.
	Beyond bool `json:"beyond,omitempty"`
	// FirstMiss is the lowest rate whose p99 was at or over the SLO (0 when
	// Beyond), and FirstMissP99Ns that p99.
	FirstMiss      float64 `json:"first_miss,omitempty"`
	FirstMissP99Ns int64   `json:"first_miss_p99_ns,omitempty"`
}

// Knees computes each variant's knee from steps: per variant, walk the rates
// upwards while the merged corrected p99 stays under sloNs. variants gives
// the order (and the set) of variants.
func Knees(steps []Step, variants []string, sloNs int64) []Knee {
	out := make([]Knee, 0, len(variants))
	for _, v := range variants {
		k := Knee{Variant: v, Beyond: true}
		seen := false
		for _, st := range steps {
			for _, s := range st.Summaries {
				if s.Variant != v || s.Corrected.Count == 0 {
					continue
				}
				seen = true
				k.Floor = s.Floor
				if s.Corrected.P99Ns >= sloNs {
					k.Beyond = false
					k.FirstMiss, k.FirstMissP99Ns = st.Rate, s.Corrected.P99Ns
				} else {
					k.Rate = st.Rate
				}
			}
			if !k.Beyond {
				break
			}
		}
		if !seen {
			k.Beyond = false
		}
		out = append(out, k)
	}
	return out
}
