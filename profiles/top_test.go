package profiles

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

var sink int

//go:noinline
func spinLeaf(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i * i % 7
	}
	return s
}

//go:noinline
func spinCaller(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += spinLeaf(3) + i%3
	}
	return s
}

// cpuProfile profiles d of known busy work and returns the file's path.
func cpuProfile(t *testing.T, d time.Duration, work func()) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cpu.pb.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	// Run for d of wall time and at least d/2 of this process's CPU time (up to
	// 3 s), so a machine busy with other work still yields enough samples.
	start, cpu0 := time.Now(), cpuTime()
	for time.Since(start) < d || (cpuTime()-cpu0 < d/2 && time.Since(start) < 3*time.Second) {
		work()
	}
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func readProfile(t *testing.T, path string) *profile.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type pprofRow struct {
	flat, cum int64 // ns
	name      string
}

var durRE = regexp.MustCompile(`^(-?[0-9.]+)(ns|us|µs|ms|s|min|hrs)?$`)

func parseDur(t *testing.T, s string) int64 {
	t.Helper()
	m := durRE.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("cannot parse pprof value %q", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	mult := map[string]float64{"": 1, "ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "min": 60e9, "hrs": 3600e9}[m[2]]
	return int64(v*mult + 0.5)
}

// goToolPprofTop runs `go tool pprof -top` and parses its table.
func goToolPprofTop(t *testing.T, path string, n int, cum bool) []pprofRow {
	t.Helper()
	args := []string{"tool", "pprof", "-top", "-nodecount=" + strconv.Itoa(n)}
	if cum {
		args = append(args, "-cum")
	}
	args = append(args, path)
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Skipf("go tool pprof unavailable: %v\n%s", err, out)
	}
	var rows []pprofRow
	inTable := false
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == "flat" && f[1] == "flat%" {
			inTable = true
			continue
		}
		if !inTable || len(f) < 6 {
			continue
		}
		name := strings.TrimSuffix(strings.Join(f[5:], " "), " (inline)")
		rows = append(rows, pprofRow{flat: parseDur(t, f[0]), cum: parseDur(t, f[3]), name: name})
	}
	if len(rows) == 0 {
		t.Fatalf("no rows parsed from go tool pprof:\n%s", out)
	}
	return rows
}

// pprof prints values rounded to 3 significant digits or 10ms ticks; allow that.
func closeEnough(a, b int64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	m := max(abs64(a), abs64(b))
	return d <= m/100+int64(time.Microsecond)
}

func TestTopAgreesWithGoToolPprof(t *testing.T) {
	if testing.Short() {
		t.Log("-short: profiling for 300ms instead of 600ms")
	}
	d := 600 * time.Millisecond
	if testing.Short() {
		d = 300 * time.Millisecond
	}
	path := cpuProfile(t, d, func() { sink += spinLeaf(20000) + spinCaller(5000) })
	p := readProfile(t, path)
	const n = 4
	for _, cum := range []bool{false, true} {
		want := goToolPprofTop(t, path, n, cum)
		got, err := Top(p, n, cum)
		if err != nil {
			t.Fatal(err)
		}
		if got.Unit != "nanoseconds" || got.SampleType != "cpu" {
			t.Errorf("cum=%v: sample type %s/%s, want cpu/nanoseconds", cum, got.SampleType, got.Unit)
		}
		if len(got.Entries) < len(want) {
			t.Fatalf("cum=%v: Top returned %d entries, pprof %d", cum, len(got.Entries), len(want))
		}
		for i, w := range want {
			g := got.Entries[i]
			// pprof demangles C++ symbols (the race detector's runtime under -race);
			// Top leaves them mangled, so only their values must agree.
			sameName := g.Func == w.name || (strings.HasPrefix(g.Func, "_Z") && !strings.HasPrefix(w.name, "_Z"))
			if !sameName || !closeEnough(g.Flat, w.flat) || !closeEnough(g.Cum, w.cum) {
				var buf bytes.Buffer
				WriteTop(&buf, got)
				t.Errorf("cum=%v row %d: Top has %s flat=%d cum=%d; pprof has %s flat=%d cum=%d\nTop:\n%s",
					cum, i, g.Func, g.Flat, g.Cum, w.name, w.flat, w.cum, buf.String())
			}
		}
	}
	// The busy functions must be found at all, so the comparison is not vacuous.
	top, _ := Top(p, 3, false)
	names := []string{top.Entries[0].Func, top.Entries[1].Func}
	if !strings.HasSuffix(names[0], ".spinLeaf") && !strings.HasSuffix(names[1], ".spinLeaf") {
		t.Errorf("top functions %v do not include spinLeaf", names)
	}
}

func TestClassOf(t *testing.T) {
	for fn, want := range map[string]Class{
		"runtime.gcBgMarkWorker":          ClassGC,
		"runtime.mallocgc":                ClassGC,
		"runtime.gcAssistAlloc1":          ClassGC,
		"runtime.findRunnable":            ClassScheduler,
		"runtime.park_m":                  ClassScheduler,
		"runtime.runqget":                 ClassScheduler,
		"runtime.lock2":                   ClassLocks,
		"sync.(*Mutex).Lock":              ClassLocks,
		"internal/sync.(*Mutex).lockSlow": ClassLocks,
		"syscall.Syscall6":                ClassSyscall,
		"runtime.futex":                   ClassSyscall,
		"runtime.epollwait":               ClassSyscall,
		"golang.org/x/sys/unix.EpollWait": ClassSyscall,
		"main.main":                       ClassOther,
		"runtime.lockOSThread":            ClassOther,
	} {
		if got := ClassOf(fn); got != want {
			t.Errorf("ClassOf(%q) = %s, want %s", fn, got, want)
		}
	}
}

