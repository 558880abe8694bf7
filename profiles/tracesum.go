package profiles

// tracesum.go: what the loop goroutine was doing in an execution-trace window.
//
// SummarizeTrace reads a runtime/trace file (a flight-recorder snapshot written by
// OutlierRecorder, or any `go test -trace` / trace.Start output) with
// golang.org/x/exp/trace and splits the window's wall time, for the loop
// goroutine(s), into: running, runnable (ready but waiting for a P: descheduled by
// the Go scheduler), in a syscall, blocked (by reason: sleep, chan receive, wait
// until GC ends, ...), and the part of running spent in GC mark assist; plus the
// process-wide stop-the-world and concurrent-mark time in the same window. It then
// names the largest contributor as the likely cause.
//
// How the loop goroutine is found, in order:
//  1. SummaryOptions.Loop, when the caller knows the goroutine IDs;
//  2. "loop=ID,ID" in the last LogCategoryOutlierInfo log event (OutlierRecorder
//     writes it, from the goroutines MarkLoop registered, just before the snapshot);
//  3. the goroutines that emitted a LogCategoryLoop log event (MarkLoop writes one);
//     when several loops are marked (a group) and the outlier's observer is one
//     of them, that one alone;
//  4. the goroutine that emitted the outlier marker: Observe runs on the goroutine
//     that records latency, which loadgen's workloads do on the loop goroutine
//     (bench.Config.Observe);
//  5. otherwise the goroutine that ran longest in the window, flagged as guessed.
//
// How the window is chosen: [marker - latency - Margin, marker] when the trace
// holds an outlier marker (LogCategoryOutlier) and the latency is known (from the
// info log or SummaryOptions.Latency); else the last SummaryOptions.Window of the
// trace; else the whole trace.
//
// Limits: a goroutine the Go runtime reports "running" may still have lost its OS
// thread to another process (the trace cannot see the OS scheduler); the summary
// says "running (as far as Go knows)" for that reason.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	xtrace "golang.org/x/exp/trace"
)

// Log categories this package writes into execution traces.
const (
	LogCategoryLoop        = "ringloop-loop"         // MarkLoop: emitted on the loop goroutine
	LogCategoryOutlier     = "ringloop-outlier"      // Observe: emitted the moment an outlier is seen
	LogCategoryOutlierInfo = "ringloop-outlier-info" // writer: "n=N latency_ns=L loop=ID,ID"
)

// loopRegistry holds the runtime goroutine IDs MarkLoop registered.
var loopRegistry struct {
	mu  sync.Mutex
	ids map[int64]int // goroutine ID -> number of live marks
}

// MarkLoop records the calling goroutine as a loop goroutine, so outlier traces
// name it, and emits a LogCategoryLoop log event into any running trace. Call it
// on the loop goroutine (for example in the first callback posted to the loop, or
// right before RunForever on the goroutine that will run it) and call the returned
// function when the loop stops. Cost: one runtime.Stack call (~1 us), once.
func MarkLoop(ctx context.Context) (unmark func()) {
	id := currentGoID()
	loopRegistry.mu.Lock()
	if loopRegistry.ids == nil {
		loopRegistry.ids = make(map[int64]int)
	}
	loopRegistry.ids[id]++
	loopRegistry.mu.Unlock()
	trace.Log(ctx, LogCategoryLoop, strconv.FormatInt(id, 10))
	var once sync.Once
	return func() {
		once.Do(func() {
			loopRegistry.mu.Lock()
			if loopRegistry.ids[id]--; loopRegistry.ids[id] <= 0 {
				delete(loopRegistry.ids, id)
			}
			loopRegistry.mu.Unlock()
		})
	}
}

