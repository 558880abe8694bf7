package profiles

// pholders.go: who held the Ps while the loop goroutine waited for one.
//
// "Runnable 3.3 ms, waiting for a P" says the Go scheduler had the loop
// ready and no P to run it on. This file names what ran instead: for every
// span in which a loop goroutine was runnable, the other goroutines that
// were running in it (on some P) are charged the overlap; each is named by
// its top frame outside the runtime (the producer spinning in the pacer,
// pace.Until; a GC worker, runtime.gcBgMarkWorker; another loop). And it
// measures how long a P was idle in those spans: an idle P while the loop
// was runnable means the Go scheduler had somewhere to run it, so the delay
// was the operating system's (the thread that should have picked the loop
// up did not get a CPU): the machine, not Go.
//
// Invariants:
//   - Only trace events are used: goroutine and P state transitions and the
//     stacks they carry. A holder is named by the latest non-empty stack it
//     showed at or before it began holding the P the loop waited for: in its
//     own transitions (where it stopped, or was created) or in events it made
//     (where it readied or created another goroutine). So a spinner that
//     readied the loop and never stopped is named by where it readied it, not
//     by where it went after the window.
//   - Holder times are summed overlaps, so with n Ps they may add up to n
//     times the loop's runnable time.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	xtrace "golang.org/x/exp/trace"
)

// maxHolders is how many holders a summary names.
const maxHolders = 3

// Holder is one goroutine that ran while the loop goroutine was runnable.
type Holder struct {
	G     int64         // its goroutine ID
	Frame string        // where it stopped: two frames outside the runtime ("" if no stack was seen)
	Kind  string        // "GC worker", "another loop", "loadgen's producer" or ""
	Held  time.Duration // how long it ran while the loop was runnable
}

func (h Holder) String() string {
	name := fmt.Sprintf("goroutine %d", h.G)
	if h.Frame != "" {
		name += " in " + h.Frame
	}
	if h.Kind != "" {
		name += " (" + h.Kind + ")"
	}
	return name + " " + ms(h.Held)
}

// topFrame names where stk stopped: its first two frames outside package
// runtime, innermost first ("time.Now < profiles.holdP"; a spinning pacer
// reads "hist.Now < pace.Until"), shortened to package.func; the first
// frame when all are runtime's.
func topFrame(stk xtrace.Stack) string {
	first := ""
	var picks []string
	for f := range stk.Frames() {
		if first == "" {
			first = f.Func
		}
		if f.Func != "" && !strings.HasPrefix(f.Func, "runtime.") && !strings.HasPrefix(f.Func, "internal/") {
			picks = append(picks, short(f.Func))
			if len(picks) == 2 {
				break
			}
		}
	}
	if len(picks) == 0 {
		if first == "" {
			return ""
		}
		return short(first)
	}
	return strings.Join(picks, " < ")
}

func short(fn string) string {
	if i := strings.LastIndex(fn, "/"); i >= 0 {
		return fn[i+1:]
	}
	return fn
}

// procTracks is each P's history of idle spans.
type procTracks struct {
	idleSince map[xtrace.ProcID]xtrace.Time // open idle span per P
	idle      []interval
	seen      map[xtrace.ProcID]bool
}

func newProcTracks() *procTracks {
	return &procTracks{idleSince: map[xtrace.ProcID]xtrace.Time{}, seen: map[xtrace.ProcID]bool{}}
}

func (p *procTracks) transition(st xtrace.StateTransition, t xtrace.Time) {
	id := st.Resource.Proc()
	p.seen[id] = true
	from, to := st.Proc()
	if from == xtrace.ProcIdle || from == xtrace.ProcUndetermined {
		if since, ok := p.idleSince[id]; ok {
			p.idle = append(p.idle, interval{since, t})
			delete(p.idleSince, id)
		}
	}
	if to == xtrace.ProcIdle {
		p.idleSince[id] = t
	}
}

func (p *procTracks) close(last xtrace.Time) {
	for id, since := range p.idleSince {
		p.idle = append(p.idle, interval{since, last})
		delete(p.idleSince, id)
	}
}

