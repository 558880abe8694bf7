package main

// progress.go: the progress line (stderr, only when stderr is a terminal)
// and the -interval lines (stdout, as they come).

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/results"
)

type progress struct {
	w       io.Writer // nil when stderr is not a terminal
	total   int
	n       int
	perRun  time.Duration
	started time.Time
}

func newProgress(stderr io.Writer, total int, perRun time.Duration) *progress {
	p := &progress{total: total, perRun: perRun, started: time.Now()}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.w = stderr
	}
	return p
}

func (p *progress) step(variant string, rep int) {
	p.n++
	if p.w == nil {
		return
	}
	left := time.Duration(p.total-p.n+1) * p.perRun
	if left >= 10*time.Second {
		left = left.Round(time.Second)
	} else {
		left = left.Round(100 * time.Millisecond)
	}
	fmt.Fprintf(p.w, "\r\033[K[%d/%d] %s run %d  (~%v left)", p.n, p.total, variant, rep+1, left)
}

func (p *progress) done() {
	if p.w != nil {
		fmt.Fprint(p.w, "\r\033[K")
		p.w = nil
	}
}

// intervalPrinter receives IntervalStats from loop goroutines (through a
// buffered channel; a full channel drops the line and counts it) and prints
// them and stores them in the result.
type intervalPrinter struct {
	out     io.Writer
	file    *results.File
	ch      chan intervalLine
	wg      sync.WaitGroup
	once    sync.Once
	dropped atomic.Int64 // loop goroutines (several in a group) add
	// hlog, when non-nil (-hlog), gets every window's histogram, written
	// from the printer's goroutine; every is the window length. Set before
	// the first run; hlogErr is set by close.
	hlog    *hlogSet
	every   time.Duration
	hlogErr error
}

type intervalLine struct {
	workload, variant string
	run               int
	st                hist.IntervalStat
	tag               string // the .hlog file name's tag ("rate=50k" in a sweep)
}

func newIntervalPrinter(out io.Writer, file *results.File) *intervalPrinter {
	p := &intervalPrinter{out: out, file: file, ch: make(chan intervalLine, 4096)}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for l := range p.ch {
			span := float64(l.st.SpanNs) / 1e9
			iv := results.Interval{
				Workload: l.workload, Variant: l.variant, Run: l.run,
				OffsetNs: l.st.EndNs, SpanNs: l.st.SpanNs, Ops: l.st.Ops, Rate: float64(l.st.Ops) / span,
				P99Ns: l.st.P99Ns, MaxNs: l.st.MaxNs,
				// Every full window spans the interval; only a run's last
				// one, cut by its end, does not.
				Partial: l.st.SpanNs != p.file.Config.IntervalNs,
			}
			p.file.Intervals = append(p.file.Intervals, iv)
			mark := ""
			if iv.Partial {
				mark = "  (partial: the run's last " + fmtNs(float64(iv.SpanNs)) + ", cut by its end)"
			}
			fmt.Fprintf(p.out, "interval %s/%s run=%d t=%-8v ops=%-9d rate=%-8s/s p99=%-8s max=%s%s\n",
				iv.Workload, iv.Variant, iv.Run, time.Duration(iv.OffsetNs).Round(time.Millisecond), iv.Ops, fmtRate(iv.Rate), fmtNs(float64(iv.P99Ns)), fmtNs(float64(iv.MaxNs)), mark)
			if p.hlog != nil {
				p.hlog.write(l, p.every)
			}
		}
	}()
	return p
}

// hook returns the OnInterval callback for one run. It runs on the loop
// goroutine: it only hands the stat to the channel.
func (p *intervalPrinter) hook(workload, variant string, run int) func(hist.IntervalStat) {
	return p.hookTagged(workload, variant, "", run)
}

// hookTagged is hook with the tag of the run's .hlog file name.
func (p *intervalPrinter) hookTagged(workload, variant, tag string, run int) func(hist.IntervalStat) {
	return func(st hist.IntervalStat) {
		select {
		case p.ch <- intervalLine{workload, variant, run, st, tag}:
		default:
			p.dropped.Add(1)
		}
	}
}

func (p *intervalPrinter) close() {
	p.once.Do(func() {
		close(p.ch)
		p.wg.Wait()
		if n := p.dropped.Load(); n > 0 {
			what := "interval lines"
			if p.hlog != nil {
				what += " (and their -hlog windows: the logs miss them)"
			}
			p.file.Warnings = append(p.file.Warnings, fmt.Sprintf("%d %s dropped (printer too slow)", n, what))
		}
		if p.hlog != nil {
			p.hlogErr = p.hlog.close()
		}
	})
}
