package hist

import (
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

func TestRecordCorrectedAndUncorrected(t *testing.T) {
	r := NewRecorder(1000)
	r.Record(0, 0, 500) // warm-up: intended before from
	for i := int64(0); i < 999; i++ {
		r.Record(2000+i, 2000+i, 2000+i+100)
	}
	// One op intended at 10_000 but only submitted at 1_010_000 and done 100
	// ns later: the corrected latency sees the 1 ms wait, the uncorrected not.
	r.Record(10_000, 1_010_000, 1_010_100)
	if r.Warm != 1 {
		t.Fatalf("Warm = %d, want 1", r.Warm)
	}
	if r.Count() != 1000 {
		t.Fatalf("Count = %d, want 1000", r.Count())
	}
	c, u := Summarize(r.Corrected), Summarize(r.Uncorrected)
	if c.MaxNs < 1_000_000 || c.MaxNs > 1_001_000 {
		t.Fatalf("corrected max = %d, want ~1ms", c.MaxNs)
	}
	if u.MaxNs != 100 {
		t.Fatalf("uncorrected max = %d, want 100", u.MaxNs)
	}
	if c.P50Ns != 100 || u.P50Ns != 100 {
		t.Fatalf("p50 corrected %d uncorrected %d, want 100", c.P50Ns, u.P50Ns)
	}
	if n := len(c.Curve); n < 10 || c.Curve[0].Quantile < 0 || c.Curve[n-1].Quantile != 1 || c.Curve[n-1].ValueNs != c.MaxNs {
		t.Fatalf("curve: %+v", c.Curve)
	}
	for i := 1; i < len(c.Curve); i++ {
		if c.Curve[i].Quantile < c.Curve[i-1].Quantile || c.Curve[i].ValueNs < c.Curve[i-1].ValueNs {
			t.Fatalf("curve not ascending at %d: %+v", i, c.Curve[i-1:i+1])
		}
	}
}

func TestClampAndMerge(t *testing.T) {
	a, b := NewRecorder(0), NewRecorder(0)
	a.Record(0, 0, Highest*2)
	b.Record(0, 0, 10)
	b.Record(5, 5, 5) // zero latency is recorded as 1 ns
	a.Merge(b)
	if a.Clamped != 1 || a.Count() != 3 {
		t.Fatalf("Clamped %d Count %d", a.Clamped, a.Count())
	}
	if a.Corrected.Max() < Highest*999/1000 || a.Corrected.Min() != 1 {
		t.Fatalf("max %d min %d", a.Corrected.Max(), a.Corrected.Min())
	}
}

func TestIntervalAndObserver(t *testing.T) {
	r := NewRecorder(0)
	var got []IntervalStat
	r.SetInterval(time.Microsecond, func(s IntervalStat) { got = append(got, s) })
	var seen int
	r.SetObserver(func(_ time.Duration, rr *Recorder) {
		if rr != r {
			t.Error("observer got another recorder")
		}
		seen++
	})
	// window 0: 10 samples of 50 ns; window 1 empty; window 2: one of 900 ns.
	for i := int64(0); i < 10; i++ {
		r.Record(i*10, i*10, i*10+50)
	}
	r.Record(2000, 2000, 2900)
	r.Record(3100, 3100, 3200) // closes window 2
	if seen != 12 {
		t.Fatalf("observer saw %d, want 12", seen)
	}
	if len(got) != 2 || got[0].Ops != 10 || got[0].P99Ns != 50 || got[1].Ops != 1 || got[1].MaxNs < 899 || got[1].MaxNs > 901 {
		t.Fatalf("intervals: %+v", got)
	}
	if got[0].EndNs != 1000 || got[1].EndNs != 3000 {
		t.Fatalf("interval ends: %+v", got)
	}
	// The window the last sample opened is reported by FlushInterval, once.
	r.FlushInterval()
	r.FlushInterval()
	if len(got) != 3 || got[2].Ops != 1 || got[2].EndNs != 3200 || got[2].SpanNs != 200 || got[0].SpanNs != 1000 {
		t.Fatalf("after flush: %+v", got)
	}
}

func TestRecordAllocs(t *testing.T) {
	r := NewRecorder(0)
	r.SetInterval(time.Second, func(IntervalStat) {})
	r.SetObserver(func(time.Duration, *Recorder) {})
	start := Now()
	if n := testing.AllocsPerRun(1000, func() { r.RecordNow(start, start) }); n != 0 {
		t.Fatalf("Record allocates %v per sample", n)
	}
}

// BenchmarkRecord is the recorder's cost per sample: one clock read and one
// value into each of the three histograms. Target < 50 ns.
func BenchmarkRecord(b *testing.B) {
	r := NewRecorder(0)
	start := Now()
	b.ReportAllocs()
	for b.Loop() {
		r.RecordNow(start, start)
	}
}

func TestMeasureCost(t *testing.T) {
	c := MeasureCost(10_000)
	if c <= 0 || c > 10_000 {
		t.Fatalf("MeasureCost = %v ns, want a positive few tens of ns", c)
	}
}

// TestIntervalSkipsLongGaps: a sample after a gap of a million windows
// closes the open window and skips the empty ones in one step.
func TestIntervalSkipsLongGaps(t *testing.T) {
	r := NewRecorder(500)
	var got []IntervalStat
	r.SetInterval(time.Microsecond, func(s IntervalStat) { got = append(got, s) })
	r.Record(600, 600, 700)
	r.Record(1_000_000_600, 1_000_000_600, 1_000_000_700) // 1e6 windows later
	r.Record(1_000_001_600, 1_000_001_600, 1_000_001_700) // closes that window
	if len(got) != 2 || got[0].EndNs != 1000 || got[0].Ops != 1 || got[1].EndNs != 1_000_001_000 || got[1].Ops != 1 {
		t.Fatalf("windows: %+v", got)
	}
}

// TestLateness: the lateness histogram holds start-intended, 0 for an op
// submitted on time, and a negative lateness (a clock read before the
// intended time, impossible from the pacer) is recorded as 0, not dropped.
func TestLateness(t *testing.T) {
	r := NewRecorder(0)
	r.Record(100, 100, 200)         // on time
	r.Record(1000, 1000+5000, 7000) // 5 us late
	r.Record(2000, 1990, 2100)      // "early": recorded as 0
	if n := r.Lateness.TotalCount(); n != 3 {
		t.Fatalf("lateness count %d, want 3", n)
	}
	if mx := r.Lateness.Max(); mx < 4990 || mx > 5010 {
		t.Fatalf("lateness max %d, want ~5000", mx)
	}
	if mn := r.Lateness.Min(); mn != 0 {
		t.Fatalf("lateness min %d, want 0", mn)
	}
	o := NewRecorder(0)
	o.Record(0, 3_000_000, 3_000_100)
	r.Merge(o)
	if n, mx := r.Lateness.TotalCount(), r.Lateness.Max(); n != 4 || mx < 2_990_000 {
		t.Fatalf("merged lateness count %d max %d", n, mx)
	}
}

// TestIntervalHistograms: with SetIntervalHistograms each window's
// histogram is handed over whole (its counts are the window's samples), a
// spare one is swapped in, and the windows together hold every sample.
func TestIntervalHistograms(t *testing.T) {
	r := NewRecorder(0)
	spare := make(chan *hdr.Histogram, 1)
	spare <- NewHistogram()
	var got []IntervalStat
	r.SetInterval(time.Microsecond, func(s IntervalStat) { got = append(got, s) })
	r.SetIntervalHistograms(spare)
	for i := int64(0); i < 5; i++ {
		r.Record(i*1000, i*1000, i*1000+100+i) // one sample per window
	}
	r.FlushInterval()
	if len(got) != 5 {
		t.Fatalf("%d windows, want 5", len(got))
	}
	total := NewHistogram()
	seen := map[*hdr.Histogram]bool{}
	for i, s := range got {
		if s.Hist == nil || s.Hist.TotalCount() != 1 || s.Hist.Max() != 100+int64(i) || seen[s.Hist] {
			t.Fatalf("window %d: %+v", i, s)
		}
		seen[s.Hist] = true
		total.Merge(s.Hist)
	}
	if !total.Equals(r.Corrected) {
		t.Fatalf("windows merged differ from the run's histogram")
	}
}