// markedLoops returns the registered loop goroutine IDs, ascending.
func markedLoops() []int64 {
	loopRegistry.mu.Lock()
	defer loopRegistry.mu.Unlock()
	ids := make([]int64, 0, len(loopRegistry.ids))
	for id := range loopRegistry.ids {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// currentGoID parses "goroutine N [" from the calling goroutine's stack header:
// the ID the execution tracer uses (internal/goid returns a g address instead).
func currentGoID() int64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	s := strings.TrimPrefix(string(buf[:n]), "goroutine ")
	if i := strings.IndexByte(s, ' '); i > 0 {
		if id, err := strconv.ParseInt(s[:i], 10, 64); err == nil {
			return id
		}
	}
	return -1
}

// SummaryOptions tunes SummarizeTrace; the zero value is ready to use.
type SummaryOptions struct {
	Loop    []int64       // loop goroutine IDs; empty: find them (see package comment)
	Latency time.Duration // the outlier's latency, if the trace does not say
	Window  time.Duration // without an outlier marker: analyse the trace's last Window (0: all)
	Margin  time.Duration // extra time before the outlier's start (default 1ms)
}

// TraceSummary is what SummarizeTrace found.
type TraceSummary struct {
	Loop        []int64 // the goroutines summarised
	LoopGuessed bool    // true when Loop is the busiest goroutine, not a marked one
	LoopSource  string  // "given", "marked", "observer" or "guessed" (see the rules above)
	Outlier     int     // outlier number from the info log, 0 if none
	Latency     time.Duration
	Window      time.Duration // the analysed window's length

	// Loop goroutine time in the window (summed over Loop).
	Running, Runnable, Syscall, Blocked, GCAssist time.Duration
	GCSweep                                       time.Duration            // part of Running spent sweeping for its own allocations
	BlockedBy                                     map[string]time.Duration // Blocked split by reason
	// Process-wide time in the window. STWReasons are the trace's range names,
	// e.g. "stop-the-world (GC mark termination)", "stop-the-world (write heap dump)".
	STW, GCMark time.Duration
	STWReasons  map[string]time.Duration

	// While the loop was runnable (pholders.go): who ran instead, longest
	// first (at most maxHolders), and how long a P sat idle meanwhile
	// (summed over Ps): a P idle while the loop waited for one means the
	// OS, not Go, kept the loop's thread off a CPU.
	Holders            []Holder
	IdlePWhileRunnable time.Duration
	ProcsSeen          int // Ps seen in the trace (0: no P events in it)

	Cause string // the largest contributor, in words
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) + " ms" }

// String renders the summary on one line, e.g. "loop goroutine 17: running 0.300
// ms, runnable 1.900 ms (waiting for a P), ...; GC stop-the-world 0.000 ms, GC
// mark phase 0.000 ms; cause: loop goroutine descheduled (runnable 1.900 ms)".
func (s *TraceSummary) String() string {
	var b strings.Builder
	ids := make([]string, len(s.Loop))
	for i, id := range s.Loop {
		ids[i] = strconv.FormatInt(id, 10)
	}
	who := "loop goroutine " + strings.Join(ids, ",")
	if len(ids) == 0 {
		who = "loop goroutine (not found)"
	}
	switch s.LoopSource {
	case "guessed":
		who += " (guessed: busiest goroutine)"
	case "observer":
		who += " (the outlier's observer)"
	}
	fmt.Fprintf(&b, "%s over %s: running %s (as far as Go knows; GC assist %s, sweep %s), runnable %s (waiting for a P), syscall %s, blocked %s",
		who, ms(s.Window), ms(s.Running), ms(s.GCAssist), ms(s.GCSweep), ms(s.Runnable), ms(s.Syscall), ms(s.Blocked))
	if len(s.BlockedBy) > 0 {
		b.WriteString(" (")
		for i, r := range sortedByDur(s.BlockedBy) {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %s", r, ms(s.BlockedBy[r]))
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, "; stop-the-world %s, GC mark phase %s", ms(s.STW), ms(s.GCMark))
	if s.Runnable > 0 && len(s.Loop) > 0 && !strings.Contains(s.Cause, "meanwhile") {
		b.WriteString("; " + s.heldText())
	}
	if s.Cause != "" {
		b.WriteString("; cause: " + s.Cause)
	}
	return b.String()
}

func sortedByDur(m map[string]time.Duration) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys
}

// SummarizeTraceFile opens path and calls SummarizeTrace.
func SummarizeTraceFile(path string, opts SummaryOptions) (*TraceSummary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	defer f.Close()
	s, err := SummarizeTrace(f, opts)
	if err != nil {
		return nil, fmt.Errorf("profiles: %s: %w", path, err)
	}
	return s, nil
}

// interval is a closed span of trace time.
type interval struct{ from, to xtrace.Time }

// goTrack is one goroutine's state history.
type goTrack struct {
	state      xtrace.GoState
	since      xtrace.Time
	why        string      // block reason while GoWaiting
	spans      []stateSpan // completed states
	assistFrom xtrace.Time
	inAssist   bool
	assists    []interval
	sweeps     []interval  // "GC incremental sweep" ranges while this goroutine ran on the P
	system     bool        // a runtime goroutine (GC worker, sweeper) or the outlier writer: never the loop
	frame      string      // its latest top frame seen in a transition (pholders.go)
	frames     []seenFrame // every top frame seen, in time order (pholders.go's frameAt)
}

