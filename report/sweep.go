package report

// sweep.go: the latency-against-offered-load plot of a `loadgen sweep`
// (results.Sweep): one colour per variant, p99 solid and p50 dashed, log
// latency axis, the null baseline as a grey band (its p50..p99), the SLO
// drawn, each variant's knee ringed; and under it the knee table.
//
// Invariants:
//   - Static first: the plot is a complete SVG that reads without script.
//     Every data point also carries an invisible hover target with a
//     <title> (the browser's own tooltip, no script needed) and a data-tip
//     attribute the page's small script shows in a styled box.
//   - The hover targets sit at the exact canvas positions gonum plot draws
//     the points at: the same plot's Transforms on the same canvas, inside
//     the same y-flipped group vgsvg writes.
//   - Everything comes from the Sweep's Steps and Knees; nothing is
//     recomputed but the knee's y (the p99 at the knee rate, from Steps).

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ringloop/ringloop/results"
)

// Sweep plot size, in points.
const sweepW, sweepH = 870, 380

// sweepSrc is one file's sweep of a workload.
type sweepSrc struct {
	Label string // the file's name ("" with one file)
	SW    *results.Sweep
	Vars  []string // the variants, in the file's order
}

// sweepView is what the page shows for one sweep.
type sweepView struct {
	Title string
	SVG   template.HTML
	Knees []kneeRow
	SLO   string
}

type kneeRow struct {
	Variant, Color, Text string
	Floor                bool
}

var (
	floorGrey = color.RGBA{R: 0x9a, G: 0x9f, B: 0xa6, A: 0xff}
	bandGrey  = color.RGBA{R: 0xd9, G: 0xdc, B: 0xe0, A: 0xff}
	sloRed    = color.RGBA{R: 0xc0, G: 0x1c, B: 0x28, A: 0xff}
)

// hoverPt is one point's hover target, in data coordinates.
type hoverPt struct {
	x, y float64
	tip  string
}

