package main

// e2e_report_test.go: the latency plot `loadgen report -svg` draws, read back
// from the SVG: the legend lies outside the data area (under the axis title),
// the 0% and 50% labels cannot touch, a closed-loop run draws no dashed
// uncorrected line on top of its identical solid one, and two variants with
// the same max show two max markers.

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ringloop/ringloop/results"
)

var (
	svgTextRE   = regexp.MustCompile(`(?s)<text x="([-\d.]+)" y="([-\d.]+)"[^>]*>\s*([^<]*?)\s*</text>`)
	svgMarkerRE = regexp.MustCompile(`<path d="M([-\d.]+),([-\d.]+)A3,3 0 1 1 [^"]*" style="fill:(#[0-9A-Fa-f]{6})" />`)
)

type svgText struct {
	x, y float64 // y as written: the SVG flips it (scale(1,-1)), so larger is lower
	s    string
}

func svgTexts(svg string) []svgText {
	var out []svgText
	for _, m := range svgTextRE.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		out = append(out, svgText{x, y, m[3]})
	}
	return out
}

func TestReportLatencyPlotLegendAndMarkers(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "closed.json")
	if r := runBin(t, "-variants", "mpsc,mutex", "-count", "1", "-duration", "100ms", "-warmup", "20ms", "-json", run); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	f, err := results.ReadFile(run)
	if err != nil {
		t.Fatal(err)
	}
	// Give mutex mpsc's distribution: the two variants share their max.
	f.Summaries[1].Corrected, f.Summaries[1].Uncorrected = f.Summaries[0].Corrected, f.Summaries[0].Uncorrected
	same := filepath.Join(dir, "same-max.json")
	if err := f.WriteFile(same); err != nil {
		t.Fatal(err)
	}
	svgDir := filepath.Join(dir, "svg")
	if r := runBin(t, "report", "-o", "", "-svg", svgDir, same); r.code != 0 {
		t.Fatalf("report: exit %d\n%s", r.code, r.stderr)
	}
	raw, err := os.ReadFile(filepath.Join(svgDir, "threadsafe-latency.svg"))
	if err != nil {
		t.Fatal(err)
	}
	svg := string(raw)
	texts := svgTexts(svg)

	// The legend is under the x axis title, outside the data area.
	var axisTitle *svgText
	for i := range texts {
		if strings.HasPrefix(texts[i].s, "percentile") {
			axisTitle = &texts[i]
		}
	}
	if axisTitle == nil {
		t.Fatalf("no x axis title in the SVG")
	}
	legend := 0
	for _, tx := range texts {
		if tx.s == "mpsc" || tx.s == "mutex" || strings.HasPrefix(tx.s, "corrected") {
			legend++
			if tx.y <= axisTitle.y {
				t.Errorf("legend entry %q (y %v) is not below the x axis title (y %v): it lies over the plot", tx.s, tx.y, axisTitle.y)
			}
		}
		if tx.s == "0%" {
			t.Errorf("the 0%% tick is labelled: it touches the 50%% label a third of a decade away")
		}
		if strings.HasPrefix(tx.s, "uncorrected") {
			t.Errorf("closed loop: the legend has an uncorrected entry (%q) for lines that coincide with the solid ones", tx.s)
		}
	}
	if legend < 3 {
		t.Errorf("found %d legend entries, want mpsc, mutex and the corrected key", legend)
	}
	if strings.Contains(svg, "stroke-dasharray") {
		t.Errorf("closed loop: a dashed uncorrected line is drawn on top of the identical corrected one")
	}

	// One visible max marker per variant: no two markers overlap.
	ms := svgMarkerRE.FindAllStringSubmatch(svg, -1)
	colours := map[string]bool{}
	for i, a := range ms {
		colours[a[3]] = true
		ax, _ := strconv.ParseFloat(a[1], 64)
		ay, _ := strconv.ParseFloat(a[2], 64)
		for _, b := range ms[i+1:] {
			bx, _ := strconv.ParseFloat(b[1], 64)
			by, _ := strconv.ParseFloat(b[2], 64)
			if math.Hypot(ax-bx, ay-by) < 6 {
				t.Errorf("max markers %s and %s overlap at (%v,%v), (%v,%v): one hides the other", a[3], b[3], ax, ay, bx, by)
			}
		}
	}
	if len(colours) != 2 {
		t.Errorf("max markers in %d colours, want 2 (mpsc, mutex): %v", len(colours), ms)
	}
}