// seenFrame is a top frame a goroutine showed at time t.
type seenFrame struct {
	t     xtrace.Time
	frame string
}

// see records that g showed frame f at time t.
func (g *goTrack) see(t xtrace.Time, f string) {
	if f == "" {
		return
	}
	g.frame = f
	g.frames = append(g.frames, seenFrame{t, f})
}

// systemWait lists block reasons only the runtime's own goroutines use.
var systemWait = map[string]bool{
	"system goroutine wait": true, "GC background sweeper wait": true,
	"GC mark assist wait for work": false, "forever": true, "GC weak to strong wait": true,
}

type stateSpan struct {
	state    xtrace.GoState
	why      string
	from, to xtrace.Time
}

type sweepStart struct {
	g xtrace.GoID
	t xtrace.Time
}

// SummarizeTrace reads an execution trace from r and summarises it (see the
// package comment of tracesum.go for the rules).
func SummarizeTrace(r io.Reader, opts SummaryOptions) (*TraceSummary, error) {
	rd, err := xtrace.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	if opts.Margin == 0 {
		opts.Margin = time.Millisecond
	}
	gs := map[xtrace.GoID]*goTrack{}
	track := func(id xtrace.GoID) *goTrack {
		t := gs[id]
		if t == nil {
			t = &goTrack{state: xtrace.GoUndetermined}
			gs[id] = t
		}
		return t
	}
	var (
		first, last xtrace.Time
		seen        bool
		markers     []xtrace.Time // LogCategoryOutlier times
		markerGs    []xtrace.GoID // and the goroutines that emitted them
		infoAt      xtrace.Time
		info        string
		loggedLoops []int64
		stw, mark   []interval
		stwNames    []string
		openSTW     = map[string]xtrace.Time{}
		markFrom    xtrace.Time
		inMark      bool
		sweepOpen   = map[xtrace.ProcID]sweepStart{}
		procs       = newProcTracks()
	)
	for {
		ev, err := rd.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read trace: %w", err)
		}
		t := ev.Time()
		if !seen {
			first, seen = t, true
		}
		last = t
		switch ev.Kind() {
		case xtrace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind == xtrace.ResourceProc {
				procs.transition(st, t)
				continue
			}
			if st.Resource.Kind != xtrace.ResourceGoroutine {
				continue
			}
			id := st.Resource.Goroutine()
			_, to := st.Goroutine()
			g := track(id)
			g.see(t, topFrame(st.Stack))
			// The goroutine that made the transition (it readied, created or
			// stopped another) was running where the event's stack says: a
			// spinner that readies the loop and never stops is named by that.
			if actor := ev.Goroutine(); actor != xtrace.NoGoroutine && actor != id {
				track(actor).see(t, topFrame(ev.Stack()))
			}
			if g.state != xtrace.GoUndetermined {
				g.spans = append(g.spans, stateSpan{state: g.state, why: g.why, from: g.since, to: t})
			}
			g.state, g.since, g.why = to, t, ""
			if to == xtrace.GoWaiting {
				g.why = st.Reason
				if g.why == "" {
					g.why = "unspecified"
				}
				if systemWait[g.why] {
					g.system = true
				}
			}
		case xtrace.EventRangeBegin, xtrace.EventRangeActive, xtrace.EventRangeEnd:
			rg := ev.Range()
			begin := ev.Kind() != xtrace.EventRangeEnd
			switch {
			case strings.HasPrefix(rg.Name, "stop-the-world"):
				if begin {
					if _, open := openSTW[rg.Name]; !open {
						openSTW[rg.Name] = t
					}
				} else if from, open := openSTW[rg.Name]; open {
					stw = append(stw, interval{from, t})
					stwNames = append(stwNames, rg.Name)
					delete(openSTW, rg.Name)
				}
			case rg.Name == "GC concurrent mark phase":
				if begin && !inMark {
					markFrom, inMark = t, true
				} else if !begin && inMark {
					mark = append(mark, interval{markFrom, t})
					inMark = false
				}
			case rg.Name == "GC incremental sweep" && ev.Goroutine() != xtrace.NoGoroutine:
				// Proc-scoped, but sweeping runs synchronously in the allocating
				// goroutine: charge it to the goroutine on the P.
				p := ev.Proc()
				if begin {
					sweepOpen[p] = sweepStart{g: ev.Goroutine(), t: t}
				} else if st, ok := sweepOpen[p]; ok {
					track(st.g).sweeps = append(track(st.g).sweeps, interval{st.t, t})
					delete(sweepOpen, p)
				}
			case rg.Name == "GC mark assist" && rg.Scope.Kind == xtrace.ResourceGoroutine:
				g := track(rg.Scope.Goroutine())
				if begin && !g.inAssist {
					g.assistFrom, g.inAssist = t, true
				} else if !begin && g.inAssist {
					g.assists = append(g.assists, interval{g.assistFrom, t})
					g.inAssist = false
				}
			}
		case xtrace.EventLog:
			lg := ev.Log()
			switch lg.Category {
			case LogCategoryOutlier:
				markers = append(markers, t)
				markerGs = append(markerGs, ev.Goroutine())
			case LogCategoryOutlierInfo:
				info, infoAt = lg.Message, t
				if g := ev.Goroutine(); g != xtrace.NoGoroutine {
					track(g).system = true // the writer goroutine
				}
			case LogCategoryLoop:
				if id, err := strconv.ParseInt(lg.Message, 10, 64); err == nil {
					loggedLoops = append(loggedLoops, id)
				} else {
					loggedLoops = append(loggedLoops, int64(ev.Goroutine()))
				}
			}
		}
	}
	if !seen {
		return nil, fmt.Errorf("trace holds no events")
	}
	// Close what is still open at the end of the trace.
	for _, g := range gs {
		if g.state != xtrace.GoUndetermined {
			g.spans = append(g.spans, stateSpan{state: g.state, why: g.why, from: g.since, to: last})
		}
		if g.inAssist {
			g.assists = append(g.assists, interval{g.assistFrom, last})
		}
	}
	procs.close(last)
	for name, from := range openSTW {
		stw = append(stw, interval{from, last})
		stwNames = append(stwNames, name)
	}
	if inMark {
		mark = append(mark, interval{markFrom, last})
	}

	s := &TraceSummary{BlockedBy: map[string]time.Duration{}, STWReasons: map[string]time.Duration{}}
	kv := parseInfo(info)
	if n, err := strconv.Atoi(kv["n"]); err == nil {
		s.Outlier = n
	}
	s.Latency = opts.Latency
	if ns, err := strconv.ParseInt(kv["latency_ns"], 10, 64); err == nil && s.Latency == 0 {
		s.Latency = time.Duration(ns)
	}
	// The window.
	win := interval{first, last}
	var marker xtrace.Time
	markerG := xtrace.NoGoroutine
	for i, m := range markers {
		if info == "" || m <= infoAt {
			marker, markerG = m, markerGs[i]
		}
	}
	switch {
	case marker != 0 && s.Latency > 0:
		win = interval{marker - xtrace.Time(s.Latency+opts.Margin), marker}
	case opts.Window > 0:
		win = interval{last - xtrace.Time(opts.Window), last}
	}
	if win.from < first {
		win.from = first
	}
	s.Window = win.to.Sub(win.from)

	// The loop goroutine(s).
	switch {
	case len(opts.Loop) > 0:
		s.Loop, s.LoopSource = slices.Clone(opts.Loop), "given"
	case kv["loop"] != "":
		for _, f := range strings.Split(kv["loop"], ",") {
			if id, err := strconv.ParseInt(f, 10, 64); err == nil {
				s.Loop = append(s.Loop, id)
			}
		}
		s.LoopSource = "marked"
	case len(loggedLoops) > 0:
		s.Loop, s.LoopSource = loggedLoops, "marked"
	}
	slices.Sort(s.Loop)
	s.Loop = slices.Compact(s.Loop)
	if s.LoopSource == "marked" && len(s.Loop) > 1 && slices.Contains(s.Loop, int64(markerG)) {
		s.Loop = []int64{int64(markerG)} // the loop of the group that saw the outlier
	}
	if len(s.Loop) == 0 && markerG != xtrace.NoGoroutine {
		s.Loop, s.LoopSource = []int64{int64(markerG)}, "observer"
	}
	if len(s.Loop) == 0 {
		var best xtrace.GoID = -1
		var bestRun time.Duration
		for id, g := range gs {
			if g.system {
				continue
			}
			var run time.Duration
			for _, sp := range g.spans {
				if sp.state == xtrace.GoRunning {
					run += overlap(interval{sp.from, sp.to}, win)
				}
			}
			if run > bestRun || (run == bestRun && id < best) {
				best, bestRun = id, run
			}
		}
		if best >= 0 {
			s.Loop, s.LoopGuessed, s.LoopSource = []int64{int64(best)}, true, "guessed"
		}
	}
	for _, id := range s.Loop {
		g := gs[xtrace.GoID(id)]
		if g == nil {
			continue
		}
		for _, sp := range g.spans {
			d := overlap(interval{sp.from, sp.to}, win)
			switch sp.state {
			case xtrace.GoRunning:
				s.Running += d
			case xtrace.GoRunnable:
				s.Runnable += d
			case xtrace.GoSyscall:
				s.Syscall += d
			case xtrace.GoWaiting:
				s.Blocked += d
				if d > 0 {
					s.BlockedBy[sp.why] += d
				}
			}
		}
		for _, a := range g.assists {
			s.GCAssist += overlap(a, win)
		}
		for _, a := range g.sweeps {
			s.GCSweep += overlap(a, win)
		}
	}
	for i, iv := range stw {
		if d := overlap(iv, win); d > 0 {
			s.STW += d
			s.STWReasons[stwNames[i]] += d
		}
	}
	for _, iv := range mark {
		s.GCMark += overlap(iv, win)
	}
	whoHeldPs(s, gs, procs, win, loggedLoops)
	s.Cause = cause(s)
	return s, nil
}

