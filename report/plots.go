package report

// plots.go: the two pictures per workload, drawn with gonum.org/v1/plot into SVG.
//
//   - Latency by percentile: x is 1/(1-q) on a log scale, so each "nine" gets the
//     same width (ticks 50%, 90%, 99%, 99.9%, 99.99%, 99.999%); y is latency on a
//     log scale. One colour per series (variant, or file+variant when comparing
//     files); the corrected distribution is a solid line, the uncorrected one is
//     dashed in the same colour. The q = 1 point (the max) has no finite x and is
//     drawn as a marker at the right edge instead; markers that would cover each
//     other (two series with the same max) are spread sideways so each shows.
//     Where a series' uncorrected curve is its corrected one (closed loop), only
//     the solid line is drawn. The legend sits in a column right of the plot
//     (svgLegendRight), where it hides no line.
//   - Throughput: one bar per series at its median, with whiskers from the
//     confidence interval's Lo to Hi (none when the interval is missing).
//
// Invariants: log axes never see a value <= 0 (latencies are clamped to 1 ns and
// quantiles to q < 1 before transforming); an empty series is skipped, never drawn
// as a zero line; output is deterministic for the same input (no map iteration
// order leaks into drawing order).

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/ringloop/ringloop/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// series is one line set / bar: a summary and the label it is drawn under.
type series struct {
	Label   string
	Summary *results.Summary
	Input   int    // index of the input (file) it came from
	File    string // that input's name ("" for a single unnamed file)
}

// palette is colour-blind friendly (Okabe-Ito), cycled when there are more series.
var palette = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	{0x00, 0x9E, 0x73, 0xff}, // green
	{0xCC, 0x79, 0xA7, 0xff}, // purple
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x56, 0xB4, 0xE9, 0xff}, // sky
	{0x55, 0x55, 0x55, 0xff}, // grey
	{0xF0, 0xE4, 0x42, 0xff}, // yellow
}

func colorOf(i int) color.Color { return palette[i%len(palette)] }

// quantileTicks are the x-axis labels of the latency plot, at x = 1/(1-q).
//
// 0% (the min, the left edge) has a tick but no label: on the log scale it sits
// a third of a decade from 50%, too close for both labels.
var quantileTicks = []struct {
	q     float64
	label string
}{{0, ""}, {0.5, "50%"}, {0.9, "90%"}, {0.99, "99%"}, {0.999, "99.9%"}, {0.9999, "99.99%"}, {0.99999, "99.999%"}, {0.999999, "99.9999%"}}

func quantileX(q float64) float64 { return 1 / (1 - q) }

var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, 13)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 11)
		a.Tick.Label.Font = font.From(sans, 10)
	}
	p.Legend.TextStyle.Font = font.From(sans, 10)
	p.BackgroundColor = color.White
	return p
}