// sweepPlot draws src and returns the plot and its hover targets.
func sweepPlot(workload string, src sweepSrc) (*plot.Plot, *outsideLegend, []hoverPt, error) {
	sw := src.SW
	title := workload + ": latency against offered load"
	if src.Label != "" {
		title = src.Label + ": " + title
	}
	p := newPlot(title)
	p.X.Label.Text = "offered load (ops/s)"
	p.Y.Label.Text = "corrected latency (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Add(plotter.NewGrid())
	leg := &outsideLegend{} // drawn under the plot, where it hides no line

	type pt struct {
		rate float64
		s    *results.Summary
	}
	byVar := map[string][]pt{}
	for si := range sw.Steps {
		st := &sw.Steps[si]
		for i := range st.Summaries {
			s := &st.Summaries[i]
			if s.Corrected.Count > 0 {
				byVar[s.Variant] = append(byVar[s.Variant], pt{st.Rate, s})
			}
		}
	}
	var hov []hoverPt
	ymin, ymax, xmax := math.Inf(1), float64(sw.SLONs), 0.0
	see := func(x, y float64) {
		ymin, ymax, xmax = math.Min(ymin, y), math.Max(ymax, y), math.Max(xmax, x)
	}
	tip := func(v string, rate float64, s *results.Summary, which string) string {
		c := s.Corrected
		held := ""
		if s.TargetRate > 0 && s.AchievedRate < 0.99*s.TargetRate {
			held = " (rate NOT held)"
		}
		return fmt.Sprintf("%s, %s at %s/s offered: achieved %s/s%s; p50 %s, p90 %s, p99 %s, p99.9 %s, max %s; %d runs",
			v, which, FormatRate(rate), FormatRate(s.AchievedRate), held, FormatNs(float64(c.P50Ns)), FormatNs(float64(c.P90Ns)),
			FormatNs(float64(c.P99Ns)), FormatNs(float64(c.P999Ns)), FormatNs(float64(c.MaxNs)), len(s.Runs))
	}

	// The null floor: a grey band from its p50 to its p99.
	if pts := byVar[nullName(src)]; len(pts) > 0 {
		var poly plotter.XYs
		for _, q := range pts {
			poly = append(poly, plotter.XY{X: q.rate, Y: math.Max(1, float64(q.s.Corrected.P99Ns))})
			see(q.rate, math.Max(1, float64(q.s.Corrected.P50Ns)))
			see(q.rate, float64(q.s.Corrected.P99Ns))
			hov = append(hov, hoverPt{q.rate, math.Max(1, float64(q.s.Corrected.P99Ns)), tip("null (no scheduler)", q.rate, q.s, "p99")})
		}
		for i := len(pts) - 1; i >= 0; i-- {
			poly = append(poly, plotter.XY{X: pts[i].rate, Y: math.Max(1, float64(pts[i].s.Corrected.P50Ns))})
		}
		if len(pts) > 1 {
			band, err := plotter.NewPolygon(poly)
			if err != nil {
				return nil, nil, nil, err
			}
			band.Color = bandGrey
			band.LineStyle.Width = 0
			p.Add(band)
			leg.Add("null floor: p50..p99, no scheduler", band)
		}
	}

	// The SLO.
	slo := float64(sw.SLONs)
	knees := map[string]results.Knee{}
	for _, k := range sw.Knees {
		knees[k.Variant] = k
	}
	drawn, ci := 0, 0
	for _, v := range src.Vars {
		pts := byVar[v]
		if v == nullName(src) || len(pts) == 0 {
			continue
		}
		col := colorOf(ci)
		ci++
		var p99, p50 plotter.XYs
		for _, q := range pts {
			y99, y50 := math.Max(1, float64(q.s.Corrected.P99Ns)), math.Max(1, float64(q.s.Corrected.P50Ns))
			p99 = append(p99, plotter.XY{X: q.rate, Y: y99})
			p50 = append(p50, plotter.XY{X: q.rate, Y: y50})
			see(q.rate, y99)
			see(q.rate, y50)
			hov = append(hov, hoverPt{q.rate, y99, tip(v, q.rate, q.s, "p99")}, hoverPt{q.rate, y50, tip(v, q.rate, q.s, "p50")})
		}
		l99, s99, err := plotter.NewLinePoints(p99)
		if err != nil {
			return nil, nil, nil, err
		}
		l99.Color, l99.Width = col, vg.Points(1.8)
		s99.Color, s99.Radius, s99.Shape = col, vg.Points(2.2), draw.CircleGlyph{}
		l50, err := plotter.NewLine(p50)
		if err != nil {
			return nil, nil, nil, err
		}
		l50.Color, l50.Width, l50.Dashes = col, vg.Points(1.2), []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(l99, s99, l50)
		leg.Add(v, l99)
		drawn++
		if k, ok := knees[v]; ok && k.Rate > 0 {
			for _, q := range pts {
				if q.rate == k.Rate {
					ring, err := plotter.NewScatter(plotter.XYs{{X: q.rate, Y: math.Max(1, float64(q.s.Corrected.P99Ns))}})
					if err != nil {
						return nil, nil, nil, err
					}
					ring.Color, ring.Radius, ring.Shape = col, vg.Points(6.5), draw.RingGlyph{}
					ring.GlyphStyle.Radius = vg.Points(6.5)
					p.Add(ring)
				}
			}
		}
	}
	if drawn == 0 {
		return nil, nil, nil, fmt.Errorf("report: %s: the sweep has no measured step to draw", workload)
	}
	sl, err := plotter.NewLine(plotter.XYs{{X: 0, Y: slo}, {X: xmax * 1.04, Y: slo}})
	if err != nil {
		return nil, nil, nil, err
	}
	sl.Color, sl.Width, sl.Dashes = sloRed, vg.Points(1.2), []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(sl)
	leg.Add("slo: p99 < "+FormatNs(slo), sl)
	// The style key.
	for _, k := range []struct {
		name   string
		dashed bool
	}{{"p99 (ringed: the knee)", false}, {"p50", true}} {
		l, _ := plotter.NewLine(plotter.XYs{{X: 1, Y: 1}, {X: 1, Y: 1}})
		l.Color, l.Width = color.Gray{Y: 0x55}, vg.Points(1.4)
		if k.dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		leg.Add(k.name, legendOnly{l})
	}
	lo := math.Max(1, ymin/1.5)
	p.X.Min, p.X.Max = 0, xmax*1.04
	p.Y.Min, p.Y.Max = lo, ymax*1.5
	p.X.Tick.Marker = rateTicks{}
	p.Y.Tick.Marker = durationTicks{}
	return p, leg, hov, nil
}

