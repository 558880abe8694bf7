package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ringloop/ringloop/results"
)

func render(t *testing.T, inputs ...Input) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTMLNamed(&buf, inputs...); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// wellFormed checks an SVG document parses as XML.
func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
}

var svgRE = regexp.MustCompile(`(?s)<svg.*?</svg>`)

func TestHTMLSelfContained(t *testing.T) {
	page := render(t, Input{File: testFile(1, true)})
	for _, bad := range []string{"<link", "@import", "src=", "url(", "https://", "<iframe", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("report contains %q: it must need no network and no other file", bad)
		}
	}
	// The only http:// strings allowed are XML namespace identifiers (never fetched).
	for _, m := range regexp.MustCompile(`http://[^"\s]*`).FindAllString(page, -1) {
		if m != "http://www.w3.org/2000/svg" && m != "http://www.w3.org/1999/xlink" {
			t.Errorf("report references %s", m)
		}
	}
	svgs := svgRE.FindAllString(page, -1)
	if len(svgs) != 5 {
		t.Fatalf("found %d inline SVGs, want 5 (latency + throughput for 2 workloads, drift for the one with intervals)", len(svgs))
	}
	for _, s := range svgs {
		wellFormed(t, s)
		if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
			t.Errorf("SVG contains NaN/Inf coordinates")
		}
	}
	for _, want := range []string{
		"Intel(R) Xeon(R) CPU @ 2.20GHz", // the machine
		"Workload <code>threadsafe</code>", "Workload <code>wakeup</code>",
		"0.850× vs mpsc", "0.700× vs mpsc", "baseline", // the ratio table
		"significant", "p=0.002",
		"rate not kept",                // chan's RateKept=false is flagged
		"could not keep 200k/s",        // warnings shown
		"threadsafe-chan_run2-1.trace", // outliers listed
		`<strong class="cause">stop-the-world 1.900 ms: stop-the-world (GC mark termination)`, // with the cause first
		"data-kind=\"latency\"", "data-plots", // self-check hook for the browser test
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestLatencyPlotAxesAndStyles(t *testing.T) {
	page := render(t, Input{File: testFile(2, false)})
	svgs := svgRE.FindAllString(page, -1)
	lat := svgs[0]
	for _, tick := range []string{">50%<", ">90%<", ">99%<", ">99.9%<", ">99.99%<", ">max<"} {
		if !strings.Contains(lat, tick) {
			t.Errorf("latency plot lacks x tick %s", tick)
		}
	}
	for _, v := range []string{"mpsc", "mutex", "chan", "corrected (from intended start)", "uncorrected (from actual send)"} {
		if !strings.Contains(lat, ">"+v+"<") {
			t.Errorf("latency plot legend lacks %q", v)
		}
	}
	// Uncorrected lines are dashed: one dashed path per series plus the legend key.
	if n := strings.Count(lat, "stroke-dasharray"); n < 3 {
		t.Errorf("latency plot has %d dashed strokes, want >= 3 (one uncorrected line per variant)", n)
	}
	if !strings.Contains(lat, "µs<") && !strings.Contains(lat, "ms<") {
		t.Error("latency axis is not labelled in time units")
	}
	thr := svgs[1]
	for _, v := range []string{">mpsc<", ">mutex<", ">chan<"} {
		if !strings.Contains(thr, v) {
			t.Errorf("throughput plot lacks bar label %s", v)
		}
	}
	if !strings.Contains(thr, "k<") {
		t.Error("throughput axis not labelled with k/M suffixes")
	}
}

func TestDriftPlot(t *testing.T) {
	f := testFile(8, false)
	page := render(t, Input{File: f})
	svgs := svgRE.FindAllString(page, -1)
	if len(svgs) != 3 {
		t.Fatalf("%d SVGs, want latency, throughput and drift", len(svgs))
	}
	drift := svgs[2]
	wellFormed(t, drift)
	if !strings.Contains(drift, "p99 per interval") || !strings.Contains(drift, ">chan<") {
		t.Error("drift plot lacks its title or legend")
	}
	// One line per (variant, run): 3 variants x 3 runs, each in its variant's colour.
	for i := 0; i < 3; i++ {
		if n := strings.Count(drift, "stroke:"+strings.ToUpper(colorHex(i))); n < 3 {
			t.Errorf("drift plot has %d strokes of series %d's colour, want >= 3 (one per run)", n, i)
		}
	}
	if !strings.Contains(page, `data-kind="drift"`) {
		t.Error("drift figure missing from the page")
	}
	f.Intervals = nil
	if page := render(t, Input{File: f}); strings.Contains(page, `data-kind="drift"`) {
		t.Error("a drift figure was drawn without intervals")
	}
}

func TestCompareTwoFilesInOnePlot(t *testing.T) {
	page := render(t, Input{Name: "before", File: testFile(3, false)}, Input{Name: "after", File: testFile(4, false)})
	svgs := svgRE.FindAllString(page, -1)
	if len(svgs) != 3 {
		t.Fatalf("two files of one workload should share plots: got %d SVGs, want 3 (latency, throughput, drift)", len(svgs))
	}
	for _, label := range []string{"before: mpsc", "after: mpsc", "before: chan", "after: chan"} {
		if !strings.Contains(svgs[0], ">"+label+"<") || !strings.Contains(svgs[2], ">"+label+"<") {
			t.Errorf("series %q missing from one of the plots", label)
		}
	}
	// Bar labels put the file and the variant on two lines.
	if n := strings.Count(svgs[1], ">before<"); n != 3 {
		t.Errorf("throughput plot labels %d bars as before, want 3", n)
	}
	if n := strings.Count(svgs[1], ">after<"); n != 3 {
		t.Errorf("throughput plot labels %d bars as after, want 3", n)
	}
	if !strings.Contains(page, "Machine and configuration: before") || !strings.Contains(page, "Machine and configuration: after") {
		t.Error("each file's machine must be shown")
	}
	// The across-files table compares each variant of "after" with "before"
	// (seeds 3 and 4 differ by 5% in every run: significant).
	for _, want := range []string{"Across files", "after vs before", `good">faster<`, "1.050×"} {
		if !strings.Contains(page, want) {
			t.Errorf("across-files table lacks %q", want)
		}
	}
	same := render(t, Input{Name: "before", File: testFile(3, false)}, Input{Name: "after", File: testFile(6, false)})
	if !strings.Contains(same, "no significant change") {
		t.Error("two files with the same throughput are not reported as unchanged")
	}
	slow := testFile(3, false)
	for i := range slow.Summaries { // "after" is 2x slower in every run, with 2x the tail
		s := &slow.Summaries[i]
		s.Throughput.Center, s.Throughput.Lo, s.Throughput.Hi = s.Throughput.Center/2, s.Throughput.Lo/2, s.Throughput.Hi/2
		for r := range s.Runs {
			s.Runs[r].Throughput /= 2
		}
		s.Corrected.P99Ns *= 2
	}
	page = render(t, Input{Name: "before", File: testFile(3, false)}, Input{Name: "after", File: slow})
	if !strings.Contains(page, `bad">slower<`) || !strings.Contains(page, "<td>2.000×</td>") {
		t.Errorf("a 2x slower file is not reported as slower with a 2x p99 ratio")
	}
	// WriteHTML without names labels runs by number.
	var buf bytes.Buffer
	if err := WriteHTML(&buf, testFile(3, false), testFile(4, false)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "run 2: mutex") {
		t.Error("unnamed files are not labelled run 1, run 2")
	}
}

func TestZeroAndDegenerateValues(t *testing.T) {
	f := testFile(5, false)
	s := &f.Summaries[0]
	s.Corrected.Curve = []results.Point{{Quantile: 0, ValueNs: 0}, {Quantile: 0.5, ValueNs: 0}, {Quantile: 0.9, ValueNs: 10}, {Quantile: 1, ValueNs: 10}}
	s.Uncorrected.Curve = nil // an empty series is skipped, not drawn
	s.Throughput = results.Estimate{Center: 0, N: 1}
	f.Summaries[1].Throughput.Confidence = 0 // no interval: no whisker, no error
	page := render(t, Input{File: f})
	for _, s := range svgRE.FindAllString(page, -1) {
		wellFormed(t, s)
		if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
			t.Error("degenerate values produced NaN/Inf in the SVG")
		}
	}
}

func TestErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf); err == nil {
		t.Error("WriteHTML with no files succeeded")
	}
	if err := WriteHTML(&buf, nil); err == nil {
		t.Error("WriteHTML with a nil file succeeded")
	}
	empty := testFile(6, false)
	empty.Summaries = nil
	if err := WriteHTML(&buf, empty); err == nil || !strings.Contains(err.Error(), "no summaries") {
		t.Errorf("empty results: err = %v", err)
	}
	noCurves := testFile(6, false)
	for i := range noCurves.Summaries {
		noCurves.Summaries[i].Corrected.Curve = nil
		noCurves.Summaries[i].Uncorrected.Curve = nil
	}
	if err := WriteHTML(&buf, noCurves); err == nil || !strings.Contains(err.Error(), "no latency curve") {
		t.Errorf("no curves: err = %v", err)
	}
	if buf.Len() != 0 {
		t.Error("a failed WriteHTML wrote partial output")
	}
}

func TestWriteSVGs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svg")
	if err := WriteSVGs(dir, testFile(7, true)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "wakeup-drift.svg")); err == nil {
		t.Error("a drift plot was written for a workload without intervals")
	}
	for _, name := range []string{"threadsafe-latency.svg", "threadsafe-throughput.svg", "threadsafe-drift.svg", "wakeup-latency.svg", "wakeup-throughput.svg"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		wellFormed(t, string(b))
		if !bytes.Contains(b, []byte("<path")) {
			t.Errorf("%s has no paths", name)
		}
	}
}