// synthetic builds a profile with the given stacks (leaf first) and values.
func synthetic(stacks [][]string, values []int64) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     1,
	}
	funcs := map[string]*profile.Location{}
	loc := func(name string) *profile.Location {
		if l, ok := funcs[name]; ok {
			return l
		}
		f := &profile.Function{ID: uint64(len(p.Function) + 1), Name: name}
		p.Function = append(p.Function, f)
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: f}}}
		p.Location = append(p.Location, l)
		funcs[name] = l
		return l
	}
	for i, st := range stacks {
		s := &profile.Sample{Value: []int64{1, values[i]}}
		for _, fn := range st {
			s.Location = append(s.Location, loc(fn))
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

func TestTopClassesAndRecursion(t *testing.T) {
	p := synthetic([][]string{
		{"runtime.futex", "runtime.stopm", "runtime.findRunnable", "runtime.schedule"}, // scheduler wins over syscall
		{"runtime.futex", "runtime.gcBgMarkWorker"},                                    // GC wins
		{"syscall.Syscall", "os.(*File).Write", "main.main"},                           // syscall
		{"runtime.lock2", "runtime.chansend", "main.main"},                             // locks
		{"main.rec", "main.rec", "main.main"},                                          // recursion counted once in cum
	}, []int64{10, 20, 30, 40, 100})
	r, err := Top(p, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 200 {
		t.Fatalf("total %d, want 200", r.Total)
	}
	want := map[Class]int64{ClassScheduler: 10, ClassGC: 20, ClassSyscall: 30, ClassLocks: 40, ClassOther: 100}
	for _, c := range r.Classes {
		if c.Value != want[c.Class] {
			t.Errorf("class %s = %d, want %d", c.Class, c.Value, want[c.Class])
		}
	}
	if r.Entries[0].Func != "main.rec" || r.Entries[0].Flat != 100 || r.Entries[0].Cum != 100 {
		t.Errorf("first entry %+v, want main.rec flat=cum=100", r.Entries[0])
	}
	rc, _ := Top(p, 1, true)
	if len(rc.Entries) != 1 || rc.Entries[0].Func != "main.main" || rc.Entries[0].Cum != 170 {
		t.Errorf("cum top %+v, want main.main cum=170", rc.Entries)
	}
	var buf bytes.Buffer
	if err := WriteTop(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "scheduler 5.0%") || !strings.Contains(buf.String(), "main.rec") {
		t.Errorf("WriteTop output lacks class share or function:\n%s", buf.String())
	}
}

func TestDiff(t *testing.T) {
	base := synthetic([][]string{{"main.a", "main.main"}, {"main.b", "main.main"}, {"main.same", "main.main"}}, []int64{100, 50, 70})
	newp := synthetic([][]string{{"main.a", "main.main"}, {"main.b", "main.main"}, {"main.c", "main.main"}, {"main.same", "main.main"}}, []int64{40, 80, 25, 70})
	r, err := Diff(base, newp, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]DiffEntry{}
	for _, e := range r.Entries {
		got[e.Func] = e
	}
	if e := got["main.a"]; e.FlatDelta != -60 || e.BaseFlat != 100 || e.NewFlat != 40 {
		t.Errorf("main.a %+v, want delta -60", e)
	}
	if e := got["main.b"]; e.FlatDelta != 30 {
		t.Errorf("main.b %+v, want delta +30", e)
	}
	if e := got["main.c"]; e.FlatDelta != 25 || e.BaseFlat != 0 {
		t.Errorf("main.c %+v, want delta +25 from nothing", e)
	}
	if _, ok := got["main.same"]; ok {
		t.Errorf("unchanged main.same listed: %+v", got["main.same"])
	}
	if e := got["main.main"]; e.CumDelta != -5 {
		t.Errorf("main.main cum delta %d, want -5", e.CumDelta)
	}
	if r.Entries[0].Func != "main.a" {
		t.Errorf("biggest change first: got %s, want main.a", r.Entries[0].Func)
	}
	if base.Sample[0].Value[1] != 100 {
		t.Error("Diff modified its base profile")
	}
	var buf bytes.Buffer
	WriteDiff(&buf, r)
	if !strings.Contains(buf.String(), "main.a") {
		t.Errorf("WriteDiff:\n%s", buf.String())
	}
	// Incompatible sample types are an error, not a silent mess.
	heap := synthetic(nil, nil)
	heap.SampleType = []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}}
	if _, err := Diff(heap, newp, 0); err == nil {
		t.Error("Diff of a heap and a CPU profile succeeded")
	}
}

func TestDiffRealProfiles(t *testing.T) {
	a := readProfile(t, cpuProfile(t, 200*time.Millisecond, func() { sink += spinLeaf(20000) }))
	b := readProfile(t, cpuProfile(t, 200*time.Millisecond, func() { sink += spinCaller(5000) }))
	r, err := Diff(a, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	var callerDelta int64
	for _, e := range r.Entries {
		if strings.HasSuffix(e.Func, ".spinCaller") {
			callerDelta = e.CumDelta
		}
	}
	if callerDelta <= 0 {
		t.Errorf("spinCaller should have grown in cum (it only runs in NEW); entries %+v", r.Entries)
	}
}
