package profiles

// top.go: flat and cumulative top-N by function over a pprof profile, plus the share
// of samples spent in the runtime's scheduler, locks, syscalls and GC.
//
// Invariants (kept so Top agrees with `go tool pprof -top`, tested in top_test.go):
//   - The value summed is the profile's default sample type (DefaultSampleType, or
//     the last sample type when that is empty), as pprof picks it.
//   - Flat goes to the innermost frame of a sample's leaf location (Line[0] of
//     Location[0]: pprof stores inlined frames innermost first). Cum goes once per
//     sample to every distinct function on its stack, inlined frames included.
//   - C++ symbols (cgo, the race detector's runtime) keep their mangled names;
//     pprof demangles them, which is the one way the two listings differ.
//   - Order: by |flat| then name then |cum| (flat order), or by |cum| then name
//     then |flat| (cum order), pprof's FlatNameOrder and CumNameOrder.
//   - Each sample lands in at most one Class: the first of ClassGC, ClassScheduler,
//     ClassLocks, ClassSyscall that any frame of its stack belongs to, else
//     ClassOther. The order makes a GC worker's futex sleep count as GC and the
//     idle scheduler's epoll_wait count as scheduler, not as a syscall.

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/pprof/profile"
)

// Class names a part of the runtime that a sample can be charged to.
type Class string

const (
	ClassGC        Class = "gc"        // GC workers, mark assists, sweeping, allocation (mallocgc)
	ClassScheduler Class = "scheduler" // schedule/findRunnable/park/ready, run queues, M/P handoff
	ClassLocks     Class = "locks"     // runtime.lock, sync.Mutex/RWMutex, semaphores
	ClassSyscall   Class = "syscall"   // syscall., x/sys/unix, futex, epoll, nanosleep
	ClassOther     Class = "other"     // everything else: the program's own work
)

// Classes lists the classes in the order a sample is tested against them.
var Classes = []Class{ClassGC, ClassScheduler, ClassLocks, ClassSyscall, ClassOther}

// classPatterns maps each class to function names; a trailing '*' makes a prefix.
var classPatterns = map[Class][]string{
	ClassGC: {
		"runtime.gcBgMarkWorker*", "runtime.gcAssistAlloc*", "runtime.gcDrain*",
		"runtime.gcMark*", "runtime.gcStart", "runtime.gcSweep", "runtime.GC",
		"runtime.markroot*", "runtime.scanobject", "runtime.scanstack", "runtime.scanblock",
		"runtime.greyobject", "runtime.scanframeworker", "runtime.bgsweep", "runtime.sweepone",
		"runtime.bgscavenge*", "runtime.(*gcWork).*", "runtime.(*mspan).sweep",
		"runtime.(*sweepLocked).*", "runtime.wbBufFlush*", "runtime.gcWriteBarrier*",
		"runtime.mallocgc*", "runtime.newobject", "runtime.makeslice", "runtime.(*mcache).refill",
		"runtime.(*mcentral).*", "runtime.(*mheap).alloc*", "runtime.stopTheWorld*",
		"runtime.startTheWorld*",
	},
	ClassScheduler: {
		"runtime.schedule", "runtime.findRunnable*", "runtime.findrunnable", "runtime.park_m",
		"runtime.gopark", "runtime.goready", "runtime.ready", "runtime.mcall",
		"runtime.goschedImpl", "runtime.gosched_m", "runtime.Gosched", "runtime.goexit0",
		"runtime.runq*", "runtime.globrunq*", "runtime.stealWork", "runtime.wakep",
		"runtime.startm", "runtime.stopm", "runtime.handoffp", "runtime.execute",
		"runtime.resetspinning", "runtime.notesleep", "runtime.notetsleep*",
		"runtime.notewakeup", "runtime.mPark", "runtime.checkTimers", "runtime.netpoll",
		"runtime.injectglist", "runtime.newproc*", "runtime.sysmon", "runtime.retake",
		"runtime.preemptone", "runtime.acquirep", "runtime.releasep*", "runtime.gogo",
		"runtime.schedule*", "runtime.goyield*", "runtime.casgstatus",
	},
	ClassLocks: {
		"runtime.lock", "runtime.lock2", "runtime.lockWithRank", "runtime.unlock",
		"runtime.unlock2*", "runtime.unlockWithRank", "runtime.semacquire*",
		"runtime.semrelease*", "runtime.(*spanSet).*", "sync.(*Mutex).*", "sync.(*RWMutex).*",
		"internal/sync.(*Mutex).*", "sync.runtime_Semacquire*", "sync.runtime_Semrelease",
		"sync.runtime_SemacquireMutex", "internal/sync.runtime_Semacquire*",
		"runtime.lockextra", "runtime.sync_runtime_Sem*", "runtime.(*lockTimer).*",
	},
	ClassSyscall: {
		"syscall.*", "internal/runtime/syscall.*", "golang.org/x/sys/unix.*",
		"runtime.futex", "runtime.epollwait", "runtime.epollctl", "runtime.usleep",
		"runtime.nanosleep", "runtime.osyield", "runtime.write1", "runtime.read",
		"runtime.entersyscall*", "runtime.exitsyscall*", "internal/poll.*",
		"runtime.netpollBreak", "runtime.tgkill", "runtime.raise",
	},
}