// latencyPlot draws the percentile curves of every series for one workload;
// the legend is returned apart, for svgLegendBelow.
func latencyPlot(workload string, ss []series) (*plot.Plot, *outsideLegend, error) {
	leg := &outsideLegend{}
	p := newPlot(workload + ": latency by percentile")
	p.X.Label.Text = "percentile (log scale of 1/(1-q); left edge = min)"
	p.Y.Label.Text = "latency (log scale)"
	p.X.Scale = plot.LogScale{}
	p.Y.Scale = plot.LogScale{}
	p.Add(plotter.NewGrid())

	xmax, ymin, ymax := 1.0, math.Inf(1), 0.0
	drawn := 0
	var pending []maxMark // the q = 1 points, drawn once the x range is known
	legended := make([]bool, len(ss))
	dashed := false
	for i, s := range ss {
		for _, corrected := range []bool{true, false} {
			lat := s.Summary.Uncorrected
			if corrected {
				lat = s.Summary.Corrected
			} else if sameCurve(s.Summary.Corrected.Curve, lat.Curve) {
				continue // closed loop: the dashed line would only hide under the solid one
			}
			xys, maxNs := curveXYs(lat.Curve)
			if len(xys) == 0 {
				continue
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, nil, fmt.Errorf("report: %s %s: %w", workload, s.Label, err)
			}
			l.Color = seriesColor(ss, i)
			l.Width = vg.Points(1.6)
			if !corrected {
				l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
				l.Width = vg.Points(1.2)
			}
			p.Add(l)
			dashed = dashed || !corrected
			if corrected || !legended[i] {
				leg.Add(s.Label, l) // one entry per series; the style key follows
				legended[i] = true
			}
			drawn++
			for _, xy := range xys {
				xmax = math.Max(xmax, xy.X)
				ymin = math.Min(ymin, xy.Y)
				ymax = math.Max(ymax, xy.Y)
			}
			if maxNs > 0 {
				ymax = math.Max(ymax, float64(maxNs))
				pending = append(pending, maxMark{series: i, corrected: corrected, ns: float64(maxNs)})
			}
		}
	}
	if drawn == 0 {
		return nil, nil, fmt.Errorf("report: %s: no latency curve to draw (every series has an empty curve)", workload)
	}
	// The style key: solid = corrected, dashed = uncorrected, in neutral grey;
	// no dashed entry when no dashed line was drawn.
	keys := []struct {
		name   string
		dashed bool
	}{{"corrected (from intended start)", false}, {"uncorrected (from actual send)", true}}
	if !dashed {
		keys = keys[:1]
		keys[0].name = "corrected = uncorrected"
	}
	for _, k := range keys {
		l, _ := plotter.NewLine(plotter.XYs{{X: 1, Y: 1}, {X: 1, Y: 1}})
		l.Color = color.Gray{Y: 0x55}
		l.Width = vg.Points(1.4)
		if k.dashed {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		leg.Add(k.name, legendOnly{l})
	}
	// The max (q = 1) sits one decade right of the last finite point.
	xEdge := xmax * 3
	xs := spreadMaxMarks(pending, xEdge)
	xRight := xEdge
	for i, m := range pending {
		xRight = math.Max(xRight, xs[i])
		sc, err := plotter.NewScatter(plotter.XYs{{X: xs[i], Y: m.ns}})
		if err != nil {
			return nil, nil, err
		}
		sc.GlyphStyle.Color = seriesColor(ss, m.series)
		sc.GlyphStyle.Radius = vg.Points(3)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		if !m.corrected {
			sc.GlyphStyle.Shape = draw.RingGlyph{}
		}
		p.Add(sc)
	}
	p.X.Min, p.X.Max = 1, xRight*1.3
	p.Y.Min, p.Y.Max = math.Max(1, ymin/1.5), ymax*2
	var ticks []plot.Tick
	for _, t := range quantileTicks {
		if x := quantileX(t.q); x <= xmax*1.01 {
			ticks = append(ticks, plot.Tick{Value: x, Label: t.label})
		}
	}
	ticks = append(ticks, plot.Tick{Value: xEdge, Label: "max"})
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Marker = durationTicks{}
	return p, leg, nil
}

// sameCurve reports whether two percentile curves are the same points.
func sameCurve(a, b []results.Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// maxMarkSpread is the x factor between two max markers that would otherwise
// cover each other, and maxMarkClose the y ratio under which they would.
const (
	maxMarkSpread = 1.25
	maxMarkClose  = 1.06
)

// spreadMaxMarks returns the x of each max marker: xEdge, moved right by
// maxMarkSpread for each earlier marker whose value is within maxMarkClose
// of its own (same max, or near enough that the glyphs would overlap), so
// that every series' max shows.
func spreadMaxMarks(ms []maxMark, xEdge float64) []float64 {
	xs := make([]float64, len(ms))
	for i, m := range ms {
		k := 0
		for _, o := range ms[:i] {
			if r := m.ns / o.ns; r < maxMarkClose && r > 1/maxMarkClose {
				k++
			}
		}
		xs[i] = xEdge * math.Pow(maxMarkSpread, float64(k))
	}
	return xs
}

// legendOnly is a legend thumbnail that draws nothing in the plot area.
type legendOnly struct{ l *plotter.Line }

func (t legendOnly) Thumbnail(c *draw.Canvas) { t.l.Thumbnail(c) }

type maxMark struct {
	series    int
	corrected bool
	ns        float64
}

// curveXYs turns a percentile curve into plot points with q < 1 and values >= 1 ns,
// and returns the value at q = 1 (the max) separately (0 when absent).
func curveXYs(curve []results.Point) (plotter.XYs, int64) {
	var xys plotter.XYs
	var maxNs int64
	for _, pt := range curve {
		if pt.Quantile >= 1 {
			maxNs = max(maxNs, pt.ValueNs)
			continue
		}
		if pt.Quantile < 0 || math.IsNaN(pt.Quantile) {
			continue
		}
		xys = append(xys, plotter.XY{X: quantileX(pt.Quantile), Y: math.Max(1, float64(pt.ValueNs))})
	}
	return xys, maxNs
}

// durationTicks labels a log latency axis at 1-2-5 steps in ns/us/ms/s.
type durationTicks struct{}

func (durationTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for dec := math.Pow(10, math.Floor(math.Log10(math.Max(min, 1)))); dec <= max*10; dec *= 10 {
		for _, m := range []float64{1, 2, 5} {
			v := dec * m
			if v < min || v > max {
				continue
			}
			ts = append(ts, plot.Tick{Value: v, Label: FormatNs(v)})
		}
	}
	// Minor ticks without labels between majors.
	for dec := math.Pow(10, math.Floor(math.Log10(math.Max(min, 1)))); dec <= max*10; dec *= 10 {
		for _, m := range []float64{3, 4, 6, 7, 8, 9} {
			if v := dec * m; v >= min && v <= max {
				ts = append(ts, plot.Tick{Value: v})
			}
		}
	}
	return ts
}

// FormatNs renders a nanosecond count with 3 significant digits and a unit.
func FormatNs(ns float64) string {
	switch a := math.Abs(ns); {
	case a >= 1e9:
		return strconv.FormatFloat(ns/1e9, 'g', 3, 64) + " s"
	case a >= 1e6:
		return strconv.FormatFloat(ns/1e6, 'g', 3, 64) + " ms"
	case a >= 1e3:
		return strconv.FormatFloat(ns/1e3, 'g', 3, 64) + " µs"
	default:
		return strconv.FormatFloat(ns, 'g', 3, 64) + " ns"
	}
}

// throughputPlot draws one bar per series with its confidence interval.
func throughputPlot(workload string, ss []series) (*plot.Plot, error) {
	p := newPlot(workload + ": throughput")
	p.Y.Label.Text = "operations per second"
	p.Y.Min = 0
	p.Add(&plotter.Grid{Horizontal: plotter.DefaultGridLineStyle})
	var names []string
	var errs errPoints
	for i, s := range ss {
		est := s.Summary.Throughput
		bc, err := plotter.NewBarChart(plotter.Values{math.Max(0, est.Center)}, vg.Points(28))
		if err != nil {
			return nil, fmt.Errorf("report: %s %s: %w", workload, s.Label, err)
		}
		bc.XMin = float64(i)
		bc.Color = seriesColor(ss, i)
		bc.LineStyle.Width = 0
		p.Add(bc)
		names = append(names, strings.Replace(s.Label, ": ", "\n", 1)) // "file: variant" on two lines
		if est.Confidence > 0 && est.Hi > est.Lo {
			errs = append(errs, errPoint{x: float64(i), y: est.Center, lo: est.Center - est.Lo, hi: est.Hi - est.Center})
		}
	}
	if len(ss) == 0 {
		return nil, fmt.Errorf("report: %s: no throughput to draw", workload)
	}
	if len(errs) > 0 {
		eb, err := plotter.NewYErrorBars(errs)
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Width = vg.Points(1.2)
		eb.CapWidth = vg.Points(10)
		p.Add(eb)
	}
	p.NominalX(names...)
	if len(ss) > 6 { // many bars: tilt the labels so they do not overlap
		p.X.Tick.Label.Rotation = math.Pi / 5
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	p.X.Min, p.X.Max = -0.6, float64(len(ss)-1)+0.6 // room for the outer bars' full width
	p.Y.Tick.Marker = rateTicks{}
	top := 0.0
	for _, s := range ss {
		top = math.Max(top, math.Max(s.Summary.Throughput.Center, s.Summary.Throughput.Hi))
	}
	p.Y.Max = top * 1.12 // headroom so the tallest bar and its whisker sit under the top tick
	return p, nil
}

type errPoint struct{ x, y, lo, hi float64 }
type errPoints []errPoint

func (e errPoints) Len() int                        { return len(e) }
func (e errPoints) XY(i int) (float64, float64)     { return e[i].x, e[i].y }
func (e errPoints) YError(i int) (float64, float64) { return e[i].lo, e[i].hi }

// rateTicks labels a linear rate axis with k/M suffixes.
type rateTicks struct{}

func (rateTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = FormatRate(ts[i].Value)
		}
	}
	return ts
}

// FormatRate renders operations per second with 3 significant digits and a
// k/M/G suffix.
func FormatRate(v float64) string { return formatRatePrec(v, 3) }

func formatRatePrec(v float64, digits int) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return strconv.FormatFloat(v/1e9, 'g', digits, 64) + "G"
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', digits, 64) + "M"
	case a >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', digits, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', digits, 64)
}

