package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/ringloop/ringloop/internal/hist"
	"github.com/ringloop/ringloop/results"
)

// readHlog reads a .hlog with hdrhistogram-go's HistogramLogReader and
// returns its windows merged, and how many there were.
func readHlog(t *testing.T, path string) (*hdr.Histogram, int) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	lr := hdr.NewHistogramLogReader(fh)
	total, n := hist.NewHistogram(), 0
	for {
		h, err := lr.NextIntervalHistogram()
		if h == nil || errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		n++
		total.Merge(h)
	}
	return total, n
}

// TestHlogReadBack: -hlog writes one interval log per variant and run, in
// HdrHistogram's log format; the library's log reader reads each back, and
// its windows merged give exactly the run's percentiles in the JSON.
func TestHlogReadBack(t *testing.T) {
	dir := t.TempDir()
	jsonP, hlogD := filepath.Join(dir, "h.json"), filepath.Join(dir, "hlog")
	r := runBin(t, args("-variants", "mpsc,mutex", "-count", "2", "-rate", "20000", "-interval", "20ms", "-json", jsonP, "-hlog", hlogD)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	f, err := results.ReadFile(jsonP)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"mpsc", "mutex", "null"} {
		s := f.Find("threadsafe", v)
		for _, run := range s.Runs {
			path := filepath.Join(hlogD, hlogName("threadsafe", v, "", run.Index))
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"#[Histogram log format version", "#[StartTime: ", "#[BaseTime: ", `"StartTimestamp"`, "Tag=" + v + ","} {
				if !strings.Contains(string(raw), want) {
					t.Errorf("%s lacks %q", path, want)
				}
			}
			h, n := readHlog(t, path)
			if n < 1 || h.TotalCount() != run.Ops {
				t.Errorf("%s: %d windows, %d samples; the run had %d ops", path, n, h.TotalCount(), run.Ops)
			}
			for _, q := range []struct {
				q    float64
				want int64
			}{{0.50, run.P50Ns}, {0.90, run.P90Ns}, {0.99, run.P99Ns}, {0.999, run.P999Ns}} {
				if got := hist.Quantile(h, q.q); got != q.want {
					t.Errorf("%s: p%v %d from the log, %d in the JSON", path, 100*q.q, got, q.want)
				}
			}
			if h.Max() != run.MaxNs {
				t.Errorf("%s: max %d from the log, %d in the JSON", path, h.Max(), run.MaxNs)
			}
		}
	}
	if r := runBin(t, args("-rate", "1000", "-hlog", hlogD)...); r.code != exitUsage || !strings.Contains(r.stderr, "-interval") {
		t.Errorf("-hlog without -interval: exit %d, %s", r.code, r.stderr)
	}
}

// TestSweepHlog: a sweep's logs carry the rate in their names and every
// sample of the run. (How many windows depends on when the loop ran: a
// loop descheduled on a loaded machine completes a run's ops in a burst.)
func TestSweepHlog(t *testing.T) {
	dir := t.TempDir()
	r := runBin(t, sweepArgs("-variants", "mpsc", "-rates", "3k", "-interval", "20ms", "-hlog", dir)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, v := range []string{"mpsc", "null"} {
		h, n := readHlog(t, filepath.Join(dir, hlogName("threadsafe", v, "rate=3k", 0)))
		if n < 1 || h.TotalCount() < 299 || h.TotalCount() > 301 {
			t.Errorf("%s: %d windows, %d samples", v, n, h.TotalCount())
		}
	}
}