// whoHeldPs fills s.Holders and s.IdlePWhileRunnable from the loop
// goroutines' runnable spans inside win.
func whoHeldPs(s *TraceSummary, gs map[xtrace.GoID]*goTrack, procs *procTracks, win interval, loops []int64) {
	s.ProcsSeen = len(procs.seen)
	var waits []interval
	for _, id := range s.Loop {
		g := gs[xtrace.GoID(id)]
		if g == nil {
			continue
		}
		for _, sp := range g.spans {
			if sp.state != xtrace.GoRunnable {
				continue
			}
			iv := interval{max(sp.from, win.from), min(sp.to, win.to)}
			if iv.to > iv.from {
				waits = append(waits, iv)
			}
		}
	}
	if len(waits) == 0 {
		return
	}
	for _, w := range waits {
		for _, idle := range procs.idle {
			s.IdlePWhileRunnable += overlap(idle, w)
		}
	}
	held := map[xtrace.GoID]time.Duration{}
	first := map[xtrace.GoID]xtrace.Time{} // when each holder began holding a P the loop waited for
	for id, g := range gs {
		if slices.Contains(s.Loop, int64(id)) {
			continue
		}
		for _, sp := range g.spans {
			if sp.state != xtrace.GoRunning {
				continue
			}
			for _, w := range waits {
				d := overlap(interval{sp.from, sp.to}, w)
				if d > 0 && held[id] == 0 {
					first[id] = max(sp.from, w.from)
				}
				held[id] += d
			}
		}
	}
	for id, d := range held {
		if d <= 0 {
			continue
		}
		g := gs[id]
		frame := g.frameAt(first[id])
		h := Holder{G: int64(id), Frame: frame, Held: d}
		switch {
		case strings.Contains(frame, "gcBgMarkWorker"):
			h.Kind = "GC worker"
		case slices.Contains(loops, int64(id)):
			h.Kind = "another loop"
		case strings.Contains(frame, "pace.") || strings.Contains(frame, "runProducers") || strings.Contains(frame, "runNull"):
			h.Kind = "loadgen's producer"
		}
		s.Holders = append(s.Holders, h)
	}
	slices.SortFunc(s.Holders, func(a, b Holder) int {
		if a.Held != b.Held {
			if a.Held > b.Held {
				return -1
			}
			return 1
		}
		return int(a.G - b.G)
	})
	if len(s.Holders) > maxHolders {
		s.Holders = s.Holders[:maxHolders]
	}
}

// frameAt names where g was at time t: the latest top frame it showed at or
// before t (a goroutine that readied the loop and spun on is named by where it
// readied it, not by where it went after the window), else the first it showed
// after t.
func (g *goTrack) frameAt(t xtrace.Time) string {
	f := ""
	for _, sf := range g.frames {
		if sf.t > t {
			if f == "" {
				return sf.frame
			}
			break
		}
		f = sf.frame
	}
	return f
}

// heldText says who held the Ps while the loop waited, and whether a P was
// idle meanwhile.
func (s *TraceSummary) heldText() string {
	var b strings.Builder
	if len(s.Holders) == 0 {
		b.WriteString("no other goroutine ran meanwhile")
	} else {
		b.WriteString("meanwhile the Ps ran ")
		for i, h := range s.Holders {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(h.String())
		}
	}
	switch {
	case s.ProcsSeen == 0:
		b.WriteString("; P states not in the trace")
	case s.IdlePWhileRunnable*4 >= s.Runnable:
		fmt.Fprintf(&b, "; a P was idle %s of that wait (summed over Ps): the OS kept the thread off a CPU (the machine, not Go)", ms(s.IdlePWhileRunnable))
	case s.IdlePWhileRunnable > 0:
		fmt.Fprintf(&b, "; a P was idle only %s of it (a P's wake-up): Go's scheduler had no P free", ms(s.IdlePWhileRunnable))
	default:
		b.WriteString("; no P was idle meanwhile (Go's scheduler had none free)")
	}
	return b.String()
}
