package report

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringloop/ringloop/results"
)

// sweepFile builds a sweep of two variants and the null floor over five
// rates: "fast" under the 1 ms SLO up to 400k, "slow" up to 200k; with
// capacity runs (Summaries) when withCapacity.
func sweepFile(withCapacity bool) *results.File {
	date := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	f := testFile(3, false)
	f.Tool, f.Intervals, f.Outliers, f.Warnings = "loadgen sweep", nil, nil, nil
	f.Config.Variants = []string{"fast", "slow", "null"}
	f.Config.Rate = 0
	f.StartedAt, f.FinishedAt = date, date.Add(time.Minute)
	if !withCapacity {
		f.Summaries = nil
	}
	sw := &results.Sweep{SLONs: 1e6, Ladder: []float64{0.2, 0.4, 0.6, 0.8, 1}, CapacityRate: 500000, CapacityVariant: "slow"}
	for i, rate := range []float64{100000, 200000, 300000, 400000, 500000} {
		st := results.Step{Rate: rate, Fraction: rate / 500000}
		for vi, v := range f.Config.Variants {
			p50 := int64(20000 * (1 + vi) * (1 + i))
			p99 := int64(100000 * (1 + 2*vi) * (1 + i*i))
			if v == "null" {
				p50, p99 = 300, 40000
			}
			s := results.Summary{Workload: "threadsafe", Variant: v, Floor: v == "null", TargetRate: rate, AchievedRate: rate * (1 - 0.02*float64(i/4)),
				Corrected: results.Latency{Count: 1000, P50Ns: p50, P90Ns: p50 * 3, P99Ns: p99, P999Ns: p99 * 2, MaxNs: p99 * 3},
				Runs:      []results.Run{{Index: 0, Ops: 1000}, {Index: 1, Ops: 1000}}}
			st.Summaries = append(st.Summaries, s)
		}
		sw.Steps = append(sw.Steps, st)
	}
	sw.Knees = results.Knees(sw.Steps, f.Config.Variants, sw.SLONs)
	f.Sweep = sw
	return f
}

var (
	sweepFigRE = regexp.MustCompile(`(?s)<figure class="plot" data-kind="sweep">.*?</figure>`)
	circleRE   = regexp.MustCompile(`<circle class="pt" cx="([0-9.]+)" cy="([0-9.]+)"[^>]*data-tip="([^"]*)"><title>([^<]*)</title>`)
)

// TestSweepPlot: a sweep file gets a latency-vs-offered-load figure beside
// the capacity runs' plots: well-formed SVG, one hover target per drawn
// point (2 per variant and rate, 1 per null rate) whose tip names the
// variant, the rate and the numbers, positioned left to right by rate and
// higher for a higher latency, and the knee table in words.
func TestSweepPlot(t *testing.T) {
	page := render(t, Input{File: sweepFile(true)})
	figs := sweepFigRE.FindAllString(page, -1)
	if len(figs) != 1 {
		t.Fatalf("%d sweep figures, want 1", len(figs))
	}
	fig := figs[0]
	wellFormed(t, svgRE.FindString(fig))
	for _, want := range []string{"latency against offered load", "offered load (ops/s)", "slo: p99 &lt; 1 ms", "null floor: p50..p99",
		"p99 &lt; 1 ms up to 300k ops/s", "p99 &lt; 1 ms up to 200k ops/s", "at every rate measured, up to 500k ops/s (knee beyond)"} {
		if !strings.Contains(fig, want) {
			t.Errorf("sweep figure lacks %q", want)
		}
	}
	if n := strings.Count(page, `data-kind="latency"`); n != 1 {
		t.Errorf("%d capacity latency figures, want 1", n)
	}
	pts := circleRE.FindAllStringSubmatch(fig, -1)
	if len(pts) != 5*2*2+5 {
		t.Fatalf("%d hover targets, want 25", len(pts))
	}
	type xy struct{ x, y float64 }
	at := map[string]xy{}
	for _, m := range pts {
		if m[3] != m[4] {
			t.Errorf("data-tip %q and title %q differ", m[3], m[4])
		}
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		if x <= 0 || x > sweepW || y <= 0 || y > sweepH {
			t.Errorf("hover target off the canvas: %v,%v", x, y)
		}
		at[m[3][:strings.Index(m[3], ":")]] = xy{x, y}
	}
	a, b := at["fast, p99 at 100k/s offered"], at["fast, p99 at 200k/s offered"]
	c := at["fast, p50 at 100k/s offered"]
	if !(a.x < b.x) || !(c.y < a.y) || a.x != c.x {
		t.Errorf("hover positions: p99@100k %v, p99@200k %v, p50@100k %v (x grows with rate; canvas y grows with latency)", a, b, c)
	}
	if !strings.Contains(fig, "fast, p99 at 300k/s offered: achieved 300k/s; p50 60 µs, p90 180 µs, p99 500 µs") {
		t.Errorf("tip text:\n%s", pts[0][3])
	}
	if !strings.Contains(fig, "(rate NOT held)") {
		t.Errorf("a step that did not hold its rate is not marked in its tip")
	}

	// A sweep given explicit rates has no capacity runs: only its figure.
	page = render(t, Input{File: sweepFile(false)})
	if len(sweepFigRE.FindAllString(page, -1)) != 1 || strings.Contains(page, `data-kind="latency"`) {
		t.Errorf("sweep-only file: want just the sweep figure")
	}
	dir := t.TempDir()
	paths, err := WriteSVGsNamed(dir, Input{File: sweepFile(false)})
	if err != nil || len(paths) != 1 || filepath.Base(paths[0]) != "threadsafe-sweep.svg" {
		t.Fatalf("svgs %v, %v", paths, err)
	}
	raw, _ := os.ReadFile(paths[0])
	wellFormed(t, string(raw))
}

