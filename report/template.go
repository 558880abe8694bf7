package report

// template.go: the page around the plots. Self-contained by construction: the
// CSS and the self-check script are literals here, and the template has no src=
// or href= attribute pointing anywhere but inside the page (report_test checks).
//
// The self-check script runs on load and marks each <figure class="plot"> with
// data-rendered="true" when its SVG has a non-empty bounding box and at least one
// drawn path, and the <html> element with data-plots="<rendered>/<total>". The
// browser test reads those attributes from the dumped DOM.

import "html/template"

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root { --fg:#1b1f24; --muted:#5b6470; --line:#d8dde3; --bg:#f6f7f9; --card:#fff; --warn:#8a5a00; --warnbg:#fff6e0; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font:14px/1.45 "Liberation Sans", Arial, Helvetica, sans-serif; }
header { background:#14213d; color:#fff; padding:18px 28px; }
header h1 { margin:0; font-size:20px; font-weight:600; }
header p { margin:4px 0 0; color:#c9d1e0; font-size:12.5px; }
main { max-width:1180px; margin:0 auto; padding:18px 22px 40px; }
section.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px 18px; margin:0 0 18px; }
h2 { font-size:17px; margin:0 0 10px; }
h3 { font-size:14px; margin:14px 0 6px; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
.plots { display:flex; flex-wrap:wrap; gap:12px; align-items:stretch; }
figure.plot { margin:0; border:1px solid var(--line); border-radius:6px; padding:4px; background:#fff; min-width:300px; }
figure.plot[data-kind=latency] { flex:1.86 1 480px; }
figure.plot[data-kind=throughput] { flex:1 1 260px; }
figure.plot[data-kind=drift] { flex:1 1 100%; }
figure.plot[data-kind=sweep] { flex:1 1 100%; }
table.knees { width:auto; margin:4px 6px 6px; }
circle.pt { cursor:crosshair; }
#tip { position:fixed; display:none; max-width:460px; background:#14213d; color:#fff; font-size:12px; line-height:1.35; padding:6px 9px; border-radius:5px; pointer-events:none; z-index:10; box-shadow:0 2px 8px rgba(0,0,0,.25); }
figure.plot svg { display:block; width:100%; height:auto; }
.banner ul { margin:4px 0 0; padding-left:20px; }
figcaption { font-size:12px; color:var(--muted); padding:2px 6px 4px; }
table { border-collapse:collapse; width:100%; font-size:12.5px; font-variant-numeric:tabular-nums; }
th, td { border-bottom:1px solid var(--line); padding:4px 8px; text-align:right; white-space:nowrap; }
th { background:#eef1f5; font-weight:600; }
td.l, th.l { text-align:left; }
td.small { font-size:11.5px; color:var(--muted); white-space:normal; text-align:left; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; vertical-align:baseline; }
.bad { color:#b00020; font-weight:600; }
.good { color:#1b7f3b; }
.banner { background:var(--warnbg); color:var(--warn); border:1px solid #f0d18a; border-radius:6px; padding:8px 12px; margin:8px 0; }
dl.machine { display:grid; grid-template-columns:max-content 1fr max-content 1fr; gap:3px 14px; margin:0; font-size:13px; }
dl.machine dt { color:var(--muted); }
dl.machine dd { margin:0; }
.scroll { overflow-x:auto; }
strong.cause { color:var(--fg); font-weight:600; font-size:12.5px; }
details summary { cursor:pointer; color:var(--muted); }
td { vertical-align:top; }
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p>Latency measured from each operation's intended start (corrected, solid lines) and from its actual submission (uncorrected, dashed). Generated {{.Generated}}.</p>
</header>
<main>
{{range .Files}}{{if .F.Partial}}<div class="banner">{{if .Name}}{{.Name}}: {{end}}partial result: the run was interrupted; the numbers shown were measured, but fewer of them.</div>{{end}}
{{if .F.Warnings}}<div class="banner"><strong>Warnings{{if .Name}} ({{.Name}}){{end}}</strong><ul>{{range .F.Warnings}}<li>{{.}}</li>{{end}}</ul></div>{{end}}{{end}}
{{range .Workloads}}
<section class="card" id="{{.ID}}">
<h2>Workload <code>{{.Name}}</code></h2>
<div class="plots">
{{range .Sweeps}}<figure class="plot" data-kind="sweep">{{.SVG}}<figcaption>{{if .Title}}{{.Title}}: {{end}}x: offered load; y: corrected latency (log). One colour per variant: p99 solid, p50 dashed, the knee ringed (the highest offered load with p99 &lt; {{.SLO}} there and below); grey band: the null baseline (no scheduler) from p50 to p99; red: the SLO. Hover a point for its numbers.</figcaption>
<table class="knees"><tr><th class="l">variant</th><th class="l">knee: p99 &lt; {{.SLO}}</th></tr>{{range .Knees}}<tr><td class="l"><span class="swatch" style="background:{{.Color}}"></span>{{.Variant}}{{if .Floor}} (no scheduler){{end}}</td><td class="l">{{.Text}}</td></tr>{{end}}</table></figure>
{{end}}{{if .Latency}}<figure class="plot" data-kind="latency">{{.Latency}}<figcaption>x: percentile, each nine the same width; y: latency. Solid = corrected, dashed = uncorrected, dot at the right = max (ring = uncorrected max).{{if .Sweeps}} These are the sweep's closed-loop capacity runs.{{end}}</figcaption></figure>
<figure class="plot" data-kind="throughput">{{.Throughput}}<figcaption>Median throughput over repetitions; whiskers: the median's confidence interval.</figcaption></figure>{{end}}
{{if .Drift}}<figure class="plot" data-kind="drift">{{.Drift}}<figcaption>Corrected p99 of each interval (-interval), one line per run: drift within a run, and runs that disagree.</figcaption></figure>{{end}}
</div>
<h3>Throughput and ratios</h3>
<div class="scroll"><table>
<tr><th class="l">series</th><th>runs</th><th>throughput</th><th class="l">interval</th><th>ratio</th><th class="l">ratio interval</th><th>p-value</th><th class="l">verdict</th><th>p99 ratio</th><th class="l">rate</th><th>recorder</th></tr>
{{range .Rows}}<tr><td class="l"><span class="swatch" style="background:{{.Color}}"></span>{{.Label}}</td><td>{{.Runs}}</td><td>{{.Throughput}}</td><td class="small">{{.ThroughputCI}}</td><td>{{.Ratio}}</td><td class="small">{{.RatioCI}}</td><td>{{.RatioP}}</td><td class="l">{{.Significant}}</td><td>{{.P99Ratio}}</td><td class="l{{if not .RateKept}} bad{{end}}">{{.Rate}}{{if not .RateKept}} (rate not kept{{if .WorstRate}}; worst run {{.WorstRate}}{{end}}){{end}}</td><td>{{.RecorderNs}}</td></tr>
{{end}}</table></div>
{{if .Cross}}<h3>Across files: each later file against the first, same variant</h3>
<div class="scroll"><table>
<tr><th class="l">variant</th><th class="l">new vs base</th><th>throughput ratio</th><th class="l">interval</th><th>p-value</th><th class="l">verdict</th><th>p99 ratio</th><th>p99.9 ratio</th><th>p99.99 ratio</th><th>max ratio</th></tr>
{{range .Cross}}<tr><td class="l">{{.Variant}}</td><td class="l">{{.New}} vs {{.Base}}</td><td>{{.Ratio}}</td><td class="small">{{.RatioCI}}</td><td>{{.P}}</td><td class="l{{if .Better}} good{{end}}{{if .Worse}} bad{{end}}">{{.Verdict}}</td><td>{{.P99}}</td><td>{{.P999}}</td><td>{{.P9999}}</td><td>{{.Max}}</td></tr>
{{end}}</table></div>{{end}}
<h3>Latency percentiles</h3>
<div class="scroll"><table>
<tr><th class="l">series</th><th class="l">distribution</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>p99.99</th><th>max</th></tr>
{{range .Rows}}<tr><td class="l"><span class="swatch" style="background:{{.Color}}"></span>{{.Label}}</td><td class="l">corrected</td>{{range .Corrected}}<td>{{.}}</td>{{end}}</tr>
<tr><td class="l"></td><td class="l">uncorrected</td>{{range .Uncorrected}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table></div>
{{$any := false}}{{range .Rows}}{{if .Settings}}{{$any = true}}{{end}}{{end}}{{if $any}}
<h3>Variant settings</h3>
<table>{{range .Rows}}<tr><td class="l">{{.Label}}</td><td class="small">{{.Settings}}</td></tr>{{end}}</table>{{end}}
</section>
{{end}}
{{if .Outliers}}
<section class="card" id="outliers">
<h2>Latency outliers with execution traces</h2>
<p class="small">Open a trace with <code>go tool trace FILE</code>; <code>loadgen pprof trace FILE</code> prints the summary again.</p>
<div class="scroll"><table>
<tr>{{if (index .Outliers 0).File}}<th class="l">file</th>{{end}}<th class="l">workload</th><th class="l">variant</th><th>latency</th><th class="l">at (UTC)</th><th class="l">trace</th><th class="l">cause, and what the loop goroutine was doing</th></tr>
{{range .Outliers}}<tr>{{if .File}}<td class="l">{{.File}}</td>{{end}}<td class="l">{{.Workload}}</td><td class="l">{{.Variant}}</td><td>{{.Latency}}</td><td class="l">{{.At.UTC.Format "15:04:05.000"}}</td><td class="l"><code title="{{.TraceFile}}">{{.TraceBase}}</code></td><td class="small">{{if .Cause}}<strong class="cause">{{.Cause}}</strong><br>{{end}}<details><summary>window detail</summary>{{.Detail}}</details></td></tr>
{{end}}</table></div>
</section>
{{end}}
{{range .Files}}
<section class="card machine">
<h2>Machine and configuration{{if .Name}}: {{.Name}}{{end}}</h2>
<dl class="machine">
<dt>CPU</dt><dd>{{.F.Machine.CPUModel}}</dd><dt>cores / GOMAXPROCS</dt><dd>{{.F.Machine.Cores}} / {{.F.Machine.GOMAXPROCS}}</dd>
<dt>Go</dt><dd>{{.F.Machine.GoVersion}} {{.F.Machine.OS}}/{{.F.Machine.Arch}}</dd><dt>pinned</dt><dd>{{.F.Machine.Pinned}}</dd>
<dt>cross-core round trip</dt><dd>{{if .F.Machine.XcoreNs}}{{printf "%.0f" .F.Machine.XcoreNs}} ns{{else}}not measured{{end}}</dd><dt>host</dt><dd>{{.F.Machine.Hostname}}</dd>
<dt>date</dt><dd>{{.Date}}</dd><dt>tool</dt><dd>{{.F.Tool}}</dd>
<dt>workload</dt><dd>{{.F.Config.Workload}}</dd><dt>variants</dt><dd>{{range $i, $v := .F.Config.Variants}}{{if $i}}, {{end}}{{$v}}{{end}}</dd>
<dt>producers</dt><dd>{{.F.Config.Producers}}</dd><dt>rate</dt><dd>{{.Rate}}</dd>
<dt>duration / warm-up</dt><dd>{{.Duration}} / {{.Warmup}}</dd><dt>count</dt><dd>{{.F.Config.Count}} (interleaved)</dd>
<dt>loops</dt><dd>{{.F.Config.Loops}}</dd><dt>baseline</dt><dd>{{.F.Config.Baseline}}</dd>
</dl>
</section>
{{end}}
</main>
<div id="tip" role="tooltip"></div>
<script>
(function () {
  // Hover: each plotted point of a sweep carries data-tip (and a <title>,
  // the browser's own tooltip without script); show it in a styled box.
  var tip = document.getElementById("tip");
  document.querySelectorAll("circle.pt").forEach(function (c) {
    var t = c.querySelector("title");
    c.addEventListener("mouseenter", function (e) {
      if (t) { c.setAttribute("data-title", t.textContent); t.textContent = ""; }
      tip.textContent = c.getAttribute("data-tip");
      tip.style.display = "block";
      tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 470) + "px";
      tip.style.top = (e.clientY + 14) + "px";
    });
    c.addEventListener("mouseleave", function () {
      if (t) { t.textContent = c.getAttribute("data-title"); }
      tip.style.display = "none";
    });
  });
})();
</script>
<script>
(function () {
  var figs = document.querySelectorAll("figure.plot");
  var ok = 0;
  figs.forEach(function (f) {
    var svg = f.querySelector("svg");
    var paths = svg ? svg.querySelectorAll("path") : [];
    var drawn = 0;
    paths.forEach(function (p) { if ((p.getAttribute("d") || "").length > 2 && p.getTotalLength() > 0) { drawn++; } });
    var box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    var good = drawn > 0 && box.width > 0 && box.height > 0;
    f.setAttribute("data-rendered", good ? "true" : "false");
    f.setAttribute("data-paths", String(drawn));
    if (good) { ok++; }
  });
  document.documentElement.setAttribute("data-plots", ok + "/" + figs.length);
})();
</script>
</body>
</html>
`))