func overlap(a, b interval) time.Duration {
	from, to := max(a.from, b.from), min(a.to, b.to)
	if to <= from {
		return 0
	}
	return to.Sub(from)
}

// parseInfo splits "k=v k=v" into a map.
func parseInfo(s string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(s) {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = v
		}
	}
	return m
}

// cause names the largest contributor to the window. Stop-the-world is named
// first when it covers a quarter of the window: every goroutine stops then, so
// it explains the loop's runnable or blocked time in the same span.
func cause(s *TraceSummary) string {
	if s.Window <= 0 || len(s.Loop) == 0 {
		return ""
	}
	who := "loop goroutine"
	if s.LoopGuessed {
		who = "busiest goroutine (no loop marked)"
	}
	if s.STW*4 >= s.Window {
		return fmt.Sprintf("stop-the-world %s: %s", ms(s.STW), strings.Join(sortedByDur(s.STWReasons), ", "))
	}
	// A wait for a GC cycle ("wait until GC ends") on the loop goroutine means a
	// callback called runtime.GC or debug.FreeOSMemory: a smoking gun, named
	// whatever its share, since the sweep runtime.GC then does on the caller is
	// not traced and shows up as plain "running".
	var gcWait time.Duration
	for why, d := range s.BlockedBy {
		if strings.Contains(why, "GC") {
			gcWait += d
		}
	}
	if gcWait > 0 {
		return fmt.Sprintf("GC on the %s: it waited %s for a GC cycle (runtime.GC in a callback?), then ran %s (includes runtime.GC's untraced sweep); assist %s, sweep %s, stop-the-world %s",
			who, ms(gcWait), ms(s.Running), ms(s.GCAssist), ms(s.GCSweep), ms(s.STW))
	}
	type cand struct {
		d    time.Duration
		text string
	}
	cs := []cand{
		{s.Runnable, fmt.Sprintf("%s descheduled: runnable %s, waiting for a P; %s", who, ms(s.Runnable), s.heldText())},
		{s.Syscall, fmt.Sprintf("%s in a syscall %s", who, ms(s.Syscall))},
		{s.GCAssist + s.GCSweep, fmt.Sprintf("GC work on the %s %s (mark assist %s, sweep %s)", who, ms(s.GCAssist+s.GCSweep), ms(s.GCAssist), ms(s.GCSweep))},
		{s.Running - s.GCAssist - s.GCSweep, fmt.Sprintf("%s busy running %s (slow callbacks, or its thread lost the CPU)", who, ms(s.Running-s.GCAssist-s.GCSweep))},
	}
	if s.Blocked > 0 {
		why := sortedByDur(s.BlockedBy)[0]
		text := fmt.Sprintf("%s blocked (%s) %s", who, why, ms(s.BlockedBy[why]))
		if why == "chan receive" || why == "select" {
			// A loop parked on a channel is how the "chan" wakeup variant idles.
			text += " (if that is the loop idling for work, the delay was upstream: a late producer or pacer)"
		}
		if strings.Contains(why, "GC") {
			text = fmt.Sprintf("%s blocked waiting for GC (%s) %s", who, why, ms(s.BlockedBy[why]))
		}
		cs = append(cs, cand{s.BlockedBy[why], text})
	}
	best := cs[0]
	for _, c := range cs[1:] {
		if c.d > best.d {
			best = c
		}
	}
	if s.GCMark > 0 && !strings.Contains(best.text, "GC") {
		best.text += fmt.Sprintf(", during the GC mark phase (%s)", ms(s.GCMark))
	}
	return best.text
}
