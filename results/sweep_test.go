package results

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func step(rate float64, p99 map[string]int64) Step {
	st := Step{Rate: rate}
	for _, v := range []string{"a", "b", "null"} {
		if ns, ok := p99[v]; ok {
			st.Summaries = append(st.Summaries, Summary{Variant: v, Floor: v == "null", TargetRate: rate, Corrected: Latency{Count: 10, P99Ns: ns}})
		}
	}
	return st
}

// TestKnees: the knee is the highest rate under the SLO with every lower
// rate under it too (a dip back under after a miss does not count); a
// variant under it everywhere is Beyond; one over it at the lowest rate has
// no knee; one never measured has none either.
func TestKnees(t *testing.T) {
	steps := []Step{
		step(100, map[string]int64{"a": 10, "b": 5000, "null": 1}),
		step(200, map[string]int64{"a": 900, "b": 10, "null": 1}),
		step(300, map[string]int64{"a": 1000, "b": 10, "null": 2}),
		step(400, map[string]int64{"a": 10, "b": 10, "null": 2}),
	}
	got := Knees(steps, []string{"a", "b", "null", "ghost"}, 1000)
	want := []Knee{
		{Variant: "a", Rate: 200, FirstMiss: 300, FirstMissP99Ns: 1000},
		{Variant: "b", Rate: 0, FirstMiss: 100, FirstMissP99Ns: 5000},
		{Variant: "null", Floor: true, Rate: 400, Beyond: true},
		{Variant: "ghost"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("knees:\n got %+v\nwant %+v", got, want)
	}
}

// TestReadV1: a v1 file (before sweeps) still reads, as a File with no
// Sweep; a v2 file with a sweep round-trips.
func TestReadV1(t *testing.T) {
	f, err := Read(strings.NewReader(`{"schema":"ringloop.loadgen/v1","tool":"loadgen run","summaries":[{"workload":"threadsafe","variant":"mpsc","runs":[],"corrected":{"count":3,"p99_ns":7}}]}`))
	if err != nil || f.Schema != SchemaV1 || f.Sweep != nil || f.Summaries[0].Corrected.P99Ns != 7 {
		t.Fatalf("v1: %+v %v", f, err)
	}
	g := sample()
	g.Sweep = &Sweep{SLONs: 1e6, Ladder: []float64{0.5, 1}, CapacityRate: 1000, CapacityVariant: "mutex",
		Steps: []Step{step(500, map[string]int64{"a": 10}), step(1000, map[string]int64{"a": 2e6})}}
	g.Sweep.Knees = Knees(g.Sweep.Steps, []string{"a"}, g.Sweep.SLONs)
	var buf bytes.Buffer
	if err := g.Write(&buf); err != nil {
		t.Fatal(err)
	}
	h, err := Read(&buf)
	if err != nil || h.Schema != SchemaV2 || !reflect.DeepEqual(h.Sweep, g.Sweep) {
		t.Fatalf("v2 round trip: %v\n%+v\n%+v", err, h.Sweep, g.Sweep)
	}
}