// ClassOf returns the class a single function name belongs to (ClassOther when
// none). It is the per-frame test behind Top's Classes.
func ClassOf(fn string) Class {
	for _, c := range Classes[:len(Classes)-1] {
		if matchAny(fn, classPatterns[c]) {
			return c
		}
	}
	return ClassOther
}

func matchAny(fn string, pats []string) bool {
	for _, p := range pats {
		if n := len(p) - 1; n >= 0 && p[n] == '*' {
			if strings.HasPrefix(fn, p[:n]) {
				return true
			}
		} else if fn == p {
			return true
		}
	}
	return false
}

// Entry is one function's line in a top listing.
type Entry struct {
	Func      string
	Flat, Cum int64   // in the profile's unit (Result.Unit)
	FlatShare float64 // Flat / Total, 0..1 (negative entries possible in a diff)
	CumShare  float64
}

// ClassShare is the part of the total charged to one Class.
type ClassShare struct {
	Class Class
	Value int64
	Share float64 // Value / Total
}

// TopResult is what Top returns.
type TopResult struct {
	SampleType string // e.g. "cpu", "inuse_space"
	Unit       string // e.g. "nanoseconds", "bytes", "count"
	Total      int64  // sum over all samples
	Cum        bool   // ordered by cumulative value
	Entries    []Entry
	Classes    []ClassShare // one per Classes, in that order
}

// sampleIndex returns the index of the value pprof shows by default.
func sampleIndex(p *profile.Profile) (int, error) {
	if len(p.SampleType) == 0 {
		return 0, fmt.Errorf("profiles: profile has no sample types")
	}
	if p.DefaultSampleType != "" {
		for i, st := range p.SampleType {
			if st.Type == p.DefaultSampleType {
				return i, nil
			}
		}
	}
	return len(p.SampleType) - 1, nil
}

// frames calls fn for each function name on s's stack, leaf first, inlined
// frames innermost first. Locations without symbols are named by address.
func frames(s *profile.Sample, fn func(name string)) {
	for _, loc := range s.Location {
		if len(loc.Line) == 0 {
			fn("0x" + strconv.FormatUint(loc.Address, 16))
			continue
		}
		for _, ln := range loc.Line {
			name := "?"
			if ln.Function != nil {
				name = ln.Function.Name
			}
			fn(name)
		}
	}
}

// byFunc sums flat and cum per function at value index vi.
func byFunc(p *profile.Profile, vi int) (flat, cum map[string]int64, total int64) {
	flat = make(map[string]int64)
	cum = make(map[string]int64)
	seen := make(map[string]bool)
	for _, s := range p.Sample {
		if vi >= len(s.Value) {
			continue
		}
		v := s.Value[vi]
		total += v
		clear(seen)
		first := true
		frames(s, func(name string) {
			if first {
				flat[name] += v
				first = false
			}
			if !seen[name] {
				seen[name] = true
				cum[name] += v
			}
		})
	}
	return flat, cum, total
}

// Top lists the n functions with the largest flat (or, with cum, cumulative)
// value in p's default sample type, and the share of the total in each runtime
// Class. n <= 0 lists every function.
func Top(p *profile.Profile, n int, cum bool) (*TopResult, error) {
	if p == nil {
		return nil, fmt.Errorf("profiles: nil profile")
	}
	vi, err := sampleIndex(p)
	if err != nil {
		return nil, err
	}
	flat, cumv, total := byFunc(p, vi)
	r := &TopResult{SampleType: p.SampleType[vi].Type, Unit: p.SampleType[vi].Unit, Total: total, Cum: cum}
	for name, c := range cumv {
		r.Entries = append(r.Entries, Entry{Func: name, Flat: flat[name], Cum: c})
	}
	sortEntries(r.Entries, cum)
	if n > 0 && len(r.Entries) > n {
		r.Entries = r.Entries[:n]
	}
	for i := range r.Entries {
		r.Entries[i].FlatShare = share(r.Entries[i].Flat, total)
		r.Entries[i].CumShare = share(r.Entries[i].Cum, total)
	}
	r.Classes = classify(p, vi, total)
	return r, nil
}

