package report

// legend_test.go: the latency plot's legend lies under the plot, outside its
// data area, and every max marker shows. checkLegendBelow reads an SVG's text
// back, so the browser test runs it on the page Chromium laid out as well.

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var svgTextRE = regexp.MustCompile(`(?s)<text x="([-\d.]+)" y="([-\d.]+)"[^>]*>\s*([^<]*?)\s*</text>`)

// checkLegendBelow checks, in one latency plot's SVG, that each of labels is
// drawn below the x axis title (the SVG's y is flipped: larger is lower) and
// that the 0% tick carries no label.
func checkLegendBelow(t *testing.T, svg string, labels []string) {
	t.Helper()
	type txt struct {
		y float64
		s string
	}
	var texts []txt
	axis := 0.0
	found := false
	for _, m := range svgTextRE.FindAllStringSubmatch(svg, -1) {
		y, _ := strconv.ParseFloat(m[2], 64)
		texts = append(texts, txt{y, m[3]})
		if strings.HasPrefix(m[3], "percentile") {
			axis, found = y, true
		}
	}
	if !found {
		t.Fatalf("no x axis title in the latency plot")
	}
	for _, l := range labels {
		seen := false
		for _, tx := range texts {
			if tx.s != l {
				continue
			}
			seen = true
			if tx.y <= axis {
				t.Errorf("legend entry %q is not below the x axis title: it lies over the plot", l)
			}
		}
		if !seen {
			t.Errorf("legend entry %q is missing", l)
		}
	}
	for _, tx := range texts {
		if tx.s == "0%" {
			t.Errorf("the 0%% tick is labelled: it touches the 50%% label")
		}
	}
}

func TestLatencyLegendBelowPlot(t *testing.T) {
	f := testFile(11, false)
	views, err := build([]Input{{File: f}})
	if err != nil {
		t.Fatal(err)
	}
	lat, _, _, err := views[0].render()
	if err != nil {
		t.Fatal(err)
	}
	checkLegendBelow(t, string(lat), []string{"mpsc", "mutex", "chan", "corrected (from intended start)", "uncorrected (from actual send)"})
}

func TestSpreadMaxMarks(t *testing.T) {
	ms := []maxMark{{series: 0, ns: 1e6}, {series: 1, ns: 1e6}, {series: 2, ns: 1.02e6}, {series: 3, ns: 5e6}}
	xs := spreadMaxMarks(ms, 100)
	seen := map[float64]int{}
	for i, x := range xs[:3] {
		if j, ok := seen[x]; ok {
			t.Errorf("markers %d and %d (values %v, %v) share x %v: one hides the other", j, i, ms[j].ns, ms[i].ns, x)
		}
		seen[x] = i
	}
	if xs[3] != 100 {
		t.Errorf("a marker far from the others moved to x %v, want the edge 100", xs[3])
	}
}
