package report

// browser_test.go: open a rendered report in headless Chromium, check every plot
// rendered (the page's self-check marks each figure; the DOM is dumped after the
// load event) and that the console stayed clean, and save a screenshot.
//
// Skipped, with a message saying how to enable it, when no Chromium is found
// ($RINGLOOP_CHROMIUM, then chromium, chromium-browser, google-chrome on PATH).
// Screenshots go to $RINGLOOP_ARTIFACTS when set (kept), else to t.TempDir().
// $RINGLOOP_REPORT_JSON renders that results file instead of the built-in one
// (how docs/report.png is made from a real run).

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringloop/ringloop/results"
)

func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("RINGLOOP_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found (set RINGLOOP_CHROMIUM or install Debian's chromium: apt-get install -y chromium); the browser test needs one")
	return ""
}

// chromium runs headless Chromium with the flags this sandbox needs, a fresh
// profile directory and no network features, and returns stdout and stderr.
func chromium(t *testing.T, bin string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\nstderr:\n%s", args, err, errb.String())
	}
	return out.String(), errb.String()
}

var consoleRE = regexp.MustCompile(`(?m)^.*:CONSOLE\(\d+\)\].*$|^.*Uncaught .*$`)

// consoleErrors returns the console messages Chromium logged to stderr.
func consoleErrors(stderr string) []string { return consoleRE.FindAllString(stderr, -1) }

var (
	figureRE     = regexp.MustCompile(`<figure class="plot"[^>]*>`)
	latencyFigRE = regexp.MustCompile(`(?s)<figure class="plot"[^>]*data-kind="latency"[^>]*>(.*?)</figure>`)
)

func TestBrowserRendersReport(t *testing.T) {
	bin := findChromium(t)
	f := testFile(11, true)
	if p := os.Getenv("RINGLOOP_REPORT_JSON"); p != "" {
		var err error
		if f, err = results.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(html, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + html

	dom, stderr := chromium(t, bin, "--dump-dom", url)
	figs := figureRE.FindAllString(dom, -1)
	workloads, drifting := map[string]bool{}, map[string]bool{}
	for _, s := range f.Summaries {
		workloads[s.Workload] = true
	}
	for _, iv := range f.Intervals {
		drifting[iv.Workload] = true
	}
	if want := 2*len(workloads) + len(drifting); len(figs) != want {
		t.Fatalf("the browser's DOM has %d plot figures, want %d", len(figs), want)
	}
	for _, fig := range figs {
		if !strings.Contains(fig, `data-rendered="true"`) {
			t.Errorf("plot not rendered (no laid-out SVG with drawn paths): %s", fig)
		}
		if strings.Contains(fig, `data-paths="0"`) {
			t.Errorf("plot has no drawn paths: %s", fig)
		}
	}
	// The latency plots' legends lie under the plots, as rendered in the page.
	if os.Getenv("RINGLOOP_REPORT_JSON") == "" {
		lats := latencyFigRE.FindAllStringSubmatch(dom, -1)
		if len(lats) != len(workloads) {
			t.Errorf("found %d latency figures in the DOM, want %d", len(lats), len(workloads))
		}
		for _, m := range lats {
			checkLegendBelow(t, m[1], []string{"mpsc", "mutex", "chan"})
		}
	}
	wantPlots := `data-plots="` + strconv.Itoa(len(figs)) + "/" + strconv.Itoa(len(figs)) + `"`
	if !strings.Contains(dom, wantPlots) {
		t.Errorf("page self-check did not report %s (did the script run?)", wantPlots)
	}
	if errs := consoleErrors(stderr); len(errs) > 0 {
		t.Errorf("console messages while rendering the report:\n%s", strings.Join(errs, "\n"))
	}

	shotDir := os.Getenv("RINGLOOP_ARTIFACTS")
	if shotDir == "" {
		shotDir = t.TempDir()
	} else if err := os.MkdirAll(shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(shotDir, "report.png")
	chromium(t, bin, "--window-size=1280,1500", "--screenshot="+shot, url)
	checkScreenshot(t, shot)
	t.Logf("screenshot: %s", shot)
}

// checkScreenshot decodes the PNG and checks the plots' colours are on it, so a
// blank or unstyled page fails.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 1000 || b.Dy() < 1000 {
		t.Errorf("screenshot is %v, want the requested 1280x1500", b)
	}
	// Count pixels close to the first two series colours (the lines and bars).
	hits := make([]int, 2)
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			for i := range hits {
				if near(img, x, y, i) {
					hits[i]++
				}
			}
		}
	}
	for i, n := range hits {
		if n < 200 {
			t.Errorf("screenshot has %d pixels of series colour %s: the plots did not paint", n, colorHex(i))
		}
	}
}

func near(img image.Image, x, y, i int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	c := palette[i]
	d := func(a uint32, b uint8) int {
		v := int(a>>8) - int(b)
		if v < 0 {
			return -v
		}
		return v
	}
	return d(r, c.R)+d(g, c.G)+d(b, c.B) < 40
}

// TestBrowserConsoleCheckCanFail proves the console check sees a script error.
func TestBrowserConsoleCheckCanFail(t *testing.T) {
	bin := findChromium(t)
	page := filepath.Join(t.TempDir(), "broken.html")
	os.WriteFile(page, []byte(`<!DOCTYPE html><html><body><script>noSuchFunction();</script></body></html>`), 0o644)
	_, stderr := chromium(t, bin, "--dump-dom", "file://"+page)
	if len(consoleErrors(stderr)) == 0 {
		t.Errorf("a page calling an undefined function logged no console error; stderr:\n%s", stderr)
	}
}