// legendItem is one legend entry drawn outside a plot: a label and the
// thumbnails drawn before it.
type legendItem struct {
	label  string
	thumbs []plot.Thumbnailer
}

// outsideLegend collects a plot's legend entries so svgLegendBelow can draw
// them in rows under the plot instead of over its data.
type outsideLegend struct{ items []legendItem }

func (l *outsideLegend) Add(label string, thumbs ...plot.Thumbnailer) {
	l.items = append(l.items, legendItem{label, thumbs})
}

// Legend layout below a plot, in points: the gap above it, the thumbnail
// width, the space between thumbnail and text and between columns, the row
// height, and the slack on measured text widths (a browser without the
// plot's font substitutes a wider one).
const (
	legendGap    = vg.Length(6)
	legendThumb  = vg.Length(22)
	legendSpace  = vg.Length(5)
	legendColGap = vg.Length(16)
	legendRow    = vg.Length(15)
	legendSlack  = 1.2
)

var legendFont = font.From(sans, 10)

// legendGrid returns the column width, columns and rows of l's entries laid
// out row by row across width w.
func legendGrid(l *outsideLegend, w vg.Length) (colW vg.Length, cols, rows int) {
	sty := text.Style{Font: legendFont, Handler: plot.DefaultTextHandler}
	for _, it := range l.items {
		colW = max(colW, legendThumb+legendSpace+vg.Length(legendSlack)*sty.Rectangle(it.label).Size().X)
	}
	colW += legendColGap
	cols = max(1, min(len(l.items), int((w-2*legendGap)/colW)))
	rows = (len(l.items) + cols - 1) / cols
	return colW, cols, rows
}

