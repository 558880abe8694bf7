package profiles

// diff.go: what got faster or slower between two profiles, by function.
//
// Diff does what `go tool pprof -diff_base BASE NEW` does: it scales a copy of
// the base profile by -1 and merges it with the new one (profile.Merge), so
// identical stacks cancel and each function's flat and cumulative values in the
// merged profile are new minus base. No normalisation is applied (pprof's
// -normalize is off by default too): compare profiles of equal duration, or read
// the totals Diff reports beside the deltas.
//
// Invariants: the inputs are not modified; both must have the same sample types
// (Merge refuses otherwise, and Diff returns that error).

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/google/pprof/profile"
)

// DiffEntry is one function's change.
type DiffEntry struct {
	Func                 string
	BaseFlat, NewFlat    int64
	FlatDelta            int64 // NewFlat - BaseFlat, read from the merged profile
	BaseCum, NewCum      int64
	CumDelta             int64   // NewCum - BaseCum, read from the merged profile
	FlatDeltaOfBaseTotal float64 // FlatDelta / base total
}

// DiffResult is what Diff returns; Entries are ordered by |FlatDelta|, then
// |CumDelta|, then name: the biggest changes first.
type DiffResult struct {
	SampleType          string
	Unit                string
	BaseTotal, NewTotal int64
	Entries             []DiffEntry
}

// Diff compares new against base by function. n <= 0 keeps every function
// whose flat or cumulative value changed; n > 0 keeps the n largest changes.
func Diff(base, new *profile.Profile, n int) (*DiffResult, error) {
	if base == nil || new == nil {
		return nil, fmt.Errorf("profiles: nil profile")
	}
	neg := base.Copy()
	neg.Scale(-1)
	merged, err := profile.Merge([]*profile.Profile{new.Copy(), neg})
	if err != nil {
		return nil, fmt.Errorf("profiles: diff: %w", err)
	}
	vi, err := sampleIndex(new)
	if err != nil {
		return nil, err
	}
	st := new.SampleType[vi]
	bvi := slices.IndexFunc(base.SampleType, func(v *profile.ValueType) bool { return v.Type == st.Type })
	mvi := slices.IndexFunc(merged.SampleType, func(v *profile.ValueType) bool { return v.Type == st.Type })
	if bvi < 0 || mvi < 0 {
		return nil, fmt.Errorf("profiles: diff: base has no %q samples", st.Type)
	}
	bf, bc, btot := byFunc(base, bvi)
	nf, nc, ntot := byFunc(new, vi)
	df, dc, _ := byFunc(merged, mvi)
	r := &DiffResult{SampleType: st.Type, Unit: st.Unit, BaseTotal: btot, NewTotal: ntot}
	names := make(map[string]bool)
	for _, m := range []map[string]int64{bc, nc} {
		for k := range m {
			names[k] = true
		}
	}
	for name := range names {
		e := DiffEntry{Func: name, BaseFlat: bf[name], NewFlat: nf[name], FlatDelta: df[name],
			BaseCum: bc[name], NewCum: nc[name], CumDelta: dc[name]}
		if e.FlatDelta == 0 && e.CumDelta == 0 {
			continue
		}
		e.FlatDeltaOfBaseTotal = share(e.FlatDelta, btot)
		r.Entries = append(r.Entries, e)
	}
	slices.SortFunc(r.Entries, func(a, b DiffEntry) int {
		if x, y := abs64(a.FlatDelta), abs64(b.FlatDelta); x != y {
			if x > y {
				return -1
			}
			return 1
		}
		if x, y := abs64(a.CumDelta), abs64(b.CumDelta); x != y {
			if x > y {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Func, b.Func)
	})
	if n > 0 && len(r.Entries) > n {
		r.Entries = r.Entries[:n]
	}
	return r, nil
}

// WriteDiff prints r as a table: slower functions have a positive delta.
func WriteDiff(w io.Writer, r *DiffResult) error {
	fmt.Fprintf(w, "Type: %s   base total %s   new total %s   (delta = new - base; + is slower/more)\n",
		r.SampleType, FormatValue(r.BaseTotal, r.Unit), FormatValue(r.NewTotal, r.Unit))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "flat delta\tof base\tbase flat\tnew flat\tcum delta\t\n")
	for _, e := range r.Entries {
		fmt.Fprintf(tw, "%s\t%+.2f%%\t%s\t%s\t%s\t  %s\n",
			signed(e.FlatDelta, r.Unit), 100*e.FlatDeltaOfBaseTotal,
			FormatValue(e.BaseFlat, r.Unit), FormatValue(e.NewFlat, r.Unit),
			signed(e.CumDelta, r.Unit), e.Func)
	}
	return tw.Flush()
}

func signed(v int64, unit string) string {
	if v > 0 {
		return "+" + FormatValue(v, unit)
	}
	return FormatValue(v, unit)
}