func share(v, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(v) / float64(total)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func sortEntries(es []Entry, cum bool) {
	slices.SortFunc(es, func(a, b Entry) int {
		ka, kb, ta, tb := abs64(a.Flat), abs64(b.Flat), abs64(a.Cum), abs64(b.Cum)
		if cum {
			ka, kb, ta, tb = ta, tb, ka, kb
		}
		if ka != kb {
			if ka > kb {
				return -1
			}
			return 1
		}
		if a.Func != b.Func {
			return strings.Compare(a.Func, b.Func)
		}
		if ta != tb {
			if ta > tb {
				return -1
			}
			return 1
		}
		return 0
	})
}

// classify charges each sample to the first Class any of its frames belongs to.
func classify(p *profile.Profile, vi int, total int64) []ClassShare {
	sums := make(map[Class]int64, len(Classes))
	memo := make(map[string]Class)
	for _, s := range p.Sample {
		if vi >= len(s.Value) {
			continue
		}
		best := len(Classes) - 1 // ClassOther
		frames(s, func(name string) {
			c, ok := memo[name]
			if !ok {
				c = ClassOf(name)
				memo[name] = c
			}
			if i := slices.Index(Classes, c); i < best {
				best = i
			}
		})
		sums[Classes[best]] += s.Value[vi]
	}
	out := make([]ClassShare, len(Classes))
	for i, c := range Classes {
		out[i] = ClassShare{Class: c, Value: sums[c], Share: share(sums[c], total)}
	}
	return out
}

// FormatValue renders v in unit the way pprof does for the common units:
// nanoseconds as a duration ("1.20s", "430ms"), bytes in kB/MB/GB, others plain.
func FormatValue(v int64, unit string) string {
	switch unit {
	case "nanoseconds":
		return formatDuration(v)
	case "bytes":
		a := math.Abs(float64(v))
		switch {
		case a >= 1<<30:
			return strconv.FormatFloat(float64(v)/(1<<30), 'f', 2, 64) + "GB"
		case a >= 1<<20:
			return strconv.FormatFloat(float64(v)/(1<<20), 'f', 2, 64) + "MB"
		case a >= 1<<10:
			return strconv.FormatFloat(float64(v)/(1<<10), 'f', 2, 64) + "kB"
		}
		return strconv.FormatInt(v, 10) + "B"
	}
	return strconv.FormatInt(v, 10)
}

func formatDuration(ns int64) string {
	d := time.Duration(ns)
	a := d
	if a < 0 {
		a = -a
	}
	switch {
	case a == 0:
		return "0"
	case a >= time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	case a >= time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e6, 'f', -1, 64) + "ms"
	case a >= time.Microsecond:
		return strconv.FormatFloat(float64(d)/1e3, 'f', -1, 64) + "us"
	}
	return strconv.FormatInt(ns, 10) + "ns"
}

// WriteTop prints r as a table like `go tool pprof -top`, followed by the class
// shares on one line.
func WriteTop(w io.Writer, r *TopResult) error {
	fmt.Fprintf(w, "Type: %s   Total: %s\n", r.SampleType, FormatValue(r.Total, r.Unit))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "flat\tflat%%\tsum%%\tcum\tcum%%\t\n")
	var sum float64
	for _, e := range r.Entries {
		sum += e.FlatShare
		fmt.Fprintf(tw, "%s\t%.2f%%\t%.2f%%\t%s\t%.2f%%\t  %s\n",
			FormatValue(e.Flat, r.Unit), 100*e.FlatShare, 100*sum,
			FormatValue(e.Cum, r.Unit), 100*e.CumShare, e.Func)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprint(w, "runtime share:")
	for _, c := range r.Classes {
		fmt.Fprintf(w, " %s %.1f%% (%s)", c.Class, 100*c.Share, FormatValue(c.Value, r.Unit))
	}
	_, err := fmt.Fprintln(w)
	return err
}