// nullName is the null baseline's variant name in src ("" when it has none).
func nullName(src sweepSrc) string {
	for _, k := range src.SW.Knees {
		if k.Floor {
			return k.Variant
		}
	}
	for _, st := range src.SW.Steps {
		for _, s := range st.Summaries {
			if s.Floor {
				return s.Variant
			}
		}
	}
	return ""
}

// sweepSVG draws src as an SVG document with its hover targets.
func sweepSVG(workload string, src sweepSrc) ([]byte, error) {
	p, leg, hov, err := sweepPlot(workload, src)
	if err != nil {
		return nil, err
	}
	var trX, trY func(float64) vg.Length
	b, err := svgLegendBelowWith(p, leg, sweepW, sweepH, func(pc draw.Canvas) {
		da := p.DataCanvas(pc)
		trX, trY = p.Transforms(&da)
	})
	if err != nil {
		return nil, err
	}
	// The hover targets go inside vgsvg's y-flipped group, so canvas
	// coordinates apply unchanged: before its closing tag.
	var pts strings.Builder
	pts.WriteString(`<g class="hover">`)
	for _, h := range hov {
		t := html.EscapeString(h.tip)
		fmt.Fprintf(&pts, `<circle class="pt" cx="%.2f" cy="%.2f" r="6" fill="#000" fill-opacity="0" data-tip="%s"><title>%s</title></circle>`,
			float64(trX(h.x)), float64(trY(h.y)), t, t)
	}
	pts.WriteString("</g>\n")
	end := bytes.LastIndex(b, []byte("</g>"))
	if end < 0 {
		return nil, fmt.Errorf("report: svg: no group to put the hover targets in")
	}
	out := append(append(append([]byte(nil), b[:end]...), pts.String()...), b[end:]...)
	return out, nil
}

// kneeRows is the knee table of src.
func kneeRows(src sweepSrc) []kneeRow {
	slo := FormatNs(float64(src.SW.SLONs))
	var rows []kneeRow
	ci := 0
	for _, k := range src.SW.Knees {
		r := kneeRow{Variant: k.Variant, Floor: k.Floor}
		if k.Floor {
			r.Color = "#9a9fa6"
		} else {
			r.Color = colorHex(ci)
			ci++
		}
		switch {
		case k.Beyond && k.Rate > 0:
			r.Text = fmt.Sprintf("p99 < %s at every rate measured, up to %s ops/s (knee beyond)", slo, FormatRate(k.Rate))
		case k.Rate > 0:
			r.Text = fmt.Sprintf("p99 < %s up to %s ops/s; %s at %s/s", slo, FormatRate(k.Rate), FormatNs(float64(k.FirstMissP99Ns)), FormatRate(k.FirstMiss))
		case k.FirstMiss > 0:
			r.Text = fmt.Sprintf("p99 %s already at the lowest rate, %s/s", FormatNs(float64(k.FirstMissP99Ns)), FormatRate(k.FirstMiss))
		default:
			r.Text = "not measured"
		}
		rows = append(rows, r)
	}
	return rows
}

// renderSweeps draws every sweep of a workload view.
func (v *workloadView) renderSweeps() ([][]byte, error) {
	var out [][]byte
	for _, src := range v.sweeps {
		b, err := sweepSVG(v.Name, src)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// seriesColor is series i's colour in the run/compare plots: the null
// baseline (the harness's floor) is grey, the others take the palette by
// position.
func seriesColor(ss []series, i int) color.Color {
	if i < len(ss) && ss[i].Summary != nil && ss[i].Summary.Floor {
		return floorGrey
	}
	return colorOf(i)
}

// seriesHex is seriesColor as #rrggbb.
func seriesHex(ss []series, i int) string {
	c := color.RGBAModel.Convert(seriesColor(ss, i)).(color.RGBA)
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}