// svgLegendBelow renders p as an SVG document w points wide: the plot in the
// top h points, with its own legend empty, and l's entries in rows under it,
// outside the data area, where they hide no line. The document is as much
// taller than h as the rows need.
func svgLegendBelow(p *plot.Plot, l *outsideLegend, w, h vg.Length) ([]byte, error) {
	return svgLegendBelowWith(p, l, w, h, nil)
}

// svgLegendBelowWith is svgLegendBelow that also hands the canvas the plot was
// drawn on to drawn (when not nil), so a caller can map data to canvas
// coordinates (p.DataCanvas, p.Transforms) for marks of its own.
func svgLegendBelowWith(p *plot.Plot, l *outsideLegend, w, h vg.Length, drawn func(draw.Canvas)) ([]byte, error) {
	colW, cols, rows := legendGrid(l, w)
	legH := legendGap + vg.Length(rows)*legendRow
	if len(l.items) == 0 {
		legH = 0
	}
	c := vgsvg.New(w, h+legH)
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	pc := draw.Crop(dc, 0, 0, legH, 0)
	p.Draw(pc)
	if drawn != nil {
		drawn(pc)
	}
	sty := text.Style{Font: legendFont, Handler: plot.DefaultTextHandler, YAlign: draw.YCenter}
	for i, it := range l.items {
		col, row := i%cols, i/cols
		x := dc.Min.X + legendGap + vg.Length(col)*colW
		yMid := dc.Min.Y + legH - legendGap - (vg.Length(row)+0.5)*legendRow
		thumb := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x, Y: yMid - legendRow/2 + 2},
			Max: vg.Point{X: x + legendThumb, Y: yMid + legendRow/2 - 2},
		}}
		for _, t := range it.thumbs {
			t.Thumbnail(&thumb)
		}
		dc.FillText(sty, vg.Point{X: x + legendThumb + legendSpace, Y: yMid}, it.label)
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: svg: %w", err)
	}
	return buf.Bytes(), nil
}