// TestBrowserSweep opens a sweep report in headless Chromium: the sweep
// plot is painted, hovering a point (a mouseenter dispatched by a probe
// script) shows its numbers in the tooltip, the console stays clean, and
// the page with its scripts removed (what a reader with JavaScript off
// gets: headless Chromium cannot screenshot with scripting disabled)
// still paints the plots. It saves sweep.png and sweep-nojs.png where the
// other screenshot goes.
// $RINGLOOP_SWEEP_JSON renders that results file (how docs/sweep.png is
// made from a real sweep).
func TestBrowserSweep(t *testing.T) {
	bin := findChromium(t)
	f := sweepFile(true)
	if p := os.Getenv("RINGLOOP_SWEEP_JSON"); p != "" {
		var err error
		if f, err = results.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, f); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "sweep.html")
	os.WriteFile(page, buf.Bytes(), 0o644)
	probe := strings.Replace(buf.String(), "</body>", `<script>
var c = document.querySelector("circle.pt");
c.dispatchEvent(new MouseEvent("mouseenter", {clientX: 100, clientY: 100}));
var tip = document.getElementById("tip");
document.documentElement.setAttribute("data-hover", tip.style.display + "|" + tip.textContent);
</script></body>`, 1)
	noJS := filepath.Join(dir, "nojs.html")
	os.WriteFile(noJS, regexp.MustCompile(`(?s)<script>.*?</script>`).ReplaceAll(buf.Bytes(), nil), 0o644)
	probePage := filepath.Join(dir, "probe.html")
	os.WriteFile(probePage, []byte(probe), 0o644)

	dom, stderr := chromium(t, bin, "--dump-dom", "file://"+probePage)
	figs := figureRE.FindAllString(dom, -1)
	sweeps := 0
	for _, fig := range figs {
		if !strings.Contains(fig, `data-rendered="true"`) {
			t.Errorf("plot not rendered: %s", fig)
		}
		if strings.Contains(fig, `data-kind="sweep"`) {
			sweeps++
		}
	}
	if sweeps != 1 {
		t.Errorf("%d sweep figures in the browser's DOM, want 1", sweeps)
	}
	m := regexp.MustCompile(`data-hover="([^"]*)"`).FindStringSubmatch(dom)
	if m == nil || !strings.HasPrefix(m[1], "block|") || !strings.Contains(m[1], "offered: achieved") {
		t.Errorf("hovering a point did not show its numbers: %v", m)
	}
	if errs := consoleErrors(stderr); len(errs) > 0 {
		t.Errorf("console messages:\n%s", strings.Join(errs, "\n"))
	}

	shotDir := os.Getenv("RINGLOOP_ARTIFACTS")
	if shotDir == "" {
		shotDir = t.TempDir()
	} else if err := os.MkdirAll(shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, page string }{{"sweep.png", page}, {"sweep-nojs.png", noJS}} {
		shot := filepath.Join(shotDir, c.name)
		chromium(t, bin, "--window-size=1280,1500", "--screenshot="+shot, "file://"+c.page)
		checkScreenshot(t, shot)
		t.Logf("screenshot: %s", shot)
	}
	// Without script the page is the same static SVG: the self-check does
	// not run, and the plots are there all the same.
	dom, _ = chromium(t, bin, "--dump-dom", "file://"+noJS)
	if strings.Contains(dom, "data-plots=") || !strings.Contains(dom, `data-kind="sweep"`) || strings.Count(dom, `<circle class="pt"`) == 0 {
		t.Errorf("without script: the script ran, or the sweep plot is missing")
	}
}

// TestNullSeriesGrey: in a run or compare report the null baseline (the
// harness's floor) is drawn and listed in grey, not a palette colour.
func TestNullSeriesGrey(t *testing.T) {
	f := testFile(5, false)
	f.Summaries[2].Variant, f.Summaries[2].Floor = "null", true
	page := render(t, Input{File: f})
	if !strings.Contains(strings.ToLower(page), "stroke:#9a9fa6") || !strings.Contains(page, `background:#9a9fa6`) {
		t.Errorf("the null baseline is not grey in the plots and the table")
	}
	if strings.Contains(page, "background:"+colorHex(2)) {
		t.Errorf("the null baseline still takes palette colour 2")
	}
}
