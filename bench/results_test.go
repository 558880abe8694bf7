package bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestResultsDocGenerated checks that docs/results.md is exactly what
// bench/results.py makes from the results files it names, so the tables in the
// docs cannot drift from the measurement they quote.
func TestResultsDocGenerated(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 in PATH: docs/results.md not checked")
	}
	out := filepath.Join(t.TempDir(), "results.md")
	cmd := exec.Command(py, "results.py",
		"results/final-2026-11-25.raw.txt", "-loadgen", "results/final-2026-11-25.loadgen.txt", "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bench/results.py: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../docs/results.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/results.md differs from what bench/results.py generates; regenerate it:\n\t" +
			"bench/results.py bench/results/final-2026-11-25.raw.txt -loadgen bench/results/final-2026-11-25.loadgen.txt -o docs/results.md")
	}
}