// svgOf renders p as an SVG document of the given size in points.
func svgOf(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: svg: %w", err)
	}
	return buf.Bytes(), nil
}

// driftPlot draws each run's per-interval p99 (corrected) against time into the
// run, one thin line per run in its series' colour, so drift within a run and
// disagreement between runs are both visible; the legend is returned apart,
// for svgLegendBelow. It returns nil, nil, nil when the series have no
// intervals (-interval was off).
func driftPlot(workload string, ss []series, ivs []intervalSet) (*plot.Plot, *outsideLegend, error) {
	if len(ivs) == 0 {
		return nil, nil, nil
	}
	p := newPlot(workload + ": p99 per interval, each run")
	p.X.Label.Text = "time into the run"
	p.Y.Label.Text = "p99 in the interval (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Add(plotter.NewGrid())
	leg := &outsideLegend{}
	ymin, ymax, xmax := math.Inf(1), 0.0, 0.0
	legended := map[int]bool{}
	for _, set := range ivs {
		var xys plotter.XYs
		for _, iv := range set.points {
			y := math.Max(1, float64(iv.P99Ns))
			xys = append(xys, plotter.XY{X: float64(iv.OffsetNs), Y: y})
			ymin, ymax, xmax = math.Min(ymin, y), math.Max(ymax, y), math.Max(xmax, float64(iv.OffsetNs))
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, nil, fmt.Errorf("report: %s drift: %w", workload, err)
		}
		l.Color = seriesColor(ss, set.series)
		l.Width = vg.Points(1)
		p.Add(l)
		if !legended[set.series] {
			leg.Add(ss[set.series].Label, l)
			legended[set.series] = true
		}
	}
	p.Y.Min, p.Y.Max = math.Max(1, ymin/1.5), ymax*2
	p.X.Min, p.X.Max = 0, xmax*1.02
	p.Y.Tick.Marker = durationTicks{}
	p.X.Tick.Marker = offsetTicks{}
	return p, leg, nil
}

// intervalSet is one run's interval lines, and the index of its series.
type intervalSet struct {
	series int
	points []results.Interval
}

// offsetTicks labels a time-offset axis (ns) in ms or s.
type offsetTicks struct{}

func (offsetTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		switch {
		case ts[i].Label == "":
		case ts[i].Value == 0:
			ts[i].Label = "0"
		default:
			ts[i].Label = FormatNs(ts[i].Value)
		}
	}
	return ts
}
