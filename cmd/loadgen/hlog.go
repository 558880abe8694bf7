package main

// hlog.go: -hlog DIR, HdrHistogram interval logs — one .hlog file per
// variant and run (and rate, in a sweep), in the format of HdrHistogram's
// HistogramLogWriter (hdrhistogram-go writes it), so HdrHistogram's own log
// tools (HistogramLogProcessor, HdrHistogramVisualizer, hdrhistogram-go's
// HistogramLogReader) read a run's latency over time.
//
// Invariants:
//   - Each interval line is one -interval window's corrected latency
//     histogram, values in ns, tagged with the variant. The windows of a run
//     together hold exactly the run's corrected samples: merged, they give
//     the run's percentiles (the test checks it). The group workload writes
//     one line per loop per window.
//   - The windows' histograms travel from the loop goroutines to the
//     interval printer's goroutine, which writes them and hands them back
//     Reset through the spare channel: after the first windows, nothing is
//     allocated per window. A window the printer could not take (its queue
//     full) is dropped and counted in a warning, never blocked on.
//   - Times in a log are seconds from the run's start (#[BaseTime]), to the
//     millisecond (the log format's resolution); the start is the wall
//     clock when the run's first window arrived minus that window's end.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// spareHists is how many empty window histograms are kept for reuse.
const spareHists = 8

// hlogSet owns a run's (or a sweep's) .hlog files. Only the interval
// printer's goroutine calls write; close is called after it has stopped.
type hlogSet struct {
	dir   string
	spare chan *hdr.Histogram // Reset histograms for the recorders; filled by write
	files map[string]*hlogFile
	paths []string // in creation order
	errs  []error
}

type hlogFile struct {
	fh      *os.File
	bw      *bufio.Writer
	lw      *hdr.HistogramLogWriter
	startMs int64
}

func newHlogSet(dir string) *hlogSet {
	return &hlogSet{dir: dir, spare: make(chan *hdr.Histogram, spareHists), files: map[string]*hlogFile{}}
}

// logTo makes the printer write -hlog logs into dir ("" = off).
func (p *intervalPrinter) logTo(dir string, every time.Duration) {
	if dir != "" {
		p.hlog, p.every = newHlogSet(dir), every
	}
}

// hlogTag is the .hlog name's tag of a run: the rate in a sweep.
func (f *runFlags) hlogTag() string {
	if f.cmd == "sweep" {
		return "rate=" + rateKey(f.rate)
	}
	return ""
}

// hlogName is the file a run's windows go to: <workload>-<variant>
// [-<tag>]-run<N>.hlog (tag: "rate=50k" in a sweep).
func hlogName(workload, variant, tag string, run int) string {
	n := safeName(workload) + "-" + safeName(variant)
	if tag != "" {
		n += "-" + safeName(tag)
	}
	return fmt.Sprintf("%s-run%d.hlog", n, run)
}

// write appends l's window histogram to its run's log, then hands the
// histogram back Reset.
func (s *hlogSet) write(l intervalLine, every time.Duration) {
	h := l.st.Hist
	if h == nil {
		return
	}
	defer func() {
		h.Reset()
		select {
		case s.spare <- h:
		default:
		}
	}()
	name := hlogName(l.workload, l.variant, l.tag, l.run)
	f := s.files[name]
	if f == nil {
		var err error
		if f, err = s.open(name, l, every); err != nil {
			s.errs = append(s.errs, err)
			s.files[name] = &hlogFile{} // do not retry a file that failed
			return
		}
		s.files[name] = f
	}
	if f.lw == nil {
		return
	}
	h.SetStartTimeMs(f.startMs + (l.st.EndNs-l.st.SpanNs)/1e6)
	h.SetEndTimeMs(f.startMs + l.st.EndNs/1e6)
	h.SetTag(safeTag(l.variant))
	if err := f.lw.OutputIntervalHistogram(h); err != nil {
		s.errs = append(s.errs, fmt.Errorf("-hlog %s: %w", name, err))
	}
}

func (s *hlogSet) open(name string, l intervalLine, every time.Duration) (*hlogFile, error) {
	path := filepath.Join(s.dir, name)
	fh, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-hlog: %w", err)
	}
	s.paths = append(s.paths, path)
	f := &hlogFile{fh: fh, bw: bufio.NewWriter(fh)}
	f.lw = hdr.NewHistogramLogWriter(f.bw)
	f.startMs = time.Now().UnixMilli() - l.st.EndNs/1e6
	f.lw.SetBaseTime(f.startMs)
	errs := []error{
		f.lw.OutputLogFormatVersion(),
		f.lw.OutputComment(fmt.Sprintf("[loadgen: workload=%s variant=%s %s run=%d; corrected latency (from intended start) in ns, per %v window]", l.workload, l.variant, l.tag, l.run, every)),
		f.lw.OutputStartTime(f.startMs),
		f.lw.OutputBaseTime(f.startMs),
		f.lw.OutputLegend(),
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("-hlog %s: %w", path, err)
	}
	return f, nil
}

// safeTag makes a variant name a valid log tag (no commas, spaces or line
// breaks).
func safeTag(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r == ',' || r == ' ' || r == '\r' || r == '\n' {
			out[i] = '_'
		}
	}
	return string(out)
}

// close flushes and closes every log; it returns every error met.
func (s *hlogSet) close() error {
	errs := s.errs
	for _, name := range sortedFiles(s.files) {
		f := s.files[name]
		if f.fh == nil {
			continue
		}
		if err := f.bw.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("-hlog %s: %w", name, err))
		}
		if err := f.fh.Close(); err != nil {
			errs = append(errs, fmt.Errorf("-hlog %s: %w", name, err))
		}
	}
	s.files = map[string]*hlogFile{}
	return errors.Join(errs...)
}

func sortedFiles(m map[string]*hlogFile) []string {
	keys := make(map[string]string, len(m))
	for k := range m {
		keys[k] = k
	}
	return sortedKeys(keys)
}
